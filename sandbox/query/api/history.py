"""Query history and prepared statements kept across restarts: one JSON-lines file of events.

Athena keeps query history for 45 days ("Working with query results, recent queries, and
output files"); the sandbox keeps it in ``<state folder>/athena/history.jsonl``, which is
appended to (one line per final execution, per prepared statement written or deleted), read
once at start and compacted then. Result files are S3 objects, which the lake's snapshots keep,
so a result is read back from its CSV after a restart. An execution that had not finished when
the sandbox stopped is not in the file (only final states are written).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)


class History:
    """Append-only store of ``{"kind": ..., ...}`` records; ``None`` path keeps nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> tuple[list[dict[str, Any]], dict[tuple[str, str], dict[str, Any]]]:
        """(executions, prepared statements by (workgroup, name)); compacts the file."""
        executions: dict[str, dict[str, Any]] = {}
        prepared: dict[tuple[str, str], dict[str, Any]] = {}
        if self.path is None or not self.path.exists():
            return [], prepared
        for line in self.path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash
            kind = record.pop("kind", None)
            if kind == "execution":
                executions[record["id"]] = record
            elif kind == "prepared":
                prepared[(record["workgroup"], record["name"])] = record
            elif kind == "prepared_deleted":
                prepared.pop((record["workgroup"], record["name"]), None)
        records = [{"kind": "execution", **r} for r in executions.values()]
        records += [{"kind": "prepared", **r} for r in prepared.values()]
        self._rewrite(records)
        return list(executions.values()), prepared

    def append(self, kind: str, record: dict[str, Any]) -> None:
        if self.path is None:
            return
        line = json.dumps({"kind": kind, **record}, default=str) + "\n"
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a") as handle:
                    handle.write(line)
        except OSError:
            LOG.exception("Could not write the Athena query history to %s", self.path)

    def _rewrite(self, records: list[dict[str, Any]]) -> None:
        assert self.path is not None
        temporary = self.path.with_suffix(".tmp")
        with self._lock:
            temporary.write_text("".join(json.dumps(r, default=str) + "\n" for r in records))
            os.replace(temporary, self.path)
