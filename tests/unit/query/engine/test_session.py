"""The stand-in end to end: Glue tables from moto, objects served over HTTP to DuckDB's httpfs."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from typing import Any

import pytest

from sandbox.query.engine.session import Session
from sandbox.query.errors import QueryError, UnsupportedError
from sandbox.settings import Settings
from tests.unit.query.lakes import DATABASE, Lake, build_lake, create_table, make_events


def sizes(s3: Any, lake: Lake, kind: str, name: str | None = None) -> int:
    keys = [k for k in lake.keys[kind] if name is None or f"name={name}/" in k]
    return sum(s3.head_object(Bucket=lake.bucket, Key=k)["ContentLength"] for k in keys)


@pytest.mark.parametrize("table", ["events_json", "events_parquet"])
def test_events_per_name_match_the_data(session: Session, lake: Lake, table: str) -> None:
    result = session.execute(
        f"SELECT name, count(*) AS events FROM {table} GROUP BY name ORDER BY name"
    )
    assert result.columns == ["name", "events"]
    assert dict(result.rows) == dict(Counter(e["name"] for e in lake.events))
    assert result.statement_type == "DML" and result.engine == "duckdb"
    assert result.bytes_scanned > 0 and result.cost_usd > 0


@pytest.mark.parametrize("table", ["events_json", "events_parquet"])
def test_columns_are_typed_as_glue_declares(session: Session, lake: Lake, table: str) -> None:
    result = session.execute(
        f"SELECT typeof(tstamp), typeof(d), typeof(name), min(tstamp) FROM {table} GROUP BY 1, 2, 3"
    )
    assert result.rows == [
        (  # Trino's type names, as Athena's typeof() gives them
            "timestamp(3)",
            "varchar",
            "varchar",
            min(dt.datetime.strptime(e["tstamp"], "%Y-%m-%d %H:%M:%S.%f") for e in lake.events),
        )
    ]


def test_the_partition_value_wins_over_the_json_name_key(
    session: Session, lake: Lake, s3: Any
) -> None:
    record = {
        "name": "bogus",
        "tstamp": "2023-01-01 00:00:00.000000",
        "payload": "{}",
        "payload_md5": "x",
    }
    key = "events_raw/json/name=account_created/d=2026-11-25/extra.gz"
    s3.put_object(Bucket=lake.bucket, Key=key, Body=gzip.compress(json.dumps(record).encode()))
    result = session.execute("SELECT * FROM events_json WHERE payload_md5 = 'x'")
    assert result.columns == ["tstamp", "payload", "payload_md5", "name", "d"]
    assert result.rows[0][3:] == ("account_created", "2026-11-25")


def test_one_partition_reads_only_its_objects(session: Session, lake: Lake, s3: Any) -> None:
    full = session.execute("SELECT count(*) FROM events_json")
    one = session.execute("SELECT count(*) FROM events_json WHERE name = 'account_created'")
    # JSON objects are read whole: exactly the partition's bytes, nothing from other partitions.
    assert full.bytes_scanned == sizes(s3, lake, "json")
    assert one.bytes_scanned == sizes(s3, lake, "json", "account_created")
    assert one.scan is not None and one.scan.objects_read == 4


def test_partition_pruning_on_parquet(session: Session, lake: Lake, s3: Any) -> None:
    full = session.execute("SELECT count(*) FROM events_parquet")
    one = session.execute(
        "SELECT count(*) FROM events_parquet WHERE name = 'account_created' AND d = '2026-11-25'"
    )
    assert one.rows == [
        (sum(1 for e in lake.events if (e["name"], e["d"]) == ("account_created", "2026-11-25")),)
    ]
    assert 0 < one.bytes_scanned < full.bytes_scanned
    assert one.scan is not None and one.scan.objects_read == 2


def test_parquet_scans_less_than_json_for_one_column(
    endpoint: Settings, glue: Any, s3: Any
) -> None:
    # Big enough objects that Parquet's footer is small next to a column chunk.
    lake = build_lake(s3, glue, make_events(sessions=2000), files_per_partition=1)
    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as session:
        json_scan = session.execute("SELECT max(tstamp) FROM events_json")
        parquet_scan = session.execute("SELECT max(tstamp) FROM events_parquet")
    assert json_scan.rows == parquet_scan.rows
    assert json_scan.bytes_scanned == sizes(s3, lake, "json")
    # Footer plus one column chunk per file: less than the JSON and less than whole files.
    assert parquet_scan.bytes_scanned < json_scan.bytes_scanned
    assert parquet_scan.bytes_scanned < 0.6 * sizes(s3, lake, "parquet")


def test_a_repeated_query_is_charged_again(session: Session) -> None:
    first = session.execute("SELECT count(*) FROM events_parquet")
    second = session.execute("SELECT count(*) FROM events_parquet")
    assert second.bytes_scanned == first.bytes_scanned > 0


def test_unregistered_partitions_are_invisible_until_msck_repair(
    endpoint: Settings, glue: Any, s3: Any
) -> None:
    lake = build_lake(s3, glue, register_partitions=False)
    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as session:
        assert session.execute("SELECT count(*) FROM events_json").rows == [(0,)]
        assert session.execute("SHOW PARTITIONS events_json").rows == []
        repaired = session.execute("MSCK REPAIR TABLE events_json")
        assert repaired.statement_type == "DDL" and repaired.cost_usd == 0
        shown = session.execute("SHOW PARTITIONS events_json").rows
        assert shown == [(f"name={n}/d={d}",) for n, d in lake.partitions()]
        assert session.execute("SELECT count(*) FROM events_json").rows == [(len(lake.events),)]
        # Adds only: a second repair finds nothing; a new folder stays invisible until repaired.
        assert session.execute("MSCK REPAIR TABLE events_json").rows == []
        record = dict(lake.events[0], name="late_event")
        body = gzip.compress(json.dumps(record).encode())
        s3.put_object(
            Bucket=lake.bucket, Key="events_raw/json/name=late_event/d=2026-11-27/x.gz", Body=body
        )
        s3.put_object(Bucket=lake.bucket, Key="events_raw/json/not_a_partition/x.gz", Body=body)
        assert session.execute("SELECT count(*) FROM events_json").rows == [(len(lake.events),)]
        lines = session.execute("MSCK REPAIR TABLE events_json").rows
        assert lines[-1] == (
            "Repair: Added partition to metastore events_json:name=late_event/d=2026-11-27",
        )
        assert session.execute("SELECT count(*) FROM events_json").rows == [(len(lake.events) + 1,)]


def test_add_partition_with_its_own_location(session: Session, lake: Lake, s3: Any) -> None:
    source = next(k for k in lake.keys["json"] if "name=account_created/d=2026-11-25/" in k)
    s3.copy_object(
        Bucket=lake.bucket,
        Key="custom/place/f.gz",
        CopySource={"Bucket": lake.bucket, "Key": source},
    )
    session.execute(
        f"ALTER TABLE events_json ADD PARTITION (name = 'special', d = '2020-01-01') "
        f"LOCATION 's3://{lake.bucket}/custom/place/'"
    )
    result = session.execute(
        "SELECT name, d, count(*) FROM events_json WHERE name = 'special' GROUP BY 1, 2"
    )
    expected = len(
        gzip.decompress(s3.get_object(Bucket=lake.bucket, Key=source)["Body"].read()).splitlines()
    )
    assert result.rows == [("special", "2020-01-01", expected)]
    total = session.execute("SELECT count(*) FROM events_json").rows[0][0]
    assert total == len(lake.events) + expected


def test_add_existing_partition(session: Session) -> None:
    statement = "ALTER TABLE events_json ADD PARTITION (name='account_created', d='2026-11-25')"
    with pytest.raises(QueryError, match="AlreadyExistsException"):
        session.execute(statement)
    session.execute(statement.replace("ADD", "ADD IF NOT EXISTS"))
    with pytest.raises(QueryError, match="needs a value"):
        session.execute("ALTER TABLE events_json ADD PARTITION (name='x')")


def test_drop_partition(session: Session, lake: Lake) -> None:
    session.execute("ALTER TABLE events_json DROP PARTITION (name = 'account_created')")
    names = {row[0] for row in session.execute("SELECT DISTINCT name FROM events_json").rows}
    assert "account_created" not in names
    assert len(session.execute("SHOW PARTITIONS events_json").rows) == len(lake.partitions()) - 2
    session.execute("ALTER TABLE events_json DROP IF EXISTS PARTITION (name = 'account_created')")
    with pytest.raises(QueryError, match="Partition not found"):
        session.execute("ALTER TABLE events_json DROP PARTITION (name = 'account_created')")


def test_hidden_objects_are_not_read(session: Session, lake: Lake, s3: Any) -> None:
    folder = "events_raw/json/name=account_created/d=2026-11-25/"
    s3.put_object(Bucket=lake.bucket, Key=folder + "_SUCCESS", Body=b"not json")
    s3.put_object(Bucket=lake.bucket, Key=folder + ".f.gz.crc", Body=b"not json")
    result = session.execute("SELECT count(*) FROM events_json")
    assert result.rows == [(len(lake.events),)]


def test_catalogue_statements(session: Session) -> None:
    assert session.execute("SHOW TABLES").rows == [("events_json",), ("events_parquet",)]
    assert session.execute("SHOW TABLES 'events_p*'").rows == [("events_parquet",)]
    assert session.execute("SHOW DATABASES").rows == [(DATABASE,)]
    columns = session.execute("SHOW COLUMNS IN events_parquet").rows
    assert columns == [("tstamp",), ("payload",), ("payload_md5",), ("name",), ("d",)]
    described = session.execute(f"DESCRIBE {DATABASE}.events_json")
    assert described.columns == ["col_name", "data_type", "comment"]
    assert described.rows[0] == ("tstamp", "timestamp", "")
    assert ("# Partition Information", "", "") in described.rows


def test_partition_projection_replaces_glue_partitions(
    endpoint: Settings, glue: Any, s3: Any
) -> None:
    lake = build_lake(s3, glue, register_partitions=False)
    create_table(
        glue,
        "events_projected",
        f"s3://{lake.bucket}/events_raw/parquet/",
        "parquet",
        parameters={
            "projection.enabled": "true",
            "projection.name.type": "enum",
            "projection.name.values": "anonymous_visited,account_created,measurement_recorded",
            "projection.d.type": "date",
            "projection.d.format": "yyyy-MM-dd",
            "projection.d.range": "2026-11-20,2026-11-30",
        },
    )
    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as session:
        total = session.execute("SELECT count(*) FROM events_projected")
        assert total.rows == [(len(lake.events),)]
        one = session.execute(
            "SELECT count(*) FROM events_projected WHERE name = 'account_created'"
        )
        assert one.rows == [(sum(e["name"] == "account_created" for e in lake.events),)]


def test_injected_projection_needs_a_where_value(endpoint: Settings, glue: Any, s3: Any) -> None:
    lake = build_lake(s3, glue, register_partitions=False)
    create_table(
        glue,
        "events_injected",
        f"s3://{lake.bucket}/events_raw/json/",
        "json",
        parameters={
            "projection.enabled": "true",
            "projection.name.type": "injected",
            "projection.d.type": "injected",
        },
    )
    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as session:
        with pytest.raises(QueryError, match="CONSTRAINT_VIOLATION"):
            session.execute("SELECT count(*) FROM events_injected")
        result = session.execute(
            "SELECT count(*) FROM events_injected "
            "WHERE name = 'account_created' AND d = '2026-11-25'"
        )
        expected = sum(
            (e["name"], e["d"]) == ("account_created", "2026-11-25") for e in lake.events
        )
        assert result.rows == [(expected,)]


def test_undelimited_json_is_read_with_a_warning(endpoint: Settings, glue: Any, s3: Any) -> None:
    lake = build_lake(s3, glue, delimited=False)
    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as session:
        result = session.execute("SELECT count(*) FROM events_json")
        assert result.rows == [(len(lake.events),)]
        assert "AppendDelimiterToRecord" in result.warnings[0]
        again = session.execute("SELECT count(*) FROM events_json WHERE name = 'account_created'")
        assert again.warnings == result.warnings and again.bytes_scanned < result.bytes_scanned
    strict = Session(
        endpoint, glue_client=glue, s3_client=s3, database=DATABASE, undelimited_json="error"
    )
    with strict, pytest.raises(QueryError, match="only the first record of each line"):
        strict.execute("SELECT count(*) FROM events_json")


def test_bad_timestamps_fail_the_query(session: Session, lake: Lake, s3: Any) -> None:
    record = {"tstamp": "yesterday", "payload": "{}", "payload_md5": "y"}
    key = "events_raw/json/name=account_created/d=2026-11-25/bad.gz"
    s3.put_object(Bucket=lake.bucket, Key=key, Body=gzip.compress(json.dumps(record).encode()))
    with pytest.raises(QueryError) as info:
        session.execute("SELECT max(tstamp) FROM events_json")
    assert "\n" not in str(info.value)


def test_unpartitioned_tables_read_their_whole_location(
    endpoint: Settings, glue: Any, s3: Any, lake: Lake
) -> None:
    create_table(glue, "flat", f"s3://{lake.bucket}/events_raw/parquet/", "parquet", keys=[])
    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as session:
        assert session.execute("SELECT count(*) FROM flat").rows == [(len(lake.events),)]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT * FROM missing_table",
            "TABLE_NOT_FOUND: Table 'awsdatacatalog.events_db.missing_table'",
        ),
        ("SELECT no_such_column FROM events_json", "no_such_column"),
        ("SELECT * FROM information_schema.tables", "information_schema"),
        ("CREATE TABLE t (a int)", "CREATE TABLE without EXTERNAL"),
    ],
)
def test_errors_are_one_line(session: Session, sql: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as info:
        session.execute(sql)
    assert "\n" not in str(info.value)


def test_unsupported_serde_is_named(session: Session, glue: Any, lake: Lake) -> None:
    glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": "regex_table",
            "StorageDescriptor": {
                "Columns": [{"Name": "a", "Type": "string"}],
                "Location": f"s3://{lake.bucket}/regex/",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.RegexSerDe"},
            },
        },
    )
    with pytest.raises(UnsupportedError, match="RegexSerDe"):
        session.execute("SELECT * FROM regex_table")


def test_session_refuses_real_aws(glue: Any, s3: Any) -> None:
    with pytest.raises(QueryError, match="--engine athena"):
        Session(Settings(endpoint_override="https://glue.us-east-1.amazonaws.com"), glue, s3)


def test_default_clients_and_database_come_from_settings(endpoint: Settings, lake: Lake) -> None:
    # No injected clients: boto3 clients on the sandbox endpoint, database from the outputs.
    with Session(endpoint) as session:
        assert session.database == DATABASE
        assert session.execute("SELECT count(*) FROM events_parquet").rows == [(len(lake.events),)]


def test_outputs_sharing_a_name_are_both_kept(session: Session) -> None:
    # Trino keeps both columns (issue 14: they collapsed into one).
    result = session.execute("SELECT 1 AS a, 2 AS a")
    assert result.columns == ["a", "a"] and result.rows == [(1, 2)]


def test_refusals_at_run_time_are_unsupported(session: Session) -> None:
    # The value decides (an ISO 8601 text with an offset needs a zone the sandbox cannot hold).
    with pytest.raises(UnsupportedError, match="from_iso8601_timestamp of a text with a UTC"):
        session.execute("SELECT from_iso8601_timestamp('2020-05-11T11:15:05+01:00')")
