"""Firehose into Apache Iceberg tables on the running sandbox, read back with pyiceberg.

The Terraform stream into ``events_iceberg`` (hidden partitions identity(name), day(tstamp));
streams of the tests' own into tables the tests create through Glue's CreateTable with
IcebergInput: UniqueKeys updates hold each key once, per-record routing to two tables, records
that cannot be delivered in the error output in AWS's shape, DescribeDeliveryStream's answer and
InvalidArgumentException for what AWS refuses; and a sandbox of this module's own restarted with
``sandbox down`` / ``up``: the table's data, metadata and Glue pointer survive, records buffered
at SIGTERM are committed, the restored stream delivers again.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.iceberg.catalog import glue_catalog, metadata_location
from sandbox.infra import admin, localstack
from sandbox.settings import Settings
from tests.conftest import SandboxHandle
from tests.integration import lake

pytestmark = pytest.mark.integration

ROLE = "arn:aws:iam::000000000000:role/firehose-iceberg-tests"
CATALOG = "arn:aws:glue:us-east-1:000000000000:catalog"
NAMES = ("anonymous_visited", "account_created", "measurement_recorded")
COLUMNS = [
    {"Name": "name", "Type": "string"},
    {"Name": "tstamp", "Type": "timestamp"},
    {"Name": "payload", "Type": "string"},
    {"Name": "payload_md5", "Type": "string"},
]


def _event(run: str, i: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": NAMES[i % 3],
        "tstamp": f"2023-06-{1 + i % 5:02d} 10:00:{i % 60:02d}.000000",
        "payload": json.dumps({"i": i}),
        "payload_md5": f"{run}-{i}",
        **extra,
    }


def _put(settings: Settings, stream: str, records: list[dict[str, Any] | bytes]) -> None:
    firehose = settings.client("firehose")
    data = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records]
    for start in range(0, len(data), 500):
        response = firehose.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": d} for d in data[start : start + 500]]
        )
        assert response["FailedPutCount"] == 0


def _catalog(settings: Settings) -> Any:
    return glue_catalog(settings.endpoint_url, settings.region)


def _rows(settings: Settings, database: str, table: str) -> list[dict[str, Any]]:
    return _catalog(settings).load_table((database, table)).scan().to_arrow().to_pylist()


def _create_table(settings: Settings, bucket: str, database: str, table: str) -> None:
    settings.client("glue").create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Location": f"s3://{bucket}/tests/{table}/", "Columns": COLUMNS},
        },
        OpenTableFormatInput={"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}},
    )


def _routing(query: str) -> dict[str, Any]:
    return {
        "Enabled": True,
        "Processors": [
            {
                "Type": "MetadataExtraction",
                "Parameters": [
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                ],
            }
        ],
    }


def _destination(bucket: str, tables: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "RoleARN": ROLE,
        "CatalogConfiguration": {"CatalogARN": CATALOG},
        "S3Configuration": {
            "RoleARN": ROLE,
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "ErrorOutputPrefix": "tests/iceberg-errors/!{firehose:error-output-type}/",
        },
        "DestinationTableConfigurationList": tables,
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 900},
        **extra,
    }


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def database(sandbox: SandboxHandle, run: str) -> str:
    name = f"iceberg_tests_{run}"
    sandbox.settings.client("glue").create_database(DatabaseInput={"Name": name})
    return name


# --- the Terraform stream and table ------------------------------------------------------------


def test_the_terraform_stream_delivers_into_the_hidden_partitioned_table(
    sandbox: SandboxHandle, run: str
) -> None:
    outputs, settings = sandbox.outputs, sandbox.settings
    assert outputs.iceberg_stream and outputs.iceberg_table
    glue = settings.client("glue")
    table = glue.get_table(DatabaseName=outputs.database, Name=outputs.iceberg_table)["Table"]
    assert table["Parameters"]["table_type"] == "ICEBERG"
    loaded = _catalog(settings).load_table((outputs.database, outputs.iceberg_table))
    assert [(f.name, str(f.transform)) for f in loaded.spec().fields] == [
        ("name", "identity"),
        ("tstamp_day", "day"),
    ]
    records = [_event(run, i) for i in range(60)]
    _put(settings, outputs.iceberg_stream, records)
    admin.flush(settings, outputs.iceberg_stream)
    mine = [
        r
        for r in _rows(settings, outputs.database, outputs.iceberg_table)
        if r["payload_md5"].startswith(run)
    ]
    assert sorted(r["payload_md5"] for r in mine) == sorted(r["payload_md5"] for r in records)
    assert {r["name"] for r in mine} == set(NAMES)  # a real column, not a folder
    assert {str(r["tstamp"].date()) for r in mine} == {f"2023-06-0{d}" for d in range(1, 6)}
    # Glue's pointer is the new metadata, and the data files lie in the hidden partitions.
    table = glue.get_table(DatabaseName=outputs.database, Name=outputs.iceberg_table)["Table"]
    pointer = metadata_location(table)
    assert pointer and table["Parameters"]["previous_metadata_location"]
    loaded = _catalog(settings).load_table((outputs.database, outputs.iceberg_table))
    assert loaded.metadata_location == pointer
    paths = [
        task.file.file_path
        for task in loaded.scan(row_filter=f"payload_md5 = '{run}-0'").plan_files()
    ]
    assert paths and all("/data/name=anonymous_visited/tstamp_day=2023-06-01/" in p for p in paths)


def test_describe_answers_the_iceberg_destination(sandbox: SandboxHandle) -> None:
    firehose = sandbox.settings.client("firehose")
    described = firehose.describe_delivery_stream(DeliveryStreamName=sandbox.outputs.iceberg_stream)
    destination = described["DeliveryStreamDescription"]["Destinations"][0]
    iceberg = destination["IcebergDestinationDescription"]
    assert iceberg["CatalogConfiguration"]["CatalogARN"].endswith(":catalog")
    assert iceberg["DestinationTableConfigurationList"][0]["DestinationTableName"] == (
        sandbox.outputs.iceberg_table
    )
    assert iceberg["S3BackupMode"] == "FailedDataOnly"
    assert iceberg["S3DestinationDescription"]["BucketARN"].endswith(sandbox.outputs.bucket)


# --- streams of the tests' own ------------------------------------------------------------------


def test_unique_keys_updates_hold_each_key_once(
    sandbox: SandboxHandle, run: str, database: str
) -> None:
    settings, bucket = sandbox.settings, sandbox.outputs.bucket
    _create_table(settings, bucket, database, "events")
    stream = f"iceberg-upsert-{run}"
    query = (
        f'{{destinationDatabaseName: "{database}", destinationTableName: "events", '
        'operation: "update"}'
    )
    settings.client("firehose").create_delivery_stream(
        DeliveryStreamName=stream,
        IcebergDestinationConfiguration=_destination(
            bucket,
            [
                {
                    "DestinationDatabaseName": database,
                    "DestinationTableName": "events",
                    "UniqueKeys": ["payload_md5"],
                }
            ],
            ProcessingConfiguration=_routing(query),
        ),
    )
    # 10 keys, each sent three times in one buffer, then once more in a later commit.
    first = [_event(run, i % 10, payload=f"v{i}") for i in range(30)]
    _put(settings, stream, first)
    admin.flush(settings, stream)
    second = [_event(run, i, payload=f"late{i}") for i in range(5)]
    _put(settings, stream, second)
    admin.flush(settings, stream)
    rows = _rows(settings, database, "events")
    keys = [r["payload_md5"] for r in rows]
    assert sorted(keys) == sorted({f"{run}-{i}" for i in range(10)})  # each key once
    payloads = {r["payload_md5"]: r["payload"] for r in rows}
    assert payloads[f"{run}-0"] == "late0"  # the later commit replaced it
    assert payloads[f"{run}-9"] == "v29"  # the last of the buffer won
    counters = admin.stats(settings)[stream]
    assert counters["delivered"] == 35 and counters["errored"] == 0
    assert counters["buffered"] == 0


def test_records_are_routed_to_two_tables(sandbox: SandboxHandle, run: str, database: str) -> None:
    settings, bucket = sandbox.settings, sandbox.outputs.bucket
    for table in ("visits", "accounts"):
        _create_table(settings, bucket, database, table)
    stream = f"iceberg-routing-{run}"
    query = (
        f'{{destinationDatabaseName: "{database}", destinationTableName: '
        '(if .name == "account_created" then "accounts" else "visits" end)}'
    )
    settings.client("firehose").create_delivery_stream(
        DeliveryStreamName=stream,
        IcebergDestinationConfiguration=_destination(
            bucket, [], ProcessingConfiguration=_routing(query)
        ),
    )
    records = [_event(run, i) for i in range(30)]
    _put(settings, stream, records)
    admin.flush(settings, stream)
    accounts = _rows(settings, database, "accounts")
    visits = _rows(settings, database, "visits")
    assert {r["name"] for r in accounts} == {"account_created"}
    assert {r["name"] for r in visits} == {"anonymous_visited", "measurement_recorded"}
    assert len(accounts) + len(visits) == 30


def test_table_creation_and_schema_evolution(
    sandbox: SandboxHandle, run: str, database: str
) -> None:
    settings, bucket = sandbox.settings, sandbox.outputs.bucket
    stream = f"iceberg-evolve-{run}"
    settings.client("firehose").create_delivery_stream(
        DeliveryStreamName=stream,
        IcebergDestinationConfiguration=_destination(
            bucket,
            [
                {
                    "DestinationDatabaseName": database,
                    "DestinationTableName": "created",
                    "PartitionSpec": {"Identity": [{"SourceName": "name"}]},
                }
            ],
            CatalogConfiguration={
                "CatalogARN": CATALOG,
                "WarehouseLocation": f"s3://{bucket}/tests/warehouse",
            },
            TableCreationConfiguration={"Enabled": True},
            SchemaEvolutionConfiguration={"Enabled": True},
        ),
    )
    _put(settings, stream, [{"name": "a", "n": 1}, {"name": "b", "n": 2}])
    admin.flush(settings, stream)
    table = _catalog(settings).load_table((database, "created"))
    assert table.schema().column_names == ["name", "n"]
    assert [(f.name, str(f.transform)) for f in table.spec().fields] == [("name", "identity")]
    assert table.location().startswith(f"s3://{bucket}/tests/warehouse/")
    _put(settings, stream, [{"name": "a", "n": 3, "score": 0.5, "ok": True}])
    admin.flush(settings, stream)
    table = _catalog(settings).load_table((database, "created"))
    assert table.schema().column_names == ["name", "n", "score", "ok"]
    rows = sorted(_rows(settings, database, "created"), key=lambda r: r["n"])
    assert rows == [
        {"name": "a", "n": 1, "score": None, "ok": None},
        {"name": "b", "n": 2, "score": None, "ok": None},
        {"name": "a", "n": 3, "score": 0.5, "ok": True},
    ]


def test_records_that_cannot_be_delivered_go_to_the_error_output(
    sandbox: SandboxHandle, run: str, database: str
) -> None:
    settings, bucket = sandbox.settings, sandbox.outputs.bucket
    _create_table(settings, bucket, database, "events")
    stream = f"iceberg-errors-{run}"
    settings.client("firehose").create_delivery_stream(
        DeliveryStreamName=stream,
        IcebergDestinationConfiguration=_destination(
            bucket, [{"DestinationDatabaseName": database, "DestinationTableName": "events"}]
        ),
    )
    s3 = settings.client("s3")
    before = set(lake.listing(s3, bucket, "tests/iceberg-errors/"))
    bad = _event(run, 1, tstamp="not a time")
    _put(settings, stream, [_event(run, 0), bad, b"{not json"])
    admin.flush(settings, stream)
    assert [r["payload_md5"] for r in _rows(settings, database, "events")] == [f"{run}-0"]
    keys = [k for k in lake.listing(s3, bucket, "tests/iceberg-errors/") if k not in before]
    documents = {
        key.split("/")[2]: [
            json.loads(line)
            for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
        ]
        for key in keys
    }
    assert set(documents) == {"iceberg-failed", "processing-failed"}
    failed = documents["iceberg-failed"][0]
    assert set(failed) == {
        "attemptsMade",
        "arrivalTimestamp",
        "errorCode",
        "errorMessage",
        "attemptEndingTimestamp",
        "rawData",
    }
    assert failed["errorCode"] == "Iceberg.InvalidColumnValue"
    assert json.loads(base64.b64decode(failed["rawData"])) == bad
    assert base64.b64decode(documents["processing-failed"][0]["rawData"]) == b"{not json"
    counters = admin.stats(settings)[stream]
    assert (counters["delivered"], counters["errored"], counters["buffered"]) == (1, 2, 0)


def test_invalid_iceberg_destinations_get_invalid_argument(
    sandbox: SandboxHandle, run: str
) -> None:
    firehose = sandbox.settings.client("firehose")
    bucket = sandbox.outputs.bucket
    for destination, message in (
        (_destination(bucket, []), "must not be empty unless"),
        (
            _destination(
                bucket,
                [{"DestinationDatabaseName": "db", "DestinationTableName": "t"}],
                S3BackupMode="AllData",
            ),
            "AllData is not reproduced",
        ),
    ):
        with pytest.raises(ClientError) as raised:
            firehose.create_delivery_stream(
                DeliveryStreamName=f"iceberg-bad-{run}", IcebergDestinationConfiguration=destination
            )
        assert raised.value.response["Error"]["Code"] == "InvalidArgumentException"
        assert message in raised.value.response["Error"]["Message"]
    # The service model's constraints, as Coral checks them (boto3's own check turned off).
    settings = sandbox.settings
    unchecked = boto3.client(
        "firehose",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_access_key,
        config=Config(parameter_validation=False),
    )
    with pytest.raises(ClientError) as raised:
        unchecked.create_delivery_stream(
            DeliveryStreamName=f"iceberg-bad-{run}",
            IcebergDestinationConfiguration={"RoleARN": ROLE, "S3Configuration": {}},
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "catalogConfiguration" in raised.value.response["Error"]["Message"]


# --- restart --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A sandbox of this module's own (no Terraform): a table with delivered rows and records
    left in a stream's buffer, then ``sandbox down`` and ``sandbox up``."""
    import subprocess
    import sys

    settings, env = lake.own_sandbox(tmp_path_factory.mktemp("iceberg-restart"))

    def cli(*args: str) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]

    run = uuid.uuid4().hex[:8]
    found: dict[str, Any] = {"settings": settings, "run": run}
    try:
        cli("up", "--skip-terraform")
        bucket, database, stream = f"restart-{run}", f"restart_{run}", f"restart-{run}"
        settings.client("s3").create_bucket(Bucket=bucket)
        settings.client("glue").create_database(DatabaseInput={"Name": database})
        _create_table(settings, bucket, database, "events")
        settings.client("firehose").create_delivery_stream(
            DeliveryStreamName=stream,
            IcebergDestinationConfiguration=_destination(
                bucket, [{"DestinationDatabaseName": database, "DestinationTableName": "events"}]
            ),
        )
        _put(settings, stream, [_event(run, i) for i in range(20)])
        admin.flush(settings, stream)
        glue = settings.client("glue")
        found["pointer_before"] = metadata_location(
            glue.get_table(DatabaseName=database, Name="events")["Table"]
        )
        found["objects_before"] = lake.listing(settings.client("s3"), bucket, "tests/events/")
        _put(settings, stream, [_event(run, 100 + i) for i in range(10)])  # left buffered
        found["buffered_at_sigterm"] = admin.stats(settings)[stream]["buffered"]
        started = time.monotonic()
        cli("down")
        found["down_s"] = time.monotonic() - started
        cli("up", "--skip-terraform")
        found.update(bucket=bucket, database=database, stream=stream)
        found["pointer_after"] = metadata_location(
            glue.get_table(DatabaseName=database, Name="events")["Table"]
        )
        found["objects_after"] = lake.listing(settings.client("s3"), bucket, "tests/events/")
        deadline = time.monotonic() + 60  # the write-ahead log's replay, if it had to
        while time.monotonic() < deadline:
            found["rows_after"] = _rows(settings, database, "events")
            if len(found["rows_after"]) >= 30:
                break
            admin.flush(settings, stream)
        # A crash with records in the buffer: the write-ahead log brings them back.
        _put(settings, stream, [_event(run, 200 + i) for i in range(10)])
        lake.kill(settings)
        cli("up", "--skip-terraform")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            admin.flush(settings, stream)
            found["rows_after_crash"] = _rows(settings, database, "events")
            if len(found["rows_after_crash"]) >= 40:
                break
            time.sleep(1)
        yield found
    finally:
        localstack.stop_host(settings)


def test_the_table_survives_a_restart(restarted: dict[str, Any]) -> None:
    run = restarted["run"]
    assert restarted["buffered_at_sigterm"] == 10
    # Everything written before the restart is still there ...
    before, after = restarted["objects_before"], restarted["objects_after"]
    assert set(before) <= set(after)
    # ... Glue's pointer names an existing metadata file, and the buffered records were
    # committed at SIGTERM, promptly (LocalStack's internal clients still serve then), once.
    assert restarted["down_s"] < 30
    pointer = restarted["pointer_after"]
    assert pointer != restarted["pointer_before"]
    assert pointer and pointer.split(restarted["bucket"] + "/", 1)[1] in after
    keys = sorted(r["payload_md5"] for r in restarted["rows_after"])
    assert keys == sorted(
        [f"{run}-{i}" for i in range(20)] + [f"{run}-{100 + i}" for i in range(10)]
    )


def test_records_buffered_at_a_crash_are_committed_after_the_restart(
    restarted: dict[str, Any],
) -> None:
    run = restarted["run"]
    keys = [r["payload_md5"] for r in restarted["rows_after_crash"]]
    assert sorted(k for k in keys if int(k.split("-")[1]) >= 200) == sorted(
        f"{run}-{200 + i}" for i in range(10)
    )
    assert len(keys) == len(set(keys)) == 40  # nothing twice


def test_the_restored_stream_delivers_again(restarted: dict[str, Any]) -> None:
    settings, run = restarted["settings"], restarted["run"]
    _put(settings, restarted["stream"], [_event(run, 500)])
    admin.flush(settings, restarted["stream"])
    keys = {r["payload_md5"] for r in _rows(settings, restarted["database"], "events")}
    assert f"{run}-500" in keys
