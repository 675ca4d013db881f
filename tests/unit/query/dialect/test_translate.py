"""Athena -> DuckDB translation: each fixed function gives the value Athena/Trino documents.

Expected values are the examples of the Trino documentation (functions/json, functions/datetime,
functions/regexp, functions/array, functions/map) that Athena engine v3 runs, unless noted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from sandbox.query.dialect.translate import json_path, parse, table_references, translate
from sandbox.query.engine import duck
from sandbox.query.errors import QueryError, UnsupportedError

UTC = dt.UTC


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    duck.prepare_sql(connection)  # as duck.connect does on every query connection
    return connection


def athena(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """Run Athena SQL through the translation; rows as dicts (Arrow keeps time zones)."""
    return con.execute(translate(sql)).to_arrow_table().to_pylist()


def value(con: duckdb.DuckDBPyConnection, expression: str) -> Any:
    rows = athena(con, f"SELECT {expression} AS v")
    return rows[0]["v"]


JSON_DOC = '{"store": {"book": [{"title": "a", "price": 8.95}, {"title": "b"}]}, "n": null}'


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("json_extract_scalar('[1, 2, 3]', '$[2]')", "3"),
        (f"json_extract_scalar('{JSON_DOC}', '$.store.book[0].title')", "a"),
        (f"json_extract_scalar('{JSON_DOC}', '$.store.book[0].price')", "8.95"),
        (f'json_extract_scalar(\'{JSON_DOC}\', \'$["store"]["book"][1]["title"]\')', "b"),
        # Not a scalar: NULL (DuckDB's ->> would return the array's text).
        (f"json_extract_scalar('{JSON_DOC}', '$.store.book')", None),
        (f"json_extract_scalar('{JSON_DOC}', '$.store')", None),
        (f"json_extract_scalar('{JSON_DOC}', '$.missing')", None),
        (f"json_extract_scalar('{JSON_DOC}', '$.n')", None),
        # Malformed JSON: NULL, not an error.
        ("json_extract_scalar('{not json', '$.a')", None),
        ("json_extract_scalar(NULL, '$.a')", None),
    ],
)
def test_json_extract_scalar(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (f"json_extract('{JSON_DOC}', '$.store.book[1]')", '{"title":"b"}'),
        (f"json_extract('{JSON_DOC}', '$.store.book[0].title')", '"a"'),
        ("json_extract('[1, 2, 3]', '$[1]')", "2"),
        ("json_extract('{not json', '$.a')", None),
    ],
)
def test_json_extract(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    result = value(con, f"json_format({expression})")  # Trino: an object cannot be a varchar
    assert result == expected


def test_json_extract_on_the_payload_column_shape(con: duckdb.DuckDBPyConnection) -> None:
    payload = '{"account_id": "a@b.c", "measurement": 71.25, "session_id": "FQ"}'
    rows = athena(
        con,
        "SELECT json_extract_scalar(p, '$.session_id') AS s, "
        "CAST(json_extract_scalar(p, '$.measurement') AS double) AS m "
        f"FROM (VALUES ('{payload}')) AS t(p)",
    )
    assert rows == [{"s": "FQ", "m": 71.25}]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("date_parse('2022/10/20/05', '%Y/%m/%d/%H')", dt.datetime(2022, 10, 20, 5)),
        (
            "date_parse('2020-05-11 13:14:02', '%Y-%m-%d %H:%i:%s')",
            dt.datetime(2020, 5, 11, 13, 14, 2),
        ),
        # The article's tstamp format.
        (
            "date_parse('2023-06-18 14:27:52.000000', '%Y-%m-%d %H:%i:%s.%f')",
            dt.datetime(2023, 6, 18, 14, 27, 52),
        ),
        ("date_parse('7/4/2021 1:05 PM', '%c/%e/%Y %l:%i %p')", dt.datetime(2021, 7, 4, 13, 5)),
    ],
)
def test_date_parse(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("%m-%d-%Y %H", "10-20-2022 05"),
        ("%Y-%m", "2022-10"),
        ("%W, %M %e", "Thursday, October 20"),
        ("%a %b %c %k %l %p", "Thu Oct 10 5 5 AM"),
        ("%T %r", "05:10:07 05:10:07 AM"),
        ("%j %v %y", "293 42 22"),
        ("100%% at %i:%s", "100% at 10:07"),
    ],
)
def test_date_format(con: duckdb.DuckDBPyConnection, pattern: str, expected: str) -> None:
    assert value(con, f"date_format(TIMESTAMP '2022-10-20 05:10:07', '{pattern}')") == expected


@pytest.mark.parametrize("specifier", ["%D", "%U", "%u", "%V", "%w", "%X", "%x"])
def test_date_format_rejects_what_athena_rejects(specifier: str) -> None:
    with pytest.raises(UnsupportedError, match=specifier):
        translate(f"SELECT date_format(TIMESTAMP '2022-10-20 05:10:07', '{specifier}')")


def test_date_format_needs_a_literal_pattern() -> None:
    with pytest.raises(UnsupportedError, match="not a string literal"):
        translate("SELECT date_format(TIMESTAMP '2022-10-20 05:10:07', p) FROM t")


def test_from_iso8601_timestamp_with_an_offset_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    # Trino keeps the zone (2020-05-11 11:15:05.055 +01:00); the sandbox's values are UTC only.
    with pytest.raises(duckdb.Error, match="NOT_SUPPORTED: from_iso8601_timestamp"):
        value(con, "from_iso8601_timestamp('2020-05-11T11:15:05.055+01:00')")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-05-11T11:15:05", dt.datetime(2020, 5, 11, 11, 15, 5, tzinfo=UTC)),
        ("2020-05-11T11:15:05.055Z", dt.datetime(2020, 5, 11, 11, 15, 5, 55000, tzinfo=UTC)),
        ("2020-05-11T11:15:05.055+00:00", dt.datetime(2020, 5, 11, 11, 15, 5, 55000, tzinfo=UTC)),
        ("2020-05-11", dt.datetime(2020, 5, 11, tzinfo=UTC)),
    ],
)
def test_from_iso8601_timestamp(
    con: duckdb.DuckDBPyConnection, text: str, expected: dt.datetime
) -> None:
    assert value(con, f"from_iso8601_timestamp('{text}')") == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("to_iso8601(DATE '2020-05-11')", "2020-05-11"),
        ("to_iso8601(TIMESTAMP '2020-05-11 11:15:05.055')", "2020-05-11T11:15:05.055"),
        ("to_iso8601(TIMESTAMP '2020-05-11 11:15:05')", "2020-05-11T11:15:05"),
        (
            "to_iso8601(from_iso8601_timestamp('2020-05-11T11:15:05.055Z'))",
            "2020-05-11T11:15:05.055Z",
        ),
        (
            "to_iso8601(date_parse('2020-05-11 11:15:05', '%Y-%m-%d %H:%i:%s'))",
            "2020-05-11T11:15:05.000",
        ),
    ],
)
def test_to_iso8601(con: duckdb.DuckDBPyConnection, expression: str, expected: str) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "parse_datetime('2020-05-11 11:15:05', 'yyyy-MM-dd HH:mm:ss')",
            dt.datetime(2020, 5, 11, 11, 15, 5, tzinfo=UTC),
        ),
        (
            "parse_datetime('11/May/2020:11:15:05.123', 'dd/MMM/yyyy:HH:mm:ss.SSS')",
            dt.datetime(2020, 5, 11, 11, 15, 5, 123000, tzinfo=UTC),
        ),
        (
            "parse_datetime('2020-05-11T11:15:05+0200', 'yyyy-MM-dd''T''HH:mm:ssZ')",
            dt.datetime(2020, 5, 11, 9, 15, 5, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd", "2020-05-11"),
        ("yyyy-MM-dd''T''HH:mm:ss.SSS", "2020-05-11T11:15:05.055"),
        ("EEEE d MMMM yy, h a", "Monday 11 May 20, 11 AM"),
    ],
)
def test_format_datetime(con: duckdb.DuckDBPyConnection, pattern: str, expected: str) -> None:
    expression = f"format_datetime(TIMESTAMP '2020-05-11 11:15:05.055', '{pattern}')"
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # Letters DuckDB's strftime cannot express: evaluated by the shared Joda implementation.
        ("EEE, h a", "Sun, 1 PM"),
        ("YYYY-'W'ww", "2023-W52"),  # Joda: Y is year of era, w the ISO week
        ("xxxx-'W'ww-e", "2023-W52-7"),  # ISO weekyear, week, day of week (Monday = 1)
        ("kk:mm", "13:05"),
        ("K a, CC G", "1 PM, 20 AD"),
        ("yyyy-MM-dd HH:mm:ss.SS ZZ", "2023-12-31 13:05:09.12 +00:00"),
    ],
)
def test_format_datetime_beyond_strftime(
    con: duckdb.DuckDBPyConnection, pattern: str, expected: str
) -> None:
    pattern = pattern.replace("'", "''")
    expression = f"format_datetime(TIMESTAMP '2023-12-31 13:05:09.123', '{pattern}')"
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "parse_datetime('Sun 2023-12-31', 'EEE yyyy-MM-dd')",
            dt.datetime(2023, 12, 31, tzinfo=UTC),
        ),
        ("parse_datetime('2024 1 pm', 'yyyy h a')", dt.datetime(2024, 1, 1, 13, tzinfo=UTC)),
        ("parse_datetime('2024-W01-1', 'xxxx-''W''ww-e')", dt.datetime(2024, 1, 1, tzinfo=UTC)),
        (
            "parse_datetime('2024-01-02 24:00', 'yyyy-MM-dd kk:mm')",
            dt.datetime(2024, 1, 2, tzinfo=UTC),
        ),
        ("parse_datetime('12:30', 'HH:mm')", dt.datetime(1970, 1, 1, 12, 30, tzinfo=UTC)),
        (
            "parse_datetime('2020-05-11 11:15 Europe/Paris', 'yyyy-MM-dd HH:mm ZZZ')",
            dt.datetime(2020, 5, 11, 9, 15, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime_beyond_strptime(
    con: duckdb.DuckDBPyConnection, expression: str, expected: Any
) -> None:
    assert value(con, expression) == expected


def test_parse_datetime_rejects_what_trino_rejects(con: duckdb.DuckDBPyConnection) -> None:
    # Joda: a day name that does not agree with the date is an invalid format here.
    with pytest.raises(duckdb.InvalidInputException, match="Invalid format"):
        value(con, "parse_datetime('Mon 2023-12-31', 'EEE yyyy-MM-dd')")
    with pytest.raises(QueryError, match="Illegal pattern component: q"):
        translate("SELECT format_datetime(now(), 'q')")
    with pytest.raises(QueryError, match="time zone names"):
        translate("SELECT parse_datetime('2020 UTC', 'yyyy z')")


def test_approx_distinct(con: duckdb.DuckDBPyConnection) -> None:
    rows = athena(
        con,
        "SELECT approx_distinct(x) AS a, approx_distinct(x, 0.01) AS b "
        "FROM (VALUES (1), (2), (2), (3), (NULL)) AS t(x)",
    )
    assert rows == [{"a": 3, "b": 3}]


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("second", dt.datetime(2001, 8, 22, 3, 4, 5)),
        ("minute", dt.datetime(2001, 8, 22, 3, 4)),
        ("hour", dt.datetime(2001, 8, 22, 3)),
        ("day", dt.datetime(2001, 8, 22)),
        ("week", dt.datetime(2001, 8, 20)),
        ("month", dt.datetime(2001, 8, 1)),
        ("quarter", dt.datetime(2001, 7, 1)),
        ("year", dt.datetime(2001, 1, 1)),
    ],
)
def test_date_trunc_timestamp(con: duckdb.DuckDBPyConnection, unit: str, expected: Any) -> None:
    assert value(con, f"date_trunc('{unit}', TIMESTAMP '2001-08-22 03:04:05.321')") == expected


def test_date_trunc_date_stays_a_date(con: duckdb.DuckDBPyConnection) -> None:
    assert value(con, "date_trunc('month', DATE '2001-08-22')") == dt.date(2001, 8, 1)
    assert value(con, "date_trunc('week', DATE '2001-08-22')") == dt.date(2001, 8, 20)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("from_unixtime(1589195705)", dt.datetime(2020, 5, 11, 11, 15, 5, tzinfo=UTC)),
        ("from_unixtime(1589195705.5)", dt.datetime(2020, 5, 11, 11, 15, 5, 500000, tzinfo=UTC)),
    ],
)
def test_from_unixtime(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("element_at(ARRAY[1, 2, 3], 2)", 2),
        ("element_at(ARRAY[1, 2, 3], -1)", 3),
        ("element_at(ARRAY[1, 2, 3], 4)", None),
        ("element_at(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), 'b')", 2),
        ("element_at(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), 'z')", None),
        ("element_at(split('a,b,c', ','), 3)", "c"),
    ],
)
def test_element_at(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("regexp_extract('1a 2b 14m', '\\d+')", "1"),
        ("regexp_extract('1a 2b 14m', '(\\d+)([a-z]+)', 2)", "a"),
        ("regexp_extract('no digits', '\\d+')", None),
        ("regexp_extract('Android 4.3.1', 'Android (\\d+)\\.', 1)", "4"),
    ],
)
def test_regexp_extract(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("date_diff('day', TIMESTAMP '2020-03-01 00:00:00', TIMESTAMP '2020-03-02 00:00:00')", 1),
        # Whole units elapsed, not calendar boundaries crossed.
        ("date_diff('day', TIMESTAMP '2020-03-01 23:00:00', TIMESTAMP '2020-03-02 01:00:00')", 0),
        ("date_diff('hour', TIMESTAMP '2020-03-01 00:30:00', TIMESTAMP '2020-03-01 02:00:00')", 1),
        ("date_diff('month', DATE '2020-01-15', DATE '2020-02-14')", 0),
        ("date_diff('month', DATE '2020-01-15', DATE '2020-02-15')", 1),
    ],
)
def test_date_diff(con: duckdb.DuckDBPyConnection, expression: str, expected: int) -> None:
    assert value(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("5 / 2", 2),
        ("-7 / 2", -3),
        ("5.0 / 2", 2.5),
        ("CAST(5 AS double) / 2", 2.5),
    ],
)
def test_integer_division(con: duckdb.DuckDBPyConnection, expression: str, expected: Any) -> None:
    assert value(con, expression) == expected


def test_integer_division_of_columns_uses_the_glue_types(con: duckdb.DuckDBPyConnection) -> None:
    schema = {"db": {"t": {"a": "BIGINT", "b": "DOUBLE"}}}
    sql = translate(
        "SELECT count(*) / 2 AS c, a / 2 AS x, b / 2 AS y FROM t", database="db", schema=schema
    )
    assert "a // 2" in sql
    assert "b / 2" in sql
    assert "COUNT(*) // 2" in sql


def test_untyped_division_still_divides_integers(con: duckdb.DuckDBPyConnection) -> None:
    sql = translate("SELECT a / b AS v FROM (VALUES (7, 2)) AS t(a, b)")
    assert con.execute(sql).fetchone() == (3,)


def test_concat_is_null_when_an_argument_is(con: duckdb.DuckDBPyConnection) -> None:
    assert value(con, "concat('a', NULL, 'b')") is None
    assert value(con, "concat('a', 'b')") == "ab"


def test_unnamed_columns_are_named_like_athena(con: duckdb.DuckDBPyConnection) -> None:
    result = con.execute(translate("SELECT 1, 'x' AS named, 2 + 3"))
    assert [d[0] for d in result.description] == ["_col0", "named", "_col2"]


def test_catalog_prefix_and_default_database() -> None:
    sql = translate("SELECT * FROM awsdatacatalog.events_db.events_json", database="other")
    assert "events_db.events_json" in sql and "awsdatacatalog" not in sql.lower()
    assert "events_db.events_json" in translate("SELECT * FROM events_json", database="events_db")


def test_table_references_skip_ctes_and_default_the_database() -> None:
    tree = parse("WITH x AS (SELECT * FROM events_json) SELECT * FROM x JOIN db2.t ON true")
    assert sorted(table_references(tree, "events_db")) == [
        ("db2", "t"),
        ("events_db", "events_json"),
    ]


def test_other_catalogs_are_refused() -> None:
    with pytest.raises(UnsupportedError, match="catalog 'mysql'"):
        table_references(parse("SELECT * FROM mysql.db.t"), "events_db")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELEC 1", "SYNTAX_ERROR"),
        ("SELECT 1; SELECT 2", "Only one sql statement"),
        ("", "empty statement"),
    ],
)
def test_bad_sql_is_one_line_error(sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        parse(sql)
    assert "\n" not in str(info.value)


def test_functions_without_a_faithful_translation_are_named() -> None:
    with pytest.raises(UnsupportedError, match="AT TIME ZONE"):
        translate("SELECT at_timezone(current_timestamp, 'Europe/Warsaw')")
    with pytest.raises(UnsupportedError, match="function soundex"):
        translate("SELECT soundex('Robert')")


def test_json_path_brackets_become_quoted_keys() -> None:
    assert json_path('$["a b"].c[0]') == '$."a b".c[0]'
    assert json_path("$['x']") == '$."x"'
    assert json_path("$.a.b[1]") == "$.a.b[1]"


def test_unknown_function_fails_with_its_name() -> None:
    with pytest.raises(
        QueryError, match=r"FUNCTION_NOT_FOUND: .*'no_such_function' not registered"
    ):
        translate("SELECT no_such_function(1)")
