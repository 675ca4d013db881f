"""Java ``DateTimeFormatter`` patterns, as Firehose evaluates them in ``!{timestamp:...}``.

Owns: compiling a pattern string once (``compile_pattern``) into a formatter that renders an
aware ``datetime``, with the pattern letters, widths and quoting rules of
``java.time.format.DateTimeFormatter.ofPattern`` (Firehose developer guide, "Custom prefixes
for Amazon S3 objects": "Valid values for this namespace are strings that are valid Java
DateTimeFormatter strings"). Invalid patterns raise ``PatternError`` with Java's wording, so the
prefix validator can reject them at CreateDeliveryStream time.

Text fields use the English (``Locale.US``) names; week-based fields (``Y w W e c F``) use the US
week definition (weeks start on Sunday, minimal days in the first week = 1).

Not reproduced yet: localized zone names (``z`` gives the abbreviation Python knows, ``zzzz`` the
IANA id), ``G`` beyond AD/BC, ``B`` (day period) and the reserved ``#{}`` letters (rejected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

__all__ = ["CompiledPattern", "PatternError", "compile_pattern", "format_instant"]


class PatternError(ValueError):
    """The pattern is not a valid DateTimeFormatter pattern."""


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

# Letters Java reserves or that are not pattern letters at all raise "Unknown pattern letter".
_PATTERN_LETTERS = set("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp")


def _text(values: list[str], count: int) -> Callable[[int], str]:
    if count <= 3:
        return lambda i: values[i][:3]
    if count == 4:
        return lambda i: values[i]
    if count == 5:
        return lambda i: values[i][:1]
    raise PatternError("Too many pattern letters")


def _number(
    get: Callable[[dt.datetime], int], count: int, max_count: int, letter: str
) -> _Renderer:
    if count > max_count:
        raise PatternError(f"Too many pattern letters: {letter}")
    if count == 1:
        return lambda d: str(get(d))
    return lambda d: str(get(d)).zfill(count)


def _year(get: Callable[[dt.datetime], int], count: int) -> _Renderer:
    if count == 2:
        # Reduced value: the last two digits (base 2000), as Java's appendValueReduced.
        return lambda d: f"{get(d) % 100:02d}"

    def render(d: dt.datetime) -> str:
        value = get(d)
        digits = str(abs(value)).zfill(count if count >= 3 else 1)
        sign = "-" if value < 0 else ""
        # SignStyle.EXCEEDS_PAD for 4+ letters: a '+' when the year is wider than the pad.
        if value >= 0 and count >= 4 and len(digits) > count:
            sign = "+"
        return sign + digits

    return render


def _us_week_fields(d: dt.datetime) -> tuple[int, int]:
    """(week-based-year, week-of-week-based-year) for WeekFields.of(Locale.US)."""
    day = d.date()
    # Sunday-based day index 0..6.
    dow = (day.weekday() + 1) % 7
    week_start = day - dt.timedelta(days=dow)
    # With minimalDays=1 the week holding Jan 1 is week 1 of that year, so a week belongs to
    # the year its Saturday falls in.
    year = (week_start + dt.timedelta(days=6)).year
    jan1 = dt.date(year, 1, 1)
    first_week_start = jan1 - dt.timedelta(days=(jan1.weekday() + 1) % 7)
    week = (week_start - first_week_start).days // 7 + 1
    return year, week


def _week_of_month(d: dt.datetime) -> int:
    first = d.date().replace(day=1)
    offset = (first.weekday() + 1) % 7  # Sunday-based
    return (d.day + offset - 1) // 7 + 1


def _offset_seconds(d: dt.datetime) -> int:
    off = d.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _offset(d: dt.datetime, *, colon: bool, minutes: str, zero: str | None) -> str:
    """Render a zone offset. ``minutes``: 'always' | 'nonzero'."""
    total = _offset_seconds(d)
    if total == 0 and zero is not None:
        return zero
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    hours, rem = divmod(total, 3600)
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
    if d.tzinfo is dt.UTC:
        return "UTC"
    key = getattr(d.tzinfo, "key", None)
    if key:
        return str(key)
    return "Z" if _offset_seconds(d) == 0 else _offset(d, colon=True, minutes="always", zero=None)


def _field(letter: str, count: int) -> _Renderer:
    if letter in "uy":
        return _year(lambda d: d.year, count)
    if letter == "Y":
        return _year(lambda d: _us_week_fields(d)[0], count)
    if letter in "ML":
        if count <= 2:
            return _number(lambda d: d.month, count, 2, letter)
        month_text = _text(MONTHS, count)
        return lambda d: month_text(d.month - 1)
    if letter == "d":
        return _number(lambda d: d.day, count, 2, letter)
    if letter == "D":
        if count > 3:
            raise PatternError("Too many pattern letters: D")
        return lambda d: str(d.timetuple().tm_yday).zfill(count)
    if letter in "Qq":
        quarter = ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"]
        if count <= 2:
            return _number(lambda d: (d.month - 1) // 3 + 1, count, 2, letter)
        if count == 3:
            return lambda d: f"Q{(d.month - 1) // 3 + 1}"
        if count == 4:
            return lambda d: quarter[(d.month - 1) // 3]
        if count == 5:
            return lambda d: str((d.month - 1) // 3 + 1)
        raise PatternError(f"Too many pattern letters: {letter}")
    if letter == "w":
        return _number(lambda d: _us_week_fields(d)[1], count, 2, letter)
    if letter == "W":
        return _number(_week_of_month, count, 1, letter)
    if letter == "F":
        return _number(lambda d: (d.day - 1) // 7 + 1, count, 1, letter)
    if letter == "E":
        day_text = _text(DAYS, count)
        return lambda d: day_text(d.weekday())
    if letter in "ec":
        if count <= 2 and not (letter == "c" and count == 2):
            # Localized day-of-week number, Sunday = 1 in Locale.US.
            return _number(lambda d: (d.weekday() + 1) % 7 + 1, count, 2, letter)
        if letter == "c" and count == 2:
            raise PatternError('Invalid pattern "cc"')
        day_text = _text(DAYS, count)
        return lambda d: day_text(d.weekday())
    if letter == "a":
        if count > 1:
            raise PatternError("Too many pattern letters: a")
        return lambda d: "AM" if d.hour < 12 else "PM"
    if letter == "G":
        eras = {1: "AD", 2: "AD", 3: "AD", 4: "Anno Domini", 5: "A"}
        if count > 5:
            raise PatternError("Too many pattern letters: G")
        return lambda d: eras[count]
    if letter == "h":
        return _number(lambda d: (d.hour % 12) or 12, count, 2, letter)
    if letter == "K":
        return _number(lambda d: d.hour % 12, count, 2, letter)
    if letter == "k":
        return _number(lambda d: d.hour or 24, count, 2, letter)
    if letter == "H":
        return _number(lambda d: d.hour, count, 2, letter)
    if letter == "m":
        return _number(lambda d: d.minute, count, 2, letter)
    if letter == "s":
        return _number(lambda d: d.second, count, 2, letter)
    if letter == "S":
        if count > 9:
            raise PatternError("Too many pattern letters: S")
        return lambda d: f"{d.microsecond * 1000:09d}"[:count]
    if letter == "n":
        return _number(lambda d: d.microsecond * 1000, count, 19, letter)
    if letter == "N":
        return _number(
            lambda d: ((d.hour * 60 + d.minute) * 60 + d.second) * 10**9 + d.microsecond * 1000,
            count,
            19,
            letter,
        )
    if letter == "A":
        return _number(
            lambda d: ((d.hour * 60 + d.minute) * 60 + d.second) * 1000 + d.microsecond // 1000,
            count,
            19,
            letter,
        )
    if letter == "V":
        if count != 2:
            raise PatternError("Pattern letter count must be 2: V")
        return _zone_id
    if letter == "v":
        if count not in (1, 4):
            raise PatternError("Wrong number of pattern letters: v")
        return _zone_id
    if letter == "z":
        if count > 4:
            raise PatternError("Too many pattern letters: z")
        if count == 4:
            return _zone_id
        return lambda d: d.tzname() or "UTC"
    if letter == "O":
        if count not in (1, 4):
            raise PatternError("Pattern letter count must be 1 or 4: O")
        return lambda d: _localized_offset(d, full=count == 4)
    if letter in "Xx":
        zero = "Z" if letter == "X" else None
        if count == 1:
            return lambda d: _offset(d, colon=False, minutes="nonzero", zero=zero)
        if count == 2:
            return lambda d: _offset(d, colon=False, minutes="always", zero=zero)
        if count == 3:
            return lambda d: _offset(d, colon=True, minutes="always", zero=zero)
        if count == 4:
            return lambda d: _offset(d, colon=False, minutes="always", zero=zero)
        if count == 5:
            return lambda d: _offset(d, colon=True, minutes="always", zero=zero)
        raise PatternError(f"Too many pattern letters: {letter}")
    if letter == "Z":
        if count <= 3:
            return lambda d: _offset(d, colon=False, minutes="always", zero=None)
        if count == 4:
            return lambda d: _localized_offset(d, full=True)
        if count == 5:
            return lambda d: _offset(d, colon=True, minutes="always", zero="Z")
        raise PatternError("Too many pattern letters: Z")
    raise PatternError(f"Unknown pattern letter: {letter}")


def _padded(renderer: _Renderer, width: int) -> _Renderer:
    return lambda d: renderer(d).rjust(width)


class CompiledPattern:
    """A parsed pattern: ``pattern.format(aware_datetime) -> str``."""

    __slots__ = ("_parts", "pattern")

    def __init__(self, pattern: str, parts: list[str | _Renderer]) -> None:
        self.pattern = pattern
        self._parts = parts

    def format(self, moment: dt.datetime) -> str:
        return "".join(p if isinstance(p, str) else p(moment) for p in self._parts)


def _parse(pattern: str) -> list[str | _Renderer]:
    parts: list[str | _Renderer] = []
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
            parts.append("'" if end == i + 1 else "".join(literal))
            i = end + 1
            continue
        if ch == "[":
            depth += 1
            i += 1
            continue
        if ch == "]":
            if depth == 0:
                raise PatternError(
                    "Pattern invalid as it contains ] without previous [: " + pattern
                )
            depth -= 1
            i += 1
            continue
        if ch in "{}#":
            raise PatternError(f"Pattern includes reserved character: '{ch}'")
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            count = j - i
            if ch not in _PATTERN_LETTERS:
                raise PatternError(f"Unknown pattern letter: {ch}")
            if ch == "p":
                pad_next = count
                i = j
                continue
            if ch == "B":
                raise PatternError("Unknown pattern letter: B")
            renderer = _field(ch, count)
            if pad_next:
                renderer = _padded(renderer, pad_next)
                pad_next = 0
            parts.append(renderer)
            i = j
            continue
        parts.append(ch)
        i += 1
    # An unclosed optional section is accepted by Java (it is closed at the end).
    merged: list[str | _Renderer] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + part
        else:
            merged.append(part)
    return merged


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> CompiledPattern:
    """Parse ``pattern`` once; raises ``PatternError`` like ``DateTimeFormatter.ofPattern``."""
    return CompiledPattern(pattern, _parse(pattern))


def format_instant(pattern: str, epoch_seconds: float, tz: dt.tzinfo = dt.UTC) -> str:
    """Format the instant ``epoch_seconds`` in ``tz`` with a Java pattern."""
    moment = dt.datetime.fromtimestamp(epoch_seconds, tz)
    return compile_pattern(pattern).format(moment)
