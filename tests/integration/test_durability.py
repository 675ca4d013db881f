"""S3 durability and isolation of instances, and persistence failures that are reported.

Each test drives LocalStacks of this module's own (free ports, own state folders; no
Terraform), through boto3, the ``/_sandbox`` routes and the ``sandbox`` command line:

- two instances with the same bucket name and bodies over 512 KiB (LocalStack's file-backed
  storage) do not share storage: deleting the bucket in one leaves the other's whole;
- every S3 write that was acknowledged -- by a client or by a Firehose delivery -- survives a
  SIGKILL with snapshots turned off in practice (one per hour): the journal brings it back;
- buckets of another account and region and a Glue database in another region come back after
  a restart, and ``sandbox up --skip-terraform`` returns only once they have;
- a snapshot that cannot be written is shown by the route and ``sandbox status``, and makes
  ``sandbox down`` exit non-zero saying what was not saved; the journal still brings S3 back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.infra import admin, localstack
from sandbox.settings import Settings
from tests.integration import lake

pytestmark = pytest.mark.integration

BIG = 600 * 1024  # over LocalStack's 512 KiB in-memory limit: stored in a file
OTHER_ACCOUNT = "111111111111"
UNKNOWN = "in flight"


@dataclass
class Instance:
    settings: Settings
    env: dict[str, str]

    def client(self, service: str, account: str | None = None, region: str | None = None) -> Any:
        if account is None and region is None:
            return self.settings.client(service)
        return self.settings.session().client(
            service,
            endpoint_url=self.settings.endpoint_url,
            region_name=region or self.settings.region,
            aws_access_key_id=account or "test",
            aws_secret_access_key="test",
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "sandbox.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def up(self) -> None:
        proc = self.cli("up", "--skip-terraform")
        assert proc.returncode == 0, proc.stderr[-2000:]

    def kill(self) -> None:
        pid = localstack.read_pid(self.settings)
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        deadline = time.monotonic() + 30
        while (
            localstack.port_in_use(self.settings.host, self.settings.port)
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        self.settings.state.pid_file.unlink(missing_ok=True)
        self.settings.state.mode_file.unlink(missing_ok=True)


def _instance(folder: Path) -> Instance:
    settings = Settings(
        port=lake.free_port(), state_dir=folder / "state", mode="host", startup_timeout=180.0
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_"))}
    env.update(
        {
            "SANDBOX_PORT": str(settings.port),
            "SANDBOX_STATE_DIR": str(settings.state_dir),
            "SANDBOX_MODE": "host",
            "SANDBOX_STARTUP_TIMEOUT": "180",
            # Snapshots once an hour: what survives a SIGKILL here is the journal's doing.
            "SANDBOX_PERSIST_INTERVAL": "3600",
        }
    )
    return Instance(settings, env)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    first = _instance(tmp_path_factory.mktemp("durable-a"))
    second = _instance(tmp_path_factory.mktemp("durable-b"))
    try:
        first.up()
        second.up()
        yield first, second
    finally:
        for instance in (first, second):
            localstack.stop_host(instance.settings)


def _md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def test_instances_do_not_share_object_storage(pair: tuple[Instance, Instance]) -> None:
    first, second = pair
    bucket = f"shared-{uuid.uuid4().hex[:8]}"
    bodies = {f"big-{i}": os.urandom(BIG) for i in range(3)}
    for instance in pair:
        s3 = instance.client("s3")
        s3.create_bucket(Bucket=bucket)
        for key, body in bodies.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    # each instance's file-backed bodies are under its own state folder, not the machine's /tmp
    for instance in pair:
        assert (instance.settings.state.s3_storage_dir / bucket).is_dir()

    s3 = first.client("s3")
    lake.empty_bucket(s3, bucket)
    s3.delete_bucket(Bucket=bucket)

    other = second.client("s3")
    for key, body in bodies.items():
        assert other.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    extra = os.urandom(BIG)
    other.put_object(Bucket=bucket, Key="after-delete", Body=extra)
    assert other.get_object(Bucket=bucket, Key="after-delete")["Body"].read() == extra


def test_every_acknowledged_write_survives_sigkill(pair: tuple[Instance, Instance]) -> None:
    _, instance = pair
    run = uuid.uuid4().hex[:8]
    bucket = f"durable-{run}"
    s3 = instance.client("s3")
    s3.create_bucket(Bucket=bucket)
    acknowledged: dict[str, str | None] = {}  # key -> ETag of the last acknowledged write
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        client = instance.client("s3")
        i = 0
        while not stop.is_set():
            key = f"w{n}/hot" if i % 4 == 0 else f"w{n}/{i:05d}"
            body = os.urandom(BIG if i % 10 == 0 else 1_000 + i)
            try:
                if i % 7 == 6:
                    doomed = f"w{n}/{i - 1:05d}"
                    with lock:
                        acknowledged[doomed] = UNKNOWN  # in flight: either outcome is right
                    client.delete_object(Bucket=bucket, Key=doomed)
                    with lock:
                        acknowledged[doomed] = None
                else:
                    client.put_object(Bucket=bucket, Key=key, Body=body)
                    with lock:
                        acknowledged[key] = _md5(body)
            except Exception:
                return  # the emulator died under us: that write was not acknowledged
            i += 1

    # Objects the Firehose delivery wrote through LocalStack's internal client.
    firehose = instance.client("firehose")
    stream = f"durable-{run}"
    lake.create_stream(firehose, stream, lake.plain_destination(bucket, "fh/", interval_s=900))
    records = [f"{run}-{i}\n".encode() for i in range(2_000)]
    for start in range(0, len(records), 500):
        firehose.put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": r} for r in records[start : start + 500]]
        )

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    admin.flush(instance.settings, stream)  # delivered (acknowledged by S3) when this returns
    delivered = lake.listing(s3, bucket, "fh/")
    lake.wait_for(lambda: len(acknowledged) >= 200, timeout=60)
    instance.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert delivered

    instance.up()
    s3 = instance.client("s3")
    after = lake.listing(s3, bucket)
    missing = [
        k for k, etag in acknowledged.items() if etag not in (None, UNKNOWN) and k not in after
    ]
    resurrected = [k for k, etag in acknowledged.items() if etag is None and k in after]
    assert not resurrected, resurrected[:5]
    assert not missing, missing[:5]
    # every key holds its last acknowledged version, deletes stayed deleted; a write in
    # flight at the kill (not acknowledged) may or may not be there
    wrong = [
        k
        for k, etag in acknowledged.items()
        if etag not in (None, UNKNOWN) and after[k] != etag and not k.endswith("/hot")
    ]
    assert not wrong, wrong[:5]
    for key, etag in delivered.items():
        assert after.get(key) == etag
    assert b"".join(lake.body(s3, bucket, k) for k in sorted(delivered)).count(b"\n") == 2_000
    status = admin.persistence_status(instance.settings)
    assert status["ok"] and status["restore"]["journal_entries"] > 0, status
    assert status["restore"]["errors"] == []


def test_every_account_and_region_comes_back_after_a_restart(
    pair: tuple[Instance, Instance],
) -> None:
    _, instance = pair
    run = uuid.uuid4().hex[:8]
    other = instance.client("s3", account=OTHER_ACCOUNT, region="eu-west-1")
    other.create_bucket(
        Bucket=f"other-{run}", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    other.put_object(Bucket=f"other-{run}", Key="k", Body=b"other account")
    glue = instance.client("glue", region="us-west-2")
    glue.create_database(DatabaseInput={"Name": f"west_{run}"})
    glue.create_table(
        DatabaseName=f"west_{run}",
        TableInput={"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "c", "Type": "int"}]}},
    )
    glue_other = instance.client("glue", account=OTHER_ACCOUNT, region="eu-west-1")
    glue_other.create_database(DatabaseInput={"Name": f"other_{run}"})

    stopped = instance.cli("down")
    assert stopped.returncode == 0, stopped.stderr
    instance.up()  # returns once the restore is done: no waiting here
    other = instance.client("s3", account=OTHER_ACCOUNT, region="eu-west-1")
    assert other.get_object(Bucket=f"other-{run}", Key="k")["Body"].read() == b"other account"
    location = other.get_bucket_location(Bucket=f"other-{run}")["LocationConstraint"]
    assert location == "eu-west-1"
    glue = instance.client("glue", region="us-west-2")
    assert glue.get_table(DatabaseName=f"west_{run}", Name="t")["Table"]["Name"] == "t"
    glue_other = instance.client("glue", account=OTHER_ACCOUNT, region="eu-west-1")
    assert glue_other.get_database(Name=f"other_{run}")["Database"]["Name"] == f"other_{run}"
    restore = admin.persistence_status(instance.settings)["restore"]
    assert {OTHER_ACCOUNT, "000000000000"} <= set(restore["accounts"])
    assert {"us-west-2", "eu-west-1"} <= set(restore["regions"])


def _post(settings: Settings, path: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{settings.endpoint_url}{path}", data=b"{}", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_failed_snapshot_is_reported_and_down_fails(pair: tuple[Instance, Instance]) -> None:
    _, instance = pair
    run = uuid.uuid4().hex[:8]
    s3 = instance.client("s3")
    bucket = f"unsaved-{run}"
    s3.create_bucket(Bucket=bucket)
    root = instance.settings.state.persist_dir
    # A filesystem error on every save: the index cannot be read or replaced.
    index = root / "index.json"
    saved_index = root / "index.json.saved"
    index.replace(saved_index)
    index.mkdir()
    (index / "blocker").write_text("x")
    try:
        s3.put_object(Bucket=bucket, Key="k", Body=b"written while saves fail")
        code, answer = _post(instance.settings, "/_sandbox/persistence/save")
        assert code == 500 and not answer["saved"] and "index.json" in answer["error"]
        status = admin.persistence_status(instance.settings)
        assert not status["ok"] and "index.json" in status["last_error"]["error"]
        shown = instance.cli("status")
        assert shown.returncode == 1 and "FAILED" in shown.stdout, shown.stdout

        down = instance.cli("down")
        assert down.returncode != 0
        assert "The lake was not saved at shutdown" in down.stderr, down.stderr
        assert "S3 changes are kept in the journal" in down.stderr
        assert not list(root.glob("*.tmp")) and not list(root.glob("objects/*/*.tmp"))
        log = instance.settings.state.log_file.read_text(errors="replace")
        assert "Snapshot of the lake failed" in log
    finally:
        shutil.rmtree(index, ignore_errors=True)
        if saved_index.exists():
            saved_index.replace(index)
    instance.up()
    s3 = instance.client("s3")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"written while saves fail"
