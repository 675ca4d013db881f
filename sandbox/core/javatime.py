"""Java ``DateTimeFormatter`` and Joda-Time ``DateTimeFormat`` patterns: one tokenizer, both ways.

Owns the pattern languages the AWS side speaks, compiled once (``compile_pattern``) into an
object that renders an aware ``datetime`` (``format``) and reads text back (``parse``) with the
same field rules, so every letter renders and parses the same way for every consumer:

* flavour ``"java"`` — ``java.time.format.DateTimeFormatter.ofPattern`` ("Patterns for
  Formatting and Parsing" in its Javadoc): Firehose's ``!{timestamp:...}`` prefixes (developer
  guide, "Custom prefixes for Amazon S3 objects": "valid Java DateTimeFormatter strings"),
  Athena partition projection's ``projection.<col>.format`` and the Hive SerDe property
  ``timestamp.formats``. Letters ``G u y D M L d Q q Y w W E e c F a h K k H m s S A n N V v z
  O X x Z``, the ``p`` pad modifier, ``[...]`` optional sections; reserved ``# { }`` and unknown
  letters raise ``PatternError`` with Java's wording. Week fields (``Y w W e c``) use the US
  week (Sunday first, minimal days 1), text the English (``Locale.US``) names.
* flavour ``"joda"`` — Joda-Time ``DateTimeFormat.forPattern`` (joda.org, "Formatting",
  pattern-based table): Trino's ``format_datetime``/``parse_datetime`` (Trino docs, "Date and
  time functions" -> "Java date functions": "the format expected by JodaTime's DateTimeFormat")
  and Firehose's ``HiveJsonSerDe`` ``TimestampFormats``. Letters ``G C Y x w e E y D M d a K h
  H k m s S z Z``: ``y`` is the (signed) year, ``Y`` year of era, ``x`` the ISO weekyear, ``w``
  its week, ``e`` the ISO day-of-week number (Monday = 1), ``C`` century of era, ``k`` the
  1-24 clock hour; a count is a minimum width (``ddd`` is ``011``), any other non-letter is
  literal text, ``yy`` parses with Joda's pivot (30 years before today, a 100-year window).

Parsing matches the whole text; missing fields default to 1970-01-01T00:00 (Joda's rule, used
for both); a field that is parsed but not needed to build the value (a day-of-week next to a
full date, ``a`` next to ``H``) must agree with the result, or the text does not match. A text
with an offset or zone id gives an aware ``datetime``, otherwise a naive one.

Not reproduced: localized zone names (``z`` renders the abbreviation Python knows, Java
``zzzz`` the IANA id, Joda ``zzzz`` only "Coordinated Universal Time"; Java parses ``z`` as a
zone id, ``UTC`` or ``GMT`` only, Joda cannot parse ``z`` at all, as Joda itself), narrow text
(``MMMMM``, ``EEEEE``) when parsing, ``G`` beyond AD/BC, ``B`` (day period), Joda's millisecond
precision (fractions keep microseconds), years outside 1..9999 (Python's ``datetime``).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = [
    "JAVA",
    "JODA",
    "CompiledPattern",
    "Flavour",
    "NotReproducedError",
    "ParseError",
    "PatternError",
    "Token",
    "compile_pattern",
    "format_instant",
    "tokenize",
]

Flavour = Literal["java", "joda"]
JAVA: Flavour = "java"
JODA: Flavour = "joda"


class PatternError(ValueError):
    """The pattern is not valid in its flavour (Java's / Joda's own wording)."""


class NotReproducedError(PatternError):
    """The pattern is valid but holds a construct this implementation does not reproduce."""


class ParseError(ValueError):
    """The text does not match the pattern."""


_Renderer = Callable[[dt.datetime], str]

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
QUARTERS = ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"]

# Letters Java reserves or that are not pattern letters at all raise "Unknown pattern letter".
_JAVA_LETTERS = frozenset("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp")
_JODA_LETTERS = frozenset("GCYxweEyDMdaKhHkmsSzZ")
# Joda's DateTimeFormat.isNumericToken: a number directly after these is parsed at fixed width.
_JODA_NUMERIC = frozenset("cCdDeFhHkKmsSwWxyY")


@dataclass(frozen=True)
class Token:
    """One element of a pattern: a run of one letter, literal text, or ``[``/``]`` (Java)."""

    letter: str  # "" for literal text; "[" / "]" for Java's optional sections
    count: int = 0
    text: str = ""
    pad: int = 0  # Java's ``p`` modifier: pad the field to this width with spaces


# -- the calendar fields ----------------------------------------------------------------------


def _us_week_fields(d: dt.date) -> tuple[int, int]:
    """(week-based-year, week-of-week-based-year) for WeekFields.of(Locale.US)."""
    dow = (d.weekday() + 1) % 7  # Sunday-based day index 0..6
    week_start = d - dt.timedelta(days=dow)
    # With minimalDays=1 the week holding Jan 1 is week 1 of that year, so a week belongs to
    # the year its Saturday falls in.
    year = (week_start + dt.timedelta(days=6)).year
    week = (week_start - _us_week1_start(year)).days // 7 + 1
    return year, week


def _us_week1_start(year: int) -> dt.date:
    jan1 = dt.date(year, 1, 1)
    return jan1 - dt.timedelta(days=(jan1.weekday() + 1) % 7)


def _week_of_month(d: dt.datetime) -> int:
    first = d.date().replace(day=1)
    offset = (first.weekday() + 1) % 7  # Sunday-based
    return (d.day + offset - 1) // 7 + 1


def _year_of_era(d: dt.datetime) -> int:
    return d.year if d.year > 0 else 1 - d.year


# The value each parse key stands for, read off a datetime: used to render numbers and to check
# that a parsed field agrees with the value the other fields built.
_COMMON: dict[str, Callable[[dt.datetime], int]] = {
    "year": lambda d: d.year,
    "year2": lambda d: d.year % 100,
    "yoe": _year_of_era,
    "era": lambda d: 1 if d.year > 0 else 0,
    "century": lambda d: _year_of_era(d) // 100,
    "month": lambda d: d.month,
    "quarter": lambda d: (d.month - 1) // 3 + 1,
    "day": lambda d: d.day,
    "doy": lambda d: d.timetuple().tm_yday,
    "dow": lambda d: d.isoweekday(),
    "wom": _week_of_month,
    "awom": lambda d: (d.day - 1) // 7 + 1,
    "ampm": lambda d: d.hour // 12,
    "hour": lambda d: d.hour,
    "hour_ampm": lambda d: d.hour % 12,
    "minute": lambda d: d.minute,
    "second": lambda d: d.second,
    "micro": lambda d: d.microsecond,
    "mod": lambda d: ((d.hour * 60 + d.minute) * 60 + d.second) * 1000 + d.microsecond // 1000,
    "nod": lambda d: ((d.hour * 60 + d.minute) * 60 + d.second) * 10**9 + d.microsecond * 1000,
}
_GETTERS: dict[str, dict[str, Callable[[dt.datetime], int]]] = {
    JAVA: {
        **_COMMON,
        "wby": lambda d: _us_week_fields(d.date())[0],
        "wby2": lambda d: _us_week_fields(d.date())[0] % 100,
        "week": lambda d: _us_week_fields(d.date())[1],
    },
    JODA: {
        **_COMMON,
        "wby": lambda d: d.isocalendar()[0],
        "wby2": lambda d: d.isocalendar()[0] % 100,
        "week": lambda d: d.isocalendar()[1],
    },
}


# -- zones ------------------------------------------------------------------------------------


def _offset_seconds(d: dt.datetime) -> int:
    off = d.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _offset(d: dt.datetime, *, colon: bool, minutes: str, zero: str | None) -> str:
    """Render a zone offset. ``minutes``: 'always' | 'nonzero'."""
    total = _offset_seconds(d)
    if total == 0 and zero is not None:
        return zero
    sign = "+" if total >= 0 else "-"
    hours, rem = divmod(abs(total), 3600)
    mins, secs = divmod(rem, 60)
    sep = ":" if colon else ""
    out = f"{sign}{hours:02d}"
    if minutes == "always" or mins or secs:
        out += f"{sep}{mins:02d}"
    if secs:
        out += f"{sep}{secs:02d}"
    return out


def _localized_offset(d: dt.datetime, full: bool) -> str:
    total = _offset_seconds(d)
    if total == 0:
        return "GMT"
    sign = "+" if total > 0 else "-"
    hours, rem = divmod(abs(total), 3600)
    mins = rem // 60
    if full:
        return f"GMT{sign}{hours:02d}:{mins:02d}"
    return f"GMT{sign}{hours}" + (f":{mins:02d}" if mins else "")


def _zone_id(d: dt.datetime) -> str:
    if d.tzinfo is dt.UTC or d.tzinfo is None:
        return "UTC"
    key = getattr(d.tzinfo, "key", None)
    if key:
        return str(key)
    return "Z" if _offset_seconds(d) == 0 else _offset(d, colon=True, minutes="always", zero=None)


_OFFSET_RE = r"[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?"
_ZONE_ID_RE = r"[A-Za-z][A-Za-z0-9_+\-/]*|[+-]\d{2}:\d{2}(?::\d{2})?"


def _read_offset(text: str) -> tuple[str, object]:
    if text in ("Z", "GMT", "UTC", "UT"):
        return "offset", 0
    body = text.removeprefix("GMT")
    sign = -1 if body[0] == "-" else 1
    parts = body[1:].split(":") if ":" in body else [body[1:3], body[3:5], body[5:7]]
    hours, mins, secs = (int(p) if p else 0 for p in [*parts, "", "", ""][:3])
    if hours > 18 or mins > 59 or secs > 59:
        raise ValueError(text)
    return "offset", sign * (hours * 3600 + mins * 60 + secs)


def _read_zone(text: str) -> tuple[str, object]:
    if text in ("Z", "UTC", "GMT", "UT"):
        return "zone", dt.UTC
    if text[0] in "+-":  # a ZoneOffset's id
        return _read_offset(text)
    try:
        return "zone", zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(text) from error


# -- fields -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """How one letter run renders, and (``regex``) how it parses, into parse key ``key``."""

    render: _Renderer
    regex: str | None = None  # None: this field cannot be parsed; ``unparsable`` says why
    read: Callable[[str], tuple[str, object]] | None = None
    unparsable: str = ""
    reproduced: bool = True  # False: the flavour parses it, this implementation does not


def _keyed(key: str, convert: Callable[[str], int] = int) -> Callable[[str], tuple[str, object]]:
    return lambda text: (key, convert(text))


def _choice(names: list[str], joda: bool) -> str:
    alternatives = sorted({n for n in names if n}, key=len, reverse=True)
    body = "|".join(re.escape(n) for n in alternatives)
    return f"(?i:{body})" if joda else f"(?:{body})"


def _index_reader(
    key: str, table: dict[str, int], joda: bool
) -> Callable[[str], tuple[str, object]]:
    folded = {k.lower(): v for k, v in table.items()} if joda else table
    return lambda text: (key, folded[text.lower() if joda else text])


def _text_field(
    key: str,
    names: list[str],
    index_of: Callable[[dt.datetime], int],
    values: list[int],
    count: int,
    joda: bool,
) -> _Field:
    """Text presentation: short (<= 3 letters), full (4), narrow (5, Java only)."""
    if joda:
        style = names if count >= 4 else [n[:3] for n in names]
        # Joda's text parser accepts the full and the short form, case-insensitively.
        table = {n: v for n, v in zip(names, values, strict=True)}
        table.update({n[:3]: v for n, v in zip(names, values, strict=True)})
        return _Field(
            lambda d: style[index_of(d)],
            _choice(list(table), joda),
            _index_reader(key, table, joda),
        )
    if count <= 3:
        style = [n[:3] for n in names]
    elif count == 4:
        style = names
    elif count == 5:
        narrow = [n[:1] for n in names]
        return _Field(
            lambda d: narrow[index_of(d)],
            unparsable="narrow text cannot be parsed unambiguously",
            reproduced=False,
        )
    else:
        raise PatternError("Too many pattern letters")
    table = {n: v for n, v in zip(style, values, strict=True)}
    return _Field(
        lambda d: style[index_of(d)], _choice(style, joda), _index_reader(key, table, joda)
    )


def _java_number(
    key: str, get: Callable[[dt.datetime], int], count: int, max_count: int, letter: str
) -> _Field:
    if count > max_count:
        raise PatternError(f"Too many pattern letters: {letter}")
    if count == 1:
        return _Field(lambda d: str(get(d)), r"\d{1,19}", _keyed(key))
    return _Field(lambda d: str(get(d)).zfill(count), rf"\d{{{count}}}", _keyed(key))


def _joda_number(
    key: str,
    get: Callable[[dt.datetime], int],
    count: int,
    max_digits: int,
    convert: Callable[[str], int] = int,
) -> _Field:
    # Joda's appendDecimal(field, minDigits=count, maxDigits): max(maxDigits, count) digits parse.
    return _Field(
        lambda d: str(get(d)).zfill(count),
        rf"\d{{1,{max(max_digits, count)}}}",
        _keyed(key, convert),
    )


def _signed_year(get: Callable[[dt.datetime], int], count: int, exceeds_pad: bool) -> _Renderer:
    def render(d: dt.datetime) -> str:
        value = get(d)
        digits = str(abs(value)).zfill(count if count >= 3 else 1)
        sign = "-" if value < 0 else ""
        # SignStyle.EXCEEDS_PAD for 4+ letters: a '+' when the year is wider than the pad.
        if exceeds_pad and value >= 0 and count >= 4 and len(digits) > count:
            sign = "+"
        return sign + digits

    return render


def _reduced(key: str) -> str:
    """The parse key of a two-digit form: a reduced week-based year or a reduced year."""
    return "wby2" if key == "wby" else "year2"


def _java_year(key: str, get: Callable[[dt.datetime], int], count: int) -> _Field:
    if count == 2:
        # Reduced value: the last two digits, base 2000, as Java's appendValueReduced.
        return _Field(lambda d: f"{get(d) % 100:02d}", r"\d{2}", _keyed(_reduced(key)))
    low = count if count >= 3 else 1
    return _Field(_signed_year(get, count, True), rf"[+-]?\d{{{low},19}}", _keyed(key))


def _joda_year(
    key: str, get: Callable[[dt.datetime], int], count: int, before_number: bool
) -> _Field:
    if count == 2:
        render: _Renderer = lambda d: f"{abs(get(d)) % 100:02d}"  # noqa: E731
        if before_number:
            return _Field(render, r"\d{2}", _keyed(_reduced(key)))

        # Lenient two-digit year: anything but exactly two digits is a full year.
        def read(text: str) -> tuple[str, object]:
            return (_reduced(key), int(text)) if len(text) == 2 else (key, int(text))

        return _Field(render, r"[+-]?\d+", read)
    max_digits = count if before_number else 9

    def joda_render(d: dt.datetime) -> str:
        value = get(d)
        return ("-" if value < 0 else "") + str(abs(value)).zfill(count)

    return _Field(joda_render, rf"[+-]?\d{{1,{max(max_digits, count)}}}", _keyed(key))


def _fraction(count: int, joda: bool) -> _Field:
    def read(text: str) -> tuple[str, object]:
        return "micro", int(text.ljust(9, "0")[:6])

    render: _Renderer = lambda d: f"{d.microsecond * 1000:09d}"[:count].ljust(count, "0")  # noqa: E731
    # Java: appendFraction(NANO_OF_SECOND, count, count) - exactly count digits; Joda:
    # appendFractionOfSecond(count, 9) - up to nine.
    return _Field(render, r"\d{1,9}" if joda else rf"\d{{{count}}}", read)


def _zone_text_field(
    render: _Renderer, regex: str, reader: Callable[[str], tuple[str, object]]
) -> _Field:
    return _Field(render, regex, reader)


def _java_field(letter: str, count: int, next_numeric: bool) -> _Field:
    g = _GETTERS[JAVA]
    if letter == "u":
        return _java_year("year", g["year"], count)
    if letter == "y":
        return _java_year("yoe", g["yoe"], count)
    if letter == "Y":
        return _java_year("wby", g["wby"], count)
    if letter in "ML":
        if count <= 2:
            return _java_number("month", g["month"], count, 2, letter)
        return _text_field("month", MONTHS, lambda d: d.month - 1, list(range(1, 13)), count, False)
    if letter == "d":
        return _java_number("day", g["day"], count, 2, letter)
    if letter == "D":
        if count > 3:
            raise PatternError("Too many pattern letters: D")
        regex = {1: r"\d{1,19}", 2: r"\d{2,3}", 3: r"\d{3}"}[count]
        return _Field(lambda d: str(g["doy"](d)).zfill(count), regex, _keyed("doy"))
    if letter in "Qq":
        if count <= 2:
            return _java_number("quarter", g["quarter"], count, 2, letter)
        if count == 3:
            return _Field(
                lambda d: f"Q{g['quarter'](d)}", r"Q[1-4]", _keyed("quarter", lambda t: int(t[1]))
            )
        if count == 4:
            return _Field(
                lambda d: QUARTERS[g["quarter"](d) - 1],
                _choice(QUARTERS, False),
                lambda t: ("quarter", QUARTERS.index(t) + 1),
            )
        if count == 5:
            return _Field(lambda d: str(g["quarter"](d)), r"[1-4]", _keyed("quarter"))
        raise PatternError(f"Too many pattern letters: {letter}")
    if letter == "w":
        return _java_number("week", g["week"], count, 2, letter)
    if letter == "W":
        return _java_number("wom", g["wom"], count, 1, letter)
    if letter == "F":
        return _java_number("awom", g["awom"], count, 1, letter)
    if letter == "E":
        return _text_field("dow", DAYS, lambda d: d.weekday(), list(range(1, 8)), count, False)
    if letter in "ec":
        if letter == "c" and count == 2:
            raise PatternError('Invalid pattern "cc"')
        if count <= 2:
            # Localized day-of-week number, Sunday = 1 in Locale.US.
            field = _java_number("dow", lambda d: d.isoweekday() % 7 + 1, count, 2, letter)
            return _Field(field.render, field.regex, _keyed("dow", _local_dow))
        return _text_field("dow", DAYS, lambda d: d.weekday(), list(range(1, 8)), count, False)
    if letter == "a":
        if count > 1:
            raise PatternError("Too many pattern letters: a")
        return _Field(
            lambda d: "AM" if d.hour < 12 else "PM",
            r"(?:AM|PM)",
            lambda t: ("ampm", 0 if t == "AM" else 1),
        )
    if letter == "G":
        if count > 5:
            raise PatternError("Too many pattern letters: G")
        names = {
            1: ("BC", "AD"),
            2: ("BC", "AD"),
            3: ("BC", "AD"),
            4: ("Before Christ", "Anno Domini"),
            5: ("B", "A"),
        }[count]
        return _Field(
            lambda d: names[g["era"](d)],
            _choice(list(names), False),
            lambda t: ("era", names.index(t)),
        )
    if letter == "h":
        field = _java_number("hour_ampm", lambda d: (d.hour % 12) or 12, count, 2, letter)
        return _Field(field.render, field.regex, _keyed("hour_ampm", _clock12))
    if letter == "K":
        field = _java_number("hour_ampm", g["hour_ampm"], count, 2, letter)
        return _Field(field.render, field.regex, _keyed("hour_ampm", _hour11))
    if letter == "k":
        field = _java_number("hour", lambda d: d.hour or 24, count, 2, letter)
        return _Field(field.render, field.regex, _keyed("hour", _clock24))
    if letter in "Hms":
        key = {"H": "hour", "m": "minute", "s": "second"}[letter]
        return _java_number(key, g[key], count, 2, letter)
    if letter == "S":
        if count > 9:
            raise PatternError("Too many pattern letters: S")
        return _fraction(count, False)
    if letter == "n":
        field = _java_number("micro", lambda d: d.microsecond * 1000, count, 19, letter)
        return _Field(field.render, rf"\d{{{count},19}}", _keyed("micro", _nanos_to_micros))
    if letter in "NA":
        key = "nod" if letter == "N" else "mod"
        field = _java_number(key, g[key], count, 19, letter)
        return _Field(field.render, rf"\d{{{count},19}}", _keyed(key))
    if letter == "V":
        if count != 2:
            raise PatternError("Pattern letter count must be 2: V")
        return _zone_text_field(_zone_id, _ZONE_ID_RE, _read_zone)
    if letter == "v":
        if count not in (1, 4):
            raise PatternError("Wrong number of pattern letters: v")
        return _zone_text_field(_zone_id, _ZONE_ID_RE, _read_zone)
    if letter == "z":
        if count > 4:
            raise PatternError("Too many pattern letters: z")
        if count == 4:
            return _zone_text_field(_zone_id, _ZONE_ID_RE, _read_zone)
        return _zone_text_field(lambda d: d.tzname() or "UTC", _ZONE_ID_RE, _read_zone)
    if letter == "O":
        if count not in (1, 4):
            raise PatternError("Pattern letter count must be 1 or 4: O")
        return _zone_text_field(
            lambda d: _localized_offset(d, full=count == 4),
            r"GMT(?:[+-]\d{1,2}(?::\d{2}(?::\d{2})?)?)?",
            _read_offset,
        )
    if letter in "Xx":
        zero = "Z" if letter == "X" else None
        styles = {
            1: (False, "nonzero"),
            2: (False, "always"),
            3: (True, "always"),
            4: (False, "always"),
            5: (True, "always"),
        }
        if count not in styles:
            raise PatternError(f"Too many pattern letters: {letter}")
        colon, minutes = styles[count]
        regex = f"Z|{_OFFSET_RE}" if zero else _OFFSET_RE
        return _zone_text_field(
            lambda d: _offset(d, colon=colon, minutes=minutes, zero=zero),
            f"(?:{regex})",
            _read_offset,
        )
    if letter == "Z":
        if count <= 3:
            return _zone_text_field(
                lambda d: _offset(d, colon=False, minutes="always", zero=None),
                _OFFSET_RE,
                _read_offset,
            )
        if count == 4:
            return _zone_text_field(
                lambda d: _localized_offset(d, full=True),
                r"GMT(?:[+-]\d{1,2}(?::\d{2}(?::\d{2})?)?)?",
                _read_offset,
            )
        if count == 5:
            return _zone_text_field(
                lambda d: _offset(d, colon=True, minutes="always", zero="Z"),
                f"(?:Z|{_OFFSET_RE})",
                _read_offset,
            )
        raise PatternError("Too many pattern letters: Z")
    raise PatternError(f"Unknown pattern letter: {letter}")


def _joda_field(letter: str, count: int, next_numeric: bool) -> _Field:
    g = _GETTERS[JODA]
    if letter == "y":
        return _joda_year("year", g["year"], count, next_numeric)
    if letter == "Y":
        return _joda_year("yoe", g["yoe"], count, next_numeric)
    if letter == "x":
        return _joda_year("wby", g["wby"], count, next_numeric)
    if letter == "C":
        return _joda_number("century", g["century"], count, count)
    if letter == "G":
        eras = ("BC", "AD")
        return _Field(
            lambda d: eras[g["era"](d)],
            _choice(list(eras), True),
            lambda t: ("era", eras.index(t.upper())),
        )
    if letter == "M":
        if count <= 2:
            return _joda_number("month", g["month"], count, 2)
        return _text_field("month", MONTHS, lambda d: d.month - 1, list(range(1, 13)), count, True)
    if letter == "E":
        return _text_field("dow", DAYS, lambda d: d.weekday(), list(range(1, 8)), count, True)
    if letter == "e":
        return _joda_number("dow", g["dow"], count, 1)
    if letter == "a":
        return _Field(
            lambda d: "AM" if d.hour < 12 else "PM",
            r"(?i:AM|PM)",
            lambda t: ("ampm", 0 if t.upper() == "AM" else 1),
        )
    if letter == "h":
        return _joda_number("hour_ampm", lambda d: (d.hour % 12) or 12, count, 2, _clock12)
    if letter == "K":
        return _joda_number("hour_ampm", g["hour_ampm"], count, 2, _hour11)
    if letter == "k":
        return _joda_number("hour", lambda d: d.hour or 24, count, 2, _clock24)
    if letter in "dHmsw":
        key = {"d": "day", "H": "hour", "m": "minute", "s": "second", "w": "week"}[letter]
        return _joda_number(key, g[key], count, 2)
    if letter == "D":
        return _joda_number("doy", g["doy"], count, 3)
    if letter == "S":
        return _fraction(count, True)
    if letter == "z":

        def name(d: dt.datetime) -> str:
            short = d.tzname() or "UTC"
            if count < 4:
                return short
            return (
                "Coordinated Universal Time"
                if _offset_seconds(d) == 0 and short in ("UTC", "GMT")
                else _zone_id(d)
            )

        return _Field(name, unparsable="time zone names ('z') cannot be parsed, as in Joda-Time")
    if letter == "Z":
        if count <= 2:
            # appendTimeZoneOffset(null, "Z", colon, 2, 2): prints +0000, parses "Z" too.
            return _Field(
                lambda d: _offset(d, colon=count == 2, minutes="always", zero=None),
                f"(?:Z|{_OFFSET_RE})",
                _read_offset,
            )
        return _Field(_zone_id, _ZONE_ID_RE, _read_zone)
    raise PatternError(f"Illegal pattern component: {letter * count}")


def _ranged(
    low: int, high: int, convert: Callable[[int], int] = lambda v: v
) -> Callable[[str], int]:
    """A reader of a number in ``[low, high]`` (else ValueError), converted to the field's value."""

    def read(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return convert(value)

    return read


# Locale.US day-of-week number (Sunday = 1) to ISO (Monday = 1).
_local_dow = _ranged(1, 7, lambda v: (v - 2) % 7 + 1)
_clock12 = _ranged(1, 12, lambda v: v % 12)
_hour11 = _ranged(0, 11)
_clock24 = _ranged(1, 24, lambda v: v % 24)
_nanos_to_micros = _ranged(0, 10**9 - 1, lambda v: v // 1000)


# -- tokenizing -------------------------------------------------------------------------------


def _java_tokens(pattern: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    depth = 0
    pad_next = 0
    while i < n:
        ch = pattern[i]
        if ch == "'":
            end = i + 1
            literal = []
            while True:
                if end >= n:
                    raise PatternError(f"Pattern ends with an incomplete string literal: {pattern}")
                if pattern[end] == "'":
                    if end + 1 < n and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            # '' outside a literal is a single quote.
            tokens.append(Token("", text="'" if end == i + 1 else "".join(literal)))
            i = end + 1
            continue
        if ch == "[":
            depth += 1
            tokens.append(Token("["))
            i += 1
            continue
        if ch == "]":
            if depth == 0:
                raise PatternError(
                    "Pattern invalid as it contains ] without previous [: " + pattern
                )
            depth -= 1
            tokens.append(Token("]"))
            i += 1
            continue
        if ch in "{}#":
            raise PatternError(f"Pattern includes reserved character: '{ch}'")
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            count = j - i
            if ch not in _JAVA_LETTERS:
                raise PatternError(f"Unknown pattern letter: {ch}")
            if ch == "p":
                pad_next = count
                i = j
                continue
            if ch == "B":
                raise PatternError("Unknown pattern letter: B")
            _java_field(ch, count, False)  # validates the count, with Java's message
            tokens.append(Token(ch, count, pad=pad_next))
            pad_next = 0
            i = j
            continue
        tokens.append(Token("", text=ch))
        i += 1
    # An unclosed optional section is accepted by Java (it is closed at the end).
    tokens.extend(Token("]") for _ in range(depth))
    return tokens


def _joda_tokens(pattern: str) -> list[Token]:
    # DateTimeFormat.parseToken: quoting as Java's, but an unterminated quote runs to the end and
    # every non-letter is literal text ("[", "#", "{" included).
    tokens: list[Token] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            if ch not in _JODA_LETTERS:
                raise PatternError(f"Illegal pattern component: {pattern[i:j]}")
            tokens.append(Token(ch, j - i))
            i = j
            continue
        if ch == "'":
            if pattern.startswith("''", i):
                tokens.append(Token("", text="'"))
                i += 2
                continue
            literal = []
            j = i + 1
            while j < n:
                if pattern[j] == "'":
                    if pattern.startswith("''", j):
                        literal.append("'")
                        j += 2
                        continue
                    j += 1
                    break
                literal.append(pattern[j])
                j += 1
            tokens.append(Token("", text="".join(literal)))
            i = j
            continue
        tokens.append(Token("", text=ch))
        i += 1
    return tokens


def _merge_literals(tokens: list[Token]) -> tuple[Token, ...]:
    merged: list[Token] = []
    for token in tokens:
        if not token.letter and merged and not merged[-1].letter:
            merged[-1] = Token("", text=merged[-1].text + token.text)
        else:
            merged.append(token)
    return tuple(merged)


def tokenize(pattern: str, flavour: Flavour = JAVA) -> tuple[Token, ...]:
    """The pattern's tokens (adjacent literals merged); raises ``PatternError`` when invalid."""
    return compile_pattern(pattern, flavour).tokens


def _is_numeric(token: Token | None) -> bool:
    if token is None or not token.letter:
        return False
    if token.letter == "M":
        return token.count <= 2
    return token.letter in _JODA_NUMERIC


# -- the compiled pattern ---------------------------------------------------------------------


class CompiledPattern:
    """A parsed pattern: ``format(aware_datetime) -> str`` and ``parse(text) -> datetime``."""

    __slots__ = ("_fields", "_parser", "_parts", "flavour", "pattern", "tokens")

    def __init__(self, pattern: str, flavour: Flavour, tokens: tuple[Token, ...]) -> None:
        self.pattern = pattern
        self.flavour = flavour
        self.tokens = tokens
        build = _java_field if flavour == JAVA else _joda_field
        fields: list[_Field | None] = []
        for index, token in enumerate(tokens):
            if token.letter and token.letter not in "[]":
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                fields.append(build(token.letter, token.count, _is_numeric(following)))
            else:
                fields.append(None)
        self._fields = fields
        parts: list[str | _Renderer] = []
        for token, field in zip(tokens, fields, strict=True):
            if field is None:
                if not token.letter:
                    parts.append(token.text)
                continue
            render = field.render
            if token.pad:
                render = _padded(render, token.pad)
            parts.append(render)
        self._parts = parts
        self._parser: tuple[re.Pattern[str], list[_Field]] | None = None

    def format(self, moment: dt.datetime) -> str:
        return "".join(p if isinstance(p, str) else p(moment) for p in self._parts)

    def _compiled_parser(self) -> tuple[re.Pattern[str], list[_Field]]:
        if self._parser is None:
            regex: list[str] = []
            groups: list[_Field] = []
            joda = self.flavour == JODA
            for token, field in zip(self.tokens, self._fields, strict=True):
                if field is None:
                    if token.letter == "[":
                        regex.append("(?:")
                    elif token.letter == "]":
                        regex.append(")?")
                    else:
                        literal = re.escape(token.text)
                        # Joda matches literal text case-insensitively.
                        regex.append(f"(?i:{literal})" if joda and literal else literal)
                    continue
                if field.regex is None or field.read is None:
                    error = PatternError if field.reproduced else NotReproducedError
                    raise error(f"{field.unparsable}: {token.letter * token.count}")
                pad = " *" if token.pad else ""
                regex.append(f"{pad}({field.regex})")
                groups.append(field)
            self._parser = (re.compile("".join(regex), re.ASCII), groups)
        return self._parser

    def ensure_parsable(self) -> None:
        """Raise ``PatternError`` now if the pattern holds a field that cannot be parsed."""
        self._compiled_parser()

    def parse(
        self,
        text: str,
        *,
        zone: dt.tzinfo | None = None,
        pivot_year: int | None = None,
    ) -> dt.datetime:
        """Read ``text`` back; aware when it carries an offset/zone (else ``zone`` if given).

        Raises ``ParseError`` when the text does not match, ``PatternError`` when the pattern
        holds a field that cannot be parsed. ``pivot_year``: Joda's two-digit-year pivot
        (default: 30 years before today, as ``DateTimeFormat``).
        """
        regex, groups = self._compiled_parser()
        match = regex.fullmatch(text)
        if match is None:
            raise ParseError(f'Invalid format: "{text}" does not match {self.pattern!r}')
        values: dict[str, object] = {}
        try:
            for field, raw in zip(groups, match.groups(), strict=True):
                if raw is None:  # an optional section that was not there
                    continue
                assert field.read is not None
                key, value = field.read(raw)
                if values.setdefault(key, value) != value:
                    raise ValueError(f"conflicting values for {key}")
            return _resolve(values, self.flavour, zone, pivot_year)
        except (ValueError, OverflowError, KeyError) as error:
            raise ParseError(f'Invalid format: "{text}" for {self.pattern!r}: {error}') from None


def _padded(renderer: _Renderer, width: int) -> _Renderer:
    return lambda d: renderer(d).rjust(width)


def _two_digit(value: int, flavour: Flavour, pivot_year: int | None) -> int:
    if flavour == JAVA:
        return 2000 + value
    pivot = dt.date.today().year - 30 if pivot_year is None else pivot_year
    # Joda's TwoDigitYear: the year in [pivot - 50, pivot + 50) ending in those two digits.
    low = pivot - 50
    year = low - low % 100 + value
    return year + 100 if year < low else year


def _resolve(
    f: dict[str, object], flavour: Flavour, zone: dt.tzinfo | None, pivot_year: int | None
) -> dt.datetime:
    ints: dict[str, int] = {k: v for k, v in f.items() if isinstance(v, int)}
    ints.pop("offset", None)
    used: set[str] = set()

    # Years: proleptic, else year-of-era (+ era), else reduced, else century.
    year_keys: set[str] = set()
    year: int | None = None
    if "year" in ints:
        year, year_keys = ints["year"], {"year"}
    elif "yoe" in ints:
        era = ints.get("era", 1)
        year = ints["yoe"] if era == 1 else 1 - ints["yoe"]
        year_keys = {"yoe", "era"} & ints.keys()
    elif "year2" in ints:
        year, year_keys = _two_digit(ints["year2"], flavour, pivot_year), {"year2"}
    elif "century" in ints:
        year, year_keys = ints["century"] * 100, {"century"}
    if "wby2" in ints and "wby" not in ints:
        ints["wby"] = _two_digit(ints["wby2"], flavour, pivot_year)
        used.add("wby2")

    # Time of day.
    if "nod" in ints:
        used.add("nod")
        secs, nanos = divmod(ints["nod"], 10**9)
        hour, minute, second, micro = secs // 3600, secs // 60 % 60, secs % 60, nanos // 1000
    elif "mod" in ints:
        used.add("mod")
        secs, millis = divmod(ints["mod"], 1000)
        hour, minute, second, micro = secs // 3600, secs // 60 % 60, secs % 60, millis * 1000
    else:
        if "hour" in ints:
            hour = ints["hour"]
            used.add("hour")
        else:
            hour = ints.get("hour_ampm", 0) + 12 * ints.get("ampm", 0)
            used.update({"hour_ampm", "ampm"} & ints.keys())
        minute, second, micro = ints.get("minute", 0), ints.get("second", 0), ints.get("micro", 0)
        used.update({"minute", "second", "micro"} & ints.keys())

    tz: dt.tzinfo | None = zone
    if isinstance(f.get("zone"), dt.tzinfo):
        tz = f["zone"]  # type: ignore[assignment]
    elif "offset" in f:
        offset = int(f["offset"])  # type: ignore[call-overload]
        tz = dt.UTC if offset == 0 else dt.timezone(dt.timedelta(seconds=offset))

    java = flavour == JAVA
    if year is not None:
        candidates = [year]
    elif "wby" in ints:
        candidates = [ints["wby"], ints["wby"] - 1, ints["wby"] + 1]
    else:
        candidates = [1970]
    getters = _GETTERS[flavour]
    last_error: Exception = ValueError("no date")
    for candidate in candidates:
        chosen = set(used)
        try:
            if {"month", "day"} & ints.keys() or (
                "quarter" in ints and not {"doy", "wby", "week"} & ints.keys()
            ):
                month = ints.get("month")
                if month is None and "quarter" in ints:
                    month = (ints["quarter"] - 1) * 3 + 1
                    chosen.add("quarter")
                chosen.update(year_keys | ({"month", "day"} & ints.keys()))
                date = dt.date(candidate, month or 1, ints.get("day", 1))
            elif "doy" in ints and (year_keys - {"century"} or not {"wby", "week"} & ints.keys()):
                # A day of year goes with a year; next to week fields and no year, it is checked.
                chosen.update(year_keys | {"doy"})
                date = dt.date(candidate, 1, 1) + dt.timedelta(days=ints["doy"] - 1)
                if date.year != candidate:
                    raise ValueError("day of year out of range")
            elif {"wby", "week"} & ints.keys():
                # The week fields decide; a year next to them is only checked.
                wby, week = ints.get("wby", candidate), ints.get("week", 1)
                dow = ints.get("dow", 7 if java else 1)
                chosen.update({"wby", "week", "dow"} & ints.keys())
                if java:
                    date = _us_week1_start(wby) + dt.timedelta(days=(week - 1) * 7 + dow % 7)
                else:
                    date = dt.date.fromisocalendar(wby, week, dow)
            else:
                chosen.update(year_keys)
                date = dt.date(candidate, 1, 1)
                if "dow" in ints:
                    # A day of week alone: that day in the week of January 1st.
                    chosen.add("dow")
                    if java:  # Sunday-first weeks
                        start = date - dt.timedelta(days=(date.weekday() + 1) % 7)
                        date = start + dt.timedelta(days=ints["dow"] % 7)
                    else:
                        date = date - dt.timedelta(days=date.weekday() - ints["dow"] + 1)
            moment = dt.datetime(date.year, date.month, date.day, hour, minute, second, micro)
            for key, value in ints.items():
                if key not in chosen and key in getters and getters[key](moment) != value:
                    raise ValueError(f"{key} {value} does not agree with {moment.isoformat()}")
        except (ValueError, OverflowError) as error:
            last_error = error
            continue
        return moment.replace(tzinfo=tz) if tz is not None else moment
    raise last_error


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, flavour: Flavour = JAVA) -> CompiledPattern:
    """Parse ``pattern`` once; raises ``PatternError`` like ``ofPattern`` / ``forPattern``."""
    if flavour not in (JAVA, JODA):
        raise ValueError(f"unknown pattern flavour {flavour!r}")
    tokens = _java_tokens(pattern) if flavour == JAVA else _joda_tokens(pattern)
    return CompiledPattern(pattern, flavour, _merge_literals(tokens))


def format_instant(
    pattern: str, epoch_seconds: float, tz: dt.tzinfo = dt.UTC, flavour: Flavour = JAVA
) -> str:
    """Format the instant ``epoch_seconds`` in ``tz`` with a pattern."""
    moment = dt.datetime.fromtimestamp(epoch_seconds, tz)
    return compile_pattern(pattern, flavour).format(moment)
