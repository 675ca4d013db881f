"""``make seed``: generate the article's sessions, send them through both streams, deliver.

Orchestrates the pipeline's first stages (:mod:`sandbox.generate`, :mod:`sandbox.emit`) and the
sandbox's flush route, then reports what landed, per stream and per prefix, and whether every
record is accounted for (delivered + error output = sent). Owns nothing of AWS's behaviour.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from sandbox.emit import EmitReport, emit_file
from sandbox.generate import Manifest, generate, read_manifest
from sandbox.infra import admin
from sandbox.infra.outputs import read_outputs
from sandbox.settings import Settings

PREFIXES = ("events_raw/json/", "events_raw/parquet/", "errors/")


@dataclass
class PrefixSummary:
    prefix: str
    objects: int = 0
    bytes: int = 0
    partitions: set[str] = field(default_factory=set)


@dataclass
class SeedReport:
    data_file: Path
    manifest: Manifest
    generated: bool
    emitted: dict[str, EmitReport]
    delivery: dict[str, dict[str, Any]]
    prefixes: list[PrefixSummary]
    seconds: float
    skipped: bool = False

    def unaccounted(self) -> dict[str, int]:
        """Per stream: records sent but neither delivered, errored nor buffered (should be 0)."""
        result = {}
        for stream, report in self.emitted.items():
            counters = self.delivery.get(stream, {})
            landed = counters.get("delivered", 0) + counters.get("errored", 0)
            landed += counters.get("buffered", 0)
            result[stream] = report.sent - landed
        return result


def ensure_data(settings: Settings, sessions: int, seed: int) -> tuple[Path, Manifest, bool]:
    """The generated file for (sessions, seed): reused when its manifest matches, else made."""
    path = settings.events_file()
    if path.exists():
        try:
            manifest = read_manifest(path)
        except (OSError, ValueError, TypeError):
            manifest = None
        if (
            manifest is not None
            and manifest.sessions == sessions
            and manifest.seed == seed
            and path.stat().st_size == manifest.bytes
        ):
            return path, manifest, False
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, generate(sessions, seed, path), True


def ledger_path(settings: Settings) -> Path:
    return settings.data_dir / "seeded.json"


def read_ledger(settings: Settings) -> list[dict[str, Any]]:
    """What earlier seeds sent to this sandbox (kept with the persisted lake)."""
    try:
        entries = json.loads(ledger_path(settings).read_text())
    except (OSError, ValueError):
        return []
    return entries if isinstance(entries, list) else []


def _record_ledger(settings: Settings, manifest: Manifest, streams: Sequence[str]) -> None:
    entries = read_ledger(settings)
    entries.append(
        {
            "sha256": manifest.sha256,
            "sessions": manifest.sessions,
            "seed": manifest.seed,
            "events": manifest.events_total,
            "streams": list(streams),
            "at": time.time(),
        }
    )
    path = ledger_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))


def _lake_has_objects(s3: Any, bucket: str) -> bool:
    response = s3.list_objects_v2(Bucket=bucket, Prefix="events_raw/", MaxKeys=1)
    return bool(response.get("KeyCount"))


def summarise_prefixes(s3: Any, bucket: str, prefixes: Sequence[str] = PREFIXES) -> list:
    summaries = []
    for prefix in prefixes:
        summary = PrefixSummary(prefix)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                summary.objects += 1
                summary.bytes += int(item["Size"])
                summary.partitions.add(item["Key"].rsplit("/", 1)[0])
        summaries.append(summary)
    return summaries


def seed(
    settings: Settings,
    sessions: int,
    seed_value: int,
    *,
    streams: Sequence[str] | None = None,
    concurrency: int = 4,
    progress: bool | None = None,
    allow_aws: bool = False,
    force: bool = False,
    echo: Callable[[str], None] = print,
) -> SeedReport:
    """Generate (or reuse) the data set and send it; skip when this exact data set was already
    delivered to this sandbox's lake, unless ``force`` (sending twice duplicates every event,
    and the manifest no longer describes the lake)."""
    started = time.monotonic()
    path, manifest, generated = ensure_data(settings, sessions, seed_value)
    verb = "generated" if generated else "reusing"
    echo(
        f"{verb} {path}: {manifest.events_total:,} events from {manifest.sessions:,} sessions "
        f"({manifest.bytes / 1e6:.1f} MB)"
    )
    targets = list(streams) if streams is not None else None
    s3 = boto3.client("s3", **settings.boto3_kwargs()) if settings.is_local else None
    earlier = read_ledger(settings) if settings.is_local else []
    if earlier and s3 is not None:
        outputs = read_outputs(settings)
        if not _lake_has_objects(s3, outputs.bucket):
            earlier = []  # the lake was emptied (or discarded): the ledger is stale
    same = [e for e in earlier if e.get("sha256") == manifest.sha256]
    wanted = set(targets or [])
    if same and not force and wanted <= {s for e in same for s in e.get("streams", [])}:
        echo(
            "this data set is already in the lake (sent "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(same[-1]['at']))}); "
            "nothing sent. `--force` sends it again, `make clean` starts a fresh lake."
        )
        assert s3 is not None
        return SeedReport(
            data_file=path,
            manifest=manifest,
            generated=generated,
            emitted={},
            delivery={},
            prefixes=summarise_prefixes(s3, read_outputs(settings).bucket),
            seconds=time.monotonic() - started,
            skipped=True,
        )
    if earlier and not same:
        echo(
            "note: the lake already holds another seeded data set; query answers will not "
            "match this manifest (`make clean` starts a fresh lake)."
        )
    before = admin.stats(settings) if settings.is_local else {}
    emitted = emit_file(
        path,
        streams,
        settings,
        concurrency=concurrency,
        allow_aws=allow_aws,
        progress=progress,
        # The file was just generated (or its size matches its manifest): skip re-validation.
        on_bad_line="send",
    )
    delivery: dict[str, dict[str, Any]] = {}
    prefixes: list[PrefixSummary] = []
    if settings.is_local:
        admin.flush(settings)
        after = admin.stats(settings)
        # Counters are totals since the emulator started: report this run's share.
        delivery = {
            stream: {
                key: value - before.get(stream, {}).get(key, 0)
                if key in ("accepted", "delivered", "errored")
                else value
                for key, value in counters.items()
                if isinstance(value, int)
            }
            for stream, counters in after.items()
        }
        outputs = read_outputs(settings)
        assert s3 is not None
        prefixes = summarise_prefixes(s3, outputs.bucket)
        _record_ledger(settings, manifest, list(emitted))
    return SeedReport(
        data_file=path,
        manifest=manifest,
        generated=generated,
        emitted=emitted,
        delivery=delivery,
        prefixes=prefixes,
        seconds=time.monotonic() - started,
    )


def format_report(report: SeedReport) -> list[str]:
    lines = []
    for stream, emit in report.emitted.items():
        lines.append(emit.summary())
        counters = report.delivery.get(stream)
        if counters:
            lines.append(
                f"  delivered {counters.get('delivered', 0):,}, error output "
                f"{counters.get('errored', 0):,}, still buffered {counters.get('buffered', 0):,} "
                f"(this run)"
            )
    for summary in report.prefixes:
        lines.append(
            f"s3 {summary.prefix:<22} {summary.objects:>6,} objects {summary.bytes / 1e6:>9.1f} MB "
            f"in {len(summary.partitions):,} folders"
        )
    lines.append(f"seed finished in {report.seconds:.1f} s")
    return lines
