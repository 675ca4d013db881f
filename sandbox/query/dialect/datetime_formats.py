"""Date/time format strings of the Athena world, converted for DuckDB and Python.

Owns three pattern languages and their conversion to DuckDB's ``strftime``/``strptime`` codes:

* MySQL-style specifiers used by Athena's ``date_format``/``date_parse`` (``%Y-%m-%d %H:%i:%s``);
* Joda-Time patterns used by ``format_datetime``/``parse_datetime`` (``yyyy-MM-dd HH:mm:ss``);
* Java ``DateTimeFormatter`` patterns used by partition projection's ``projection.<col>.format``
  and by the SerDe property ``timestamp.formats`` (nearly the same letters as Joda).

It also formats and parses Python datetimes with Java patterns, for partition projection.

Specifiers that Athena rejects (``%D %U %u %V %w %X %x``) and pattern letters with no DuckDB
equivalent (eras, week-based years, ``k``/``K`` hours, time-zone names when formatting) raise
:class:`~sandbox.query.errors.UnsupportedError` naming them, never a silently different format.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from sandbox.query.errors import UnsupportedError

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
        # MySQL: "%x -> x, for any x not listed above".
        out.append(MYSQL_TO_DUCKDB.get(spec, "%%" if spec == "%" else spec))
        i += 2
    return "".join(out)


@dataclass(frozen=True)
class Token:
    """One element of a Joda/Java pattern: a run of one letter, or literal text."""

    letter: str  # "" for literal text
    count: int = 0
    text: str = ""


def tokenize_java(pattern: str) -> list[Token]:
    """Split a Joda/Java pattern into letter runs and literals (``'...'`` quoting, ``''``)."""
    tokens: list[Token] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            if pattern.startswith("''", i):
                tokens.append(Token("", text="'"))
                i += 2
                continue
            end = pattern.find("'", i + 1)
            while end != -1 and pattern.startswith("''", end):
                end = pattern.find("'", end + 2)
            if end == -1:
                raise UnsupportedError(f"unterminated quote in date pattern {pattern!r}")
            tokens.append(Token("", text=pattern[i + 1 : end].replace("''", "'")))
            i = end + 1
        elif char.isascii() and char.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == char:
                j += 1
            tokens.append(Token(char, j - i))
            i = j
        else:
            tokens.append(Token("", text=char))
            i += 1
    return tokens


def _pad(code: str, count: int) -> str:
    return code if count >= 2 else code.replace("%", "%-", 1)


def _fraction(count: int, pattern: str) -> str:
    codes = {3: "%g", 6: "%f", 9: "%n"}
    if count not in codes:
        raise UnsupportedError(
            f"fraction of {count} digits in date pattern {pattern!r}", "use S{3}, S{6} or S{9}"
        )
    return codes[count]


def java_to_duckdb(pattern: str, *, joda: bool = True, parsing: bool = False) -> str:
    """Convert a Joda (``joda=True``) or Java DateTimeFormatter pattern to DuckDB's codes."""
    out: list[str] = []
    for token in tokenize_java(pattern):
        if not token.letter:
            out.append(token.text.replace("%", "%%"))
            continue
        letter, count = token.letter, token.count
        if letter in "yu" or (letter == "Y" and joda):
            out.append("%y" if count == 2 else "%Y")
        elif letter in "ML":
            out.append({1: "%-m", 2: "%m", 3: "%b"}.get(count, "%B"))
        elif letter == "d":
            out.append(_pad("%d", count))
        elif letter == "D":
            out.append("%j" if count >= 3 else "%-j")
        elif letter == "H":
            out.append(_pad("%H", count))
        elif letter == "h":
            out.append(_pad("%I", count))
        elif letter == "m":
            out.append(_pad("%M", count))
        elif letter == "s":
            out.append(_pad("%S", count))
        elif letter == "S":
            out.append(_fraction(count, pattern))
        elif letter == "a":
            out.append("%p")
        elif letter == "E":
            out.append("%A" if count >= 4 else "%a")
        elif letter in "ZX" or (letter == "x" and not joda):
            if count > 2 and letter == "Z":
                raise UnsupportedError(f"time-zone id pattern {letter * count!r} in {pattern!r}")
            out.append("%z")
        elif letter == "z" and parsing:
            out.append("%Z")
        else:
            raise UnsupportedError(f"date pattern letter {letter * count!r} in {pattern!r}")
    return "".join(out)


_PY_CODES = {"%-m": "%m", "%-d": "%d", "%-j": "%j", "%-H": "%H", "%-I": "%I", "%-M": "%M"}


def java_to_python_strptime(pattern: str) -> str:
    """A Python ``strptime`` format for a Java pattern (Python accepts unpadded numbers)."""
    duck = java_to_duckdb(pattern, joda=False, parsing=True)
    for code, python in {**_PY_CODES, "%-S": "%S", "%g": "%f", "%n": "%f"}.items():
        duck = duck.replace(code, python)
    return duck


def format_java(moment: datetime, pattern: str) -> str:
    """Format ``moment`` with a Java DateTimeFormatter pattern (the subset projection uses)."""
    parts: list[str] = []
    for token in tokenize_java(pattern):
        letter, count = token.letter, token.count
        if not letter:
            parts.append(token.text)
        elif letter in "yu":
            parts.append(f"{moment.year % 100:02d}" if count == 2 else f"{moment.year:0{count}d}")
        elif letter in "ML":
            if count >= 4:
                parts.append(calendar.month_name[moment.month])
            elif count == 3:
                parts.append(calendar.month_abbr[moment.month])
            else:
                parts.append(f"{moment.month:0{count}d}")
        elif letter in "dHmsD":
            value = {
                "d": moment.day,
                "H": moment.hour,
                "m": moment.minute,
                "s": moment.second,
                "D": moment.timetuple().tm_yday,
            }[letter]
            parts.append(f"{value:0{count}d}")
        elif letter == "S":
            parts.append(f"{moment.microsecond:06d}000"[:count])
        else:
            raise UnsupportedError(f"date pattern letter {letter * count!r} in {pattern!r}")
    return "".join(parts)


def parse_java(text: str, pattern: str) -> datetime:
    """Parse ``text`` with a Java DateTimeFormatter pattern (for projection range bounds)."""
    try:
        return datetime.strptime(text, java_to_python_strptime(pattern))
    except ValueError as exc:
        raise UnsupportedError(f"date {text!r} does not match pattern {pattern!r}") from exc
