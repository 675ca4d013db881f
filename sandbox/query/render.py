"""How results look: an aligned table (rich) by default, CSV or JSON for scripts.

The query stage's one renderer: one statement's result (``print_result``), ``sandbox analyze``
(``AnalysisPrinter``) and ``make stats`` (``render_stats``). Owns the formatting of values and
the one-line scan summary printed under each result (data scanned, what Athena would bill, time,
engine). In CSV mode only the rows go to stdout and the summary goes to stderr, so the output
can be piped. Tables are as wide as the terminal when there is one, ``COLUMNS`` wide when that is
set, and otherwise (piped, CI logs) as wide as their content: cells are never wrapped mid-word
to fit an 80-column default nobody chose (:func:`make_console`).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table as RichTable

from sandbox.query.engine.pricing import DEFAULT_PRICES, Prices, billed_bytes, human_bytes, usd

if TYPE_CHECKING:
    from sandbox.query.analysis.analyze import AnalysisReport
    from sandbox.query.analysis.pack import PackRun
    from sandbox.query.analysis.stats import StatsReport
    from sandbox.query.engine.session import Result

FORMATS = ("table", "csv", "json")
# Width of a console that is neither a terminal nor given COLUMNS: wide enough for any table.
UNBOUNDED_WIDTH = 100_000


def output_width(stream: IO[str], environ: Mapping[str, str] = os.environ) -> int | None:
    """The width to render for on ``stream``: None for a terminal (rich asks it), ``COLUMNS``
    when set, else :data:`UNBOUNDED_WIDTH` (no wrapping)."""
    columns = environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return None
    return UNBOUNDED_WIDTH


def make_console(*, stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A console for results on stdout (or stderr), sized by :func:`output_width`."""
    stream = file or (sys.stderr if stderr else sys.stdout)
    return Console(file=file, stderr=stderr, width=output_width(stream))


def cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e16 else f"{value:.1f}"
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def summary(result: Result, prices: Prices = DEFAULT_PRICES) -> str:
    """``Data scanned: 3.4 KiB (billed 10.0 MiB) · cost $0.000048 · 0.21 s · duckdb``."""
    if result.statement_type != "DML":
        kind = result.statement_type
        return f"{kind} statement (not billed) · {result.seconds:.2f} s · {result.engine}"
    billed = billed_bytes(result.bytes_scanned, prices)
    return (
        f"Data scanned: {human_bytes(result.bytes_scanned)} (billed {human_bytes(billed)}) · "
        f"cost {usd(result.cost_usd)} · {result.seconds:.2f} s · {result.engine}"
    )


def rich_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None
) -> RichTable:
    table = RichTable(title=title, title_justify="left", show_lines=False)
    numeric = [
        bool(rows) and all(_is_number(r[i]) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]
    for index, (name, is_numeric) in enumerate(zip(columns, numeric, strict=True)):
        table.add_column(
            name,
            justify="right" if is_numeric else "left",
            no_wrap=index == 0,
            overflow="fold",  # wrap long values rather than hide them behind an ellipsis
        )
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    return table


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):  # an interval: no JSON type of its own
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def result_document(result: Result) -> dict[str, Any]:
    return {
        "columns": result.columns,
        "rows": [[to_jsonable(v) for v in row] for row in result.rows],
        "bytes_scanned": result.bytes_scanned,
        "cost_usd": result.cost_usd,
        "seconds": round(result.seconds, 4),
        "engine": result.engine,
        "statement_type": result.statement_type,
        "warnings": result.warnings,
    }


def write_csv(result: Result, stream: IO[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    if result.columns:
        writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else cell(v) for v in row])


def print_result(
    result: Result,
    fmt: str = "table",
    *,
    console: Console | None = None,
    err_console: Console | None = None,
    title: str | None = None,
    prices: Prices = DEFAULT_PRICES,
) -> None:
    """Print one result in ``fmt``; warnings and (in CSV mode) the summary go to stderr."""
    console = console or make_console()
    err_console = err_console or make_console(stderr=True)
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", style="yellow", highlight=False)
    if fmt == "json":
        console.print_json(json.dumps(result_document(result)))
    elif fmt == "csv":
        write_csv(result, console.file)
        err_console.print(summary(result, prices), highlight=False)
    else:
        if result.columns:
            console.print(rich_table(result.columns, result.rows, title))
        elif title:
            console.print(title)
        console.print(summary(result, prices), style="dim", highlight=False)


class AnalysisPrinter:
    """``sandbox analyze`` in ``fmt``: in a table, each pack query as it finishes (each warning
    once), then the JSON vs Parquet comparison and the manifest checks; CSV is the comparison
    alone, JSON one document with every run."""

    def __init__(
        self, fmt: str = "table", *, prices: Prices = DEFAULT_PRICES, console: Console | None = None
    ) -> None:
        self.fmt = fmt
        self.prices = prices
        self.console = console or make_console()
        self._warned: set[str] = set()

    def repaired(self, added: dict[str, int]) -> None:
        if self.fmt == "table":
            text = ", ".join(f"{table} +{count}" for table, count in added.items())
            self.console.print(f"MSCK REPAIR TABLE: partitions added: {text}", highlight=False)

    def run(self, run: PackRun) -> None:
        if self.fmt != "table":
            return
        if run.result is not None:  # each warning once, not under every query
            fresh = [w for w in run.result.warnings if w not in self._warned]
            self._warned.update(fresh)
            run.result.warnings = fresh
        title = f"{run.query.name} · {run.table} — {run.query.title}"
        if run.error:
            self.console.print(f"[bold]{title}[/bold]\n[red]error:[/red] {run.error}\n")
        elif run.result is not None:
            print_result(run.result, "table", console=self.console, title=title, prices=self.prices)
            self.console.print()

    def report(self, report: AnalysisReport) -> None:
        table = report.comparison
        if self.fmt == "json":
            document = {
                "runs": [
                    {
                        "query": r.query.name,
                        "title": r.query.title,
                        "table": r.table,
                        "sql": r.sql,
                        "error": r.error,
                        "result": result_document(r.result) if r.result else None,
                    }
                    for r in report.runs
                ],
                "comparison": {"columns": table.columns, "rows": table.rows},
                "checks": [
                    {**c.__dict__, "ok": c.ok, "expected": c.expected, "actual": c.actual}
                    for c in report.checks
                ],
            }
            self.console.print_json(json.dumps(document, default=str))
        elif self.fmt == "csv":
            writer = csv.writer(self.console.file, lineterminator="\n")
            writer.writerow(table.columns)
            writer.writerows(table.rows)
        else:
            names = {"json": "JSON", "parquet": "Parquet", "iceberg": "Iceberg"}
            variants = " vs ".join(n for label, n in names.items() if label in report.tables)
            self.console.print(rich_table(table.columns, table.rows, variants))
            files = report.iceberg_files
            if files is not None and files.rows:
                title = (
                    f"Iceberg data files per partition ({report.tables.get('iceberg')}$partitions; "
                    "OPTIMIZE ... REWRITE DATA USING BIN_PACK compacts them)"
                )
                self.console.print(rich_table(files.columns, files.rows[:20], title))
            if report.checks:
                rows = [
                    (c.query, c.label, c.what, c.expected, c.actual, "ok" if c.ok else "MISMATCH")
                    for c in report.checks
                ]
                columns = ["query", "table", "check", "manifest", "answer", ""]
                title = f"Against the seed manifest ({report.manifest})"
                self.console.print(rich_table(columns, rows, title))


def render_stats(
    report: StatsReport, fmt: str = "table", *, console: Console | None = None
) -> None:
    """``make stats``: the bucket summary per prefix and the monthly cost table, in ``fmt``."""
    console = console or make_console()
    if fmt == "json":
        document = {
            "bucket": report.bucket,
            "raw": report.raw.__dict__,
            "prefixes": [
                {**s.__dict__, "average_bytes": s.average_bytes, "ratio": s.compression_ratio}
                for s in report.prefixes
            ],
            "monthly_costs": [c.__dict__ for c in report.costs],
            "monthly_total_usd": report.monthly_total_usd,
        }
        console.print_json(json.dumps(document))
        return
    rows = [
        (
            s.prefix,
            s.objects,
            human_bytes(s.total_bytes),
            human_bytes(s.average_bytes),
            s.partitions,
            f"{s.compression_ratio:.2f}x" if s.compression_ratio else "-",
        )
        for s in report.prefixes
    ]
    columns = ["prefix", "objects", "total size", "avg size", "partitions", "vs raw"]
    cost_columns = ["service", "input (monthly)", "cost"]
    cost_rows = [
        (c.service + (" *" if c.note else ""), c.monthly_input, usd(c.usd)) for c in report.costs
    ]
    cost_rows.append(("Total", "", usd(report.monthly_total_usd)))
    if fmt == "csv":
        writer = csv.writer(console.file, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        writer.writerow([])
        writer.writerow(cost_columns)
        writer.writerows(cost_rows)
        return
    raw = report.raw
    console.print(
        f"Raw events: {raw.events:,} ({human_bytes(raw.raw_bytes)}, {raw.source})", highlight=False
    )
    console.print(rich_table(columns, rows, f"Bucket summary: s3://{report.bucket}"))
    title = f"Monthly cost, {report.scans_per_day} full scans a day per table"
    console.print(rich_table(cost_columns, cost_rows, title))
    for note in sorted({c.note for c in report.costs if c.note}):
        console.print(
            f"* {note}; prices: sandbox/query/engine/pricing.py", style="dim", highlight=False
        )
