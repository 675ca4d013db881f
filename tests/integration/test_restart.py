"""Shutdown and restart of a second sandbox: buffers delivered at SIGTERM, the lake kept.

A sandbox of this module's own (free port, own state folder, its own copy of terraform/ so that
tflocal's override file never collides with another run) is driven through the command line a
user runs: ``sandbox up``, then records are delivered, partitions registered and more records
left in Firehose buffers; ``sandbox down`` (SIGTERM) must deliver those buffers and save them;
``sandbox up`` must bring back every object (same keys and ETags) and every Glue partition, and
everything else created through the API (a delivery stream, an IAM role, a workgroup, a named
query, a query's history, and a resource in each of the extra services ``SANDBOX_SERVICES``
turns on: SQS with a message, SNS, SSM, Secrets Manager, EventBridge, CloudWatch, EC2, KMS),
with no apply (terraform/ is unchanged), a Terraform plan that has
nothing to do and the same query answers; the restored stream accepts and delivers records.
Then the same instance is SIGKILLed in the middle of snapshot saves: the snapshot on disk must
stay consistent and restore cleanly, and the journal brings back every acknowledged S3 write made
after it.

The session's sandbox (the ``sandbox`` fixture) is never stopped by these tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.infra import admin, localstack
from sandbox.infra.outputs import Outputs, read_outputs
from sandbox.infra.terraform import Terraform
from sandbox.persistence import INDEX, body_path, read_index
from sandbox.settings import Settings
from tests.integration import lake

pytestmark = pytest.mark.integration

NAMES = ("anonymous_visited", "account_created", "measurement_recorded")
SHUTDOWN_RECORDS = 5_000  # left in a 128 MB / 900 s buffer at SIGTERM
PARQUET_BUFFERED = 500  # left in the Terraform Parquet stream's buffers at SIGTERM
QUERY = "SELECT name, count(*) AS n FROM events_json GROUP BY name ORDER BY name"
EXTRA_SERVICES_ON = (
    *("s3", "firehose", "glue", "athena", "iam", "sts", "logs", "kms"),
    *("sqs", "sns", "ssm", "secretsmanager", "events", "cloudwatch", "ec2"),
)


@dataclass
class Second:
    """The second sandbox and what the tests observed of it."""

    settings: Settings
    env: dict[str, str]
    outputs: Outputs | None = None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    figures: dict[str, Any] = field(default_factory=dict)
    before: dict[str, dict[str, str]] = field(default_factory=dict)
    after: dict[str, dict[str, str]] = field(default_factory=dict)
    partitions_before: list[list[str]] = field(default_factory=list)
    partitions_after: list[list[str]] = field(default_factory=list)
    query_before: str = ""
    query_after: str = ""
    buffered_at_sigterm: dict[str, int] = field(default_factory=dict)
    sent_before_sigterm: dict[str, list[bytes]] = field(default_factory=dict)
    restored_report: str = ""
    second_up_output: str = ""
    query_id: str = ""  # run in the API workgroup before the restart
    extra: dict[str, str] = field(default_factory=dict)  # the extra services' resource ids

    def client(self, service: str) -> Any:
        return self.settings.client(service)

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert proc.returncode == 0, f"sandbox {' '.join(args)}: {proc.stderr[-2000:]}"
        return proc

    def timed(self, label: str, *args: str) -> subprocess.CompletedProcess:
        started = time.monotonic()
        proc = self.cli(*args)
        self.figures[label] = round(time.monotonic() - started, 1)
        return proc


def _objects(s3: Any) -> dict[str, dict[str, str]]:
    """Every bucket's keys with their ETags."""
    return {b["Name"]: lake.listing(s3, b["Name"]) for b in s3.list_buckets()["Buckets"]}


def _partitions(glue: Any, database: str, table: str) -> list[list[str]]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return sorted(p["Values"] for page in pages for p in page["Partitions"])


def _event(run: str, i: int) -> bytes:
    return json.dumps(
        {
            "name": NAMES[i % 3],
            "tstamp": f"2023-06-{1 + i % 28:02d} 10:00:{i % 60:02d}.000000",
            "payload": json.dumps({"i": i}),
            "payload_md5": f"{run}-{i}",
        }
    ).encode()


def _put(firehose: Any, stream: str, records: list[bytes]) -> None:
    for start in range(0, len(records), 500):
        chunk = records[start : start + 500]
        response = firehose.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": d} for d in chunk]
        )
        assert response["FailedPutCount"] == 0


def _fill(second: Second) -> None:
    """Deliver records, register partitions, then leave records in the buffers."""
    assert second.outputs is not None
    outputs, run = second.outputs, second.run
    firehose, s3, glue = (second.client(s) for s in ("firehose", "s3", "glue"))
    _put(firehose, outputs.json_stream, [_event(run, i) for i in range(300)] + [b"not json"])
    _put(firehose, outputs.parquet_stream, [_event(run, i) for i in range(300)])
    admin.flush(second.settings)
    # An Athena result, as a query on AWS would leave one in the results bucket.
    s3.put_object(
        Bucket=outputs.results_bucket, Key=f"results/{run}.csv", Body=b'"name","n"\n"a","1"\n'
    )
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    table = glue.get_table(DatabaseName=outputs.database, Name=outputs.json_table)["Table"]
    descriptor = table["StorageDescriptor"]
    glue.batch_create_partition(
        DatabaseName=outputs.database,
        TableName=outputs.json_table,
        PartitionInputList=[
            {
                "Values": [name, today],
                "StorageDescriptor": {
                    **descriptor,
                    "Location": f"{descriptor['Location']}name={name}/d={today}/",
                },
            }
            for name in NAMES
        ],
    )
    # Left in buffers: a stream with the longest interval, and the Terraform Parquet stream.
    shutdown_stream = f"shutdown-{run}"
    lake.create_stream(
        firehose,
        shutdown_stream,
        lake.plain_destination(
            outputs.bucket, f"tests/{shutdown_stream}/", size_mb=128, interval_s=900
        ),
    )
    shutdown_records = [f"{run}-shutdown-{i}\n".encode() for i in range(SHUTDOWN_RECORDS)]
    _put(firehose, shutdown_stream, shutdown_records)
    parquet_records = [_event(run, 1_000 + i) for i in range(PARQUET_BUFFERED)]
    _put(firehose, outputs.parquet_stream, parquet_records)
    # A stream whose bucket is gone: its records cannot be delivered, the log must say so.
    doomed = f"doomed-{run}"
    s3.create_bucket(Bucket=doomed)
    lake.create_stream(firehose, doomed, lake.plain_destination(doomed, "x/"))
    _put(firehose, doomed, [b"doomed\n"] * 10)
    s3.delete_bucket(Bucket=doomed)
    second.sent_before_sigterm = {
        shutdown_stream: shutdown_records,
        outputs.parquet_stream: parquet_records,
    }
    stats = admin.stats(second.settings)
    second.buffered_at_sigterm = {s: stats[s]["buffered"] for s in second.sent_before_sigterm}
    _create_through_the_api(second)


def _create_through_the_api(second: Second) -> None:
    """What no Terraform declares: it can only come back from the saved state."""
    assert second.outputs is not None
    run, bucket = second.run, second.outputs.bucket
    iam, athena, firehose = (second.client(s) for s in ("iam", "athena", "firehose"))
    trust = {"Version": "2012-10-17", "Statement": []}
    iam.create_role(
        RoleName=f"api-{run}",
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": "run", "Value": run}],
    )
    firehose.create_delivery_stream(
        DeliveryStreamName=f"api-{run}",
        ExtendedS3DestinationConfiguration=lake.plain_destination(bucket, f"tests/api-{run}/"),
        Tags=[{"Key": "run", "Value": run}],
    )
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName=f"api-{run}",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
    )
    results = f"s3://{second.outputs.results_bucket}/api-{run}/"
    athena.create_work_group(
        Name=f"api-{run}",
        Configuration={"ResultConfiguration": {"OutputLocation": results}},
        Tags=[{"Key": "run", "Value": run}],
    )
    athena.create_named_query(
        Name=f"api-{run}",
        Database=second.outputs.database,
        QueryString="SELECT 1",
        WorkGroup=f"api-{run}",
    )
    second.query_id = athena.start_query_execution(
        QueryString="SELECT 42 AS answer", WorkGroup=f"api-{run}"
    )["QueryExecutionId"]
    lake.wait_for(
        lambda: (
            athena.get_query_execution(QueryExecutionId=second.query_id)["QueryExecution"][
                "Status"
            ]["State"]
            == "SUCCEEDED"
        ),
        timeout=60,
    )
    _create_in_the_extra_services(second)


def _create_in_the_extra_services(second: Second) -> None:
    """One resource (and its data) in each service users add next to the platform."""
    run, extra = second.run, second.extra
    sqs, sns, ssm, secrets, events, cloudwatch, ec2, kms = (
        second.client(s)
        for s in ("sqs", "sns", "ssm", "secretsmanager", "events", "cloudwatch", "ec2", "kms")
    )
    extra["queue"] = sqs.create_queue(QueueName=f"api-{run}")["QueueUrl"]
    sqs.send_message(QueueUrl=extra["queue"], MessageBody=f"message-{run}")
    queue_arn = sqs.get_queue_attributes(QueueUrl=extra["queue"], AttributeNames=["QueueArn"])
    extra["topic"] = sns.create_topic(Name=f"api-{run}")["TopicArn"]
    sns.subscribe(
        TopicArn=extra["topic"], Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
    )
    ssm.put_parameter(Name=f"/api/{run}/dsn", Value=f"postgres://{run}", Type="String")
    secrets.create_secret(Name=f"api-{run}", SecretString=f"secret-{run}")
    events.create_event_bus(Name=f"api-{run}")
    events.put_rule(
        Name=f"api-{run}",
        EventBusName=f"api-{run}",
        EventPattern=json.dumps({"source": [f"api-{run}"]}),
    )
    cloudwatch.put_metric_alarm(
        AlarmName=f"api-{run}",
        Namespace="Sandbox",
        MetricName="DeliveryErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    extra["vpc"] = ec2.create_vpc(CidrBlock="10.17.0.0/16")["Vpc"]["VpcId"]
    extra["group"] = ec2.create_security_group(
        GroupName=f"api-{run}", Description="restart test", VpcId=extra["vpc"]
    )["GroupId"]
    extra["key"] = kms.create_key(Description=f"api-{run}")["KeyMetadata"]["KeyId"]
    ciphertext = kms.encrypt(KeyId=extra["key"], Plaintext=run.encode())["CiphertextBlob"]
    extra["ciphertext"] = ciphertext.hex()


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Second]:
    folder = tmp_path_factory.mktemp("second-sandbox")
    # The platform's services and those users add next to it, named explicitly.
    settings, env = lake.own_sandbox(folder, SANDBOX_SERVICES=",".join(EXTRA_SERVICES_ON))
    instance = Second(settings, env)
    try:
        instance.timed("first_up_s", "up")
        instance.outputs = read_outputs(settings)
        outputs = instance.outputs
        _fill(instance)
        # The query first: it runs through Athena's API, whose result files (results bucket)
        # are part of the lake the restart must bring back.
        instance.query_before = instance.cli("query", "--format", "csv", QUERY).stdout
        instance.before = _objects(instance.client("s3"))
        instance.partitions_before = _partitions(
            instance.client("glue"), outputs.database, outputs.json_table
        )

        down = instance.timed("down_s", "down")
        assert "stopped" in down.stdout
        # promptly: not through stop_host's SIGKILL after 60 s (see the plugin's hooks.py)
        assert instance.figures["down_s"] < 30
        assert localstack.read_pid(settings) is None
        assert not localstack.port_in_use(settings.host, settings.port)

        up = instance.timed("second_up_s", "up")
        instance.second_up_output = up.stdout
        instance.restored_report = next(
            (line for line in up.stdout.splitlines() if line.startswith("Restored")), ""
        )
        instance.after = _objects(instance.client("s3"))
        instance.partitions_after = _partitions(
            instance.client("glue"), outputs.database, outputs.json_table
        )
        instance.query_after = instance.cli("query", "--format", "csv", QUERY).stdout
        yield instance
    finally:
        localstack.stop_host(settings)
        print(f"\nrestart test figures: {json.dumps(instance.figures)}")


def test_sigterm_delivers_every_buffered_record_before_exit(second: Second) -> None:
    assert second.buffered_at_sigterm == {
        stream: len(records) for stream, records in second.sent_before_sigterm.items()
    }
    s3 = second.client("s3")
    assert second.outputs is not None
    bucket = second.outputs.bucket
    shutdown_stream = f"shutdown-{second.run}"
    # delivered during shutdown, saved in the snapshot, restored by the second `sandbox up`
    keys = [k for k in second.after[bucket] if k.startswith(f"tests/{shutdown_stream}/")]
    assert keys and not any(
        k.startswith(f"tests/{shutdown_stream}/") for k in second.before[bucket]
    )
    body = b"".join(lake.body(s3, bucket, k) for k in sorted(keys))
    assert sorted(body.splitlines(keepends=True)) == sorted(
        second.sent_before_sigterm[shutdown_stream]
    )
    new_parquet = [
        k
        for k in second.after[bucket]
        if k.startswith("events_raw/parquet/") and k not in second.before[bucket]
    ]
    ids = lake.parquet_column(s3, bucket, new_parquet, "payload_md5")
    expected = [
        json.loads(r)["payload_md5"]
        for r in second.sent_before_sigterm[second.outputs.parquet_stream]
    ]
    assert sorted(ids) == sorted(expected)
    second.figures["buffered_at_sigterm"] = second.buffered_at_sigterm
    second.figures["delivered_after_restart"] = {
        shutdown_stream: len(body.splitlines()),
        second.outputs.parquet_stream: len(ids),
    }


def test_records_that_cannot_be_delivered_at_shutdown_are_reported(second: Second) -> None:
    log = second.settings.state.log_file.read_text(errors="replace")
    assert (
        f"Firehose doomed-{second.run}: 10 buffered records could not be delivered before "
        "shutdown" in log
    )
    assert not any(name.startswith("doomed-") for name in second.after)


def test_restart_brings_back_every_object_and_partition(second: Second) -> None:
    assert second.outputs is not None
    assert second.restored_report, "sandbox up did not report a restored lake"
    for bucket, objects in second.before.items():
        assert objects, f"{bucket} was empty before the restart"
        after = second.after[bucket]
        missing = objects.keys() - after.keys()
        changed = {k for k in objects.keys() & after.keys() if objects[k] != after[k]}
        assert not missing and not changed, (bucket, sorted(missing)[:3], sorted(changed)[:3])
    # the only new objects are the buffers delivered at shutdown
    for bucket, after in second.after.items():
        for key in after.keys() - second.before.get(bucket, {}).keys():
            assert key.startswith(("tests/shutdown-", "events_raw/parquet/")), key
    assert any(k.startswith("errors/json/") for k in second.after[second.outputs.bucket])
    assert f"results/{second.run}.csv" in second.after[second.outputs.results_bucket]
    assert (
        second.partitions_after == second.partitions_before and len(second.partitions_before) == 3
    )
    second.figures["objects_before"] = sum(map(len, second.before.values()))
    second.figures["objects_after"] = sum(map(len, second.after.values()))
    second.figures["partitions_before"] = len(second.partitions_before)
    second.figures["partitions_after"] = len(second.partitions_after)
    second.figures["restored"] = second.restored_report


def test_queries_give_the_same_answers_after_a_restart(second: Second) -> None:
    assert "account_created" in second.query_before
    assert second.query_after == second.query_before


def test_the_second_up_applies_nothing(second: Second) -> None:
    # terraform/ is unchanged and the restored state is that of its apply: no init, no apply.
    assert "nothing to apply" in second.second_up_output
    assert "Terraform apply" not in second.second_up_output
    second.figures["second_up_applied"] = False


def test_what_the_api_created_survives_the_restart(second: Second) -> None:
    assert second.outputs is not None
    run, bucket = second.run, second.outputs.bucket
    iam, athena, firehose, s3 = (second.client(s) for s in ("iam", "athena", "firehose", "s3"))
    assert iam.get_role(RoleName=f"api-{run}")["Role"]["RoleName"] == f"api-{run}"
    assert iam.list_role_tags(RoleName=f"api-{run}")["Tags"] == [{"Key": "run", "Value": run}]
    stream = firehose.describe_delivery_stream(DeliveryStreamName=f"api-{run}")[
        "DeliveryStreamDescription"
    ]
    assert stream["VersionId"] == "1" and stream["DeliveryStreamStatus"] == "ACTIVE"
    assert stream["DeliveryStreamEncryptionConfiguration"]["Status"] == "ENABLED"
    tags = firehose.list_tags_for_delivery_stream(DeliveryStreamName=f"api-{run}")["Tags"]
    assert tags == [{"Key": "run", "Value": run}]
    workgroup = athena.get_work_group(WorkGroup=f"api-{run}")["WorkGroup"]
    assert workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"].endswith(
        f"/api-{run}/"
    )
    named = athena.list_named_queries(WorkGroup=f"api-{run}")["NamedQueryIds"]
    assert len(named) == 1
    assert (
        second.query_id in athena.list_query_executions(WorkGroup=f"api-{run}")["QueryExecutionIds"]
    )
    rows = athena.get_query_results(QueryExecutionId=second.query_id)["ResultSet"]["Rows"]
    assert rows[-1]["Data"][0]["VarCharValue"] == "42"
    # the restored stream accepts records with no re-creation, and delivers them
    records = [f"{run}-after-{i}\n".encode() for i in range(50)]
    _put(firehose, f"api-{run}", records)
    admin.flush(second.settings)
    keys = lake.listing(s3, bucket, f"tests/api-{run}/")
    assert sorted(lake.lines(s3, bucket, keys)) == sorted(r.rstrip(b"\n") for r in records)


def test_the_extra_services_state_survives_the_restart(second: Second) -> None:
    """SANDBOX_SERVICES' queues (with their messages), topics, parameters, secrets, event
    rules, alarms, VPC resources and KMS keys (which still decrypt) come back with no apply."""
    run, extra = second.run, second.extra
    sqs, sns, ssm, secrets, events, cloudwatch, ec2, kms = (
        second.client(s)
        for s in ("sqs", "sns", "ssm", "secretsmanager", "events", "cloudwatch", "ec2", "kms")
    )
    messages = sqs.receive_message(QueueUrl=extra["queue"], WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in messages] == [f"message-{run}"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=extra["topic"])["Subscriptions"]
    assert [s["Protocol"] for s in subscriptions] == ["sqs"]
    parameter = ssm.get_parameter(Name=f"/api/{run}/dsn")["Parameter"]
    assert parameter["Value"] == f"postgres://{run}"
    assert secrets.get_secret_value(SecretId=f"api-{run}")["SecretString"] == f"secret-{run}"
    rule = events.describe_rule(Name=f"api-{run}", EventBusName=f"api-{run}")
    assert json.loads(rule["EventPattern"]) == {"source": [f"api-{run}"]}
    alarms = cloudwatch.describe_alarms(AlarmNames=[f"api-{run}"])["MetricAlarms"]
    assert [a["Threshold"] for a in alarms] == [1.0]
    assert ec2.describe_vpcs(VpcIds=[extra["vpc"]])["Vpcs"][0]["CidrBlock"] == "10.17.0.0/16"
    group = ec2.describe_security_groups(GroupIds=[extra["group"]])["SecurityGroups"][0]
    assert group["GroupName"] == f"api-{run}"
    plain = kms.decrypt(CiphertextBlob=bytes.fromhex(extra["ciphertext"]))
    assert plain["KeyId"].endswith(extra["key"]) and plain["Plaintext"] == run.encode()


def test_terraform_has_nothing_to_do_after_a_restart(second: Second) -> None:
    started = time.monotonic()
    assert Terraform(second.settings).plan().empty
    second.figures["plan_s"] = round(time.monotonic() - started, 1)


def _snapshot_is_consistent(root: Path) -> dict[tuple[str, str], str]:
    """Every object the index lists has a body whose MD5 is its ETag; returns key -> ETag."""
    index = read_index(root)
    assert index is not None, f"{root / INDEX} unreadable"
    listed: dict[tuple[str, str], str] = {}
    for entry in index["objects"]:
        path = body_path(root, entry)
        assert path.exists(), f"body missing for s3://{entry['Bucket']}/{entry['Key']}"
        assert f'"{hashlib.md5(path.read_bytes()).hexdigest()}"' == entry["ETag"], entry["Key"]
        listed[(entry["Bucket"], entry["Key"])] = entry["ETag"]
    return listed


def test_sigkill_during_snapshots_restarts_from_the_last_complete_one(second: Second) -> None:
    """The crash window: Firehose buffers and changes since the last completed snapshot."""
    assert second.outputs is not None
    settings, bucket, run = second.settings, second.outputs.bucket, second.run
    s3, firehose = second.client("s3"), second.client("firehose")
    stream = f"kill-{run}"
    lake.create_stream(
        firehose, stream, lake.plain_destination(bucket, f"tests/{stream}/", interval_s=900)
    )
    _put(firehose, stream, [f"{run}-lost-{i}\n".encode() for i in range(200)])
    buffered = admin.stats(settings)[stream]["buffered"]

    stop = threading.Event()
    written: list[str] = []
    overwrites = 0

    def write_objects() -> None:
        # New objects, and new versions of a few hot keys (a snapshot must never pair an
        # index entry with another version's body).
        nonlocal overwrites
        client = second.client("s3")
        i = 0
        while not stop.is_set():
            hot = i % 3 == 0
            key = f"tests/crash-{run}/hot/{i % 5}" if hot else f"tests/crash-{run}/{i:05d}"
            with contextlib.suppress(Exception):  # the emulator dies under us
                client.put_object(Bucket=bucket, Key=key, Body=os.urandom(2_000))
                if hot:
                    overwrites += 1
                else:
                    written.append(key)
            i += 1

    def save_snapshots() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):
                admin.save_snapshot(settings)

    threads = [threading.Thread(target=write_objects), threading.Thread(target=save_snapshots)]
    for thread in threads:
        thread.start()
    lake.wait_for(lambda: len(written) >= 300, timeout=30)
    lake.kill(settings)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    root = settings.state.persist_dir
    on_disk = _snapshot_is_consistent(root)
    saved_writes = sum(1 for key in written if (bucket, key) in on_disk)

    started = time.monotonic()
    localstack.start_host(settings)

    def restored_status() -> dict[str, Any] | None:
        current = admin.persistence_status(settings)
        return current if current.get("restored") else None

    status = lake.wait_for(restored_status, timeout=120)
    second.figures["restart_after_kill_s"] = round(time.monotonic() - started, 1)
    assert status and not status.get("restore_error"), status
    assert status["restore"]["errors"] == []
    restored = {
        (name, key): etag for name, objects in _objects(s3).items() for key, etag in objects.items()
    }
    # the last completed snapshot, then the journal: every acknowledged write, none corrupted
    assert on_disk.keys() <= restored.keys()
    lost_writes = [key for key in written if (bucket, key) not in restored]
    assert not lost_writes, lost_writes[:5]
    assert not any(key.startswith(f"tests/{stream}/") for _, key in restored)
    started = time.monotonic()
    assert localstack.stop_host(settings)
    second.figures["final_stop_s"] = round(time.monotonic() - started, 1)
    assert second.figures["final_stop_s"] < 30
    second.figures["sigkill"] = {
        "records_buffered_at_kill": buffered,
        "objects_written_during_saves": len(written),
        "hot_key_overwrites": overwrites,
        "objects_in_last_snapshot": saved_writes,
        "objects_lost": len(lost_writes),
        "records_lost": buffered,
    }
