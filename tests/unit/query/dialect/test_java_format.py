"""Trino's format() as Java's String.format (functions/string.html, java.util.Formatter)."""

from __future__ import annotations

import pytest

from sandbox.query.dialect import java_format
from sandbox.query.errors import QueryError, UnsupportedError


@pytest.mark.parametrize(
    ("pattern", "kinds", "values", "expected"),
    [
        ("%s%%", ["integer"], ["123"], "123%"),
        ("%.5f", ["double"], ["3.141592653589793"], "3.14159"),
        ("%03d", ["integer"], ["8"], "008"),
        ("%,.2f", ["decimal"], ["1234567.891"], "1,234,567.89"),
        ("%-7s,%7s", ["varchar", "varchar"], ["hello", "world"], "hello  ,  world"),
        ("%2$s %3$s %1$s", ["varchar"] * 3, ["a", "b", "c"], "b c a"),
        ("%1$tA, %1$tB %1$te, %1$tY", ["date"], ["2006-07-04"], "Tuesday, July 4, 2006"),
        ("%s %<s", ["varchar"], ["x"], "x x"),
        ("%+d|%(d|% d", ["integer"] * 3, ["5", "-5", "5"], "+5|(5)| 5"),
        ("%.2f", ["double"], ["2.675"], "2.68"),  # Java rounds Double.toString's digits half up
        ("%e", ["double"], ["12345.678"], "1.234568e+04"),
        ("%x|%X|%o", ["integer"] * 3, ["255", "255", "8"], "ff|FF|10"),
        ("%x", ["integer"], ["-1"], "ffffffffffffffff"),
        ("%.2s|%S", ["varchar", "varchar"], ["abc", "abc"], "ab|ABC"),
        ("%s|%b", ["null", "null"], [None, None], "null|false"),
        ("%b", ["varchar"], ["x"], "true"),
        ("%c%n", ["integer"], ["65"], "A\n"),
        (
            "%tH:%<tM:%<tS.%<tL %<tp",
            ["timestamp"],
            ["2020-05-10 13:04:05.321000"],
            "13:04:05.321 pm",
        ),
    ],
)
def test_render(pattern: str, kinds: list[str], values: list[str | None], expected: str) -> None:
    java_format.check(pattern, kinds)
    assert java_format.render(pattern, kinds, values) == expected


def test_mismatches_fail_as_in_java() -> None:
    with pytest.raises(QueryError, match="cannot format a varchar"):
        java_format.check("%d", ["varchar"])
    with pytest.raises(QueryError, match="MissingFormatArgument"):
        java_format.check("%s %s", ["varchar"])


@pytest.mark.parametrize("pattern", ["%g", "%a", "%#x", "%tZ"])
def test_what_is_not_reproduced_is_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedError, match="format"):
        java_format.check(pattern, ["double" if pattern in ("%g", "%a") else "integer"])
