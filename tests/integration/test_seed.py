"""`sandbox seed` on the running sandbox: every generated event is accounted for in the lake."""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
import pytest

from sandbox.generate import read_manifest
from tests.conftest import SeededLake

pytestmark = pytest.mark.integration


def _objects(s3: Any, bucket: str, prefix: str) -> list[tuple[str, bytes]]:
    bodies = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            bodies.append((item["Key"], body))
    return bodies


def test_seed_reports_what_landed(seeded_lake: SeededLake) -> None:
    proc = seeded_lake.seed
    assert proc.returncode == 0, proc.stderr
    manifest = read_manifest(seeded_lake.data_file)
    assert f"sent {manifest.events_total:,}/{manifest.events_total:,}" in proc.stdout
    assert f"delivered {manifest.events_total:,}, error output 0" in proc.stdout
    assert "s3 events_raw/json/" in proc.stdout and "s3 events_raw/parquet/" in proc.stdout


def test_every_event_lands_once_in_each_format(seeded_lake: SeededLake) -> None:
    assert seeded_lake.seed.returncode == 0, seeded_lake.seed.stderr
    manifest = read_manifest(seeded_lake.data_file)
    sent = Counter(line for line in seeded_lake.data_file.read_bytes().splitlines())
    s3 = seeded_lake.platform.client("s3")
    bucket = seeded_lake.platform.outputs.bucket

    json_lines: Counter[bytes] = Counter()
    json_names: Counter[str] = Counter()
    for key, body in _objects(s3, bucket, "events_raw/json/"):
        partition = key.split("/")[2].removeprefix("name=")
        for line in gzip.decompress(body).splitlines():
            assert json.loads(line)["name"] == partition
            json_lines[line] += 1
            json_names[partition] += 1
    assert json_lines == sent  # byte for byte, duplicates included, nothing lost
    assert dict(json_names) == manifest.events_per_name

    parquet_names: Counter[str] = Counter()
    for key, body in _objects(s3, bucket, "events_raw/parquet/"):
        partition = key.split("/")[2].removeprefix("name=")
        parquet_names[partition] += pq.read_table(io.BytesIO(body)).num_rows
    assert dict(parquet_names) == manifest.events_per_name

    # The Iceberg table: every event once, `name` a column, the event time kept.
    from sandbox.iceberg.catalog import glue_catalog

    outputs, settings = seeded_lake.platform.outputs, seeded_lake.platform.settings
    assert outputs.iceberg_table is not None
    table = glue_catalog(settings.endpoint_url, settings.region).load_table(
        (outputs.database, outputs.iceberg_table)
    )
    rows = table.scan(selected_fields=("name", "payload_md5")).to_arrow().to_pylist()
    assert dict(Counter(r["name"] for r in rows)) == manifest.events_per_name
    assert _objects(s3, bucket, "errors/") == []


def test_seeding_the_same_data_twice_sends_nothing(seeded_lake: SeededLake) -> None:
    from tests.conftest import SEED_SESSIONS, SEED_VALUE, run_cli

    s3 = seeded_lake.platform.client("s3")
    bucket = seeded_lake.platform.outputs.bucket
    before = sorted(key for key, _ in _objects(s3, bucket, "events_raw/"))
    again = run_cli(
        seeded_lake.platform,
        "seed",
        "--sessions",
        str(SEED_SESSIONS),
        "--seed",
        str(SEED_VALUE),
        "-q",
    )
    assert again.returncode == 0, again.stderr
    assert "already in the lake" in again.stdout
    assert sorted(key for key, _ in _objects(s3, bucket, "events_raw/")) == before
