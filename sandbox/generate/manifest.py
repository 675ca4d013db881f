"""The manifest: ground truth about one generated file, for tests and queries to check against.

Written as ``<stem>.manifest.json`` beside the data file (``events.jsonl`` and
``events.jsonl.gz`` both give ``events.manifest.json``). Counting conventions:

- ``events_total`` / ``events_per_name`` count lines in the file, duplicates included; this is
  what a producer sends and what a lake without deduplication holds.
- ``events_distinct`` / ``distinct_events_per_name`` count distinct events (duplicates removed);
  every distinct event has its own ``payload_md5``, so ``distinct_payload_md5`` equals
  ``events_distinct`` and ``count(DISTINCT payload_md5)`` is a correct dedup count.
- ``funnel``, ``accounts_created``, ``measurements`` and ``transitions`` are over distinct
  events. ``measurements.sum`` is exact to the cent (values have two decimals).
- ``sha256``/``bytes`` are of the file as written (compressed if gzip); ``content_sha256`` /
  ``content_bytes`` of the uncompressed JSON lines.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
_DATA_SUFFIXES = (".gz", ".jsonl", ".ndjson", ".json")


def manifest_path(data_file: Path) -> Path:
    """Where the manifest of ``data_file`` lives."""
    name = data_file.name
    for suffix in _DATA_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return data_file.with_name(f"{name}.manifest.json")


@dataclass
class Manifest:
    file: str
    gzip: bool
    seed: int
    sessions: int
    end: str
    span_days: int
    duplicate_rate: float
    events_total: int
    events_distinct: int
    duplicates: int
    distinct_payload_md5: int
    events_per_name: dict[str, int]
    distinct_events_per_name: dict[str, int]
    duplicates_per_name: dict[str, int]
    tstamp_min: str | None
    tstamp_max: str | None
    funnel: dict[str, int]
    accounts_created: int
    measurements: dict[str, float | int | None]
    transitions: dict[str, dict[str, int]]
    bytes: int
    sha256: str
    content_bytes: int
    content_sha256: str
    generation_seconds: float
    events_per_second: float
    numpy_version: str
    format_version: int = FORMAT_VERSION
    generator: str = "sandbox.generate"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Manifest:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")


def read_manifest(path: Path) -> Manifest:
    """Read a manifest, given its own path or the path of its data file."""
    if not path.name.endswith(".manifest.json"):
        path = manifest_path(path)
    return Manifest.from_dict(json.loads(path.read_text()))
