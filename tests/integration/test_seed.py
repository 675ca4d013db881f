"""`sandbox seed` on the running sandbox: every generated event is accounted for in the lake."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from sandbox.generate import read_manifest
from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

SESSIONS, SEED = 300, 7


def _objects(s3: Any, bucket: str, prefix: str) -> list[tuple[str, bytes]]:
    bodies = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            bodies.append(
                (item["Key"], s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            )
    return bodies


@pytest.fixture(scope="module")
def seeded(sandbox: SandboxHandle) -> tuple[subprocess.CompletedProcess, Path]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sandbox.cli",
            "seed",
            "--sessions",
            str(SESSIONS),
            "--seed",
            str(SEED),
            "-q",
        ],
        env=sandbox.env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return proc, sandbox.settings.data_dir / f"events-{SESSIONS}-{SEED}.jsonl"


def test_seed_reports_what_landed(seeded: tuple[subprocess.CompletedProcess, Path]) -> None:
    proc, data = seeded
    assert proc.returncode == 0, proc.stderr
    manifest = read_manifest(data)
    assert f"sent {manifest.events_total:,}/{manifest.events_total:,}" in proc.stdout
    assert "s3 events_raw/json/" in proc.stdout and "s3 events_raw/parquet/" in proc.stdout


def test_every_event_lands_once_in_each_format(
    sandbox: SandboxHandle, seeded: tuple[subprocess.CompletedProcess, Path]
) -> None:
    proc, data = seeded
    assert proc.returncode == 0, proc.stderr
    manifest = read_manifest(data)
    ours = {json.loads(line)["payload_md5"] for line in data.read_text().splitlines()}
    s3 = sandbox.client("s3")
    bucket = sandbox.outputs.bucket

    json_names: Counter[str] = Counter()
    for key, body in _objects(s3, bucket, "events_raw/json/"):
        partition = key.split("/")[2].removeprefix("name=")
        for line in gzip.decompress(body).splitlines():
            record = json.loads(line)
            if record["payload_md5"] in ours:
                assert record["name"] == partition
                json_names[partition] += 1
    assert dict(json_names) == manifest.events_per_name

    parquet_names: Counter[str] = Counter()
    for key, body in _objects(s3, bucket, "events_raw/parquet/"):
        partition = key.split("/")[2].removeprefix("name=")
        table = pq.read_table(io.BytesIO(body), columns=["payload_md5"])
        parquet_names[partition] += sum(1 for md5 in table.column(0).to_pylist() if md5 in ours)
    assert {k: v for k, v in parquet_names.items() if v} == manifest.events_per_name
    assert sum(json_names.values()) == manifest.events_total
