"""Runs one conformance case against the sandbox's engine and classifies the outcome.

A case is Athena SQL, the answer Athena/Trino gives (the text of each value as Athena's API
prints it, ``None`` for NULL), or :class:`Fails` when Trino raises an error, and the page the
case comes from. The engine is the one ``sandbox query`` runs: the translation
(:func:`sandbox.query.dialect.translate.translate`), a DuckDB connection set up as
``sandbox.query.engine.duck`` sets up every query connection (without S3: cases are constant
expressions, VALUES and small inline tables), and the values rendered by
``sandbox.query.api.values``. Outcomes:

``correct``   the same values (or an error where Trino fails);
``refused``   ``NOT_SUPPORTED`` naming the construct (an :class:`UnsupportedError`);
``wrong``     a different answer: the one outcome the sandbox must never give;
``failed``    another error where Trino answers (a message that does not name the construct).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from sandbox.query.api.values import format_value, value_type
from sandbox.query.dialect.translate import translate
from sandbox.query.engine import duck
from sandbox.query.errors import QueryError, UnsupportedError

CORRECT, REFUSED, WRONG, FAILED = "correct", "refused", "wrong", "failed"


@dataclass(frozen=True)
class Fails:
    """Trino raises an error; ``match`` (a regex) is what its message says, for the record."""

    match: str = ""


@dataclass(frozen=True)
class Case:
    """``sql``: a statement, or an expression run as ``SELECT <sql>``. ``expected``: one value's
    text, a list of rows (tuples of texts), or :class:`Fails`. ``columns``: the output names."""

    sql: str
    expected: Any
    source: str
    columns: tuple[str, ...] | None = None
    note: str = ""

    @property
    def statement(self) -> str:
        head = self.sql.lstrip().split(None, 1)[0].upper() if self.sql.strip() else ""
        if head in ("SELECT", "WITH", "VALUES", "(", "TABLE") or self.sql.lstrip().startswith("("):
            return self.sql
        return f"SELECT {self.sql}"


@dataclass
class Outcome:
    case: Case
    status: str
    got: Any = None
    detail: str = ""
    area: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def connection() -> duckdb.DuckDBPyConnection:
    """A query connection without S3: the session settings and functions of ``duck.connect``."""
    con = duckdb.connect()
    duck.prepare_sql(con)
    return con


def run(con: duckdb.DuckDBPyConnection, case: Case) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Output names and rows as Athena prints them; QueryError on a failure."""
    sql = translate(case.statement)
    try:
        cursor = con.execute(sql)
        types = [str(d[1]) for d in cursor.description or []]
        table = cursor.to_arrow_table()
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0]) from exc
    kinds = [value_type(t) for t in types]
    rows = [
        tuple(format_value(v, k) for v, k in zip(row, kinds, strict=True))
        for row in zip(*(c.to_pylist() for c in table.columns), strict=True)
    ]
    return list(table.column_names), rows


def classify(con: duckdb.DuckDBPyConnection, case: Case) -> Outcome:
    try:
        columns, rows = run(con, case)
    except UnsupportedError as exc:
        return Outcome(case, REFUSED, detail=str(exc))
    except QueryError as exc:
        if "NOT_SUPPORTED: " in str(exc):  # refused at run time (a value the sandbox cannot hold)
            return Outcome(case, REFUSED, detail=str(exc))
        if isinstance(case.expected, Fails):
            return Outcome(case, CORRECT, detail=str(exc))
        return Outcome(case, FAILED, detail=str(exc))
    except Exception as exc:  # a crash is a failure too, recorded with its type
        return Outcome(case, FAILED, detail=f"{type(exc).__name__}: {exc}")
    got: Any = rows
    if isinstance(case.expected, Fails):
        return Outcome(case, WRONG, got=rows, detail=f"Trino fails: {case.expected.match}")
    if not isinstance(case.expected, list):
        got = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    if got != case.expected:
        return Outcome(case, WRONG, got=got)
    if case.columns is not None and tuple(columns) != case.columns:
        return Outcome(case, WRONG, got=columns, detail="output names")
    return Outcome(case, CORRECT, got=got)


def refused_construct(outcome: Outcome) -> str:
    """The construct a refusal names (for the report's list of what is still refused)."""
    match = re.search(
        r"stand-in: (.*?)(?: \(|$)|NOT_SUPPORTED: (.*) is not supported", outcome.detail
    )
    if match and match.group(2):
        return match.group(2)
    return match.group(1) if match else outcome.detail


def table(source: str, rows: list[tuple[Any, ...]]) -> list[Case]:
    """Cases from one page: ``(sql, expected)`` or ``(sql, expected, columns)`` tuples."""
    return [Case(row[0], row[1], source, *row[2:]) for row in rows]
