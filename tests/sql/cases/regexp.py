"""Regular expression functions (Java patterns, as Trino's are)."""

from tests.sql.harness import Fails, table

REGEXP = "https://trino.io/docs/current/functions/regexp.html"
TEXT = "'I have 23 apples, 5 pears and 13 oranges'"

CASES = [
    *table(
        REGEXP,
        [
            ("regexp_like('1a 2b 14m', '\\d+b')", "true"),
            ("regexp_like('abc', 'b')", "true"),
            ("regexp_like('abc', '^ABC$')", "false"),
            ("regexp_like('abc', '(?i)^ABC$')", "true"),
            ("regexp_like('a.b', 'a\\.b')", "true"),
            ("regexp_like(NULL, 'a')", None),
            ("regexp_extract('1a 2b 14m', '\\d+')", "1"),
            ("regexp_extract('1a 2b 14m', '(\\d+)([a-z]+)', 2)", "a"),
            ("regexp_extract('foo123', '[0-9]+')", "123"),
            ("regexp_extract('abc', 'x')", None),
            ("regexp_extract('abc', '(a)(x)?', 2)", None),
            ("regexp_extract('abc', '(a)', 2)", Fails("Pattern has 1 groups")),
            ("regexp_extract_all('1a 2b 14m', '\\d+')", "[1, 2, 14]"),
            ("regexp_extract_all('1a 2b 14m', '(\\d+)([a-z]+)', 2)", "[a, b, m]"),
            ("regexp_extract_all('abc', 'x')", "[]"),
            ("regexp_replace('1a 2b 14m', '\\d+[ab] ')", "14m"),
            ("regexp_replace('1a 2b 14m', '(\\d+)([ab]) ', '3c$2 ')", "3ca 3cb 14m"),
            ("regexp_replace('abc', 'b')", "ac"),
            ("regexp_replace('abc', 'b', '$0$0')", "abbc"),
            ("regexp_replace('abc', '(b)', '\\$1')", "a$1c"),
            ("regexp_replace('abc', '(?<x>b)', '${x}${x}')", "abbc"),
            ("regexp_replace('a b  c', '\\s+', ' ')", "a b c"),
            ("regexp_replace('aaa', 'a', 'b')", "bbb"),
            (
                "regexp_replace('new york', '(\\w)(\\w*)', x -> upper(x[1]) || lower(x[2]))",
                "New York",
            ),
            ("regexp_split('1a 2b 14m', '\\s*[a-z]+\\s*')", "[1, 2, 14, ]"),
            ("regexp_split('a1b2c', '\\d')", "[a, b, c]"),
            ("regexp_count('1a 2b 14m', '\\s*[a-z]+\\s*')", "3"),
            ("regexp_count('aaa', 'a')", "3"),
            (f"regexp_position({TEXT}, '\\b\\d+\\b')", "8"),
            (f"regexp_position({TEXT}, '\\b\\d+\\b', 5)", "8"),
            (f"regexp_position({TEXT}, '\\b\\d+\\b', 12)", "19"),
            (f"regexp_position({TEXT}, '\\b\\d+\\b', 5, 2)", "19"),
            (f"regexp_position({TEXT}, '\\b\\d+\\b', 5, 3)", "31"),
            (f"regexp_position({TEXT}, '\\b\\d+\\b', 12, 3)", "-1"),
            ("regexp_like('abc', 'a(?=b)')", "true"),
            ("regexp_like('aa', '(a)\\1')", "true"),
            ("regexp_like('abc', '^\\p{Alpha}+$')", "true"),
            ("regexp_like('abc', '(?<!x)b')", "true"),
            ("regexp_extract('ab12', '(?<letters>[a-z]+)\\d+', 1)", "ab"),
        ],
    ),
]
