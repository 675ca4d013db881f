"""``sandbox analyze`` (``make query``): the analysis pack on both tables, compared and checked.

Owns the command's orchestration: which pack queries run, on which tables (the Terraform
outputs' unless named: JSON, Parquet, and the Iceberg table when the outputs name one),
``MSCK REPAIR TABLE`` first (Hive tables only), the files per partition of the Iceberg table
(``"t$partitions"``, the small-files story), the side-by-side comparison and the
check against the seed manifest (``<state>/data/events.manifest.json`` unless named). Returns an
:class:`AnalysisReport`; rendering is the shell's (``sandbox.query.render``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.query.analysis.pack import (
    Check,
    Comparison,
    PackQuery,
    PackRun,
    check_manifest,
    comparison,
    iceberg_files,
    load_pack,
    repair,
    run_pack,
)
from sandbox.query.api.factory import (
    DEFAULT_OPTIONS,
    EngineOptions,
    open_engine,
    outputs_or_none,
)
from sandbox.query.engine.session import Result
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


class UnknownPackQueryError(QueryError):
    """``--only`` names a query the pack does not have."""


@dataclass
class AnalysisReport:
    tables: dict[str, str]  # {"json": ..., "parquet": ..., "iceberg": ... when there is one}
    runs: list[PackRun]
    comparison: Comparison
    repaired: dict[str, int] | None = None  # partitions MSCK REPAIR TABLE added, per table
    manifest: Path | None = None
    checks: list[Check] = field(default_factory=list)
    # The Iceberg table's data files per partition ("t$partitions"), when it ran.
    iceberg_files: Result | None = None

    @property
    def failed_runs(self) -> list[PackRun]:
        return [r for r in self.runs if r.error]

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    @property
    def failure(self) -> str | None:
        """One line saying what failed, or None when every query ran and every check held."""
        parts = []
        if self.failed_runs:
            parts.append(f"{len(self.failed_runs)} pack queries failed")
        if self.failed_checks:
            parts.append(f"{len(self.failed_checks)} answers differ from the seed manifest")
        return "; ".join(parts) or None


def select_queries(only: Sequence[str] = ()) -> list[PackQuery]:
    """The pack's queries, or only those named (UnknownPackQueryError for another name)."""
    queries = load_pack()
    unknown = set(only) - {q.name for q in queries}
    if unknown:
        names = ", ".join(q.name for q in queries)
        raise UnknownPackQueryError(f"unknown pack queries {sorted(unknown)}; choose from {names}")
    return [q for q in queries if q.name in only] if only else queries


def default_manifest(settings: Settings) -> Path | None:
    """The last seed's manifest, if there is one."""
    from sandbox.generate.manifest import manifest_path

    path = manifest_path(settings.state.events_file())
    return path if path.exists() else None


def analyze(
    settings: Settings,
    options: EngineOptions = DEFAULT_OPTIONS,
    *,
    json_table: str | None = None,
    parquet_table: str | None = None,
    iceberg_table: str | None = None,
    only: Sequence[str] = (),
    repair_first: bool = True,
    manifest: Path | None = None,
    on_repair: Callable[[dict[str, int]], Any] | None = None,
    on_run: Callable[[PackRun], Any] | None = None,
) -> AnalysisReport:
    """Run the pack (``only`` some queries) on both tables; ``on_repair`` and ``on_run`` see each
    step as it finishes."""
    queries = select_queries(only)
    outputs = outputs_or_none(settings)
    tables = {
        "json": json_table or (outputs.json_table if outputs else "events_json"),
        "parquet": parquet_table or (outputs.parquet_table if outputs else "events_parquet"),
    }
    iceberg = iceberg_table or (outputs.iceberg_table if outputs else None)
    if iceberg:
        tables["iceberg"] = iceberg
    repaired = None
    files = None
    with open_engine(settings, options, outputs) as runner:
        if repair_first:
            hive = [t for label, t in tables.items() if label != "iceberg"]
            repaired = repair(runner, hive)
            if on_repair is not None:
                on_repair(repaired)
        runs = run_pack(runner, tables, queries, on_run=on_run)
        if iceberg:
            try:
                files = iceberg_files(runner, iceberg)
            except QueryError:
                files = None  # the failed runs already say why
    report = AnalysisReport(tables, runs, comparison(runs), repaired=repaired)
    report.iceberg_files = files
    report.manifest = manifest or default_manifest(settings)
    if report.manifest is not None:
        from sandbox.generate.manifest import read_manifest

        report.checks = check_manifest(runs, read_manifest(report.manifest))
    return report
