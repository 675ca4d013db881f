"""Date/time format strings of the Athena world, as DuckDB evaluates them.

Owns two pattern languages on the query side:

* MySQL-style specifiers used by Athena's ``date_format``/``date_parse`` (``%Y-%m-%d %H:%i:%s``),
  converted to DuckDB's ``strftime``/``strptime`` codes; the specifiers Athena rejects
  (``%D %U %u %V %w %X %x``) raise :class:`~sandbox.query.errors.UnsupportedError`;
* Joda patterns (``format_datetime``/``parse_datetime``) and Java ``DateTimeFormatter``
  patterns (the SerDe's ``timestamp.formats``), whose meaning lives in
  :mod:`sandbox.core.javatime`. :func:`duckdb_codes` is the fast path: the DuckDB codes of a
  pattern when DuckDB gives the same text (dates, clock fields, fractions of 3/6/9 digits,
  English names, and, when formatting, zone fields, which are constant because the session
  zone is UTC as on Athena). Any other pattern (week-based years, ``e``, ``k``, ``K``, ``C``,
  ``G``, day-of-week or two-digit years when parsing, a pattern without a year when parsing,
  zone names...) runs through Python scalar UDFs (:func:`register_functions`, on every query
  connection) that evaluate it with the shared implementation.

Patterns the shared implementation refuses raise
:class:`~sandbox.query.errors.QueryError` (Trino refuses them too), constructs it does not
reproduce :class:`~sandbox.query.errors.UnsupportedError`: never a silently different format.
Not reproduced on the fast path: DuckDB's leniency where Java is strict (``MM`` parses ``7``).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
from duckdb import sqltypes
from duckdb.func import ARROW, SPECIAL

from sandbox.core import javatime
from sandbox.query.errors import QueryError, UnsupportedError

# Athena (Trino) date_format/date_parse specifiers -> DuckDB. Source: Trino docs, "Date and time
# functions" -> "MySQL date functions".
MYSQL_TO_DUCKDB = {
    "a": "%a",
    "b": "%b",
    "c": "%-m",
    "d": "%d",
    "e": "%-d",
    "f": "%f",
    "H": "%H",
    "h": "%I",
    "I": "%I",
    "i": "%M",
    "j": "%j",
    "k": "%-H",
    "l": "%-I",
    "M": "%B",
    "m": "%m",
    "p": "%p",
    "r": "%I:%M:%S %p",
    "S": "%S",
    "s": "%S",
    "T": "%H:%M:%S",
    "v": "%V",
    "W": "%A",
    "Y": "%Y",
    "y": "%y",
    "%": "%%",
}
# Documented by Trino as "not supported".
MYSQL_UNSUPPORTED = frozenset("DUuVwXx")


def mysql_to_duckdb(pattern: str, function: str = "date_format") -> str:
    """Convert an Athena ``date_format``/``date_parse`` pattern to DuckDB's strftime codes."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char != "%":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(pattern):
            out.append("%%")
            break
        spec = pattern[i + 1]
        if spec in MYSQL_UNSUPPORTED:
            raise UnsupportedError(f"{function} specifier %{spec}", "Athena rejects it too")
        if spec == "y" and function == "date_parse":
            # Trino reads two-digit years in 2000-2099 ('69' is 2069); DuckDB pivots at 1969.
            raise UnsupportedError("date_parse specifier %y", "two-digit years")
        # MySQL: "%x -> x, for any x not listed above".
        out.append(MYSQL_TO_DUCKDB.get(spec, "%%" if spec == "%" else spec))
        i += 2
    return "".join(out)


# The UDFs of the slow path: (value, pattern, flavour) -> value.
FORMAT_FUNCTION = "athena_javatime_format"  # TIMESTAMPTZ -> VARCHAR
PARSE_FUNCTION = "athena_javatime_parse"  # VARCHAR -> TIMESTAMPTZ, fails on a mismatch
TRY_PARSE_FUNCTION = "athena_javatime_try_parse"  # VARCHAR -> TIMESTAMP (UTC) or NULL

_UTC_SAMPLE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_ZONE_LETTERS = {javatime.JAVA: frozenset("VvzOXxZ"), javatime.JODA: frozenset("zZ")}
_YEAR_LETTERS = {javatime.JAVA: frozenset("yu"), javatime.JODA: frozenset("yY")}


def compiled(pattern: str, *, joda: bool, parsing: bool, what: str) -> javatime.CompiledPattern:
    """The shared pattern, with its errors as the query stage's (``what`` names the argument)."""
    flavour = javatime.JODA if joda else javatime.JAVA
    try:
        pattern_obj = javatime.compile_pattern(pattern, flavour)
        if parsing:
            pattern_obj.ensure_parsable()
    except javatime.NotReproducedError as error:
        raise UnsupportedError(f"{what} {pattern!r}: {error}") from None
    except javatime.PatternError as error:
        raise QueryError(f"INVALID_FUNCTION_ARGUMENT: {what} {pattern!r}: {error}") from None
    return pattern_obj


def _number(code: str, count: int) -> str | None:
    return {1: code.replace("%", "%-", 1), 2: code}.get(count)


def duckdb_codes(pattern: str, *, joda: bool = True, parsing: bool = False) -> str | None:
    """DuckDB ``strftime``/``strptime`` codes giving the same text, or None (use the UDFs).

    Raises ``javatime.PatternError`` for an invalid pattern.
    """
    flavour = javatime.JODA if joda else javatime.JAVA
    tokens = javatime.tokenize(pattern, flavour)
    out: list[str] = []
    has_year = False
    for token in tokens:
        letter, count = token.letter, token.count
        if not letter:
            out.append(token.text.replace("%", "%%"))
            continue
        if letter in "[]" or token.pad:
            if parsing or token.pad:
                return None
            continue  # an optional section is always printed when every field is there
        code: str | None = None
        if letter in _YEAR_LETTERS[flavour]:
            has_year = True
            if count == 4 or (parsing and count == 1):
                code = "%Y"
            elif count == 2 and not parsing:  # DuckDB's %y pivot is neither Java's nor Joda's
                code = "%y"
        elif letter in ("ML" if not joda else "M"):
            code = {1: "%-m", 2: "%m", 3: "%b", 4: "%B"}.get(count if not joda else min(count, 4))
        elif letter in "dHhms":
            code = _number({"d": "%d", "H": "%H", "h": "%I", "m": "%M", "s": "%S"}[letter], count)
        elif letter == "D":
            code = {1: "%-j", 3: "%j"}.get(count)
        elif letter == "S":
            # 9 digits: %f and zeros (timestamps are microseconds; DuckDB 1.5 mis-sizes %n).
            code = {3: "%g", 6: "%f", 9: "%f000"}.get(count)
        elif letter == "a":
            code = "%p"
        elif letter == "E" and not parsing:  # DuckDB's strptime ignores a wrong day name
            code = "%a" if count <= 3 else ("%A" if count == 4 or joda else None)
        elif letter in _ZONE_LETTERS[flavour]:
            if parsing:
                # DuckDB's %z reads +HHMM and +HH:MM (not "Z": Java's X goes to the UDF).
                if letter == "Z" and count <= (2 if joda else 3):
                    code = "%z"
            else:
                # The session zone is UTC, so a zone field is constant text.
                sample = javatime.compile_pattern(letter * count, flavour).format(_UTC_SAMPLE)
                code = sample.replace("%", "%%")
        if code is None:
            return None
        out.append(code)
    if parsing and not has_year:
        return None  # DuckDB's default year is 1900, Joda's and Java's here 1970
    # DuckDB refuses an empty format (a pattern such as "[" prints nothing): the UDF prints ''.
    return "".join(out) or None


def _as_list(values: pa.Array | pa.ChunkedArray) -> list[object]:
    return values.to_pylist()


def _format_udf(
    values: pa.ChunkedArray, patterns: pa.ChunkedArray, flavours: pa.ChunkedArray
) -> pa.Array:
    out: list[str | None] = []
    for value, pattern, flavour in zip(
        _as_list(values), _as_list(patterns), _as_list(flavours), strict=True
    ):
        if value is None or pattern is None:
            out.append(None)
            continue
        assert isinstance(value, dt.datetime)
        compiled_pattern = javatime.compile_pattern(str(pattern), _flavour(flavour))
        out.append(compiled_pattern.format(value.astimezone(dt.UTC)))
    return pa.array(out, type=pa.string())


def _flavour(value: object) -> javatime.Flavour:
    return javatime.JODA if value == javatime.JODA else javatime.JAVA


def _parse_all(
    texts: pa.ChunkedArray, patterns: pa.ChunkedArray, flavours: pa.ChunkedArray, *, strict: bool
) -> list[dt.datetime | None]:
    out: list[dt.datetime | None] = []
    for text, pattern, flavour in zip(
        _as_list(texts), _as_list(patterns), _as_list(flavours), strict=True
    ):
        if text is None or pattern is None:
            out.append(None)
            continue
        compiled_pattern = javatime.compile_pattern(str(pattern), _flavour(flavour))
        try:
            moment = compiled_pattern.parse(str(text), zone=dt.UTC)
        except javatime.ParseError:
            if strict:
                raise
            out.append(None)
            continue
        out.append(moment.astimezone(dt.UTC))
    return out


def _parse_udf(
    texts: pa.ChunkedArray, patterns: pa.ChunkedArray, flavours: pa.ChunkedArray
) -> pa.Array:
    # Trino's parse_datetime fails the query on a text that does not match.
    return pa.array(
        _parse_all(texts, patterns, flavours, strict=True), type=pa.timestamp("us", tz="UTC")
    )


def _try_parse_udf(
    texts: pa.ChunkedArray, patterns: pa.ChunkedArray, flavours: pa.ChunkedArray
) -> pa.Array:
    moments = _parse_all(texts, patterns, flavours, strict=False)
    naive = [None if m is None else m.replace(tzinfo=None) for m in moments]
    return pa.array(naive, type=pa.timestamp("us"))


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Create the UDFs of the slow path on ``con`` (vectorised: Arrow arrays in and out)."""
    varchar = sqltypes.VARCHAR
    con.create_function(
        FORMAT_FUNCTION,
        _format_udf,
        [sqltypes.TIMESTAMP_TZ, varchar, varchar],
        varchar,
        type=ARROW,
    )
    con.create_function(
        PARSE_FUNCTION, _parse_udf, [varchar, varchar, varchar], sqltypes.TIMESTAMP_TZ, type=ARROW
    )
    con.create_function(
        TRY_PARSE_FUNCTION,
        _try_parse_udf,
        [varchar, varchar, varchar],
        sqltypes.TIMESTAMP,
        type=ARROW,
        null_handling=SPECIAL,  # it returns NULL for a text no pattern matches
    )
