"""SIGKILL in the middle of a concurrent ingest: every accepted record is delivered once.

A sandbox of this module's own (free port, own state folder, own copy of terraform/) is brought
up with ``sandbox up``; four producers send records with unique ids, round-robin, to a stream
with the largest buffers (128 MB / 900 s, so records sit buffered) and to the two Terraform
streams; the emulator is SIGKILLed while they send. After a restart on the same state folder and
a flush, the lake is read back: every record whose ``PutRecordBatch`` returned success must be
in exactly one object, and nothing may appear twice (a call cut by the kill may or may not have
been accepted: at most once).

``SANDBOX_TEST_FIREHOSE_WAL=0`` runs the same scenario with the write-ahead log off (the
"before" figure of docs/reliability.md: the buffered records are lost).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from botocore.config import Config

from sandbox.infra import admin, localstack
from sandbox.infra.outputs import read_outputs
from tests.integration import lake

pytestmark = pytest.mark.integration

PRODUCERS = 4
BATCH = 500
KILL_AFTER = 24_000  # accepted records (all streams) before the kill
WAL = os.environ.get("SANDBOX_TEST_FIREHOSE_WAL", "1") != "0"


def _event(rid: str, i: int) -> bytes:
    names = ("anonymous_visited", "account_created", "measurement_recorded")
    return json.dumps(
        {
            "name": names[i % 3],
            "tstamp": f"2023-06-{1 + i % 28:02d} 10:00:{i % 60:02d}.000000",
            "payload": json.dumps({"i": i}),
            "payload_md5": rid,
        }
    ).encode()


def _delivered_ids(s3: Any, bucket: str, crash_prefix: str) -> dict[str, Counter[str]]:
    keys = list(lake.listing(s3, bucket))
    out: dict[str, Counter[str]] = {"crash": Counter(), "json": Counter(), "parquet": Counter()}
    for key in keys:
        if key.startswith(crash_prefix):
            body = lake.body(s3, bucket, key)
            out["crash"].update(line.decode() for line in body.splitlines())
        elif key.startswith("events_raw/json/"):
            body = lake.body(s3, bucket, key)  # gunzipped
            out["json"].update(json.loads(line)["payload_md5"] for line in body.splitlines())
        elif key.startswith("events_raw/parquet/"):
            out["parquet"].update(lake.parquet_column(s3, bucket, [key], "payload_md5"))
        elif key.startswith("errors/"):
            pytest.fail(f"valid records went to the error output: {key}")
    return out


def test_sigkill_mid_ingest_loses_and_duplicates_no_accepted_record(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("crash-sandbox")
    settings, env = lake.own_sandbox(folder, SANDBOX_FIREHOSE_WAL="1" if WAL else "0")
    run = uuid.uuid4().hex[:8]
    figures: dict[str, Any] = {"wal": WAL}
    try:
        up = subprocess.run(
            [sys.executable, "-m", "sandbox.cli", "up"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert up.returncode == 0, up.stderr[-2000:]
        outputs = read_outputs(settings)
        bucket = outputs.bucket
        crash_stream = f"crash-{run}"
        firehose = settings.client("firehose")
        lake.create_stream(
            firehose,
            crash_stream,
            lake.plain_destination(bucket, f"tests/{crash_stream}/", size_mb=128, interval_s=900),
        )
        # The bucket and the Glue tables must survive the kill (S3's own durability is
        # another test's subject): a snapshot holds them before the ingest starts.
        admin.save_snapshot(settings)
        streams = {
            "crash": crash_stream,
            "json": outputs.json_stream,
            "parquet": outputs.parquet_stream,
        }
        accepted: dict[str, list[str]] = {k: [] for k in streams}
        attempted: dict[str, set[str]] = {k: set() for k in streams}
        lock = threading.Lock()
        stop = threading.Event()

        def produce(p: int) -> None:
            client = settings.client(
                "firehose", config=Config(retries={"max_attempts": 1}, read_timeout=30)
            )
            i = 0
            while not stop.is_set():
                kind = ("crash", "json", "parquet")[i % 3]
                ids = [f"{run}-{p}-{i}-{j}" for j in range(BATCH)]
                if kind == "crash":
                    data = [f"{rid}\n".encode() for rid in ids]
                else:
                    data = [_event(rid, j) for j, rid in enumerate(ids)]
                with lock:
                    attempted[kind].update(ids)
                try:
                    response = client.put_record_batch(
                        DeliveryStreamName=streams[kind], Records=[{"Data": d} for d in data]
                    )
                except Exception:  # the emulator died under the call
                    return
                assert response["FailedPutCount"] == 0
                with lock:
                    accepted[kind].extend(ids)
                i += 1

        threads = [threading.Thread(target=produce, args=(p,)) for p in range(PRODUCERS)]
        for thread in threads:
            thread.start()
        lake.wait_for(
            lambda: sum(map(len, accepted.values())) >= KILL_AFTER, timeout=180, interval=0.05
        )
        buffered = admin.stats(settings)
        lake.kill(settings)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        figures["accepted"] = {k: len(v) for k, v in accepted.items()}
        figures["buffered_shortly_before_kill"] = {
            k: buffered.get(name, {}).get("buffered") for k, name in streams.items()
        }

        started = time.monotonic()
        localstack.start_host(settings)
        lake.wait_for(
            lambda: admin.persistence_status(settings).get("restored") or None, timeout=120
        )
        figures["restart_s"] = round(time.monotonic() - started, 1)
        admin.flush(settings)
        delivered = _delivered_ids(settings.client("s3"), bucket, f"tests/{crash_stream}/")
        figures["delivered"] = {k: sum(1 for r in accepted[k] if delivered[k][r]) for k in streams}
        figures["lost"] = {k: sum(1 for r in accepted[k] if not delivered[k][r]) for k in streams}
        figures["duplicated"] = {k: sum(1 for n in delivered[k].values() if n > 1) for k in streams}
        figures["unknown"] = {k: len(set(delivered[k]) - attempted[k]) for k in streams}
        print(f"\nSIGKILL test figures: {json.dumps(figures)}")
        assert figures["unknown"] == {k: 0 for k in streams}
        assert figures["duplicated"] == {k: 0 for k in streams}
        if WAL:
            assert figures["lost"] == {k: 0 for k in streams}
        else:  # the "before": records still buffered at the kill are gone
            assert sum(figures["lost"].values()) > 0
    finally:
        localstack.stop_host(settings)
