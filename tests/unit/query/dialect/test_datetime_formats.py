from __future__ import annotations

import datetime as dt

import pytest

from sandbox.query.dialect.datetime_formats import (
    format_java,
    java_to_duckdb,
    mysql_to_duckdb,
    parse_java,
    tokenize_java,
)
from sandbox.query.errors import UnsupportedError


def test_mysql_specifiers() -> None:
    assert mysql_to_duckdb("%Y-%m-%d %H:%i:%s.%f") == "%Y-%m-%d %H:%M:%S.%f"
    assert mysql_to_duckdb("%c/%e %k %l %T") == "%-m/%-d %-H %-I %H:%M:%S"
    assert mysql_to_duckdb("50%% %q") == "50%% q"  # MySQL: %x is x for unknown x


def test_mysql_unsupported_specifiers_are_named() -> None:
    with pytest.raises(UnsupportedError, match="date_parse specifier %X"):
        mysql_to_duckdb("%X", "date_parse")


def test_tokenize_quotes() -> None:
    tokens = tokenize_java("yyyy-MM-dd'T'HH''mm")
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
        ("yyyy-MM-dd'T'HH:mm:ssZ", "%Y-%m-%dT%H:%M:%S%z"),
        ("'100%' yyyy", "100%% %Y"),
    ],
)
def test_joda_patterns(pattern: str, duck: str) -> None:
    assert java_to_duckdb(pattern) == duck


@pytest.mark.parametrize("pattern", ["G yyyy", "ww", "kk", "SS", "ZZZ"])
def test_joda_letters_without_equivalent(pattern: str) -> None:
    with pytest.raises(UnsupportedError):
        java_to_duckdb(pattern)


def test_java_format_and_parse_round_trip() -> None:
    moment = dt.datetime(2023, 7, 3, 4, 5, 6)
    assert format_java(moment, "yyyy-MM-dd") == "2023-07-03"
    assert format_java(moment, "yyyyMM") == "202307"
    assert format_java(moment, "yyyy/MM/dd/HH") == "2023/07/03/04"
    assert format_java(moment, "dd-MMM-yy") == "03-Jul-23"
    assert parse_java("2023-07-03", "yyyy-MM-dd") == dt.datetime(2023, 7, 3)
    assert parse_java("202307", "yyyyMM") == dt.datetime(2023, 7, 1)


def test_parse_java_mismatch_is_named() -> None:
    with pytest.raises(UnsupportedError, match="does not match"):
        parse_java("2023/07", "yyyy-MM")
