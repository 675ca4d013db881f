"""Result column types and values as Athena (engine v3) reports and prints them.

Owns :func:`column_type` (a DuckDB result type -> ``ColumnInfo`` Type/Precision/Scale, through
the one Glue type model, :mod:`sandbox.core.gluetypes`) and :func:`format_value` (a DuckDB value
-> the ``VarCharValue`` text of ``GetQueryResults`` and of the result CSV). Athena prints values
the way Trino's client protocol renders them as text:

- ``boolean`` ``true``/``false``; integers in decimal; ``decimal`` with its scale's digits;
- ``double``/``float`` as Java's ``Double.toString``/``Float.toString`` (``1.0``, ``0.1``,
  ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``) -- PyAthena's converters read them with float();
- ``date`` ``2023-07-31``; ``timestamp`` with milliseconds, ``2023-07-31 10:40:00.000`` (Athena's
  timestamps are ``timestamp(3)``: DuckDB's microseconds are truncated); ``timestamp with time
  zone`` adds the zone (``... UTC``); ``time`` ``10:40:00.000``;
- ``varbinary`` as space-separated hex bytes (PyAthena's ``_to_binary`` strips the spaces);
- ``array`` ``[a, b]``, ``map`` ``{k=v, k2=v2}``, ``row`` ``{a=1, b=x}`` with nested strings
  unquoted and nested NULLs as ``null``; ``json`` its text;
- NULL: no ``VarCharValue`` at all (an empty ``Datum``), an empty unquoted CSV field.

Not reproduced: ``interval year to month``/``day to second`` are printed from DuckDB's
interval (``1 02:03:04.000``, ``1-2``) without Trino's normalisation; ``char(n)`` padding;
``ipaddress``/``uuid``/``hyperloglog`` types are reported as ``varchar`` or their own name but
DuckDB produces only ``uuid``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sandbox.core.gluetypes import (
    ArrayType,
    AthenaColumnType,
    CharType,
    DecimalType,
    GlueType,
    GlueTypeError,
    MapType,
    Primitive,
    StructType,
    parse_duckdb_type,
    to_athena,
)

# DuckDB result types Glue cannot declare, as Athena names them (Trino type names, precision
# as PyAthena's test_complex records them against Athena: timestamp(3) -> 3).
_NON_GLUE = {
    "TIMESTAMP WITH TIME ZONE": AthenaColumnType("timestamp with time zone", 3),
    "TIME": AthenaColumnType("time", 3),
    "TIME WITH TIME ZONE": AthenaColumnType("time with time zone", 3),
    "JSON": AthenaColumnType("json", 0),
    "UUID": AthenaColumnType("uuid", 0),
    "INTERVAL": AthenaColumnType("interval day to second", 0),
    # SELECT NULL: Trino's type of a bare NULL literal
    '"NULL"': AthenaColumnType("unknown", 0),
    "NULL": AthenaColumnType("unknown", 0),
}
VARCHAR = to_athena(Primitive("string"))
# Hive DDL results (SHOW TABLES, DESCRIBE...) are typed "string" by Athena.
DDL_STRING = AthenaColumnType("string", 0)


def column_type(duckdb_type: str) -> AthenaColumnType:
    """ColumnInfo type of a DuckDB result column: ``HUGEINT`` -> bigint, ``INTEGER[]`` -> array."""
    known = _NON_GLUE.get(duckdb_type.upper())
    if known is not None:
        return known
    try:
        return to_athena(parse_duckdb_type(duckdb_type, lenient=True))
    except GlueTypeError:
        return VARCHAR


def value_type(duckdb_type: str) -> GlueType | str:
    """What :func:`format_value` formats by: the Glue tree, or the name of a non-Glue type."""
    upper = duckdb_type.upper()
    if upper in _NON_GLUE:
        return _NON_GLUE[upper].type
    try:
        return parse_duckdb_type(duckdb_type, lenient=True)
    except GlueTypeError:
        return "varchar"


def format_value(value: Any, kind: GlueType | str | None = None) -> str | None:
    """Athena's text for one result value (None for NULL)."""
    if value is None:
        return None
    return _format(value, kind, nested=False)


def _format(value: Any, kind: GlueType | str | None, nested: bool) -> str:
    if value is None:
        return "null"
    match kind:
        case ArrayType(element=element):
            return "[" + ", ".join(_format(v, element, True) for v in value) + "]"
        case MapType(key=key, value=item):
            pairs = value.items() if isinstance(value, Mapping) else value
            return (
                "{"
                + ", ".join(f"{_format(k, key, True)}={_format(v, item, True)}" for k, v in pairs)
                + "}"
            )
        case StructType(fields=fields):
            types = {f.name: f.type for f in fields}
            return (
                "{"
                + ", ".join(f"{k}={_format(v, types.get(k), True)}" for k, v in value.items())
                + "}"
            )
        case Primitive(name="float"):
            return java_float(float(value))
        case Primitive(name="double"):
            return java_double(float(value))
        case DecimalType(scale=scale):
            return _decimal(value, scale)
        case Primitive(name="bigint" | "int" | "smallint" | "tinyint"):
            return str(int(value))
        case CharType() | Primitive(name="string"):
            return value if isinstance(value, str) else _by_python_type(value)
        case "timestamp with time zone":
            return _timestamp(value) + " " + _zone(value)
        case _:
            return _by_python_type(value)


def _by_python_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        text = _timestamp(value)
        return text + " " + _zone(value) if value.tzinfo is not None else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return " ".join(f"{b:02x}" for b in bytes(value))
    if isinstance(value, timedelta):
        return _interval(value)
    if isinstance(value, list):
        return "[" + ", ".join(_format(v, None, True) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_format(v, None, True)}" for k, v in value.items()) + "}"
    months = getattr(value, "months", None)
    if months is not None and hasattr(value, "days"):  # pyarrow's MonthDayNano
        if months:
            return f"{months // 12}-{months % 12}"
        return _interval(timedelta(days=value.days, microseconds=value.nanoseconds // 1000))
    return str(value)


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def _zone(value: datetime) -> str:
    name = value.tzname() or "UTC"
    return "UTC" if name in ("Etc/UTC", "UTC", "+00:00") else name


def _interval(value: timedelta) -> str:
    seconds = value.seconds
    millis = value.microseconds // 1000
    clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}"
    return f"{value.days} {clock}"


def _decimal(value: Any, scale: int) -> str:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number.is_finite():
        number = number.quantize(Decimal(1).scaleb(-scale))
    return format(number, "f")


def java_double(value: float) -> str:
    """Java's ``Double.toString``: the shortest digits that round-trip (as Python's repr),
    plain between 10^-3 and 10^7, else computerized scientific notation (``1.0E7``)."""
    return _java(value, repr(value))


def java_float(value: float) -> str:
    """Java's ``Float.toString`` for a 32-bit value: the shortest digits that round-trip."""
    if math.isnan(value) or math.isinf(value):
        return _java(value, "")
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return _java(single, text)
    return _java(single, repr(single))


def _java(value: float, shortest: str) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(shortest).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent  # the decimal point's position in ``text``
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{text}"
        if point >= len(text):
            return f"{prefix}{text}{'0' * (point - len(text))}.0"
        return f"{prefix}{text[:point]}.{text[point:]}"
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{prefix}{mantissa}E{point - 1}"
