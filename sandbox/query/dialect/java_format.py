"""Java's ``String.format`` (Trino's ``format()``, functions/string.html), for the kinds of
values SQL hands it.

Owns :func:`check` (a pattern and the kinds of its arguments, at translation time: a conversion
or flag not reproduced raises :class:`~sandbox.query.errors.UnsupportedError` naming it) and
:func:`render` (the text, one row at a time, for the Arrow UDF ``athena_format``). Arguments
arrive as text already written the way Java prints their type (doubles as
``Double.toString``, decimals as ``BigDecimal.toString``, dates ISO), with their kind:
``integer``, ``double``, ``decimal``, ``varchar``, ``boolean``, ``date``, ``timestamp`` or
``null``.

Reproduced: ``%s %S %d %x %X %o %f %e %E %b %c %n %%``, argument indexes (``%2$s``, ``%<s``),
the flags ``- 0 + , ( #``-less space, width and precision, and the ``%t`` date/time
conversions ``Y y m d e B b h A a j H I k l M S L p F D T R``. Not reproduced: ``%g %a %h``,
locale-specific output (the JVM default locale, English, is assumed), and ``%t`` on
``timestamp with time zone``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from sandbox.query.errors import QueryError, UnsupportedError

_SPEC = re.compile(r"%(\d+\$|<)?([-#+ 0,(]*)(\d+)?(\.\d+)?([tT][A-Za-z]|[A-Za-z%])")
_NUMERIC = {"integer", "decimal", "double"}
_ALLOWED = {
    "s": None,
    "S": None,
    "b": None,
    "d": {"integer"},
    "x": {"integer"},
    "X": {"integer"},
    "o": {"integer"},
    "f": {"decimal", "double"},
    "e": {"decimal", "double"},
    "E": {"decimal", "double"},
    "c": {"integer"},
}
_TIME_SUFFIXES = set("YymdeBbhAajHIklMSLpFDTR")


def _specs(pattern: str) -> list[tuple[re.Match[str] | None, str]]:
    """The pattern as (specifier, literal text) pieces."""
    pieces: list[tuple[re.Match[str] | None, str]] = []
    pos = 0
    while pos < len(pattern):
        at = pattern.find("%", pos)
        if at < 0:
            pieces.append((None, pattern[pos:]))
            break
        if at > pos:
            pieces.append((None, pattern[pos:at]))
        match = _SPEC.match(pattern, at)
        if match is None:
            raise QueryError(f"INVALID_FUNCTION_ARGUMENT: unknown format specifier at {at}")
        pieces.append((match, ""))
        pos = match.end()
    return pieces


def _plan(pattern: str, count: int) -> list[tuple[re.Match[str] | None, str, int | None]]:
    """Each piece of the pattern: (specifier or None, literal text, 0-based argument index)."""
    out: list[tuple[re.Match[str] | None, str, int | None]] = []
    ordinary = -1
    last: int | None = None
    for match, literal in _specs(pattern):
        if match is None or match.group(5) in ("n", "%"):
            out.append((match, literal, None))
            continue
        index_text = match.group(1)
        if index_text == "<":
            if last is None:
                raise QueryError("INVALID_FUNCTION_ARGUMENT: MissingFormatArgument %<")
            index = last
        elif index_text:
            index = int(index_text[:-1]) - 1
        else:
            ordinary += 1
            index = ordinary
        if not 0 <= index < count:
            raise QueryError(f"INVALID_FUNCTION_ARGUMENT: MissingFormatArgument {match.group(0)}")
        last = index
        out.append((match, literal, index))
    return out


def check(pattern: str, kinds: list[str]) -> None:
    """Refuse, at translation time, what :func:`render` does not reproduce for these kinds."""
    for match, _, index in _plan(pattern, len(kinds)):
        if match is None or index is None:
            continue
        conversion, flags = match.group(5), match.group(2)
        kind = kinds[index]
        if conversion[0] in "tT":
            if conversion[1] not in _TIME_SUFFIXES or kind not in ("date", "timestamp", "null"):
                raise UnsupportedError(f"format specifier {match.group(0)} of a {kind}")
            continue
        if conversion not in _ALLOWED:
            raise UnsupportedError(f"format specifier {match.group(0)}")
        allowed = _ALLOWED[conversion]
        if allowed is not None and kind not in allowed | {"null"}:
            raise QueryError(
                f"INVALID_FUNCTION_ARGUMENT: format specifier {match.group(0)} "
                f"cannot format a {kind}"
            )
        if "#" in flags:
            raise UnsupportedError(f"format flag # in {match.group(0)}")


def _pad(text: str, flags: str, width: str | None) -> str:
    if not width:
        return text
    size = int(width)
    return text.ljust(size) if "-" in flags else text.rjust(size)


def _number(text: str, flags: str, width: str | None, digits: str) -> str:
    """Sign, grouping, zero padding and parentheses of a number written as ``digits``."""
    negative = text.startswith("-")
    body = digits
    if "," in flags:
        whole, dot, fraction = body.partition(".")
        body = f"{int(whole):,}" + dot + fraction
    sign = "-" if negative else ("+" if "+" in flags else (" " if " " in flags else ""))
    if negative and "(" in flags:
        sign, body = "(", body + ")"
    if "0" in flags and width:
        body = body.rjust(int(width) - len(sign), "0")
    return _pad(sign + body, flags, width)


def _time(value: str, suffix: str) -> str:
    moment = dt.datetime.fromisoformat(value)
    codes = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "d": f"{moment.day:02d}",
        "e": str(moment.day),
        "B": moment.strftime("%B"),
        "b": moment.strftime("%b"),
        "h": moment.strftime("%b"),
        "A": moment.strftime("%A"),
        "a": moment.strftime("%a"),
        "j": f"{moment.timetuple().tm_yday:03d}",
        "H": f"{moment.hour:02d}",
        "I": f"{(moment.hour % 12) or 12:02d}",
        "k": str(moment.hour),
        "l": str((moment.hour % 12) or 12),
        "M": f"{moment.minute:02d}",
        "S": f"{moment.second:02d}",
        "L": f"{moment.microsecond // 1000:03d}",
        "p": "am" if moment.hour < 12 else "pm",
        "F": moment.strftime("%Y-%m-%d"),
        "D": moment.strftime("%m/%d/%y"),
        "T": moment.strftime("%H:%M:%S"),
        "R": moment.strftime("%H:%M"),
    }
    return codes[suffix]


def _one(match: re.Match[str], value: str | None, kind: str) -> str:
    flags, width, precision, conversion = match.group(2, 3, 4, 5)
    upper = conversion.isupper()
    if conversion[0] in "tT":
        text = "null" if value is None else _time(value, conversion[1])
        return _pad(text.upper() if conversion[0] == "T" else text, flags, width)
    if value is None or kind == "null":
        text = "false" if conversion == "b" and value is None else "null"
        return _pad(text.upper() if upper else text, flags, width)
    if conversion in "sSb":
        text = ("true" if value else "false") if conversion == "b" and kind != "boolean" else value
        if precision:
            text = text[: int(precision[1:])]
        return _pad(text.upper() if upper else text, flags, width)
    if conversion == "c":
        return _pad(chr(int(value)), flags, width)
    if conversion == "d":
        return _number(value, flags, width, str(abs(int(value))))
    if conversion in "xXo":
        number = int(value)
        if number < 0:
            number += 1 << 64
        text = format(number, "o" if conversion == "o" else "x")
        return _pad(text.upper() if upper else text, flags, width)
    decimal = Decimal(value)
    places = int(precision[1:]) if precision else 6
    if conversion == "f":
        rounded = abs(decimal).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return _number(value, flags, width, format(rounded, "f"))
    text = format(abs(decimal), f".{places}e").replace("e", "E" if upper else "e")
    mantissa, exponent = text.split("E" if upper else "e")
    text = f"{mantissa}{'E' if upper else 'e'}{exponent[0]}{exponent[1:].zfill(2)}"
    return _number(value, flags, width, text)


def render(pattern: str, kinds: list[str], values: list[str | None]) -> str:
    out: list[str] = []
    for match, literal, index in _plan(pattern, len(values)):
        if match is None:
            out.append(literal)
        elif match.group(5) == "n":
            out.append("\n")
        elif index is None:
            out.append(_pad("%", match.group(2), match.group(3)))
        else:
            out.append(_one(match, values[index], kinds[index]))
    return "".join(out)
