"""The analysis pack: the article's questions as named Athena SQL files, run on every variant.

Owns loading the pack (``pack/NN_name.sql``; the first ``--`` comment line is the title; a
``NN_name.<variant>.sql`` file is that query's text for one variant, e.g. the Iceberg table,
which has no delivery-day column ``d``), filling its placeholders (``{table}``; ``{name}`` and
``{d}`` for the one-partition query, taken from ``SHOW PARTITIONS`` on the Hive tables;
``{event_day}``, the last event day of the lake, for the event-time query), running every query
on the JSON, Parquet and (when it exists) Iceberg table with any engine that has ``execute(sql)
-> Result`` (the DuckDB stand-in or real Athena), the side-by-side comparison, the check of the
answers against the seed manifest where the manifest knows them, and the Iceberg table's files
per partition (the small-files story: ``"t$partitions"``, before and after ``OPTIMIZE``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sandbox.query.engine.session import Result
from sandbox.query.errors import QueryError

PACK_DIR = Path(__file__).with_name("queries")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
VARIANTS = ("json", "parquet", "iceberg")
LABELS = {"json": "JSON", "parquet": "Parquet", "iceberg": "Iceberg"}


class Engine(Protocol):
    def execute(self, athena_sql: str) -> Result: ...


@dataclass(frozen=True)
class PackQuery:
    name: str
    title: str
    template: str
    variants: dict[str, str] = field(default_factory=dict)  # variant label -> its own text

    def text(self, label: str = "") -> str:
        return self.variants.get(label, self.template)

    def placeholders_for(self, label: str = "") -> set[str]:
        return set(_PLACEHOLDER.findall(self.text(label)))

    @property
    def placeholders(self) -> set[str]:
        return self.placeholders_for()


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
    variants: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.sql")):
        stem, _, variant = path.stem.partition(".")
        if variant:
            variants.setdefault(stem, {})[variant] = path.read_text()
            continue
        text = path.read_text()
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        title = first[2:].strip() if first.startswith("--") else path.stem
        name = re.sub(r"^\d+_", "", path.stem)
        queries.append((stem, PackQuery(name, title, text)))
    return [replace(q, variants=variants.get(stem, {})) for stem, q in queries]


def render(query: PackQuery, params: dict[str, str], label: str = "") -> str:
    """The query's SQL with its placeholders filled; QueryError for a missing value."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            raise QueryError(f"pack query {query.name} needs a value for {{{key}}}")
        return params[key]

    return _PLACEHOLDER.sub(fill, query.text(label))


def pick_partition(engine: Engine, table: str) -> dict[str, str]:
    """A partition of ``table`` for the one-partition query (a measurement one if any)."""
    specs = [str(row[0]) for row in engine.execute(f"SHOW PARTITIONS {table}").rows]
    if not specs:
        raise QueryError(f"{table} has no partitions; run MSCK REPAIR TABLE {table}")
    chosen = next((s for s in specs if s.startswith("name=measurement_recorded/")), specs[0])
    return dict(part.split("=", 1) for part in chosen.split("/"))


def last_event_day(engine: Engine, table: str) -> str:
    """The last event day (``yyyy-MM-dd``) of ``table``, for the event-time query."""
    rows = engine.execute(f"SELECT date_format(max(tstamp), '%Y-%m-%d') AS day FROM {table}").rows
    if not rows or rows[0][0] is None:
        raise QueryError(f"{table} holds no events")
    return str(rows[0][0])


def iceberg_files(engine: Engine, table: str) -> Result:
    """The Iceberg table's data files per partition (``"t$partitions"``), most files first."""
    return engine.execute(
        'SELECT partition, file_count, record_count, total_size FROM "'
        + table
        + '$partitions" ORDER BY file_count DESC, record_count DESC'
    )


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
    shared: dict[str, str] = {}
    hive = next((t for label, t in tables.items() if label != "iceberg"), None)
    for query in queries:
        for label, table in tables.items():
            params = {"table": table}
            try:
                wanted = query.placeholders_for(label)
                if wanted & {"name", "d"}:
                    source = table if label != "iceberg" else (hive or table)
                    if source not in partitions:
                        partitions[source] = pick_partition(engine, source)
                    params.update(partitions[source])
                if "event_day" in wanted:
                    if "event_day" not in shared:
                        shared["event_day"] = last_event_day(engine, hive or table)
                    params["event_day"] = shared["event_day"]
                sql = render(query, params, label)
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
    """One row per query: bytes, cost and time on each variant side by side (JSON, Parquet,
    and Iceberg when it ran), with each variant's bytes relative to JSON's."""
    from sandbox.query.engine.pricing import human_bytes, usd

    runs = list(runs)
    present = {run.label for run in runs}
    labels = [v for v in VARIANTS if v in present or v in ("json", "parquet")]
    others = [v for v in labels if v != "json"]
    by_query: dict[str, dict[str, PackRun]] = {}
    for run in runs:
        by_query.setdefault(run.query.name, {})[run.label] = run
    table = Comparison(
        columns=[
            "query",
            *(f"{LABELS[v]} scanned" for v in labels),
            *(f"{LABELS[v]}/JSON" for v in others),
            *(f"{LABELS[v]} cost" for v in labels),
            *(f"{LABELS[v]} s" for v in labels),
        ]
    )
    totals = {label: [0, 0.0, 0.0] for label in labels}
    for name, group in by_query.items():
        cells: list[Any] = [name]
        results = {label: group.get(label) for label in labels}
        scanned = {
            k: (r.result.bytes_scanned if r and r.result else None) for k, r in results.items()
        }
        for label in labels:
            done = results[label]
            if done and done.result:
                totals[label][0] += done.result.bytes_scanned
                totals[label][1] += done.result.cost_usd
                totals[label][2] += done.result.seconds
        cells += [human_bytes(v) if v is not None else "error" for v in scanned.values()]
        for label in others:
            base, other = scanned["json"], scanned[label]
            if base and other is not None:
                cells.append(f"{other / base:.2f}")
            else:
                cells.append("-")
        for attr, fmt in (("cost_usd", usd), ("seconds", lambda s: f"{s:.2f}")):
            for label in labels:
                done = results[label]
                cells.append(fmt(getattr(done.result, attr)) if done and done.result else "-")
        table.rows.append(tuple(cells))
    json_bytes = int(totals["json"][0])
    table.rows.append(
        (
            "total",
            *(human_bytes(int(totals[v][0])) for v in labels),
            *(f"{int(totals[v][0]) / json_bytes:.2f}" if json_bytes else "-" for v in others),
            *(usd(totals[v][1]) for v in labels),
            *(f"{totals[v][2]:.2f}" for v in labels),
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
