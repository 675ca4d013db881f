"""The analysis pack: the article's questions as named Athena SQL files, run on both tables.

Owns loading the pack (``pack/NN_name.sql``; the first ``--`` comment line is the title),
filling its placeholders (``{table}``; ``{name}`` and ``{d}`` for the one-partition query, taken
from ``SHOW PARTITIONS`` on each table), running every query on the JSON and the Parquet table
with any engine that has ``execute(sql) -> Result`` (the DuckDB stand-in or real Athena), the
side-by-side JSON vs Parquet comparison, and the check of the answers against the seed manifest
where the manifest knows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sandbox.query.engine.session import Result
from sandbox.query.errors import QueryError

PACK_DIR = Path(__file__).with_name("queries")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class Engine(Protocol):
    def execute(self, athena_sql: str) -> Result: ...


@dataclass(frozen=True)
class PackQuery:
    name: str
    title: str
    template: str

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.template))


@dataclass
class PackRun:
    query: PackQuery
    label: str  # "json" or "parquet"
    table: str
    sql: str
    result: Result | None = None
    error: str | None = None


@dataclass(frozen=True)
class Check:
    query: str
    label: str
    what: str
    expected: Any
    actual: Any

    @property
    def ok(self) -> bool:
        if isinstance(self.expected, float) or isinstance(self.actual, float):
            try:
                return abs(float(self.expected) - float(self.actual)) <= 1e-6 * max(
                    1.0, abs(float(self.expected))
                )
            except (TypeError, ValueError):
                return False
        return bool(self.expected == self.actual)


def load_pack(directory: Path = PACK_DIR) -> list[PackQuery]:
    queries = []
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text()
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        title = first[2:].strip() if first.startswith("--") else path.stem
        name = re.sub(r"^\d+_", "", path.stem)
        queries.append(PackQuery(name, title, text))
    return queries


def render(query: PackQuery, params: dict[str, str]) -> str:
    """The query's SQL with its placeholders filled; QueryError for a missing value."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            raise QueryError(f"pack query {query.name} needs a value for {{{key}}}")
        return params[key]

    return _PLACEHOLDER.sub(fill, query.template)


def pick_partition(engine: Engine, table: str) -> dict[str, str]:
    """A partition of ``table`` for the one-partition query (a measurement one if any)."""
    specs = [str(row[0]) for row in engine.execute(f"SHOW PARTITIONS {table}").rows]
    if not specs:
        raise QueryError(f"{table} has no partitions; run MSCK REPAIR TABLE {table}")
    chosen = next((s for s in specs if s.startswith("name=measurement_recorded/")), specs[0])
    return dict(part.split("=", 1) for part in chosen.split("/"))


def repair(engine: Engine, tables: Iterable[str]) -> dict[str, int]:
    """``MSCK REPAIR TABLE`` on each table (free DDL, as the article does before querying);
    returns how many partitions each gained."""
    added: dict[str, int] = {}
    for table in tables:
        lines = engine.execute(f"MSCK REPAIR TABLE {table}").rows
        added[table] = sum(1 for row in lines if str(row[0]).startswith("Repair: Added"))
    return added


def run_pack(
    engine: Engine,
    tables: dict[str, str],
    queries: Sequence[PackQuery] | None = None,
    on_run: Callable[[PackRun], None] | None = None,
) -> list[PackRun]:
    """Run every pack query on every table (``{"json": "events_json", ...}``)."""
    queries = list(queries if queries is not None else load_pack())
    runs: list[PackRun] = []
    partitions: dict[str, dict[str, str]] = {}
    for query in queries:
        for label, table in tables.items():
            params = {"table": table}
            try:
                if query.placeholders & {"name", "d"}:
                    if table not in partitions:
                        partitions[table] = pick_partition(engine, table)
                    params.update(partitions[table])
                sql = render(query, params)
            except QueryError as exc:
                run = PackRun(query, label, table, "", error=str(exc))
            else:
                run = PackRun(query, label, table, sql)
                try:
                    run.result = engine.execute(sql)
                except QueryError as exc:
                    run.error = str(exc)
            runs.append(run)
            if on_run is not None:
                on_run(run)
    return runs


@dataclass
class Comparison:
    columns: list[str] = field(
        default_factory=lambda: [
            "query",
            "JSON scanned",
            "Parquet scanned",
            "Parquet/JSON",
            "JSON cost",
            "Parquet cost",
            "JSON s",
            "Parquet s",
        ]
    )
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def comparison(runs: Iterable[PackRun]) -> Comparison:
    """One row per query: bytes, cost and time on JSON and on Parquet side by side."""
    from sandbox.query.engine.pricing import human_bytes, usd

    by_query: dict[str, dict[str, PackRun]] = {}
    for run in runs:
        by_query.setdefault(run.query.name, {})[run.label] = run
    table = Comparison()
    totals = {"json": [0, 0.0, 0.0], "parquet": [0, 0.0, 0.0]}
    for name, pair in by_query.items():
        cells: list[Any] = [name]
        results = {label: pair.get(label) for label in ("json", "parquet")}
        scanned = {
            k: (r.result.bytes_scanned if r and r.result else None) for k, r in results.items()
        }
        for label in ("json", "parquet"):
            done = results[label]
            if done and done.result:
                totals[label][0] += done.result.bytes_scanned
                totals[label][1] += done.result.cost_usd
                totals[label][2] += done.result.seconds
        cells += [human_bytes(v) if v is not None else "error" for v in scanned.values()]
        if scanned["json"] and scanned["parquet"] is not None:
            cells.append(f"{scanned['parquet'] / scanned['json']:.2f}")
        else:
            cells.append("-")
        for attr, fmt in (("cost_usd", usd), ("seconds", lambda s: f"{s:.2f}")):
            for label in ("json", "parquet"):
                done = results[label]
                cells.append(fmt(getattr(done.result, attr)) if done and done.result else "-")
        table.rows.append(tuple(cells))
    json_bytes, parquet_bytes = int(totals["json"][0]), int(totals["parquet"][0])
    table.rows.append(
        (
            "total",
            human_bytes(json_bytes),
            human_bytes(parquet_bytes),
            f"{parquet_bytes / json_bytes:.2f}" if json_bytes else "-",
            usd(totals["json"][1]),
            usd(totals["parquet"][1]),
            f"{totals['json'][2]:.2f}",
            f"{totals['parquet'][2]:.2f}",
        )
    )
    return table


def _row_dict(result: Result, index: int = 0) -> dict[str, Any]:
    return dict(zip(result.columns, result.rows[index], strict=True)) if result.rows else {}


def check_manifest(runs: Iterable[PackRun], manifest: Any) -> list[Check]:
    """Compare pack answers with the seed manifest (``sandbox.generate.Manifest``)."""
    checks: list[Check] = []
    for run in runs:
        result = run.result
        name, label = run.query.name, run.label
        if result is None:
            continue
        if name == "events_per_name":
            actual = {str(row[0]): int(row[1]) for row in result.rows}
            checks.append(Check(name, label, "events per name", manifest.events_per_name, actual))
        elif name == "session_funnel":
            row = _row_dict(result)
            for key, expected in manifest.funnel.items():
                checks.append(Check(name, label, key, expected, row.get(key)))
        elif name == "duplicates":
            rows = {str(r[0]): dict(zip(result.columns, r, strict=True)) for r in result.rows}
            total = rows.get("all", {})
            checks += [
                Check(name, label, "events", manifest.events_total, total.get("events")),
                Check(
                    name,
                    label,
                    "after de-dup",
                    manifest.distinct_payload_md5,
                    total.get("after_dedup"),
                ),
                Check(name, label, "duplicates", manifest.duplicates, total.get("duplicates")),
            ]
        elif name == "measurement_summary":
            row = _row_dict(result)
            facts = manifest.measurements
            checks += [
                Check(name, label, "measurements", facts.get("count"), row.get("measurements")),
                Check(name, label, "sum", facts.get("sum"), row.get("total")),
                Check(name, label, "min", facts.get("min"), row.get("lowest")),
                Check(name, label, "max", facts.get("max"), row.get("highest")),
            ]
    return checks
