"""Java regular expressions (Trino's ``regexp_*`` functions) evaluated with Python's ``re``.

Owns the conversion of a Java pattern and of a Java replacement string (``$1``, ``${name}``,
``\\$``) to Python's spelling, and the scalar functions Trino documents on them
(functions/regexp.html), as plain Python over one value, for the Arrow UDFs of
:mod:`sandbox.query.dialect.udfs`. Python's engine has what DuckDB's RE2 lacks and Java has:
look-ahead and look-behind, back references, named groups, possessive quantifiers and atomic
groups; the Java ``\\p{Alpha}``-style POSIX classes are converted to ASCII classes as Java
defines them.

Not reproduced (refused with :class:`~sandbox.query.errors.UnsupportedError` naming the
construct): ``\\G``, ``\\Z``, ``\\R``, ``\\X``, Unicode script/block classes (``\\p{IsLatin}``,
``\\p{InGreek}``), ``\\Q...\\E`` quoting, the ``(?d)``, ``(?u)``, ``(?U)`` and ``(?c)`` flags, and
character class intersections (``[a-z&&[^e]]``). Trino's default engine (Joni) and Java agree on
every construct accepted here.
"""

from __future__ import annotations

import functools
import re

from sandbox.query.errors import QueryError, UnsupportedError

# Java's POSIX character classes (US-ASCII only unless UNICODE_CHARACTER_CLASS).
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_UNSUPPORTED_ESCAPES = {"G": "\\G", "Z": "\\Z", "R": "\\R", "X": "\\X", "Q": "\\Q...\\E"}
_FLAG_GROUP = re.compile(r"\(\?([a-zA-Z-]+)[):]")


def _refuse(construct: str) -> UnsupportedError:
    return UnsupportedError(f"Java regular expression construct {construct}")


def _convert(pattern: str) -> str:
    out: list[str] = []
    i = 0
    in_class = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in _UNSUPPORTED_ESCAPES:
                raise _refuse(_UNSUPPORTED_ESCAPES[nxt])
            if nxt in "pP" and i + 2 < len(pattern):
                if pattern[i + 2] == "{":
                    end = pattern.find("}", i + 3)
                    name = pattern[i + 3 : end] if end > 0 else ""
                else:
                    end, name = i + 2, pattern[i + 2]
                name = name.removeprefix("Is") if name.startswith("Is") else name
                chars = _POSIX.get(name)
                if chars is None:
                    raise _refuse(f"\\{nxt}{{{name}}}")
                negate = nxt == "P"
                if in_class:
                    if negate:
                        raise _refuse(f"\\P{{{name}}} inside a character class")
                    out.append(chars)
                else:
                    out.append(("[^" if negate else "[") + chars + "]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            if in_class and pattern.startswith("[", i):
                raise _refuse("nested character class")
            in_class += 1
            out.append(char)
            i += 1
            if i < len(pattern) and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < len(pattern) and pattern[i] == "]":  # a literal ] first in a class
                out.append("\\]")
                i += 1
            continue
        if char == "]" and in_class:
            in_class -= 1
        elif char == "&" and in_class and pattern.startswith("&&", i):
            raise _refuse("&& (character class intersection)")
        elif char == "(" and not in_class and pattern.startswith("(?<", i):
            if i + 3 < len(pattern) and pattern[i + 3] not in "=!":
                out.append("(?P<")  # a named group; (?<= and (?<! are look-behinds
                i += 3
                continue
        elif char == "(" and not in_class:
            flags = _FLAG_GROUP.match(pattern, i)
            if flags and set(flags.group(1)) & set("duUc"):
                raise _refuse(f"(?{flags.group(1)}) flag")
        out.append(char)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_java(pattern: str) -> re.Pattern[str]:
    """Python's compiled form of a Java pattern; QueryError when Java rejects it too."""
    converted = _convert(pattern)
    try:
        return re.compile(converted)
    except re.error as error:
        raise QueryError(
            f"INVALID_FUNCTION_ARGUMENT: invalid regular expression {pattern!r}: {error}"
        ) from None


def check(pattern: str) -> re.Pattern[str]:
    """Compile at translation time, so a bad or unsupported pattern fails before running."""
    return compile_java(pattern)


@functools.lru_cache(maxsize=512)
def replacement(pattern: str, text: str) -> str:
    """A Java replacement (``$1``, ``${name}``, ``\\$``) in Python's ``re.sub`` spelling."""
    compiled = compile_java(pattern)
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text):
                raise QueryError("INVALID_FUNCTION_ARGUMENT: character to be escaped is missing")
            out.append(text[i + 1].replace("\\", "\\\\"))
            i += 2
            continue
        if char == "$":
            if text.startswith("{", i + 1):
                end = text.find("}", i + 2)
                name = text[i + 2 : end]
                if end < 0 or name not in compiled.groupindex:
                    raise QueryError(f"INVALID_FUNCTION_ARGUMENT: no group with name {{{name}}}")
                out.append(f"\\g<{name}>")
                i = end + 1
                continue
            j = i + 1
            if j >= len(text) or not text[j].isdigit():
                raise QueryError("INVALID_FUNCTION_ARGUMENT: Illegal group reference")
            # Java takes as many digits as still name an existing group.
            number = int(text[j])
            j += 1
            while (
                j < len(text)
                and text[j].isdigit()
                and number * 10 + int(text[j]) <= compiled.groups
            ):
                number = number * 10 + int(text[j])
                j += 1
            if number > compiled.groups:
                raise QueryError(f"INVALID_FUNCTION_ARGUMENT: No group {number}")
            out.append(f"\\g<{number}>")
            i = j
            continue
        out.append(char.replace("\\", "\\\\"))
        i += 1
    return "".join(out)


def group_count(pattern: str) -> int:
    return compile_java(pattern).groups


def check_group(pattern: str, group: int) -> None:
    groups = group_count(pattern)
    if group < 0 or group > groups:
        raise QueryError(
            f"INVALID_FUNCTION_ARGUMENT: Pattern has {groups} groups. Cannot access group {group}"
        )


# -- the functions, one value at a time (NULL in, NULL out is the caller's) -----------------


def like(text: str, pattern: str) -> bool:
    return compile_java(pattern).search(text) is not None


def extract(text: str, pattern: str, group: int) -> str | None:
    check_group(pattern, group)
    match = compile_java(pattern).search(text)
    return None if match is None else match.group(group)


def extract_all(text: str, pattern: str, group: int) -> list[str | None]:
    check_group(pattern, group)
    return [m.group(group) for m in compile_java(pattern).finditer(text)]


def replace(text: str, pattern: str, with_text: str) -> str:
    return compile_java(pattern).sub(replacement(pattern, with_text), text)


def split(text: str, pattern: str) -> list[str]:
    compiled = compile_java(pattern)
    out: list[str] = []
    start = 0
    for match in compiled.finditer(text):
        if match.end() == 0:
            continue
        out.append(text[start : match.start()])
        start = match.end()
    out.append(text[start:])
    return out


def count(text: str, pattern: str) -> int:
    return sum(1 for _ in compile_java(pattern).finditer(text))


def position(text: str, pattern: str, start: int, occurrence: int) -> int:
    """1-based position of the ``occurrence``-th match at or after ``start``; -1 if none."""
    if start < 1:
        raise QueryError("INVALID_FUNCTION_ARGUMENT: start must be positive")
    if occurrence < 1:
        raise QueryError("INVALID_FUNCTION_ARGUMENT: occurrence must be positive")
    for seen, match in enumerate(compile_java(pattern).finditer(text, start - 1), 1):
        if seen == occurrence:
            return match.start() + 1
    return -1
