"""Trino functions DuckDB has no match for, as vectorised Python UDFs (Arrow arrays in and out).

Owns the Python side of the translation: the ``regexp_*`` functions on Java patterns
(:mod:`~sandbox.query.dialect.java_regex`), the URL functions (Trino: functions/url.html, on
``java.net.URI``; ``url_encode`` is form encoding as Guava's ``urlFormParameterEscaper``),
``approx_distinct``'s HyperLogLog, Java's ``Double.toString`` for ``CAST(double AS varchar)``,
``from_base`` and ``cbrt``. :func:`register` creates them on a DuckDB connection; every name
starts ``athena_`` and is called only by translated SQL.

``approx_distinct``: a HyperLogLog over DuckDB's 64-bit ``hash()`` of each value, with Trino's
parameters: ``2^ceil(log2((1.04 / e)^2))`` buckets for the maximum standard error ``e`` (2.3%
by default, so 2048 buckets; Trino accepts 0.0040625 to 0.26), the bias-free raw estimate with
linear counting below 2.5 * buckets, and, as Trino's sparse representation, an exact answer
while the distinct hashes are fewer than the buckets. Values are collected per group with
``list()``, so memory grows with the group's rows (Trino's sketch is fixed-size).

Not reproduced: Trino's murmur3 hash (so estimates differ from Athena's within the error),
URL parsing of malformed URLs exactly as ``java.net.URI`` rejects them (NULL here too, but the
set of rejected inputs differs at the edges).
"""

from __future__ import annotations

import base64
import math
import re
import zlib
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any
from urllib.parse import quote_plus, unquote, unquote_plus, urlsplit

import duckdb
import numpy as np
import pyarrow as pa
from duckdb import sqltypes
from duckdb.func import ARROW, SPECIAL

from sandbox.query.dialect import java_format, java_regex

VARCHAR = sqltypes.VARCHAR
BIGINT = sqltypes.BIGINT


def _rows(*columns: Any) -> Any:
    return zip(*(c.to_pylist() for c in columns), strict=True)


def _scalar(function: Callable[..., Any], out: pa.DataType, arity: int) -> Callable[..., pa.Array]:
    """An Arrow UDF applying ``function`` to each row: NULL when an argument is NULL.

    DuckDB reads the number of parameters from the signature, hence one wrapper per arity.
    """

    def apply(*columns: Any) -> pa.Array:
        values = [None if None in row else function(*row) for row in _rows(*columns)]
        return pa.array(values, type=out)

    wrappers: dict[int, Callable[..., pa.Array]] = {
        1: lambda a: apply(a),
        2: lambda a, b: apply(a, b),
        3: lambda a, b, c: apply(a, b, c),
        4: lambda a, b, c, d: apply(a, b, c, d),
    }
    return wrappers[arity]


# -- URL (functions/url.html) ---------------------------------------------------------------


def _url(text: str) -> Any:
    try:
        parts = urlsplit(text)
        _ = parts.port  # a bad port makes java.net.URI reject the URL
    except ValueError:
        return None
    return parts


def url_part(text: str, part: str) -> str | None:
    parts = _url(text)
    if parts is None:
        return None
    if part == "protocol":
        return parts.scheme or None
    if part == "host":
        return parts.hostname
    if part == "path":
        return unquote(parts.path)
    if part == "query":
        return parts.query if "?" in text else None
    if part == "fragment":
        return parts.fragment if "#" in text else None
    raise ValueError(part)


def url_port(text: str) -> int | None:
    parts = _url(text)
    return None if parts is None else parts.port


def url_parameter(text: str, name: str) -> str | None:
    parts = _url(text)
    if parts is None or not parts.query:
        return None
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if unquote_plus(key) == name:
            return unquote_plus(value)
    return None


def url_encode(text: str) -> str:
    # Guava's form escaper: letters, digits and "-_.*" stay, space is "+", the rest %XX
    # (Python's quote_plus also keeps "~", which Guava escapes).
    return quote_plus(text, safe="*").replace("~", "%7E")


# -- numbers --------------------------------------------------------------------------------


def java_double_text(value: float) -> str:
    """Java's ``Double.toString`` (Trino's CAST(double AS varchar))."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value) or value == 0:  # signed: -Infinity, -0.0
        sign = "-" if math.copysign(1, value) < 0 else ""
        return sign + ("Infinity" if math.isinf(value) else "0.0")
    if 1e-3 <= abs(value) < 1e7:  # Python's repr is positional here, as Java's
        return repr(value)
    digits = len(Decimal(repr(value)).normalize().as_tuple().digits)
    mantissa, exponent = f"{value:.{max(digits - 1, 0)}E}".split("E")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def from_base(text: str, radix: int) -> int:
    try:
        return int(text, radix)
    except ValueError:
        raise ValueError(f"Not a valid base-{radix} number: {text}") from None


def decimal_divide(left: str, right: str, scale: int) -> str:
    """Trino's decimal division: the quotient rounded half up to ``scale`` digits."""
    divisor = Decimal(right)
    if divisor == 0:
        raise ZeroDivisionError("Division by zero")
    with localcontext() as context:
        context.prec = 80  # decimal(38) operands: no rounding before the final one
        quotient = Decimal(left) / divisor
        return str(quotient.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP))


def luhn_check(text: str) -> bool:
    """Trino's luhn_check: the Luhn checksum of a string of digits."""
    if not text.isdigit() or not text.isascii():
        raise ValueError("Input contains non-digit character")
    total = 0
    for position, char in enumerate(reversed(text)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def human_readable_seconds(value: float) -> str:
    """Trino's human_readable_seconds: weeks, days, hours, minutes, seconds, rounded."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("Invalid argument found: " + str(value))
    remaining = int(Decimal(repr(abs(value))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    parts = []
    for name, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    if remaining or not parts:
        parts.append(f"{remaining} second{'s' if remaining != 1 else ''}")
    return ", ".join(parts)


def cbrt(values: pa.Array) -> pa.Array:
    return pa.array(np.cbrt(values.to_numpy(zero_copy_only=False)), type=pa.float64())


# -- approx_distinct (a HyperLogLog) --------------------------------------------------------

DEFAULT_ERROR = 0.023
_MIN_ERROR, _MAX_ERROR = 0.0040625, 0.26


def buckets_for(max_error: float) -> int:
    """Trino's bucket count for a maximum standard error (ApproximateCountDistinct)."""
    if not _MIN_ERROR <= max_error <= _MAX_ERROR:
        raise ValueError(f"Max standard error must be in [{_MIN_ERROR}, {_MAX_ERROR}]: {max_error}")
    return 1 << math.ceil(math.log2((1.04 / max_error) ** 2))


def hll_estimate(hashes: np.ndarray, buckets: int) -> int:
    """Distinct values among 64-bit hashes, estimated with ``buckets`` HyperLogLog registers."""
    unique = np.unique(hashes)
    if len(unique) < buckets:  # Trino's sparse sketch is exact at this size
        return len(unique)
    bits = buckets.bit_length() - 1
    index = (unique >> np.uint64(64 - bits)).astype(np.int64)
    rest = (unique << np.uint64(bits)) | np.uint64(1 << (bits - 1))  # never all zero
    # Position of the leftmost 1 bit of the remaining bits, 1-based.
    leading = 64 - np.floor(np.log2(rest.astype(np.float64))).astype(np.int64)
    registers = np.zeros(buckets, dtype=np.int64)
    np.maximum.at(registers, index, leading)
    alpha = 0.7213 / (1 + 1.079 / buckets)
    raw = alpha * buckets * buckets / float(np.sum(np.power(2.0, -registers)))
    zeros = int(np.count_nonzero(registers == 0))
    if raw <= 2.5 * buckets and zeros:
        return round(buckets * math.log(buckets / zeros))
    return round(raw)


def _hll_udf(lists: pa.ChunkedArray, buckets: pa.ChunkedArray) -> pa.Array:
    out: list[int] = []
    for values, size in _rows(lists, buckets):
        hashes = np.array([v for v in values or () if v is not None], dtype=np.uint64)
        out.append(hll_estimate(hashes, int(size)) if len(hashes) else 0)
    return pa.array(out, type=pa.int64())


# -- typeof ---------------------------------------------------------------------------------

_SIMPLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",  # DuckDB's sum of integers; Trino's is a bigint
    "FLOAT": "real",
    "DOUBLE": "double",
    "VARCHAR": "varchar",
    "BLOB": "varbinary",
    "DATE": "date",
    "TIME": "time(3)",
    "TIMESTAMP": "timestamp(3)",
    "TIMESTAMP_MS": "timestamp(3)",
    "TIMESTAMP_S": "timestamp(3)",
    "TIMESTAMP WITH TIME ZONE": "timestamp(3) with time zone",
    "JSON": "json",
    "UUID": "uuid",
    '"NULL"': "unknown",
    "NULL": "unknown",
}


def trino_type_name(duckdb_type: str) -> str:
    """Trino's name of a DuckDB type: ``INTEGER[]`` -> ``array(integer)``."""
    text = duckdb_type.strip()
    if text.endswith("[]"):
        return f"array({trino_type_name(text[:-2])})"
    upper = text.upper()
    if upper in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[upper]
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal:
        return f"decimal({decimal.group(1)},{decimal.group(2)})"
    if upper.startswith("MAP(") and upper.endswith(")"):
        key, value = _split_top(text[4:-1])
        return f"map({trino_type_name(key)}, {trino_type_name(value)})"
    if upper.startswith("STRUCT(") and upper.endswith(")"):
        fields = []
        for field in _split_top(text[7:-1]):
            match = re.fullmatch(r'("(?:[^"]|"")*"|\S+)\s+(.*)', field.strip(), re.S)
            if match is None:
                raise ValueError(f"no Trino name for DuckDB type {duckdb_type}")
            name = match.group(1).strip('"').replace('""', '"')
            fields.append(f"{name} {trino_type_name(match.group(2))}")
        return f"row({', '.join(fields)})"
    raise ValueError(f"no Trino name for DuckDB type {duckdb_type}")


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


# -- registration ---------------------------------------------------------------------------


def _list(kind: Any) -> Any:
    return duckdb.list_type(kind)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``athena_*`` UDFs on ``con``."""
    boolean, integer = sqltypes.BOOLEAN, sqltypes.INTEGER
    regex: list[tuple[str, Callable[..., Any], list[Any], Any, pa.DataType]] = [
        ("athena_regexp_like", java_regex.like, [VARCHAR, VARCHAR], boolean, pa.bool_()),
        (
            "athena_regexp_extract",
            java_regex.extract,
            [VARCHAR, VARCHAR, BIGINT],
            VARCHAR,
            pa.string(),
        ),
        (
            "athena_regexp_extract_all",
            java_regex.extract_all,
            [VARCHAR, VARCHAR, BIGINT],
            _list(VARCHAR),
            pa.list_(pa.string()),
        ),
        (
            "athena_regexp_replace",
            java_regex.replace,
            [VARCHAR, VARCHAR, VARCHAR],
            VARCHAR,
            pa.string(),
        ),
        (
            "athena_regexp_split",
            java_regex.split,
            [VARCHAR, VARCHAR],
            _list(VARCHAR),
            pa.list_(pa.string()),
        ),
        ("athena_regexp_count", java_regex.count, [VARCHAR, VARCHAR], BIGINT, pa.int64()),
        (
            "athena_regexp_position",
            java_regex.position,
            [VARCHAR, VARCHAR, BIGINT, BIGINT],
            integer,
            pa.int32(),
        ),
        ("athena_url_part", url_part, [VARCHAR, VARCHAR], VARCHAR, pa.string()),
        ("athena_url_port", url_port, [VARCHAR], BIGINT, pa.int64()),
        ("athena_url_parameter", url_parameter, [VARCHAR, VARCHAR], VARCHAR, pa.string()),
        ("athena_url_encode", url_encode, [VARCHAR], VARCHAR, pa.string()),
        ("athena_url_decode", unquote_plus, [VARCHAR], VARCHAR, pa.string()),
        ("athena_crc32", zlib.crc32, [sqltypes.BLOB], BIGINT, pa.int64()),
        (
            "athena_to_base64url",
            lambda data: base64.urlsafe_b64encode(data).decode(),
            [sqltypes.BLOB],
            VARCHAR,
            pa.string(),
        ),
        (
            "athena_from_base64url",
            lambda text: base64.urlsafe_b64decode(text.encode()),
            [VARCHAR],
            sqltypes.BLOB,
            pa.binary(),
        ),
        ("athena_luhn_check", luhn_check, [VARCHAR], boolean, pa.bool_()),
        (
            "athena_human_readable_seconds",
            human_readable_seconds,
            [sqltypes.DOUBLE],
            VARCHAR,
            pa.string(),
        ),
        ("athena_double_text", java_double_text, [sqltypes.DOUBLE], VARCHAR, pa.string()),
        ("athena_from_base", from_base, [VARCHAR, BIGINT], BIGINT, pa.int64()),
        (
            "athena_decimal_divide",
            decimal_divide,
            [VARCHAR, VARCHAR, BIGINT],
            VARCHAR,
            pa.string(),
        ),
        (
            "athena_format",
            lambda pattern, kinds, values: java_format.render(
                pattern, kinds.split(",") if kinds else [], values
            ),
            [VARCHAR, VARCHAR, _list(VARCHAR)],
            VARCHAR,
            pa.string(),
        ),
        ("athena_type_name", trino_type_name, [VARCHAR], VARCHAR, pa.string()),
    ]
    for name, function, params, result, arrow_type in regex:
        con.create_function(
            name,
            _scalar(function, arrow_type, len(params)),
            params,
            result,
            type=ARROW,
            null_handling=SPECIAL,  # the functions return NULL for some values
        )
    con.create_function("athena_cbrt", cbrt, [sqltypes.DOUBLE], sqltypes.DOUBLE, type=ARROW)
    con.create_function(
        "athena_hll", _hll_udf, [_list(sqltypes.UBIGINT), BIGINT], BIGINT, type=ARROW
    )
