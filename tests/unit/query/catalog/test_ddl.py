"""What Athena's DDL writes to Glue, pure: the parser's statements, the TableInput built from
them, SHOW CREATE TABLE parsing back to the same table, and the refusals."""

from __future__ import annotations

import pytest

from sandbox.query.catalog.ddl import (
    LAZY_SIMPLE_SERDE,
    PARQUET_SERDE,
    external_table_input,
    show_create_table,
    table_input,
    with_columns,
)
from sandbox.query.dialect.ddl import (
    AlterColumns,
    AlterTableSet,
    CreateDatabase,
    CreateTable,
    CreateTableAs,
    CreateView,
    DropDatabase,
    InsertInto,
    ShowCreate,
    Unload,
    parse_ddl,
)
from sandbox.query.dialect.statements import TableRef
from sandbox.query.errors import QueryError, UnsupportedError

PROJECTED = """
CREATE EXTERNAL TABLE IF NOT EXISTS `logs`.`requests` (
  `ts` timestamp COMMENT 'request time',
  `path` string,
  `headers` map<string,string>,
  `sizes` array<struct<name:string,bytes:bigint>>,
  `price` decimal(10,2)
)
COMMENT 'web requests'
PARTITIONED BY (`dt` string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'mapping.ts' = 'time')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://bucket/requests/'
TBLPROPERTIES (
  'classification' = 'json',
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.range' = '2024-01-01,NOW',
  'projection.dt.format' = 'yyyy-MM-dd',
  'storage.location.template' = 's3://bucket/requests/${dt}/'
);
"""


def test_external_table_is_stored_as_athena_stores_it() -> None:
    statement = parse_ddl(PROJECTED)
    assert isinstance(statement, CreateTable)
    table = external_table_input(statement)
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["EXTERNAL"] == "TRUE"
    assert table["Parameters"]["projection.dt.range"] == "2024-01-01,NOW"
    assert table["Parameters"]["comment"] == "web requests"
    sd = table["StorageDescriptor"]
    assert sd["Columns"][0] == {"Name": "ts", "Type": "timestamp", "Comment": "request time"}
    assert [c["Type"] for c in sd["Columns"][2:]] == [
        "map<string,string>",
        "array<struct<name:string,bytes:bigint>>",
        "decimal(10,2)",
    ]
    assert sd["SerdeInfo"]["Parameters"] == {"ignore.malformed.json": "true", "mapping.ts": "time"}
    assert sd["Location"] == "s3://bucket/requests/"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]


def test_show_create_table_parses_back_to_the_same_table() -> None:
    first = parse_ddl(PROJECTED)
    assert isinstance(first, CreateTable)
    stored = {**external_table_input(first), "DatabaseName": "logs", "CreateTime": "now"}
    text = "\n".join(show_create_table(stored, "logs"))
    again = parse_ddl(text)
    assert isinstance(again, CreateTable) and again.table == TableRef("logs", "requests")
    assert external_table_input(again) == table_input(stored)


def test_stored_as_and_row_format_delimited() -> None:
    parquet = parse_ddl("CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET LOCATION 's3://b/t/'")
    assert isinstance(parquet, CreateTable)
    sd = external_table_input(parquet)["StorageDescriptor"]
    assert sd["SerdeInfo"] == {
        "SerializationLibrary": PARQUET_SERDE,
        "Parameters": {"serialization.format": "1"},
    }
    assert sd["InputFormat"].endswith("MapredParquetInputFormat")
    text = parse_ddl(
        "CREATE EXTERNAL TABLE t (a int, b array<string>) ROW FORMAT DELIMITED "
        "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' COLLECTION ITEMS TERMINATED BY '|' "
        "LINES TERMINATED BY '\\n' NULL DEFINED AS '' LOCATION 's3://b/t/'"
    )
    assert isinstance(text, CreateTable)
    serde = external_table_input(text)["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == LAZY_SIMPLE_SERDE
    assert serde["Parameters"] == {
        "field.delim": "\t",
        "serialization.format": "\t",
        "escape.delim": "\\",
        "collection.delim": "|",
        "line.delim": "\n",
        "serialization.null.format": "",
    }


def test_write_statements_keep_their_query_as_written() -> None:
    ctas = parse_ddl(
        "CREATE TABLE IF NOT EXISTS awsdatacatalog.db.t WITH (format = 'JSON', "
        "partitioned_by = ARRAY['d', 'h'], bucket_count = 4, is_external = true) AS\n"
        "-- a comment\nSELECT a, d, h FROM src WITH NO DATA"
    )
    assert ctas == CreateTableAs(
        TableRef("db", "t"),
        {"format": "JSON", "partitioned_by": ["d", "h"], "bucket_count": 4, "is_external": True},
        "SELECT a, d, h FROM src",  # from the query's first token
        with_data=False,
        if_not_exists=True,
    )
    assert parse_ddl("INSERT INTO t (a, b) SELECT 1, 2") == InsertInto(
        TableRef(None, "t"), ("a", "b"), "SELECT 1, 2"
    )
    assert parse_ddl("INSERT INTO t (SELECT 1)") == InsertInto(
        TableRef(None, "t"), None, "(SELECT 1)"
    )
    unload = parse_ddl(
        "UNLOAD (SELECT f(x) FROM t WHERE y IN (1, 2)) TO 's3://b/out/' "
        "WITH (format = 'PARQUET', compression = 'SNAPPY')"
    )
    assert unload == Unload(
        "SELECT f(x) FROM t WHERE y IN (1, 2)",
        "s3://b/out/",
        {"format": "PARQUET", "compression": "SNAPPY"},
    )
    assert parse_ddl("CREATE OR REPLACE VIEW v AS SELECT 1 AS x") == CreateView(
        TableRef(None, "v"), "SELECT 1 AS x", or_replace=True
    )


def test_databases_and_alter_table() -> None:
    assert parse_ddl(
        "CREATE SCHEMA IF NOT EXISTS d COMMENT 'c' LOCATION 's3://b/d/' "
        "WITH DBPROPERTIES ('k' = 'v')"
    ) == CreateDatabase("d", True, "c", "s3://b/d/", {"k": "v"})
    assert parse_ddl("DROP DATABASE IF EXISTS d CASCADE") == DropDatabase("d", True, True)
    added = parse_ddl("ALTER TABLE t ADD COLUMNS (c string COMMENT 'new')")
    assert isinstance(added, AlterColumns) and not added.replace
    raw = {"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}]}}
    assert with_columns(raw, added.columns, replace=False)["StorageDescriptor"]["Columns"] == [
        {"Name": "a", "Type": "int"},
        {"Name": "c", "Type": "string", "Comment": "new"},
    ]
    assert parse_ddl("ALTER TABLE t SET LOCATION 's3://b/x/'") == AlterTableSet(
        TableRef(None, "t"), location="s3://b/x/"
    )
    assert parse_ddl("SHOW CREATE VIEW db.v") == ShowCreate(TableRef("db", "v"), "VIEW")
    # The partition DDL stays with statements.py.
    assert parse_ddl("ALTER TABLE t ADD PARTITION (d = '1')") is None
    assert parse_ddl("SELECT 1") is None
    assert parse_ddl("CREATE SECRET s (TYPE s3)") is None


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("CREATE TABLE t (a int)", "CREATE TABLE without EXTERNAL"),
        ("CREATE TABLE t LIKE u", "CREATE TABLE ... LIKE"),
        ("ALTER TABLE t RENAME TO u", "RENAME TO"),
        ("ALTER TABLE t SET SERDEPROPERTIES ('a' = 'b')", "ALTER TABLE ... SET SERDEPROPERTIES"),
        ("ALTER TABLE t CHANGE COLUMN a b int", "ALTER TABLE ... CHANGE COLUMN"),
        ("INSERT OVERWRITE TABLE t SELECT 1", "INSERT OVERWRITE"),
        ("CREATE EXTERNAL TABLE t (a int) CLUSTERED BY (a) INTO 4 BUCKETS", "CLUSTERED BY"),
        ("CREATE TABLE other.db.t AS SELECT 1", "catalog 'other'"),
    ],
)
def test_what_is_refused_is_named(sql: str, construct: str) -> None:
    with pytest.raises(UnsupportedError) as info:
        parse_ddl(sql)
    assert construct in str(info.value)


def test_bad_ddl_is_a_syntax_error() -> None:
    with pytest.raises(QueryError, match=r"^SYNTAX_ERROR"):
        parse_ddl("CREATE EXTERNAL TABLE t (a notatype)")
    with pytest.raises(QueryError, match=r"^SYNTAX_ERROR"):
        parse_ddl("CREATE EXTERNAL TABLE t (a int) STORED AS FEATHER")
    with pytest.raises(QueryError, match=r"^SYNTAX_ERROR"):
        parse_ddl("UNLOAD (SELECT 1) TO 's3://b/'")
