"""Java DateTimeFormatter and Joda patterns: Firehose prefix renderings, parse(format(d))."""

import datetime as dt
import zoneinfo
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.core.javatime import ParseError, PatternError, compile_pattern, format_instant

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


# -- parse(format(d)) recovers what the pattern carries, in both flavours ----------------------


def _us_week(d: dt.datetime) -> tuple[int, int]:
    day = d.date()
    sunday = day - dt.timedelta(days=(day.weekday() + 1) % 7)
    year = (sunday + dt.timedelta(days=6)).year
    jan1 = dt.date(year, 1, 1)
    return year, (sunday - (jan1 - dt.timedelta(days=(jan1.weekday() + 1) % 7))).days // 7 + 1


def _carried(letter: str, count: int, flavour: str) -> Callable[[dt.datetime], object]:
    """What a letter run says about a datetime, written independently of the implementation."""

    def fraction(d: dt.datetime) -> object:
        return f"{d.microsecond:06d}"[: min(count, 6)]

    common: dict[str, Callable[[dt.datetime], object]] = {
        "M": lambda d: d.month,
        "d": lambda d: d.day,
        "D": lambda d: d.timetuple().tm_yday,
        "E": lambda d: d.weekday(),
        "a": lambda d: d.hour // 12,
        "G": lambda d: "AD",
        "h": lambda d: d.hour % 12,
        "K": lambda d: d.hour % 12,
        "k": lambda d: d.hour,
        "H": lambda d: d.hour,
        "m": lambda d: d.minute,
        "s": lambda d: d.second,
        "S": fraction,
        "Z": lambda d: d.utcoffset(),
    }
    if flavour == "java":
        common.update(
            {
                "u": lambda d: d.year,
                "y": lambda d: d.year,
                "Y": lambda d: _us_week(d)[0],
                "L": lambda d: d.month,
                "Q": lambda d: (d.month - 1) // 3,
                "q": lambda d: (d.month - 1) // 3,
                "w": lambda d: _us_week(d)[1],
                "W": lambda d: (d.day + (d.replace(day=1).weekday() + 1) % 7 - 1) // 7,
                "F": lambda d: (d.day - 1) // 7,
                "e": lambda d: d.weekday(),
                "c": lambda d: d.weekday(),
                "n": lambda d: d.microsecond,
                "N": lambda d: (d.hour, d.minute, d.second, d.microsecond),
                "A": lambda d: (d.hour, d.minute, d.second, d.microsecond // 1000),
                **{z: (lambda d: d.utcoffset()) for z in "VvzOXx"},
            }
        )
    else:
        common.update(
            {
                "y": lambda d: d.year,
                "Y": lambda d: d.year,
                "x": lambda d: d.isocalendar()[0],
                "w": lambda d: d.isocalendar()[1],
                "e": lambda d: d.weekday(),
                "C": lambda d: d.year // 100,
            }
        )
    get = common[letter]
    if count == 2 and (letter in "uyY" or (letter == "x" and flavour == "joda")):
        return lambda d: get(d) % 100  # type: ignore[operator]
    return get


# Whole date groups (a date is fully given, so the extra fields below can be checked), time
# groups and zone groups, for every letter and the widths that read back what they write.
_GROUPS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "java": (
        [
            "uuuu-MM-dd",
            "yyyy-M-d",
            "yy-MMM-dd",
            "yyyy-MMMM-d",
            "yyyy-LLL-dd",
            "uuuu DDD",
            "yyyy D",
            "yyyy DD",
            "YYYY-ww-e",
            "YYYY w c",
            "YY ww ee",
            "YYYY-ww-EEE",
            "yyyyMMdd",
            "[uuuu-MM-dd]",
        ],
        [
            "EEE",
            "EEEE",
            "e",
            "ccc",
            "cccc",
            "Q",
            "QQ",
            "QQQ",
            "QQQQ",
            "qqqqq",
            "W",
            "F",
            "G",
            "GGGG",
            "w",
            "YYYY",
            "DDD",
        ],
        [
            "HH:mm:ss",
            "H m s",
            "hh:mm a",
            "h:m:s a",
            "KK mm a",
            "kk:mm",
            "HH:mm:ss.SSS",
            "HH mm ss SSSSSS",
            "HH:mm:ss.SSSSSSSSS",
            "HH:mm:ss n",
            "A",
            "N",
            "HHmmss",
            "ppH:mm",
            "",
        ],
        ["", "XXX", "X", "xx", "XXXXX", "Z", "ZZZZ", "ZZZZZ", "O", "OOOO", "VV", "zzzz", "[XXX]"],
    ),
    "joda": (
        [
            "yyyy-MM-dd",
            "y-M-d",
            "yy-MMM-dd",
            "YYYY-MMMM-dd",
            "yyyy DDD",
            "y D",
            "xxxx-ww-e",
            "xx-w-e",
            "xxxx ww EEEE",
            "CC yy MM dd",
            "yyyyMMdd",
        ],
        ["E", "EEE", "EEEE", "e", "ee", "G", "CC", "D", "xxxx", "w"],
        [
            "HH:mm:ss",
            "H:m:s",
            "hh:mm a",
            "K:mm a",
            "kk:mm",
            "HH:mm:ss.SSS",
            "HH:mm:ss.S",
            "HH:mm:ss.SSSSSS",
            "HHmmss",
            "",
        ],
        ["", "Z", "ZZ", "ZZZ"],
    ),
}
_ZONES = [
    dt.UTC,
    zoneinfo.ZoneInfo("Asia/Tokyo"),
    dt.timezone(dt.timedelta(hours=-3, minutes=-30)),
    dt.timezone(dt.timedelta(hours=5, minutes=45)),
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["java", "joda"]),
    st.data(),
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2069, 12, 31)),
    st.sampled_from(_ZONES),
)
def test_parse_recovers_what_format_wrote(
    flavour: str, data: st.DataObject, moment: dt.datetime, zone: dt.tzinfo
) -> None:
    dates, extras, times, zones = _GROUPS[flavour]
    parts = [data.draw(st.sampled_from(dates))]
    parts += data.draw(st.lists(st.sampled_from(extras), max_size=3))
    parts += [data.draw(st.sampled_from(times)), data.draw(st.sampled_from(zones))]
    pattern = " ".join(p for p in parts if p)
    if flavour == "java" and ("zzzz" in pattern or "VV" in pattern) and zone is not dt.UTC:
        zone = zoneinfo.ZoneInfo("Asia/Tokyo")  # a zone id reads back; a bare offset may not
    aware = moment.replace(tzinfo=zone)
    compiled = compile_pattern(pattern, flavour)  # type: ignore[arg-type]
    text = compiled.format(aware)
    parsed = compiled.parse(text, pivot_year=2020)
    for token in compiled.tokens:
        if token.letter and token.letter not in "[]":
            get = _carried(token.letter, token.count, flavour)
            assert get(parsed) == get(aware), (pattern, text, token, parsed)


@pytest.mark.parametrize(
    ("pattern", "flavour", "text", "expected"),
    [
        # Joda: Y is year of era, x the ISO weekyear, e ISO day-of-week, k 1-24, C century.
        ("YYYY-MM-dd", "joda", "2024-02-29", dt.datetime(2024, 2, 29)),
        ("xxxx-'W'ww-e", "joda", "2020-W53-5", dt.datetime(2021, 1, 1)),
        ("kk:mm", "joda", "24:00", dt.datetime(1970, 1, 1)),
        ("dd/MM/yyyy HH:mm", "joda", "18/06/2023 14:27", dt.datetime(2023, 6, 18, 14, 27)),
        ("d MMM yyyy", "joda", "5 september 2023", dt.datetime(2023, 9, 5)),  # full or short
        ("yy", "joda", "2023", dt.datetime(2023, 1, 1)),  # lenient two-digit year
        # Java: Y is the US week-based year, e the localized day (Sunday = 1).
        ("YYYY-ww-e", "java", "2024-01-1", dt.datetime(2023, 12, 31)),
        (
            "yyyy-MM-dd'T'HH:mm:ssX",
            "java",
            "2020-05-11T11:15:05Z",
            dt.datetime(2020, 5, 11, 11, 15, 5, tzinfo=dt.UTC),
        ),
        ("uuuu-MM-dd[ HH:mm]", "java", "2020-05-11", dt.datetime(2020, 5, 11)),
    ],
)
def test_parse_examples(pattern: str, flavour: str, text: str, expected: dt.datetime) -> None:
    assert compile_pattern(pattern, flavour).parse(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "flavour", "text"),
    [
        ("EEE yyyy-MM-dd", "java", "Mon 2023-12-31"),  # the day name must agree
        ("MM", "java", "7"),  # Java's MM is exactly two digits
        ("MMM", "java", "aug"),  # Java's text is case-sensitive
        ("yyyy-MM-dd", "joda", "2023-02-30"),
        ("hh a", "joda", "13 PM"),
        ("yyyy-MM-dd HH:mm", "joda", "2023-01-01 10:00 trailing"),
    ],
)
def test_parse_rejects(pattern: str, flavour: str, text: str) -> None:
    with pytest.raises(ParseError):
        compile_pattern(pattern, flavour).parse(text)  # type: ignore[arg-type]


def test_joda_reads_the_same_letters_differently() -> None:
    moment = dt.datetime(2023, 12, 31, 0, 30, tzinfo=dt.UTC)  # a Sunday
    assert compile_pattern("Y e k C", "joda").format(moment) == "2023 7 24 20"
    assert compile_pattern("Y e k", "java").format(moment) == "2024 1 24"
    assert compile_pattern("ZZ ZZZ", "joda").format(moment) == "+00:00 UTC"
    with pytest.raises(PatternError, match="Illegal pattern component: q"):
        compile_pattern("q", "joda")
    with pytest.raises(PatternError, match="time zone names"):
        compile_pattern("z", "joda").parse("UTC")
