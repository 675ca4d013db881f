"""Bucket statistics (``make stats``): what ``aws s3 ls --recursive --human-readable
--summarize`` shows in the article, per prefix, and the article's monthly cost table.

Owns the per-prefix summary (:class:`PrefixStats`: objects, size, average object size,
partitions, compression ratio against the raw events) of the folders the Terraform outputs name
(:class:`~sandbox.infra.outputs.LakeLayout`: each stream's data and error output, and the
Iceberg table's ``data/`` and ``metadata/`` folders and error output when the outputs name
one -- its partitions are pyiceberg's ``name=.../tstamp_day=...`` folders), what a
partition is in that summary (:func:`partition_of`; the seed report uses the same), the volumes
the cost model (:mod:`~sandbox.query.engine.pricing`) needs, and :func:`stats_report`, the
command's orchestration. The raw size and event count come from the seed manifest when one is
given (``content_bytes``, ``events_total``), otherwise from decompressing the JSON objects and
counting their records. Rendering is :func:`sandbox.query.render.render_stats`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.infra.outputs import LakeLayout, read_outputs
from sandbox.query.catalog.s3layout import S3Object, parse_hive_segment
from sandbox.query.engine.pricing import CostLine, Volumes, monthly_costs
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


@dataclass(frozen=True)
class PrefixStats:
    """One folder of the lake: what is stored below it."""

    prefix: str
    objects: int
    total_bytes: int
    partitions: int
    raw_bytes: int | None = None

    @property
    def average_bytes(self) -> float:
        return self.total_bytes / self.objects if self.objects else 0.0

    @property
    def compression_ratio(self) -> float | None:
        """Raw events size over stored size (the article's "almost 4 times")."""
        if not self.raw_bytes or not self.total_bytes:
            return None
        return self.raw_bytes / self.total_bytes


@dataclass(frozen=True)
class RawEvents:
    events: int
    raw_bytes: int
    source: str  # "manifest" or "measured"


@dataclass(frozen=True)
class StatsReport:
    """What ``make stats`` shows: the raw events, the bucket per prefix, the monthly costs."""

    bucket: str
    raw: RawEvents
    prefixes: list[PrefixStats]
    costs: list[CostLine]
    scans_per_day: int

    @property
    def monthly_total_usd(self) -> float:
        return sum(c.usd for c in self.costs)


def partition_of(key: str, prefix: str) -> tuple[str, ...]:
    """The partition of the object ``key`` below ``prefix``: its chain of Hive-style ``k=v``
    folders (``("name=a", "d=2026-11-26")``), the way MSCK REPAIR TABLE would find it; other
    folders (an error output type such as ``processing-failed/``) are not part of it. ``()``
    for an object in no partition."""
    folders = key[len(prefix) :].split("/")[:-1]
    return tuple(f for f in folders if parse_hive_segment(f) is not None)


def partition_count(keys: Iterable[str], prefix: str) -> int:
    """Distinct partitions (:func:`partition_of`) below ``prefix`` that hold objects."""
    return len({p for key in keys if (p := partition_of(key, prefix))})


def summarize(prefix: str, objects: list[S3Object], raw_bytes: int | None = None) -> PrefixStats:
    keys = [o.key for o in objects]
    return PrefixStats(
        prefix=prefix,
        objects=len(objects),
        total_bytes=sum(o.size for o in objects),
        partitions=partition_count(keys, prefix),
        raw_bytes=raw_bytes,
    )


def list_prefix(s3: Any, bucket: str, prefix: str) -> list[S3Object]:
    objects: list[S3Object] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects.extend(
            S3Object(item["Key"], int(item["Size"])) for item in page.get("Contents", [])
        )
    return objects


def raw_from_manifest(path: Path) -> RawEvents:
    from sandbox.generate.manifest import read_manifest

    try:
        manifest = read_manifest(path)
    except (OSError, ValueError, TypeError) as exc:
        raise QueryError(f"cannot read the seed manifest {path}: {exc}") from exc
    return RawEvents(manifest.events_total, manifest.content_bytes, "manifest")


def count_json_records(data: bytes) -> tuple[int, int]:
    """(records, bytes as JSON lines) in one object, delimited by newlines or not."""
    text = data.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    records = size = 0
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            break
        try:
            _, stop = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        records += 1
        size += len(text[pos:stop].encode()) + 1  # one JSON line with its newline
        pos = stop
    return records, size


def measure_raw(s3: Any, bucket: str, objects: list[S3Object]) -> RawEvents:
    """Count the events and their raw size by reading the JSON objects (gzip or plain)."""
    events = raw = 0
    for obj in objects:
        body = s3.get_object(Bucket=bucket, Key=obj.key)["Body"].read()
        if obj.key.endswith(".gz") or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        count, size = count_json_records(body)
        events += count
        raw += size
    return RawEvents(events, raw, "measured")


def iceberg_prefixes(outputs: Any, bucket: str) -> tuple[list[str], list[str]]:
    """The Iceberg table's (data folders, other folders) in ``bucket``, from the outputs."""
    location = getattr(outputs, "iceberg_table_location", None) or ""
    if not location.startswith(f"s3://{bucket}/"):
        return [], []
    root = location.removeprefix(f"s3://{bucket}/").rstrip("/") + "/"
    others = [root + "metadata/"]
    errors = getattr(outputs, "iceberg_error_output_prefix", None) or ""
    static = errors.split("!{", 1)[0]
    if static:
        others.append(static if static.endswith("/") else static.rsplit("/", 1)[0] + "/")
    return [root + "data/"], others


def bucket_stats(
    s3: Any,
    layout: LakeLayout,
    raw: RawEvents | None = None,
    extra_data: Iterable[str] = (),
    extra_other: Iterable[str] = (),
) -> list[PrefixStats]:
    """Every folder of ``layout`` (and the extra ones), data first; the data folders compared
    with ``raw``."""
    data = [*layout.data_prefixes, *extra_data]
    prefixes = list(dict.fromkeys([*data, *layout.prefixes, *extra_other]))
    stats = []
    for prefix in prefixes:
        objects = list_prefix(s3, layout.bucket, prefix)
        is_data = prefix in data
        stats.append(summarize(prefix, objects, raw.raw_bytes if raw and is_data else None))
    return stats


def volumes(
    stats: list[PrefixStats],
    raw: RawEvents,
    layout: LakeLayout,
    tables: int = 2,
    iceberg_data: str | None = None,
) -> Volumes:
    """The cost model's inputs from the measured bucket (one database, ``tables`` tables)."""
    by_prefix = {s.prefix: s for s in stats}
    json_stats = by_prefix.get(layout.json_data)
    parquet_stats = by_prefix.get(layout.parquet_data)
    partitions = sum(s.partitions for s in (json_stats, parquet_stats) if s)
    return Volumes(
        events_per_stream=raw.events,
        avg_event_bytes=raw.raw_bytes / raw.events if raw.events else 0.0,
        stored_bytes=sum(s.total_bytes for s in stats),
        objects_delivered=sum(s.objects for s in stats),
        glue_objects=1 + tables + partitions,
        json_full_scan_bytes=json_stats.total_bytes if json_stats else 0,
        parquet_full_scan_bytes=parquet_stats.total_bytes if parquet_stats else 0,
        iceberg_full_scan_bytes=(
            by_prefix[iceberg_data].total_bytes if iceberg_data in by_prefix else None
        ),
    )


def stats_report(
    settings: Settings,
    *,
    bucket: str | None = None,
    manifest: Path | None = None,
    scans_per_day: int = 100,
) -> StatsReport:
    """Summarise the sandbox's lake (the Terraform outputs' layout, in ``bucket`` if given) and
    price a month of it; the raw events from ``manifest``, else measured from the JSON data."""
    if not settings.is_local:
        raise QueryError(f"stats reads the sandbox's bucket; {settings.endpoint_url} is not local")
    outputs = read_outputs(settings)
    layout = outputs.lake(bucket)
    iceberg_data, iceberg_other = iceberg_prefixes(outputs, layout.bucket)
    s3 = settings.client("s3")
    if manifest is not None:
        raw = raw_from_manifest(manifest)
    else:
        raw = measure_raw(s3, layout.bucket, list_prefix(s3, layout.bucket, layout.json_data))
    per_prefix = bucket_stats(s3, layout, raw, iceberg_data, iceberg_other)
    tables = 3 if iceberg_data else 2
    iceberg = iceberg_data[0] if iceberg_data else None
    costs = monthly_costs(volumes(per_prefix, raw, layout, tables, iceberg), scans_per_day)
    return StatsReport(layout.bucket, raw, per_prefix, costs, scans_per_day)
