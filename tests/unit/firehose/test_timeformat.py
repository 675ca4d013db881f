"""Java DateTimeFormatter patterns as used in ``!{timestamp:...}``."""

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.firehose.timeformat import PatternError, compile_pattern, format_instant

MOMENT = dt.datetime(2018, 8, 27, 10, 30, 5, 123456, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # Patterns from the developer guide's "Custom prefixes" examples.
        ("yyyy", "2018"),
        ("yyyy/MM/dd", "2018/08/27"),
        ("yyyy/MM/dd/HH/", "2018/08/27/10/"),
        ("'year='yyyy'/month='MM'/day='dd'/hour='HH", "year=2018/month=08/day=27/hour=10"),
        ("yyyy-MM-dd", "2018-08-27"),
        ("yyyy'-'MM'-'dd", "2018-08-27"),
        # Letters users reach for.
        ("yy", "18"),
        ("M/d", "8/27"),
        ("MMM", "Aug"),
        ("MMMM", "August"),
        ("MMMMM", "A"),
        ("HH:mm:ss", "10:30:05"),
        ("H", "10"),
        ("hh a", "10 AM"),
        ("SSS", "123"),
        ("SSSSSS", "123456"),
        ("EEE", "Mon"),
        ("EEEE", "Monday"),
        ("DDD", "239"),
        ("D", "239"),
        ("Q", "3"),
        ("w", "35"),
        ("e", "2"),
        ("u", "2018"),
        ("k", "10"),
        ("K", "10"),
        ("''", "'"),
        ("'it''s' yyyy", "it's 2018"),
        ("[yyyy]", "2018"),
        ("XXX", "Z"),
        ("xx", "+0000"),
        ("Z", "+0000"),
        ("VV", "UTC"),
        ("O", "GMT"),
        ("G", "AD"),
        ("pppH", " 10"),
        ("yyyy/MM/dd HH:mm", "2018/08/27 10:30"),
        ("-_/=.", "-_/=."),
    ],
)
def test_documented_and_common_patterns(pattern: str, expected: str) -> None:
    assert compile_pattern(pattern).format(MOMENT) == expected


def test_twelve_hour_clock_and_midnight() -> None:
    midnight = dt.datetime(2024, 1, 1, 0, 5, tzinfo=dt.UTC)
    afternoon = dt.datetime(2024, 1, 1, 13, 5, tzinfo=dt.UTC)
    assert compile_pattern("h a").format(midnight) == "12 AM"
    assert compile_pattern("hh a").format(afternoon) == "01 PM"
    assert compile_pattern("k").format(midnight) == "24"


def test_zone_offsets_follow_the_time_zone() -> None:
    tokyo = MOMENT.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert compile_pattern("HH XXX").format(tokyo) == "19 +09:00"
    assert compile_pattern("Z").format(tokyo) == "+0900"
    assert compile_pattern("VV").format(tokyo) == "Asia/Tokyo"
    assert format_instant("yyyy-MM-dd HH", MOMENT.timestamp(), zoneinfo.ZoneInfo("Asia/Tokyo")) == (
        "2018-08-27 19"
    )


def test_week_based_year_at_the_turn_of_the_year() -> None:
    # Sunday 2023-12-31 starts the US week that holds 2024-01-01: week 1 of 2024.
    moment = dt.datetime(2023, 12, 31, tzinfo=dt.UTC)
    assert compile_pattern("YYYY-ww").format(moment) == "2024-01"


@pytest.mark.parametrize("pattern", ["ddd", "HHH", "b", "yyyy{", "#", "'open", "aa", "]", "VVV"])
def test_invalid_patterns_raise(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


_TOKENS = {
    "yyyy": "%Y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
    "/": "/",
    "-": "-",
    "=": "=",
    "'lit'": "lit",
    "'x=y'": "x=y",
}


@given(
    st.lists(st.sampled_from(sorted(_TOKENS)), min_size=1, max_size=12),
    st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1)),
)
def test_formatter_agrees_with_strftime(tokens: list[str], moment: dt.datetime) -> None:
    # Adjacent runs of one letter would merge ("MMMM" is a month name) and adjacent quoted
    # literals too ('a''b' is a'b): keep a separator between them, as a real pattern would.
    parts: list[str] = []
    for token in tokens:
        if parts and (
            (parts[-1][-1].isalpha() and token[0].isalpha())
            or (parts[-1][-1] == "'" and token[0] == "'")
        ):
            parts.append("/")
        parts.append(token)
    java = "".join(parts)
    strftime = "".join(_TOKENS[p] for p in parts)
    aware = moment.replace(tzinfo=dt.UTC)
    assert compile_pattern(java).format(aware) == aware.strftime(strftime)


@given(st.text(max_size=30))
def test_any_pattern_either_compiles_or_raises_pattern_error(pattern: str) -> None:
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        return
    assert isinstance(compiled.format(MOMENT), str)
