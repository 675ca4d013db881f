from __future__ import annotations

import pytest

from sandbox.query.dialect.pruning import partition_filters
from sandbox.query.dialect.translate import parse

KEYS = ["name", "d"]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM events_json WHERE name = 'x'", {"name": {"x"}}),
        (
            "SELECT * FROM events_json WHERE 'x' = name AND d = '2023-01-01'",
            {"name": {"x"}, "d": {"2023-01-01"}},
        ),
        ("SELECT * FROM events_json WHERE name IN ('a', 'b') AND name = 'a'", {"name": {"a"}}),
        (
            "SELECT * FROM events_db.events_json e WHERE e.name = 'x' AND (e.d = '1')",
            {"name": {"x"}, "d": {"1"}},
        ),
        ("SELECT count(*) FROM (SELECT * FROM events_json WHERE name = 'x')", {"name": {"x"}}),
        ("SELECT * FROM events_json WHERE name = 'x' OR d = 'y'", {}),
        ("SELECT * FROM events_json WHERE upper(name) = 'X'", {}),
        ("SELECT * FROM events_json WHERE payload = 'x'", {}),
        ("SELECT * FROM events_json", {}),
        # Read twice: no pruning (each reference could need different partitions).
        ("SELECT * FROM events_json a JOIN events_json b ON a.d = b.d WHERE a.name = 'x'", {}),
        # Unqualified column with two sources: ambiguous, not used.
        ("SELECT * FROM events_json e JOIN other o ON true WHERE name = 'x'", {}),
        ("SELECT * FROM other_db.events_json WHERE name = 'x'", {}),
    ],
)
def test_partition_filters(sql: str, expected: dict[str, set[str]]) -> None:
    assert partition_filters(parse(sql), "events_db", "events_json", KEYS) == expected


def test_numbers_become_partition_value_strings() -> None:
    tree = parse("SELECT * FROM t WHERE year = 2023 AND month IN (1, -2)")
    assert partition_filters(tree, "db", "t", ["year", "month"]) == {
        "year": {"2023"},
        "month": {"1", "-2"},
    }
