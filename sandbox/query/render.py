"""How results look: an aligned table (rich) by default, CSV or JSON for scripts.

Owns the formatting of values, sizes and prices, and the one-line scan summary printed under
each result (data scanned, what Athena would bill, time, engine). In CSV mode only the rows go
to stdout and the summary goes to stderr, so the output can be piped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from rich.console import Console
from rich.table import Table as RichTable

from sandbox.query.engine.pricing import DEFAULT_PRICES, Prices, billed_bytes, human_bytes, usd
from sandbox.query.engine.session import Result

FORMATS = ("table", "csv", "json")


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
    if isinstance(value, datetime | date):
        return value.isoformat()
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
    console = console or Console()
    err_console = err_console or Console(stderr=True)
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
