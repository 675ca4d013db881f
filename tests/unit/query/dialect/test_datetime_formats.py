"""Date patterns on the query side: MySQL specifiers, the DuckDB fast path, the Python UDFs."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sandbox.core import javatime
from sandbox.query.dialect.datetime_formats import (
    FORMAT_FUNCTION,
    PARSE_FUNCTION,
    TRY_PARSE_FUNCTION,
    compiled,
    duckdb_codes,
    mysql_to_duckdb,
    register_functions,
)
from sandbox.query.errors import QueryError, UnsupportedError


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    register_functions(connection)
    return connection


def test_mysql_specifiers() -> None:
    assert mysql_to_duckdb("%Y-%m-%d %H:%i:%s.%f") == "%Y-%m-%d %H:%M:%S.%f"
    assert mysql_to_duckdb("%c/%e %k %l %T") == "%-m/%-d %-H %-I %H:%M:%S"
    assert mysql_to_duckdb("50%% %q") == "50%% q"  # MySQL: %x is x for unknown x


def test_mysql_unsupported_specifiers_are_named() -> None:
    with pytest.raises(UnsupportedError, match="date_parse specifier %X"):
        mysql_to_duckdb("%X", "date_parse")


def test_tokenize_quotes() -> None:
    tokens = javatime.tokenize("yyyy-MM-dd'T'HH''mm", javatime.JODA)
    assert [(t.letter, t.count, t.text) for t in tokens] == [
        ("y", 4, ""),
        ("", 0, "-"),
        ("M", 2, ""),
        ("", 0, "-"),
        ("d", 2, ""),
        ("", 0, "T"),
        ("H", 2, ""),
        ("", 0, "'"),
        ("m", 2, ""),
    ]


@pytest.mark.parametrize(
    ("pattern", "duck"),
    [
        ("yyyy-MM-dd HH:mm:ss", "%Y-%m-%d %H:%M:%S"),
        ("yy/M/d H:m:s", "%y/%-m/%-d %-H:%-M:%-S"),
        ("dd MMM yyyy", "%d %b %Y"),
        ("EEEE, MMMM d", "%A, %B %-d"),
        ("hh:mm a", "%I:%M %p"),
        ("ss.SSS", "%S.%g"),
        ("ss.SSSSSS", "%S.%f"),
        # A zone field is constant text: the session zone is UTC (DuckDB's %z prints "+00").
        ("yyyy-MM-dd'T'HH:mm:ssZ", "%Y-%m-%dT%H:%M:%S+0000"),
        ("HH:mm ZZ ZZZ", "%H:%M +00:00 UTC"),
        ("'100%' yyyy", "100%% %Y"),
    ],
)
def test_joda_patterns_fast_path(pattern: str, duck: str) -> None:
    assert duckdb_codes(pattern) == duck


@pytest.mark.parametrize(
    ("pattern", "duck"),
    [
        ("yyyy-MM-dd HH:mm:ss", "%Y-%m-%d %H:%M:%S"),
        ("dd/MMM/yyyy:HH:mm:ss.SSS", "%d/%b/%Y:%H:%M:%S.%g"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "%Y-%m-%dT%H:%M:%S%z"),
    ],
)
def test_joda_parsing_fast_path(pattern: str, duck: str) -> None:
    assert duckdb_codes(pattern, parsing=True) == duck


@pytest.mark.parametrize(
    "pattern", ["G yyyy", "xxxx-'W'ww", "e", "kk", "KK a", "CC", "SS", "ddd", "w"]
)
def test_joda_patterns_duckdb_cannot_express_go_to_the_udf(pattern: str) -> None:
    assert duckdb_codes(pattern) is None


@pytest.mark.parametrize(
    "pattern",
    # A wrong day name, two-digit years (DuckDB's pivot), no year (DuckDB defaults to 1900),
    # Java's X ("Z" for UTC), zone names.
    ["EEE yyyy-MM-dd", "yy-MM-dd", "HH:mm", "yyyy-MM-dd HH:mmX", "yyyy z", "yyyy [MM]"],
)
def test_parsing_that_duckdb_would_get_wrong_goes_to_the_udf(pattern: str) -> None:
    assert duckdb_codes(pattern, joda=not pattern.endswith(("X", "]")), parsing=True) is None


def test_invalid_and_unreproduced_patterns_are_named() -> None:
    with pytest.raises(QueryError, match="Illegal pattern component: q"):
        compiled("yyyy q", joda=True, parsing=False, what="format_datetime format")
    with pytest.raises(QueryError, match="time zone names"):
        compiled("yyyy z", joda=True, parsing=True, what="parse_datetime format")
    with pytest.raises(UnsupportedError, match="narrow text"):
        compiled("MMMMM yyyy", joda=False, parsing=True, what="timestamp.formats pattern")


def test_udfs(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        f"SELECT {FORMAT_FUNCTION}(TIMESTAMPTZ '2023-12-31 13:05:00+00', 'xxxx-''W''ww e, h a', "
        f"'joda'), {PARSE_FUNCTION}('2024-W01-1', 'xxxx-''W''ww-e', 'joda')::VARCHAR, "
        f"{TRY_PARSE_FUNCTION}('nope', 'yyyy', 'java'), "
        f"{TRY_PARSE_FUNCTION}('2024-01-01T10:00+02:00', 'yyyy-MM-dd''T''HH:mmXXX', 'java')"
    ).fetchone()
    assert row == (
        "2023-W52 7, 1 PM",
        "2024-01-01 00:00:00+00",
        None,
        dt.datetime(2024, 1, 1, 8, 0),
    )
    with pytest.raises(duckdb.InvalidInputException, match="Invalid format"):
        con.execute(f"SELECT {PARSE_FUNCTION}('2024-13', 'yyyy-MM', 'joda')").fetchall()


# Every letter/width the fast path may take (formatting), in both flavours.
_FAST_TOKENS = [
    "yyyy",
    "yy",
    "M",
    "MM",
    "MMM",
    "MMMM",
    "d",
    "dd",
    "D",
    "DDD",
    "H",
    "HH",
    "h",
    "hh",
    "m",
    "mm",
    "s",
    "ss",
    "SSS",
    "SSSSSS",
    "SSSSSSSSS",
    "a",
    "E",
    "EEE",
    "EEEE",
    "Z",
    "'lit'",
]
_JODA_ONLY = ["ZZ", "ZZZ", "z", "zzzz", "YYYY", "MMMMM", "EEEEE"]
_JAVA_ONLY = ["uuuu", "LLL", "X", "XXX", "xx", "VV", "O", "z", "[", "]"]


@settings(max_examples=60, deadline=None)
@given(
    st.booleans(),
    st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=8),
    st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)),
)
def test_fast_path_and_udf_give_the_same_text(
    con: duckdb.DuckDBPyConnection, joda: bool, picks: list[int], moment: dt.datetime
) -> None:
    vocabulary = _FAST_TOKENS + (_JODA_ONLY if joda else _JAVA_ONLY)
    pattern = " ".join(vocabulary[i % len(vocabulary)] for i in picks)
    if not joda and pattern.count("[") != pattern.count("]"):
        pattern = pattern.replace("[", "").replace("]", "")
    try:
        codes = duckdb_codes(pattern, joda=joda)
    except javatime.PatternError:  # "] [": balanced, but Java rejects it too
        assume(False)
        return
    flavour = "joda" if joda else "java"
    value = moment.replace(tzinfo=dt.UTC)
    if codes is None:  # only a pattern that prints nothing, which DuckDB cannot express
        assert javatime.compile_pattern(pattern, flavour).format(value) == "", pattern
        return
    fast, slow = con.execute(
        f"SELECT strftime($1::TIMESTAMPTZ, $2), {FORMAT_FUNCTION}($1::TIMESTAMPTZ, $3, $4)",
        [value, codes, pattern, flavour],
    ).fetchone() or (None, None)
    assert fast == slow == javatime.compile_pattern(pattern, flavour).format(value), pattern


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        ["yyyy-MM-dd HH:mm:ss", "dd/MMM/yyyy:HH:mm:ss.SSS", "yyyy-M-d h:m:s a", "yyyy DDD"]
    ),
    st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)),
)
def test_fast_path_parsing_reads_what_the_shared_code_writes(
    con: duckdb.DuckDBPyConnection, pattern: str, moment: dt.datetime
) -> None:
    text = javatime.compile_pattern(pattern, javatime.JODA).format(moment)
    codes = duckdb_codes(pattern, parsing=True)
    assert codes is not None
    fast, slow = (
        con.execute(
            f"SELECT strptime($1, $2)::TIMESTAMPTZ, {PARSE_FUNCTION}($1, $3, 'joda')",
            [text, codes, pattern],
        )
        .arrow()
        .read_all()
        .to_pylist()[0]
        .values()
    )
    assert fast == slow == javatime.compile_pattern(pattern, javatime.JODA).parse(text, zone=dt.UTC)
