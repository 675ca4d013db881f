"""Athena views in Glue: the Presto view encoding, written and read back."""

from __future__ import annotations

import base64
import json

import pytest

from sandbox.core.gluetypes import parse_glue_type
from sandbox.query.catalog.views import (
    ViewColumn,
    decode,
    is_view,
    trino_type,
    view_table_input,
)
from sandbox.query.errors import QueryError


def test_a_view_is_stored_as_athena_stores_it() -> None:
    columns = [ViewColumn("name", "string", "varchar"), ViewColumn("n", "bigint", "bigint")]
    table = view_table_input("v", "SELECT name, count(*) AS n FROM t GROUP BY 1", "db", columns)
    assert table["TableType"] == "VIRTUAL_VIEW" and is_view(table)
    assert table["Parameters"] == {"presto_view": "true", "comment": "Presto View"}
    assert table["ViewExpandedText"] == "/* Presto View */"
    original = table["ViewOriginalText"]
    assert original.startswith("/* Presto View: ") and original.endswith(" */")
    document = json.loads(base64.b64decode(original[len("/* Presto View: ") : -3]))
    assert document["originalSql"] == "SELECT name, count(*) AS n FROM t GROUP BY 1"
    assert document["catalog"] == "awsdatacatalog" and document["schema"] == "db"
    assert document["columns"] == [
        {"name": "name", "type": "varchar"},
        {"name": "n", "type": "bigint"},
    ]
    assert table["StorageDescriptor"]["Columns"] == [
        {"Name": "name", "Type": "string"},
        {"Name": "n", "Type": "bigint"},
    ]
    definition = decode({**table, "DatabaseName": "db"})
    assert definition.sql == document["originalSql"] and definition.database == "db"
    assert definition.columns == (("name", "varchar"), ("n", "bigint"))


@pytest.mark.parametrize(
    ("glue", "trino"),
    [
        ("int", "integer"),
        ("string", "varchar"),
        ("timestamp", "timestamp"),
        ("varchar(10)", "varchar(10)"),
        ("decimal(12,3)", "decimal(12,3)"),
        ("map<string,array<int>>", "map(varchar,array(integer))"),
        ("struct<a:double,b:boolean>", "row(a double,b boolean)"),
    ],
)
def test_column_types_in_trino_spelling(glue: str, trino: str) -> None:
    assert trino_type(parse_glue_type(glue)) == trino


def test_a_view_that_is_not_a_presto_view_is_refused() -> None:
    with pytest.raises(QueryError, match=r"^HIVE_VIEW_TRANSLATION_ERROR"):
        decode({"Name": "v", "TableType": "VIRTUAL_VIEW", "ViewOriginalText": "SELECT 1"})
