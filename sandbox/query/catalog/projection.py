"""Athena partition projection: partitions computed from table properties, not read from Glue.

Owns the ``projection.*`` table properties (Athena user guide, "Partition projection with Amazon
Athena" and "Supported types for partition projection"): ``projection.enabled``, per column
``projection.<col>.type`` = ``enum`` (``values``), ``integer`` (``range``, ``interval``,
``digits``), ``date`` (``range`` with absolute dates or ``NOW[+-]N<UNIT>``, ``format``,
``interval``, ``interval.unit``) or ``injected`` (values come from the query's ``WHERE``), and
``storage.location.template`` with ``${col}`` placeholders (default ``<location>col=value/``).

Date formats are Java ``DateTimeFormatter`` patterns (:mod:`sandbox.core.javatime`).

Not reproduced: ``date`` formats with time zones, the ``projection.<col>.unit`` spelling of
Athena engine v1, and Athena's exact error texts beyond the ones quoted here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sandbox.core import javatime
from sandbox.query.catalog.glue import Partition, Table
from sandbox.query.catalog.s3layout import directory, hive_path
from sandbox.query.errors import QueryError, UnsupportedError

MAX_PARTITIONS = 1_000_000
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_RELATIVE = re.compile(
    r"^\s*NOW\s*(?:([+-])\s*([0-9]+)\s*"
    r"(YEARS?|MONTHS?|WEEKS?|DAYS?|HOURS?|MINUTES?|SECONDS?)\s*)?$",
    re.IGNORECASE,
)
_FIXED_UNITS = {
    "WEEKS": timedelta(weeks=1),
    "DAYS": timedelta(days=1),
    "HOURS": timedelta(hours=1),
    "MINUTES": timedelta(minutes=1),
    "SECONDS": timedelta(seconds=1),
    "MILLISECONDS": timedelta(milliseconds=1),
}


def _unit(name: str) -> str:
    unit = name.strip().upper()
    return unit if unit.endswith("S") else unit + "S"


def add_interval(moment: datetime, amount: int, unit: str) -> datetime:
    """``moment`` plus ``amount`` ChronoUnits (months and years clamp the day, as java.time)."""
    unit = _unit(unit)
    if unit in ("MONTHS", "YEARS"):
        months = moment.month - 1 + amount * (12 if unit == "YEARS" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = moment.day
        while True:
            try:
                return moment.replace(year=year, month=month, day=day)
            except ValueError:
                day -= 1
    if unit not in _FIXED_UNITS:
        raise QueryError(f"HIVE_METASTORE_ERROR: unknown projection interval unit {unit!r}")
    return moment + _FIXED_UNITS[unit] * amount


def _property(table: Table, column: str, name: str) -> str | None:
    value = table.parameters.get(f"projection.{column}.{name}")
    return None if value is None else str(value)


def _required(table: Table, column: str, name: str) -> str:
    value = _property(table, column, name)
    if value is None:
        raise QueryError(
            f"HIVE_METASTORE_ERROR: Table {table.qualified_name} is configured for partition "
            f"projection, but projection.{column}.{name} is missing"
        )
    return value


def enum_values(table: Table, column: str) -> list[str]:
    return _required(table, column, "values").split(",")


def integer_values(table: Table, column: str) -> list[str]:
    low, high = (int(part.strip()) for part in _required(table, column, "range").split(","))
    step = int((_property(table, column, "interval") or "1").strip())
    digits = _property(table, column, "digits")
    width = int(digits.strip()) if digits else 0
    return [f"{value:0{width}d}" if width else str(value) for value in range(low, high + 1, step)]


def _pattern(pattern: str) -> javatime.CompiledPattern:
    try:
        return javatime.compile_pattern(pattern, javatime.JAVA)
    except javatime.PatternError as error:
        raise QueryError(
            f"HIVE_METASTORE_ERROR: invalid projection date format {pattern!r}: {error}"
        ) from None


def format_java(moment: datetime, pattern: str) -> str:
    """``moment`` (naive, UTC) in a projection's Java DateTimeFormatter ``format``."""
    return _pattern(pattern).format(moment)


def parse_java(text: str, pattern: str) -> datetime:
    """A projection range bound read with its ``format`` (naive, UTC)."""
    try:
        moment = _pattern(pattern).parse(text)
    except javatime.PatternError as error:
        raise UnsupportedError(f"projection date format {pattern!r}: {error}") from None
    except javatime.ParseError as exc:
        raise UnsupportedError(f"date {text!r} does not match pattern {pattern!r}") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _resolve_bound(text: str, pattern: str, now: datetime) -> datetime:
    match = _RELATIVE.match(text)
    if not match:
        return parse_java(text, pattern)
    moment = now
    if match.group(1):
        amount = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
        moment = add_interval(moment, amount, match.group(3))
    # Values are generated at the pattern's precision: round-trip through the pattern.
    return parse_java(format_java(moment, pattern), pattern)


def _default_interval_unit(pattern: str) -> str | None:
    letters = {token.letter for token in _pattern(pattern).tokens if token.letter}
    if letters & set("HhmsSaK"):
        return None
    if "d" in letters or "D" in letters:
        return "DAYS"
    if letters & set("ML"):
        return "MONTHS"
    return "YEARS" if letters & set("yu") else None


def date_values(table: Table, column: str, now: datetime) -> list[str]:
    pattern = _required(table, column, "format")
    start_text, end_text = _required(table, column, "range").split(",")
    start = _resolve_bound(start_text, pattern, now)
    end = _resolve_bound(end_text, pattern, now)
    unit = _property(table, column, "interval.unit") or _default_interval_unit(pattern)
    interval = _property(table, column, "interval")
    if unit is None:
        raise QueryError(
            f"HIVE_METASTORE_ERROR: projection.{column}.interval.unit is required for "
            f"format {pattern!r}"
        )
    step = int(interval.strip()) if interval else 1
    values: list[str] = []
    moment, n = start, 0
    while moment <= end:
        values.append(format_java(moment, pattern))
        if len(values) > MAX_PARTITIONS:
            raise QueryError(f"partition projection of {column} yields too many values")
        n += step
        moment = add_interval(start, n, unit)
    return values


def column_values(
    table: Table, column: str, filters: Mapping[str, set[str]], now: datetime
) -> list[str]:
    kind = _required(table, column, "type").strip().lower()
    if kind == "injected":
        wanted = filters.get(column)
        if not wanted or len(wanted) != 1:
            raise QueryError(
                f"CONSTRAINT_VIOLATION: For the injected projected partition column {column}, "
                "the WHERE clause must contain only static equality conditions, and at least "
                "one such condition must be present."
            )
        return sorted(wanted)
    if kind == "enum":
        values = enum_values(table, column)
    elif kind == "integer":
        values = integer_values(table, column)
    elif kind == "date":
        values = date_values(table, column, now)
    else:
        raise QueryError(f"HIVE_METASTORE_ERROR: unknown projection type {kind!r} for {column}")
    if column in filters:
        values = [value for value in values if value in filters[column]]
    return values


def projected_location(table: Table, values: Mapping[str, str]) -> str:
    template = table.parameters.get("storage.location.template")
    if not template:
        return directory(table.location) + hive_path(list(values), list(values.values()))
    # One pass: a value that itself spells ``${other}`` stays as it is.
    location = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), str(template))
    return directory(location)


def projected_partitions(
    table: Table, filters: Mapping[str, set[str]] | None = None, now: datetime | None = None
) -> list[Partition]:
    """The partitions projection yields for ``table``, narrowed by equality ``filters``."""
    filters = filters or {}
    now = now or datetime.now(UTC).replace(tzinfo=None)
    keys = table.key_names
    per_column = [column_values(table, key, filters, now) for key in keys]
    total = 1
    for values in per_column:
        total *= len(values)
    if total > MAX_PARTITIONS:
        raise QueryError(
            f"partition projection of {table.qualified_name} yields {total} partitions; "
            "add WHERE conditions on its partition columns"
        )
    return [
        Partition(combo, projected_location(table, dict(zip(keys, combo, strict=True))))
        for combo in itertools.product(*per_column)
    ]
