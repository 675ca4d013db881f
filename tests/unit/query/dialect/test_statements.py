from __future__ import annotations

import pytest

from sandbox.query.dialect.statements import (
    AddPartitions,
    Describe,
    DropPartitions,
    MsckRepair,
    PartitionSpec,
    ShowColumns,
    ShowDatabases,
    ShowPartitions,
    ShowTables,
    TableRef,
    parse_utility,
    show_tables_matcher,
)
from sandbox.query.errors import QueryError, UnsupportedError


def test_msck_repair() -> None:
    assert parse_utility("MSCK REPAIR TABLE events_json;") == MsckRepair(
        TableRef(None, "events_json")
    )
    assert parse_utility('msck repair table `db`."T"') == MsckRepair(TableRef("db", "t"))


def test_add_partition_as_in_the_article() -> None:
    statement = parse_utility(
        'ALTER TABLE sensors_json ADD PARTITION (sensor_id="s1", dt="2023-07-01") '
        'LOCATION "s3://b/x/"'
    )
    # The article quotes with double quotes, which Hive DDL reads as strings.
    assert statement == AddPartitions(
        TableRef(None, "sensors_json"),
        False,
        [PartitionSpec({"sensor_id": "s1", "dt": "2023-07-01"}, "s3://b/x/")],
    )


def test_add_partitions_with_and_without_location() -> None:
    statement = parse_utility(
        "ALTER TABLE db.t ADD IF NOT EXISTS PARTITION (name='x', d='2023-01-01') "
        "LOCATION 's3://b/custom/' PARTITION (name = 'it''s', d = \"2\")"
    )
    assert statement == AddPartitions(
        TableRef("db", "t"),
        True,
        [
            PartitionSpec({"name": "x", "d": "2023-01-01"}, "s3://b/custom/"),
            PartitionSpec({"name": "it's", "d": "2"}, None),
        ],
    )


def test_drop_partitions() -> None:
    statement = parse_utility("ALTER TABLE t DROP IF EXISTS PARTITION (name='x'), PARTITION (d=1)")
    assert statement == DropPartitions(
        TableRef(None, "t"), True, [PartitionSpec({"name": "x"}), PartitionSpec({"d": "1"})]
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SHOW PARTITIONS events_json", ShowPartitions(TableRef(None, "events_json"))),
        ("SHOW TABLES", ShowTables(None, None)),
        ("SHOW TABLES IN events_db 'events*'", ShowTables("events_db", "events*")),
        ("SHOW DATABASES LIKE 'ev.*'", ShowDatabases("ev.*")),
        ("SHOW SCHEMAS", ShowDatabases(None)),
        ("SHOW COLUMNS IN events_json", ShowColumns(TableRef(None, "events_json"))),
        ("SHOW COLUMNS FROM t IN db", ShowColumns(TableRef("db", "t"))),
        ("DESCRIBE events_db.events_json", Describe(TableRef("events_db", "events_json"))),
        ("DESCRIBE FORMATTED t", Describe(TableRef(None, "t"))),
    ],
)
def test_show_and_describe(sql: str, expected: object) -> None:
    assert parse_utility(sql) == expected


@pytest.mark.parametrize(
    "sql", ["SELECT 1", "WITH x AS (SELECT 1) SELECT * FROM x", "  -- c\nVALUES 1", "(SELECT 1)"]
)
def test_queries_are_left_to_sqlglot(sql: str) -> None:
    assert parse_utility(sql) is None


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("CREATE EXTERNAL TABLE x (a int)", "statement CREATE"),
        ("DROP TABLE x", "statement DROP"),
        ("INSERT INTO x VALUES (1)", "statement INSERT"),
        ("SHOW CREATE TABLE x", "statement SHOW CREATE"),
        ("ALTER TABLE x SET LOCATION 's3://b/'", "ALTER TABLE ... SET"),
    ],
)
def test_other_statements_are_named(sql: str, named: str) -> None:
    with pytest.raises(UnsupportedError, match=named):
        parse_utility(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE t ADD PARTITION name='x'",
        "MSCK REPAIR t",
        "SHOW PARTITIONS t extra",
        "SHOW COLUMNS t",
    ],
)
def test_malformed_utility_statements(sql: str) -> None:
    with pytest.raises(QueryError, match="SYNTAX_ERROR"):
        parse_utility(sql)


def test_show_tables_pattern() -> None:
    matcher = show_tables_matcher("events*|other")
    assert matcher.fullmatch("events_json") and matcher.fullmatch("OTHER")
    assert not matcher.fullmatch("sessions")
