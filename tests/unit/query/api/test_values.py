"""Result values, types, files and parameters as Athena has them (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.core.gluetypes import GlueTypeError, parse_duckdb_type
from sandbox.query.api.errors import athena_error
from sandbox.query.api.model import WorkGroup, merge_result_configuration, statement_kind
from sandbox.query.api.parameters import Execute, bind, literal, parse_prepared
from sandbox.query.api.results import csv_text, metadata_bytes, parse_csv
from sandbox.query.api.values import column_type, format_value, java_double, java_float, value_type
from sandbox.query.errors import QueryError


@pytest.mark.parametrize(
    ("duck", "value", "text"),
    [
        ("BOOLEAN", True, "true"),
        ("BOOLEAN", False, "false"),
        ("TINYINT", 3, "3"),
        ("INTEGER", -7, "-7"),
        ("BIGINT", 2**62, str(2**62)),
        ("HUGEINT", Decimal("12"), "12"),
        ("DOUBLE", 0.1, "0.1"),
        ("DOUBLE", 1.0, "1.0"),
        ("DOUBLE", 12345678.9, "1.23456789E7"),
        ("DOUBLE", 0.0001, "1.0E-4"),
        ("DOUBLE", float("inf"), "Infinity"),
        ("FLOAT", 0.1, "0.1"),
        ("DECIMAL(10,2)", Decimal("1.5"), "1.50"),
        ("DECIMAL(38,0)", Decimal("12345678901234567890"), "12345678901234567890"),
        ("VARCHAR", "tab\there", "tab\there"),
        ("DATE", date(2023, 7, 31), "2023-07-31"),
        ("TIMESTAMP", datetime(2023, 7, 31, 10, 40), "2023-07-31 10:40:00.000"),
        ("TIMESTAMP", datetime(2023, 7, 31, 10, 40, 0, 999999), "2023-07-31 10:40:00.999"),
        (
            "TIMESTAMP WITH TIME ZONE",
            datetime(2023, 7, 31, 10, 40, tzinfo=UTC),
            "2023-07-31 10:40:00.000 UTC",
        ),
        ("TIME", time(10, 40, 1, 5000), "10:40:01.005"),
        ("BLOB", b"hi", "68 69"),
        ("INTEGER[]", [1, None, 3], "[1, null, 3]"),
        ("VARCHAR[]", ["a", "b"], "[a, b]"),
        ("MAP(VARCHAR, INTEGER)", [("k", 1), ("v", 2)], "{k=1, v=2}"),
        ("MAP(VARCHAR, DOUBLE)", {"k": 1.0}, "{k=1.0}"),
        ("STRUCT(a INTEGER, b VARCHAR)", {"a": 1, "b": "x"}, "{a=1, b=x}"),
        ("STRUCT(a TIMESTAMP)[]", [{"a": datetime(2023, 1, 1)}], "[{a=2023-01-01 00:00:00.000}]"),
        ("JSON", '{"a": 1}', '{"a": 1}'),
        ("UUID", "0e63-x", "0e63-x"),
        ("INTERVAL", timedelta(days=1, seconds=3661), "1 01:01:01.000"),
    ],
)
def test_values_print_as_athena_prints_them(duck: str, value: Any, text: str) -> None:
    assert format_value(value, value_type(duck)) == text


def test_null_has_no_text() -> None:
    assert format_value(None, value_type("INTEGER")) is None


@pytest.mark.parametrize(
    ("duck", "athena", "precision", "scale"),
    [
        ("VARCHAR", "varchar", 2147483647, 0),
        ("INTEGER", "integer", 10, 0),
        ("BIGINT", "bigint", 19, 0),
        ("HUGEINT", "bigint", 19, 0),
        ("DOUBLE", "double", 17, 0),
        ("FLOAT", "float", 17, 0),
        ("BOOLEAN", "boolean", 0, 0),
        ("DATE", "date", 0, 0),
        ("TIMESTAMP", "timestamp", 3, 0),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone", 3, 0),
        ("DECIMAL(12,4)", "decimal", 12, 4),
        ("BLOB", "varbinary", 1073741824, 0),
        ("VARCHAR[]", "array", 0, 0),
        ("MAP(VARCHAR, INTEGER)", "map", 0, 0),
        ("STRUCT(a INTEGER)", "row", 0, 0),
        ("JSON", "json", 0, 0),
        ('"NULL"', "unknown", 0, 0),
    ],
)
def test_column_types(duck: str, athena: str, precision: int, scale: int) -> None:
    kind = column_type(duck)
    assert (kind.type, kind.precision, kind.scale) == (athena, precision, scale)


def test_the_duckdb_parser_refuses_what_glue_cannot_declare_unless_lenient() -> None:
    assert str(parse_duckdb_type('STRUCT("a b" INTEGER, c MAP(VARCHAR, DOUBLE[]))')) == (
        "struct<a b:int,c:map<string,array<double>>>"
    )
    with pytest.raises(GlueTypeError):
        parse_duckdb_type("UUID[]")
    assert str(parse_duckdb_type("UUID[]", lenient=True)) == "array<string>"


def test_java_number_text() -> None:
    assert [java_double(x) for x in (100.0, 1e7, 9999999.0, 0.001, -0.0)] == [
        "100.0",
        "1.0E7",
        "9999999.0",
        "0.001",
        "-0.0",
    ]
    assert java_float(3.4028234663852886e38) == "3.4028235E38"


def test_csv_quotes_every_field_and_leaves_null_empty() -> None:
    text = csv_text(["a", "b"], [['x"y', None], ["", "two\nlines"]])
    assert text == '"a","b"\n"x""y",\n"","two\nlines"\n'
    assert parse_csv(text) == (["a", "b"], [['x"y', None], ["", "two\nlines"]])


def test_metadata_file_matches_athenas_encoding() -> None:
    # The hexdump in "What's the data format of Athena's .csv.metadata files?" (Stack Overflow).
    expected = bytes.fromhex(
        "0a1b32303139303432335f3132353132385f30303030315f6568747572"
        "22190a04686976652203617279 2a03617279320561727261794803".replace(" ", "")
    )
    got = metadata_bytes("20190423_125128_00001_ehtur", [{"Name": "ary", "Type": "array"}])
    assert got == expected


def test_parameters_are_literals_and_never_sql() -> None:
    assert literal("1") == "1" and literal("'a'") == "'a'" and literal("DATE '2023-01-01'")
    assert literal("x'; DROP TABLE t; --") == "'x''; DROP TABLE t; --'"
    assert bind("SELECT ?, '?', \"?\" -- ?\n, ?", ["1", "b"]) == "SELECT 1, '?', \"?\" -- ?\n, 'b'"
    with pytest.raises(QueryError, match="expected 1 but found 0"):
        bind("SELECT ?", [])
    assert parse_prepared("EXECUTE q USING 'a, b', 2") == Execute("q", ["'a, b'", "2"])


def test_result_configuration_merge() -> None:
    group = WorkGroup(
        "g",
        configuration={
            "EnforceWorkGroupConfiguration": False,
            "ResultConfiguration": {
                "OutputLocation": "s3://wg/",
                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
            },
        },
    )
    merged = merge_result_configuration(group, {"OutputLocation": "s3://client/"})
    assert merged == {
        "OutputLocation": "s3://client/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
    }
    enforced = WorkGroup(
        "e", configuration=dict(group.configuration, EnforceWorkGroupConfiguration=True)
    )
    assert (
        merge_result_configuration(enforced, {"OutputLocation": "s3://client/"})["OutputLocation"]
        == "s3://wg/"
    )


def test_statement_kinds() -> None:
    assert statement_kind("-- hi\nSELECT 1") == ("DML", "SELECT")
    assert statement_kind("MSCK REPAIR TABLE t") == ("DDL", "MSCK_REPAIR_TABLE")
    assert statement_kind("SHOW PARTITIONS t") == ("DDL", "SHOW_PARTITIONS")
    assert statement_kind("DESCRIBE t") == ("UTILITY", "DESCRIBE")


def test_duckdb_errors_become_athena_errors() -> None:
    sql = "SELECT foo(x)\nFROM t"
    error = athena_error(
        QueryError("Catalog Error: Scalar Function with name foo does not exist!"), sql
    )
    assert error.message == "FUNCTION_NOT_FOUND: line 1:8: Function 'foo' not registered"
    error = athena_error(QueryError("Conversion Error: Could not convert string 'a' to INT32"), sql)
    assert error.message.startswith("INVALID_CAST_ARGUMENT: ")
    error = athena_error(
        QueryError("TABLE_NOT_FOUND: Table 'awsdatacatalog.db.t' does not exist"), sql
    )
    assert error.message.startswith("TABLE_NOT_FOUND: line 2:6: ")


def test_a_column_referenced_before_it_is_defined_is_not_found() -> None:
    error = athena_error(
        QueryError(
            'Binder Error: Column "nope" referenced that exists in the SELECT clause - but this '
            "column cannot be referenced before it is defined"
        ),
        "SELECT nope FROM t",
    )
    assert error.message.startswith("COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be")
