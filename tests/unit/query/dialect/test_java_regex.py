"""Java patterns and replacements on Python's re (Trino docs, functions/regexp.html)."""

from __future__ import annotations

import pytest

from sandbox.query.dialect import java_regex
from sandbox.query.errors import QueryError, UnsupportedError


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("abc", "a(?=b)", True),  # look-ahead (RE2 has none)
        ("abc", "(?<!x)b", True),  # look-behind
        ("aa", "(a)\\1", True),  # back reference
        ("abc", "^\\p{Alpha}+$", True),  # Java's POSIX classes are ASCII
        ("é", "^\\p{Alpha}$", False),
        ("a1", "[\\p{Digit}a]+", True),
        ("ABC", "(?i)abc", True),
        ("a]", "[]a]+", True),  # a ] first in a class is literal in Java
    ],
)
def test_like(text: str, pattern: str, expected: bool) -> None:
    assert java_regex.like(text, pattern) is expected


def test_named_groups_and_replacements() -> None:
    assert java_regex.extract("ab12", "(?<letters>[a-z]+)\\d+", 1) == "ab"
    assert java_regex.replace("abc", "(?<x>b)", "${x}${x}") == "abbc"
    assert java_regex.replace("1a 2b 14m", "(\\d+)([ab]) ", "3c$2 ") == "3ca 3cb 14m"
    assert java_regex.replace("abc", "(b)", "\\$1") == "a$1c"
    assert java_regex.replace("a.b", "\\.", "\\\\") == "a\\b"
    # Java reads as many digits as still name a group: $10 is group 1 then "0" here.
    assert java_regex.replace("ab", "(a)", "$10") == "a0b"


def test_groups_that_do_not_take_part_are_null() -> None:
    assert java_regex.extract("abc", "(a)(x)?", 2) is None
    assert java_regex.extract_all("a1 b", "([a-z])(\\d)?", 2) == ["1", None]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: java_regex.check_group("(a)", 2), "Pattern has 1 groups"),
        (lambda: java_regex.replacement("(a)", "$2"), "No group 2"),
        (lambda: java_regex.replacement("(a)", "${nope}"), "no group with name"),
        (lambda: java_regex.check("(unclosed"), "invalid regular expression"),
        (lambda: java_regex.position("abc", "b", 0, 1), "start must be positive"),
    ],
)
def test_errors_are_trinos(call: object, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        ("\\Gx", "\\\\G"),
        ("\\p{IsLatin}", "IsLatin|Latin"),
        ("[a-z&&[^e]]", "nested|&&"),
        ("\\Qa.b\\E", "Q"),
        ("(?U)\\w", "flag"),
    ],
)
def test_java_only_constructs_are_refused_by_name(pattern: str, construct: str) -> None:
    with pytest.raises(UnsupportedError, match=construct):
        java_regex.check(pattern)


def test_split_count_position() -> None:
    assert java_regex.split("1a 2b 14m", "\\s*[a-z]+\\s*") == ["1", "2", "14", ""]
    assert java_regex.split("a(b)c", "(\\()|\\)") == ["a", "b", "c"]  # groups are not kept
    assert java_regex.count("1a 2b 14m", "\\s*[a-z]+\\s*") == 3
    text = "I have 23 apples, 5 pears and 13 oranges"
    assert [java_regex.position(text, "\\b\\d+\\b", 5, n) for n in (1, 2, 3, 4)] == [8, 19, 31, -1]
