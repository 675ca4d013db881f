from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from sandbox.query.analysis.stats import (
    bucket_stats,
    count_json_records,
    list_prefix,
    measure_raw,
    partition_count,
    raw_from_manifest,
    summarize,
    volumes,
)
from sandbox.query.catalog.s3layout import S3Object
from sandbox.query.engine.pricing import Volumes
from tests.unit.query.lakes import Lake


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


def test_records_are_counted_with_or_without_newlines() -> None:
    records = [{"a": 1}, {"b": "x}{"}]
    lines = "".join(json.dumps(r) + "\n" for r in records).encode()
    glued = "".join(json.dumps(r) for r in records).encode()
    assert count_json_records(lines) == (2, len(lines))
    assert count_json_records(glued) == (2, len(lines))


def test_bucket_stats_and_raw_size_from_the_lake(s3: Any, lake: Lake) -> None:
    raw = measure_raw(s3, lake.bucket, list_prefix(s3, lake.bucket, "events_raw/json/"))
    assert raw.events == len(lake.events)
    stats = {s.prefix: s for s in bucket_stats(s3, lake.bucket, raw=raw)}
    assert stats["events_raw/json/"].objects == len(lake.keys["json"])
    assert stats["events_raw/json/"].partitions == len(lake.partitions())
    assert stats["errors/"].objects == 0 and stats["errors/"].compression_ratio is None
    assert stats["events_raw/json/"].compression_ratio > 1
    model = volumes(list(stats.values()), raw)
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
