from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from sandbox.infra.outputs import LakeLayout, Outputs
from sandbox.query.analysis.stats import (
    bucket_stats,
    count_json_records,
    list_prefix,
    measure_raw,
    partition_count,
    partition_of,
    raw_from_manifest,
    stats_report,
    summarize,
    volumes,
)
from sandbox.query.catalog.s3layout import S3Object
from sandbox.query.engine.pricing import Volumes
from sandbox.query.errors import QueryError
from sandbox.settings import Settings
from tests.unit.query.lakes import OUTPUTS, Lake


def _layout(bucket: str) -> LakeLayout:
    return Outputs.from_terraform(OUTPUTS).lake(bucket)


def test_summary_of_a_prefix() -> None:
    objects = [
        S3Object("events_raw/json/name=a/d=1/x.gz", 100),
        S3Object("events_raw/json/name=a/d=1/y.gz", 300),
        S3Object("events_raw/json/name=b/d=1/z.gz", 200),
    ]
    stats = summarize("events_raw/json/", objects, raw_bytes=2400)
    assert (stats.objects, stats.total_bytes, stats.partitions) == (3, 600, 2)
    assert stats.average_bytes == 200 and stats.compression_ratio == 4.0


def test_partitions_of_error_output() -> None:
    keys = ["errors/json/d=2026-11-26/processing-failed/f", "errors/json/d=2026-11-26/other/g"]
    assert partition_count(keys, "errors/") == 1


def test_a_partition_is_the_chain_of_k_v_folders() -> None:
    prefix = "events_raw/json/"
    assert partition_of(f"{prefix}name=a/d=1/x.gz", prefix) == ("name=a", "d=1")
    assert partition_of(f"{prefix}name=a/late/d=1/x.gz", prefix) == ("name=a", "d=1")
    assert partition_of(f"{prefix}x.gz", prefix) == ()
    assert partition_of(f"{prefix}2026/11/x.gz", prefix) == ()


def test_records_are_counted_with_or_without_newlines() -> None:
    records = [{"a": 1}, {"b": "x}{"}]
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    glued = "".join(json.dumps(r) for r in records).encode()
    assert count_json_records(lines) == (2, len(lines))
    assert count_json_records(glued) == (2, len(lines))


def test_bucket_stats_and_raw_size_from_the_lake(s3: Any, lake: Lake) -> None:
    raw = measure_raw(s3, lake.bucket, list_prefix(s3, lake.bucket, "events_raw/json/"))
    assert raw.events == len(lake.events)
    layout = _layout(lake.bucket)
    listed = bucket_stats(s3, layout, raw=raw)
    assert [s.prefix for s in listed] == [
        "events_raw/json/",
        "events_raw/parquet/",
        "errors/json/",
        "errors/parquet/",
    ]
    stats = {s.prefix: s for s in listed}
    assert stats["events_raw/json/"].objects == len(lake.keys["json"])
    assert stats["events_raw/json/"].partitions == len(lake.partitions())
    assert stats["errors/json/"].objects == 0 and stats["errors/json/"].compression_ratio is None
    assert stats["events_raw/json/"].compression_ratio > 1
    model = volumes(listed, raw, layout)
    assert isinstance(model, Volumes)
    assert model.events_per_stream == len(lake.events)
    assert model.glue_objects == 1 + 2 + 2 * len(lake.partitions())
    assert model.json_full_scan_bytes == stats["events_raw/json/"].total_bytes


def test_raw_size_from_a_seed_manifest(tmp_path: Path) -> None:
    from sandbox.generate.generator import generate

    data = tmp_path / "events.jsonl.gz"
    manifest = generate(50, 7, data, gzip=True)
    raw = raw_from_manifest(data)
    assert (raw.events, raw.raw_bytes, raw.source) == (
        manifest.events_total,
        manifest.content_bytes,
        "manifest",
    )
    assert len(gzip.decompress(data.read_bytes())) == raw.raw_bytes


def test_the_report_refuses_a_remote_endpoint(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, endpoint_override="https://s3.amazonaws.com")
    with pytest.raises(QueryError, match="not local"):
        stats_report(settings)


def test_the_iceberg_table_folders_and_its_athena_line() -> None:
    from dataclasses import replace

    from sandbox.query.analysis.stats import PrefixStats, RawEvents, iceberg_prefixes, volumes
    from sandbox.query.engine.pricing import monthly_costs

    base = Outputs.from_terraform(OUTPUTS)
    outputs = replace(
        base,
        iceberg_table_location=f"s3://{base.bucket}/events_iceberg/",
        iceberg_error_output_prefix="errors/iceberg/d=!{timestamp:yyyy-MM-dd}/",
    )
    data, others = iceberg_prefixes(outputs, base.bucket)
    assert data == ["events_iceberg/data/"]
    assert others == ["events_iceberg/metadata/", "errors/iceberg/"]
    assert iceberg_prefixes(base, base.bucket) == ([], [])
    layout = base.lake()
    stats = [
        PrefixStats(layout.json_data, 3, 3000, 3),
        PrefixStats(layout.parquet_data, 3, 1000, 3),
        PrefixStats("events_iceberg/data/", 300, 9000, 300),
    ]
    raw = RawEvents(100, 10_000, "manifest")
    lines = monthly_costs(volumes(stats, raw, layout, 3, "events_iceberg/data/"))
    iceberg = [line for line in lines if line.service == "Athena (Iceberg table)"]
    assert len(iceberg) == 1 and "8.8 KiB" in iceberg[0].monthly_input
    without = monthly_costs(volumes(stats, raw, layout))
    assert not any("Iceberg" in line.service for line in without)
