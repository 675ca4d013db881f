"""Athena's writes on the stand-in, end to end in-process: CTAS, INSERT INTO, UNLOAD, DDL and
views against moto's Glue and S3, read back by the same engine."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
import pytest

from sandbox.query.catalog import views
from sandbox.query.engine.session import Session
from sandbox.query.engine.writes import WriteContext
from sandbox.query.errors import QueryError, UnsupportedError
from tests.unit.query.lakes import DATABASE, Lake

RESULTS = "s3://sandbox-results/results/"


@pytest.fixture
def writing(session: Session, s3: Any) -> Session:
    s3.create_bucket(Bucket="sandbox-results")
    session.context = WriteContext("q-1", RESULTS, enforced=False)
    return session


def objects(s3: Any, bucket: str, prefix: str) -> list[str]:
    page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in page.get("Contents", []))


def test_ctas_parquet_partitioned_is_registered_and_reads_back(
    writing: Session, lake: Lake, glue: Any, s3: Any
) -> None:
    result = writing.execute(
        "CREATE TABLE per_name WITH (format = 'PARQUET', write_compression = 'SNAPPY', "
        "external_location = 's3://sandbox-lake/ctas/per_name/', partitioned_by = ARRAY['name']) "
        "AS SELECT count(*) AS events, name FROM events_parquet GROUP BY name"
    )
    counts = Counter(e["name"] for e in lake.events)
    assert result.columns == ["rows"] and result.rows == [(len(counts),)]
    assert result.statement_type == "DML" and result.bytes_scanned > 0
    assert result.data_files and all(
        f.startswith("s3://sandbox-lake/ctas/per_name/name=") for f in result.data_files
    )
    table = glue.get_table(DatabaseName=DATABASE, Name="per_name")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["EXTERNAL"] == "TRUE"
    assert table["Parameters"]["parquet.compression"] == "SNAPPY"
    sd = table["StorageDescriptor"]
    assert sd["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert sd["Columns"] == [{"Name": "events", "Type": "bigint"}]
    assert table["PartitionKeys"] == [{"Name": "name", "Type": "string"}]
    partitions = glue.get_partitions(DatabaseName=DATABASE, TableName="per_name")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == sorted(counts)
    first = result.data_files[0].removeprefix("s3://sandbox-lake/")
    body = s3.get_object(Bucket="sandbox-lake", Key=first)["Body"].read()
    import io

    parquet = pq.ParquetFile(io.BytesIO(body))
    assert parquet.schema_arrow.names == ["events"]  # the partition column is in the path
    assert parquet.metadata.row_group(0).column(0).compression == "SNAPPY"
    back = writing.execute("SELECT name, events FROM per_name ORDER BY name")
    assert dict(back.rows) == dict(counts)


def test_ctas_default_location_is_under_the_results(
    writing: Session, lake: Lake, glue: Any
) -> None:
    writing.execute("CREATE TABLE t1 AS SELECT 1 AS x, 'a' AS y")
    sd = glue.get_table(DatabaseName=DATABASE, Name="t1")["Table"]["StorageDescriptor"]
    assert sd["Location"] == RESULTS + "tables/q-1/"
    assert sd["Columns"] == [{"Name": "x", "Type": "int"}, {"Name": "y", "Type": "string"}]
    assert writing.execute("SELECT x, y FROM t1").rows == [(1, "a")]


def test_ctas_refuses_what_athena_refuses(writing: Session, lake: Lake) -> None:
    with pytest.raises(
        QueryError, match=r"^HIVE_PATH_ALREADY_EXISTS: .*s3://sandbox-lake/events_raw/"
    ):
        writing.execute(
            "CREATE TABLE t2 WITH (external_location = 's3://sandbox-lake/events_raw/') "
            "AS SELECT 1 AS x"
        )
    with pytest.raises(QueryError, match=r"^HIVE_TOO_MANY_OPEN_PARTITIONS"):
        writing.execute(
            "CREATE TABLE t3 WITH (partitioned_by = ARRAY['p']) AS "
            "SELECT x, x AS p FROM unnest(sequence(1, 101)) AS t(x)"
        )
    with pytest.raises(QueryError, match=r"^INVALID_TABLE_PROPERTY: .*'colour'"):
        writing.execute("CREATE TABLE t4 WITH (colour = 'red') AS SELECT 1 AS x")
    with pytest.raises(UnsupportedError, match="AVRO"):
        writing.execute("CREATE TABLE t5 WITH (format = 'AVRO') AS SELECT 1 AS x")
    writing.execute("CREATE TABLE t6 AS SELECT 1 AS x")
    with pytest.raises(QueryError, match=r"^TABLE_ALREADY_EXISTS"):
        writing.execute("CREATE TABLE t6 AS SELECT 1 AS x")
    writing.context = WriteContext("q-2", RESULTS, enforced=True)
    with pytest.raises(QueryError, match=r"^INVALID_TABLE_PROPERTY: external_location"):
        writing.execute(
            "CREATE TABLE t7 WITH (external_location = 's3://sandbox-lake/t7/') AS SELECT 1 AS x"
        )


def test_ctas_json_gzip_and_with_no_data(writing: Session, lake: Lake, s3: Any, glue: Any) -> None:
    name = lake.events[0]["name"]
    result = writing.execute(
        "CREATE TABLE j WITH (format = 'JSON', external_location = 's3://sandbox-lake/j/') "
        f"AS SELECT name, tstamp FROM events_json WHERE name = '{name}'"
    )
    assert result.data_files and result.data_files[0].endswith(".gz")
    key = result.data_files[0].removeprefix("s3://sandbox-lake/")
    line = gzip.decompress(
        s3.get_object(Bucket="sandbox-lake", Key=key)["Body"].read()
    ).splitlines()[0]
    assert set(json.loads(line)) == {"name", "tstamp"}
    clicks = sum(1 for e in lake.events if e["name"] == name)
    assert writing.execute("SELECT count(*) FROM j").rows == [(clicks,)]
    empty = writing.execute("CREATE TABLE e AS SELECT name FROM events_json WITH NO DATA")
    assert empty.rows == [(0,)] and empty.data_files == []
    assert glue.get_table(DatabaseName=DATABASE, Name="e")["Table"]["StorageDescriptor"]["Columns"]


def test_insert_into_appends_and_registers_partitions(
    writing: Session, lake: Lake, glue: Any
) -> None:
    writing.execute(
        "CREATE EXTERNAL TABLE ins (v bigint, s string) PARTITIONED BY (p string) "
        "STORED AS PARQUET LOCATION 's3://sandbox-lake/ins/'"
    )
    first = writing.execute("INSERT INTO ins SELECT 1, 'a', 'x'")
    assert first.rows == [(1,)] and first.data_files
    writing.execute("INSERT INTO ins (s, p, v) VALUES ('b', 'y', 2), ('c', 'x', 3)")
    rows = writing.execute("SELECT v, s, p FROM ins ORDER BY v").rows
    assert rows == [(1, "a", "x"), (2, "b", "y"), (3, "c", "x")]
    parts = glue.get_partitions(DatabaseName=DATABASE, TableName="ins")["Partitions"]
    assert sorted(p["Values"] for p in parts) == [["x"], ["y"]]
    with pytest.raises(
        QueryError, match=r"^TYPE_MISMATCH: Insert query has mismatched column types"
    ):
        writing.execute("INSERT INTO ins SELECT 'text', 'a', 'x'")


def test_unload_writes_the_files_and_refuses_a_used_location(
    writing: Session, lake: Lake, s3: Any
) -> None:
    result = writing.execute(
        "UNLOAD (SELECT payload, name FROM events_parquet) TO 's3://sandbox-lake/unload/' "
        "WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['name'])"
    )
    assert result.rows == [(len(lake.events),)]
    assert result.data_files and len(result.data_files) == len({e["name"] for e in lake.events})
    with pytest.raises(QueryError, match=r"^HIVE_PATH_ALREADY_EXISTS"):
        writing.execute("UNLOAD (SELECT 1) TO 's3://sandbox-lake/unload/' WITH (format = 'JSON')")


def test_databases_tables_and_show_create_round_trip(
    writing: Session, lake: Lake, glue: Any
) -> None:
    writing.execute(
        "CREATE DATABASE IF NOT EXISTS scratch COMMENT 'for tests' "
        "LOCATION 's3://sandbox-lake/scratch/' WITH DBPROPERTIES ('team' = 'data')"
    )
    database = glue.get_database(Name="scratch")["Database"]
    assert database["Description"] == "for tests" and database["Parameters"] == {"team": "data"}
    writing.execute("CREATE DATABASE IF NOT EXISTS scratch")
    with pytest.raises(QueryError, match=r"^SCHEMA_ALREADY_EXISTS"):
        writing.execute("CREATE SCHEMA scratch")
    ddl = (
        "CREATE EXTERNAL TABLE IF NOT EXISTS scratch.logs (\n"
        "  `ts` timestamp COMMENT 'when', msg string, tags array<string>)\n"
        "PARTITIONED BY (dt string)\n"
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n"
        "LOCATION 's3://sandbox-lake/logs/'\n"
        "TBLPROPERTIES ('classification' = 'json', 'projection.enabled' = 'false')"
    )
    writing.execute(ddl)
    table = glue.get_table(DatabaseName="scratch", Name="logs")["Table"]
    assert table["Parameters"] == {
        "EXTERNAL": "TRUE",
        "classification": "json",
        "projection.enabled": "false",
    }
    sd = table["StorageDescriptor"]
    assert sd["SerdeInfo"] == {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"ignore.malformed.json": "true"},
    }
    assert sd["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert sd["Columns"][0] == {"Name": "ts", "Type": "timestamp", "Comment": "when"}
    shown = writing.execute("SHOW CREATE TABLE scratch.logs")
    text = "\n".join(r[0] for r in shown.rows)
    writing.execute("DROP TABLE scratch.logs")
    writing.execute(text)
    again = glue.get_table(DatabaseName="scratch", Name="logs")["Table"]
    for key in ("StorageDescriptor", "PartitionKeys", "Parameters", "TableType"):
        assert again[key] == table[key], key
    writing.execute("ALTER TABLE scratch.logs ADD COLUMNS (level string)")
    writing.execute(
        "ALTER TABLE scratch.logs SET TBLPROPERTIES ('classification' = 'json', 'x' = '1')"
    )
    writing.execute("ALTER TABLE scratch.logs SET LOCATION 's3://sandbox-lake/logs2/'")
    changed = glue.get_table(DatabaseName="scratch", Name="logs")["Table"]
    assert changed["StorageDescriptor"]["Columns"][-1] == {"Name": "level", "Type": "string"}
    assert changed["Parameters"]["x"] == "1"
    assert changed["StorageDescriptor"]["Location"] == "s3://sandbox-lake/logs2/"
    writing.execute("ALTER TABLE scratch.logs REPLACE COLUMNS (only string)")
    replaced = glue.get_table(DatabaseName="scratch", Name="logs")["Table"]
    assert replaced["StorageDescriptor"]["Columns"] == [{"Name": "only", "Type": "string"}]
    with pytest.raises(UnsupportedError, match="RENAME TO"):
        writing.execute("ALTER TABLE scratch.logs RENAME TO logs3")
    with pytest.raises(QueryError, match="not empty"):
        writing.execute("DROP DATABASE scratch")
    writing.execute("DROP DATABASE scratch CASCADE")
    writing.execute("DROP DATABASE IF EXISTS scratch")
    with pytest.raises(QueryError, match=r"^SCHEMA_NOT_FOUND"):
        writing.execute("DROP SCHEMA scratch")
    writing.execute("DROP TABLE IF EXISTS nothing_here")
    with pytest.raises(QueryError, match=r"^TABLE_NOT_FOUND"):
        writing.execute("DROP TABLE nothing_here")


def test_views_are_presto_views_and_queryable(writing: Session, lake: Lake, glue: Any) -> None:
    writing.execute(
        "CREATE VIEW per_name AS SELECT name, count(*) AS events FROM events_json GROUP BY name"
    )
    raw = glue.get_table(DatabaseName=DATABASE, Name="per_name")["Table"]
    assert raw["TableType"] == "VIRTUAL_VIEW"
    assert raw["ViewExpandedText"] == "/* Presto View */"
    assert raw["ViewOriginalText"].startswith("/* Presto View: ")
    definition = views.decode(raw)
    assert definition.columns == (("name", "varchar"), ("events", "bigint"))
    assert raw["StorageDescriptor"]["Columns"] == [
        {"Name": "name", "Type": "string"},
        {"Name": "events", "Type": "bigint"},
    ]
    counts = Counter(e["name"] for e in lake.events)
    assert dict(writing.execute("SELECT * FROM per_name").rows) == dict(counts)
    writing.execute("CREATE VIEW top AS SELECT name FROM per_name ORDER BY events DESC LIMIT 1")
    assert writing.execute("SELECT name FROM top").rows == [(counts.most_common(1)[0][0],)]
    with pytest.raises(QueryError, match=r"^TABLE_ALREADY_EXISTS"):
        writing.execute("CREATE VIEW top AS SELECT 1 AS x")
    writing.execute("CREATE OR REPLACE VIEW top AS SELECT 1 AS x")
    assert writing.execute("SELECT x FROM top").rows == [(1,)]
    assert writing.execute("SHOW VIEWS").rows == [("per_name",), ("top",)]
    shown = writing.execute("SHOW CREATE VIEW top").rows
    assert shown[0][0].startswith('CREATE VIEW "awsdatacatalog"."events_db"."top"')
    for statement in ("DROP VIEW top", "DROP VIEW IF EXISTS top"):
        assert writing.execute(statement).rows == []
    with pytest.raises(QueryError, match=r"^TABLE_NOT_FOUND: View"):
        writing.execute("DROP VIEW top")


def test_delimited_text_tables_write_and_read_back(writing: Session, lake: Lake, s3: Any) -> None:
    writing.execute(
        "CREATE TABLE txt WITH (format = 'TEXTFILE', field_delimiter = '|', "
        "external_location = 's3://sandbox-lake/txt/') "
        "AS SELECT * FROM (VALUES (1, 'a', DATE '2024-01-02'), (2, NULL, NULL)) AS t(n, s, d)"
    )
    assert writing.execute("SELECT n, s, d FROM txt ORDER BY n").rows == [
        (1, "a", dt.date(2024, 1, 2)),
        (2, None, None),
    ]
    s3.put_object(
        Bucket="sandbox-lake", Key="seed/people.csv", Body=b'"id","name"\n1,"Doe, Jane"\n2,\n'
    )
    writing.execute(
        "CREATE EXTERNAL TABLE people (id string, name string) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        "LOCATION 's3://sandbox-lake/seed/' TBLPROPERTIES ('skip.header.line.count' = '1')"
    )
    rows = writing.execute("SELECT cast(id AS integer), name FROM people ORDER BY 1").rows
    assert rows == [(1, "Doe, Jane"), (2, "")]  # OpenCSVSerde: an empty field is ''


def test_ddl_with_partition_projection_is_queried_by_projection(
    writing: Session, lake: Lake
) -> None:
    names = sorted({e["name"] for e in lake.events})
    days = sorted({e["d"] for e in lake.events})
    writing.execute(
        "CREATE EXTERNAL TABLE projected (tstamp timestamp, payload string, payload_md5 string) "
        "PARTITIONED BY (name string, d string) STORED AS PARQUET "
        "LOCATION 's3://sandbox-lake/events_raw/parquet/' TBLPROPERTIES ("
        f"'projection.enabled' = 'true', 'projection.name.type' = 'enum', "
        f"'projection.name.values' = '{','.join(names)}', 'projection.d.type' = 'enum', "
        f"'projection.d.values' = '{','.join(days)}')"
    )
    rows = writing.execute("SELECT name, count(*) FROM projected GROUP BY name").rows
    assert dict(rows) == dict(Counter(e["name"] for e in lake.events))


def test_a_view_that_reads_itself_is_refused(writing: Session, glue: Any) -> None:
    columns = [views.ViewColumn("x", "int", "integer")]
    table = views.view_table_input("loop", "SELECT x FROM loop", DATABASE, columns)
    glue.create_table(DatabaseName=DATABASE, TableInput=table)
    with pytest.raises(QueryError, match=r"^VIEW_IS_RECURSIVE"):
        writing.execute("SELECT * FROM loop")


def test_a_write_glue_or_s3_refuses_fails_the_query(writing: Session, lake: Lake) -> None:
    with pytest.raises(QueryError, match=r"^HIVE_METASTORE_ERROR: NoSuchBucket"):
        writing.execute(
            "CREATE TABLE nowhere WITH (external_location = 's3://no-such-bucket/x/') "
            "AS SELECT 1 AS x"
        )
