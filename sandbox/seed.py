"""``make seed``: generate the article's sessions, send them through both streams, deliver.

Orchestrates the pipeline's first stages (:mod:`sandbox.generate`, :mod:`sandbox.emit`) and the
sandbox's flush route, then reports what landed, per stream and per folder of the lake layout
(:func:`sandbox.query.analysis.stats.bucket_stats`, the same summary ``make stats`` shows), and
whether every record is accounted for (delivered + error output = sent). Owns nothing of AWS's
behaviour.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.emit import EmitReport, emit_file
from sandbox.generate import Manifest, generate, read_manifest
from sandbox.infra import admin
from sandbox.infra.outputs import LakeLayout, read_outputs
from sandbox.query.analysis.stats import PrefixStats, bucket_stats
from sandbox.settings import Settings


@dataclass
class SeedReport:
    data_file: Path
    manifest: Manifest
    generated: bool
    emitted: dict[str, EmitReport]
    delivery: dict[str, dict[str, Any]]
    prefixes: list[PrefixStats]
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
    path = settings.state.events_file()
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


def read_ledger(settings: Settings) -> list[dict[str, Any]]:
    """What earlier seeds sent to this sandbox (kept with the persisted lake)."""
    try:
        entries = json.loads(settings.state.seed_ledger.read_text())
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
    path = settings.state.seed_ledger
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))


def _lake_has_objects(s3: Any, layout: LakeLayout) -> bool:
    for prefix in layout.data_prefixes:
        response = s3.list_objects_v2(Bucket=layout.bucket, Prefix=prefix, MaxKeys=1)
        if response.get("KeyCount"):
            return True
    return False


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
    s3 = settings.client("s3") if settings.is_local else None
    layout = read_outputs(settings).lake() if settings.is_local else None
    earlier = read_ledger(settings) if settings.is_local else []
    if earlier and s3 is not None and layout is not None and not _lake_has_objects(s3, layout):
        earlier = []  # the lake was emptied (or discarded): the ledger is stale
    same = [e for e in earlier if e.get("sha256") == manifest.sha256]
    wanted = set(targets or [])
    if same and not force and wanted <= {s for e in same for s in e.get("streams", [])}:
        echo(
            "this data set is already in the lake (sent "
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(same[-1]['at']))}); "
            "nothing sent. `--force` sends it again, `make clean` starts a fresh lake."
        )
        assert s3 is not None and layout is not None
        return SeedReport(
            data_file=path,
            manifest=manifest,
            generated=generated,
            emitted={},
            delivery={},
            prefixes=bucket_stats(s3, layout),
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
    prefixes: list[PrefixStats] = []
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
        assert s3 is not None and layout is not None
        prefixes = bucket_stats(s3, layout)
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
            f"s3 {summary.prefix:<22} {summary.objects:>6,} objects "
            f"{summary.total_bytes / 1e6:>9.1f} MB in {summary.partitions:,} partitions"
        )
    lines.append(f"seed finished in {report.seconds:.1f} s")
    return lines
