"""Parameterized queries: ``?`` placeholders with ``ExecutionParameters``, and prepared
statements (``EXECUTE name [USING v, ...]``, ``PREPARE name FROM ...``, ``DEALLOCATE PREPARE``).

"Querying with parameterized queries" (Athena user guide): parameters are applied in order to
the ``?`` of the statement; each is a SQL literal (``'text'``, ``1``, ``DATE '2023-01-01'``...).
Here a parameter that is not exactly one literal is quoted as a string literal, so a value can
never add SQL of its own (``1; DROP ...`` becomes ``'1; DROP ...'``). ``?`` inside strings,
quoted identifiers and comments is not a placeholder.

Not reproduced: Athena's refusal of parameters in positions other than values (here any ``?``
outside strings and comments is replaced by the literal, and the statement then fails or not
as SQL with that literal would).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.query.errors import QueryError

_LITERAL = re.compile(
    r"""^\s*(?:
        [+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?        # number
      | (?:(?:DATE|TIME|TIMESTAMP|DECIMAL|X|INTERVAL|JSON|CHAR|VARCHAR)\s*)?'(?:[^']|'')*'
        (?:\s+(?:YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)(?:\s+TO\s+(?:MONTH|SECOND))?)?
      | TRUE | FALSE | NULL
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def literal(parameter: str) -> str:
    """``parameter`` when it is one SQL literal, else the string literal of its text."""
    if _LITERAL.match(parameter):
        return parameter.strip()
    return "'" + parameter.replace("'", "''") + "'"


def _placeholders(sql: str) -> list[int]:
    """Offsets of the ``?`` outside strings, quoted identifiers and comments."""
    found: list[int] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            i = end + 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:
            if ch == "?":
                found.append(i)
            i += 1
    return found


def bind(sql: str, parameters: Sequence[str] | None) -> str:
    """``sql`` with its ``?`` replaced by the parameters' literals, in order."""
    spots = _placeholders(sql)
    given = list(parameters or [])
    if not spots and not given:
        return sql
    if len(spots) != len(given):
        raise QueryError(
            f"INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected {len(spots)} "
            f"but found {len(given)}"
        )
    out, last = [], 0
    for spot, value in zip(spots, given, strict=True):
        out.append(sql[last:spot])
        out.append(literal(value))
        last = spot + 1
    out.append(sql[last:])
    return "".join(out)


@dataclass(frozen=True)
class Execute:
    """``EXECUTE name [USING v1, v2...]``."""

    name: str
    using: list[str]


@dataclass(frozen=True)
class Prepare:
    """``PREPARE name FROM statement``."""

    name: str
    statement: str


@dataclass(frozen=True)
class Deallocate:
    """``DEALLOCATE PREPARE name``."""

    name: str


_EXECUTE = re.compile(r"^\s*EXECUTE\s+(\w+)(?:\s+USING\s+(.*?))?\s*;?\s*$", re.I | re.S)
_PREPARE = re.compile(r"^\s*PREPARE\s+(\w+)\s+FROM\s+(.*?)\s*;?\s*$", re.I | re.S)
_DEALLOCATE = re.compile(r"^\s*DEALLOCATE\s+PREPARE\s+(\w+)\s*;?\s*$", re.I | re.S)


def parse_prepared(sql: str) -> Execute | Prepare | Deallocate | None:
    """The prepared-statement statement ``sql`` is, or None for any other statement."""
    if match := _EXECUTE.match(sql):
        return Execute(match.group(1), split_values(match.group(2) or ""))
    if match := _PREPARE.match(sql):
        return Prepare(match.group(1), match.group(2))
    if match := _DEALLOCATE.match(sql):
        return Deallocate(match.group(1))
    return None


def split_values(text: str) -> list[str]:
    """``'a, b', 2, DATE '2023-01-01'`` -> three values (commas inside quotes kept)."""
    values: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            values.append(text[start:i].strip())
            start = i + 1
    if text.strip():
        values.append(text[start:].strip())
    return values
