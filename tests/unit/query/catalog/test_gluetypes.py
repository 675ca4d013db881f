from __future__ import annotations

import pytest

from sandbox.query.catalog.gluetypes import duckdb_type, is_temporal
from sandbox.query.errors import UnsupportedError


@pytest.mark.parametrize(
    ("glue", "duck"),
    [
        ("string", "VARCHAR"),
        ("varchar(20)", "VARCHAR"),
        ("char(3)", "VARCHAR"),
        ("int", "INTEGER"),
        ("integer", "INTEGER"),
        ("bigint", "BIGINT"),
        ("smallint", "SMALLINT"),
        ("tinyint", "TINYINT"),
        ("double", "DOUBLE"),
        ("float", "FLOAT"),
        ("boolean", "BOOLEAN"),
        ("date", "DATE"),
        ("timestamp", "TIMESTAMP"),
        ("binary", "BLOB"),
        ("decimal(10,2)", "DECIMAL(10, 2)"),
        ("decimal", "DECIMAL(10, 0)"),
        ("DECIMAL(38, 9)", "DECIMAL(38, 9)"),
        ("array<string>", "VARCHAR[]"),
        ("map<string,int>", "MAP(VARCHAR, INTEGER)"),
        ("struct<a:int,b:array<double>>", 'STRUCT("a" INTEGER, "b" DOUBLE[])'),
        (
            "array<struct<k:string, v:map<string, bigint>>>",
            'STRUCT("k" VARCHAR, "v" MAP(VARCHAR, BIGINT))[]',
        ),
    ],
)
def test_glue_types_map_to_duckdb(glue: str, duck: str) -> None:
    assert duckdb_type(glue) == duck


@pytest.mark.parametrize("glue", ["uniontype<int,string>", "array<string", "int extra", "geometry"])
def test_unknown_types_are_named(glue: str) -> None:
    with pytest.raises(UnsupportedError, match="Glue column type"):
        duckdb_type(glue)


def test_temporal_types() -> None:
    assert is_temporal("timestamp") and is_temporal(" DATE ")
    assert not is_temporal("string")
