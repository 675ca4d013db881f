"""Hostile Glue and S3 metadata, and queries that try to leave the sandbox's S3.

Names, locations, SerDe parameters, partition values and object keys come from Glue or S3 and
are untrusted: views over them are created, read exactly the data, and run no other statement.
The connection opens only ``s3://`` through the sandbox endpoint, whatever a statement tries,
and the translation refuses DuckDB's statements and file functions before DuckDB sees them.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.query.catalog.glue import Column, Table
from sandbox.query.catalog.tables import FileGroup
from sandbox.query.dialect.quoting import identifier, literal, struct_key
from sandbox.query.dialect.statements import parse_utility
from sandbox.query.dialect.translate import parse, translate
from sandbox.query.engine import duck
from sandbox.query.engine.readers import view_sql
from sandbox.query.engine.session import Session
from sandbox.query.errors import QueryError, UnsupportedError
from sandbox.settings import Settings
from tests.unit.query.lakes import JSON_SD, PARQUET_SD

# Text that breaks naive SQL building: quotes, placeholders, statement separators, comments,
# newlines, dollar quoting, NUL (DuckDB's parser stops there), unicode.
HOSTILE = [
    "a{partitions}",
    "x'); COPY (SELECT 1) TO 's3://lake/pwned.csv'; --",
    'q"uote""d',
    "semi;colon -- comment /* c */",
    "line\nbreak\r\ttab",
    "$$dollar$$ $1 ?",
    "{}{0}%s%(x)s",
    "nul\x00byte",
    "üñí©ødé ✓ 😀",
    "back\\slash",
]
NAME_SAFE = [h for h in HOSTILE if "\x00" not in h]  # Glue names cannot hold NUL either


# -- the quoting pair ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_a_literal_is_the_value_itself(text: str) -> None:
    con = duckdb.connect()
    assert con.execute("SELECT " + literal(text)).fetchone() == (text,)


@pytest.mark.parametrize("text", NAME_SAFE)
def test_an_identifier_names_exactly_the_column(text: str) -> None:
    con = duckdb.connect()
    cursor = con.execute("SELECT 1 AS " + identifier(text))
    assert [d[0] for d in cursor.description] == [text]


def test_nul_in_a_name_or_struct_key_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="NUL"):
        identifier("a\x00b")
    with pytest.raises(UnsupportedError, match="NUL"):
        struct_key("a\x00b")
    with pytest.raises(UnsupportedError, match="unicode"):
        literal("\ud800")
    with pytest.raises(UnsupportedError, match="empty name"):
        identifier("")


@settings(max_examples=200, deadline=None)
@given(
    st.text(),
    st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1),
)
def test_quoting_round_trips_any_text(value: str, name: str) -> None:
    con = duckdb.connect()
    cursor = con.execute("SELECT " + literal(value) + " AS " + identifier(name))
    assert cursor.fetchone() == (value,)
    assert cursor.description[0][0] == name


# -- view generation on local files (no S3: the SQL text is what is under test) ------------------


def _table(columns: list[str], keys: list[str], serde: dict[str, str] | None = None) -> Table:
    return Table(
        database="db",
        name="t",
        location="s3://lake/t/",
        columns=tuple(Column(c, "string") for c in columns),
        partition_keys=tuple(Column(k, "string") for k in keys),
        serde="org.openx.data.jsonserde.JsonSerDe",
        serde_parameters=serde or {},
    )


def _view_rows(con: duckdb.DuckDBPyConnection, select: str) -> list[tuple[Any, ...]]:
    con.execute("CREATE SCHEMA IF NOT EXISTS " + identifier("db"))
    con.execute("CREATE OR REPLACE VIEW " + identifier("db") + ".v AS " + select)
    return sorted(con.execute("SELECT * FROM db.v").fetchall(), key=repr)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    column=st.sampled_from(NAME_SAFE)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1),
    key=st.sampled_from(NAME_SAFE)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1),
    value=st.sampled_from(HOSTILE) | st.text(st.characters(exclude_categories=["Cs"])),
    json_key=st.sampled_from(NAME_SAFE)
    | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), min_size=1),
)
def test_any_names_and_values_make_one_view_that_reads_the_data(
    tmp_path: Path, column: str, key: str, value: str, json_key: str
) -> None:
    if column.lower() == key.lower():
        key = key + "_k"
    path = tmp_path / "data.json"
    path.write_text(json.dumps({json_key: "payload"}) + "\n")
    table = _table([column], [key], {f"mapping.{column}": json_key})
    con = duckdb.connect()
    before = set(tmp_path.iterdir())
    rows = _view_rows(con, view_sql(table, [FileGroup((str(path),), (value,))]))
    assert rows == [("payload", value)]
    # nothing else ran: one view, no table, no file written
    assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)
    assert set(tmp_path.iterdir()) == before


def test_the_reported_injection_is_a_column_name_again(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"a{partitions}": 1, "b": 2}) + "\n")
    evil_key = "k, 1 AS x FROM (SELECT 1)); COPY (SELECT 1) TO '" + str(tmp_path / "p.csv") + "'--"
    table = _table(["a{partitions}", "b"], [evil_key])
    con = duckdb.connect()
    rows = _view_rows(con, view_sql(table, [FileGroup((str(path),), ("v",))]))
    assert rows == [("1", "2", "v")]
    assert not (tmp_path / "p.csv").exists()


def test_hive_types_and_file_names_are_quoted(tmp_path: Path) -> None:
    folder = tmp_path / "k=plain"
    folder.mkdir()
    path = folder / "it's; a {file}.json"
    path.write_text(json.dumps({"c": "x"}) + "\n")
    table = _table(["c"], ["k"])
    con = duckdb.connect()
    assert _view_rows(con, view_sql(table, [FileGroup((str(path),))])) == [("x", "plain")]


# -- the whole path through the session, on moto's S3 and Glue ----------------------------------

BUCKET = "hostile-lake"


def _json_body(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _parquet_body(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({c: [r[c] for r in rows] for c in columns}), buffer)
    return buffer.getvalue()


def _hostile_lake(s3: Any, glue: Any, kind: str, values: list[str]) -> tuple[str, str, str]:
    """A table whose database, name, columns, keys, location and SerDe parameters are hostile,
    with one partition per value, each under a key spelling the value raw (as Firehose writes)."""
    database, name = "db;--'\"{x}", "t" + HOSTILE[1].lower()
    column, key = HOSTILE[0], "k\n'\";{partitions}"
    location = f"s3://{BUCKET}/{kind} it's;{{p}}?#/"
    s3.create_bucket(Bucket=BUCKET)
    glue.create_database(DatabaseInput={"Name": database})
    sd = dict(JSON_SD if kind == "json" else PARQUET_SD)
    serde: dict[str, Any] = dict(sd["SerdeInfo"])  # type: ignore[arg-type]
    json_key = "src'; DROP TABLE x; --"
    if kind == "json":
        serde["Parameters"] = {f"mapping.{column}": json_key}
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": key, "Type": "string"}],
            "StorageDescriptor": {
                **sd,
                "SerdeInfo": serde,
                "Columns": [{"Name": column, "Type": "string"}],
                "Location": location,
            },
        },
    )
    inputs = []
    for i, value in enumerate(values):
        folder = location.removeprefix(f"s3://{BUCKET}/") + f"{key}={value}/"
        rows = [{json_key if kind == "json" else column: f"row{i}"}]
        body = _json_body(rows) if kind == "json" else _parquet_body(rows, [column])
        s3.put_object(Bucket=BUCKET, Key=folder + f"part-{i}", Body=body)
        inputs.append(
            {
                "Values": [value],
                "StorageDescriptor": {**sd, "Location": f"s3://{BUCKET}/{folder}"},
            }
        )
    glue.batch_create_partition(DatabaseName=database, TableName=name, PartitionInputList=inputs)
    return database, name, column


def _trino_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.mark.parametrize("kind", ["json", "parquet"])
def test_hostile_metadata_reads_the_right_rows_and_writes_nothing(
    endpoint: Settings, glue: Any, s3: Any, kind: str
) -> None:
    values = [*HOSTILE, "plain"]
    database, name, column = _hostile_lake(s3, glue, kind, values)
    keys_before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    with Session(endpoint, glue_client=glue, s3_client=s3, database="default") as session:
        result = session.execute(f"SELECT * FROM {_trino_name(database)}.{_trino_name(name)}")
        assert sorted(result.rows) == sorted((f"row{i}", v) for i, v in enumerate(values))
        assert result.columns[0] == column
        views = session.connection().execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal"
        )
        assert views.fetchall() == [(database, name)]
        methods = {m for m, _, _, _ in duck.http_log(session.connection())}
    assert methods <= {"GET", "HEAD"}
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]} == keys_before


# Every printable ASCII character and a few others, in a partition value and in the object name.
KEY_CHARACTERS = [chr(c) for c in range(1, 128) if chr(c) not in "/"] + ["é", "✓", "😀", "\x00"]


@pytest.mark.parametrize("kind", ["json", "parquet"])
def test_object_keys_with_any_character_are_read_with_their_exact_values(
    endpoint: Settings, glue: Any, s3: Any, kind: str
) -> None:
    """S3 keys reach DuckDB verbatim (s3_url_compatibility_mode): ``?`` is no query string,
    ``*`` and ``[`` no glob, ``%`` no escape; values DuckDB's Hive parser would decode are read
    as constants, the rest through hive_partitioning."""
    values = [f"a{c}b" for c in KEY_CHARACTERS] + ["%41", "a b+c", "x=y"]
    s3.create_bucket(Bucket=BUCKET)
    glue.create_database(DatabaseInput={"Name": "chars"})
    sd = JSON_SD if kind == "json" else PARQUET_SD
    glue.create_table(
        DatabaseName="chars",
        TableInput={
            "Name": "t",
            "PartitionKeys": [{"Name": "name", "Type": "string"}],
            "StorageDescriptor": {
                **sd,
                "Columns": [{"Name": "n", "Type": "int"}],
                "Location": f"s3://{BUCKET}/t/",
            },
        },
    )
    inputs = []
    for i, value in enumerate(values):
        folder = f"t/name={value}/"
        rows = [{"n": i}]
        # gzip'd JSON as the Firehose writes it: DuckDB's codec detection stops at a "?"
        body = gzip.compress(_json_body(rows)) if kind == "json" else _parquet_body(rows, ["n"])
        name = f"f{value}-{i}" + (".gz" if kind == "json" else "")
        s3.put_object(Bucket=BUCKET, Key=folder + name, Body=body)
        location = f"s3://{BUCKET}/{folder}"
        inputs.append({"Values": [value], "StorageDescriptor": {**sd, "Location": location}})
    for start in range(0, len(inputs), 100):
        glue.batch_create_partition(
            DatabaseName="chars", TableName="t", PartitionInputList=inputs[start : start + 100]
        )
    with Session(endpoint, glue_client=glue, s3_client=s3, database="chars") as session:
        result = session.execute("SELECT n, name FROM t").rows
        assert sorted(result) == list(enumerate(values))
        one = session.execute("SELECT n FROM t WHERE name = 'a?b'").rows
        assert one == [(values.index("a?b"),)]


# -- the connection opens only s3:// through the sandbox endpoint --------------------------------


def test_the_lock_down_settings_are_in_force(endpoint: Settings) -> None:
    con = duck.connect(endpoint)
    values = dict(con.execute("SELECT name, value FROM duckdb_settings()").fetchall())
    assert values["enable_external_access"] == "false"
    # DuckDB adds its own temp directory; LocalFileSystem being disabled covers it
    allowed = values["allowed_directories"].strip("[]").split(", ")
    assert "'s3://'" in allowed or "s3://" in allowed
    assert all(a.strip("'") == "s3://" or a.rstrip("/").endswith(".tmp") for a in allowed)
    with pytest.raises(duckdb.Error, match="LocalFileSystem has been disabled"):
        con.execute("SELECT * FROM read_blob('/etc/hostname')")  # (its setting reads '')
    assert values["s3_url_compatibility_mode"] == "true"
    assert values["lock_configuration"] == "true"
    assert values["autoinstall_known_extensions"] == "false"
    assert values["autoload_known_extensions"] == "false"
    assert values["allow_community_extensions"] == "false"
    assert values["allow_persistent_secrets"] == "false"


def _attacks(port: int, tmp: Path) -> list[str]:
    here = f"127.0.0.1:{port}"
    return [
        f"SELECT * FROM read_json('http://{here}/x.json')",
        f"SELECT * FROM read_blob('https://{here}/x')",
        f"SELECT * FROM 'http://{here}/x.csv'",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM read_blob('file:///etc/hostname')",
        "SELECT * FROM read_blob('hf://datasets/x/y/z.csv')",
        "SELECT * FROM read_blob('gcs://lake/x')",
        "SELECT * FROM read_blob('r2://lake/x')",
        "SELECT * FROM read_blob('s3a://lake/x')",
        f"SET s3_endpoint = '{here}'",
        "SET s3_url_compatibility_mode = false",
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "SET disabled_filesystems = ''",
        "SET lock_configuration = false",
        f"SET http_proxy = '{here}'",
        "SET autoload_known_extensions = true",
        "INSTALL spatial",
        "LOAD spatial",
        f"ATTACH '{tmp / 'x.db'}' AS x",
        f"COPY (SELECT 1) TO '{tmp / 'x.csv'}'",
        f"EXPORT DATABASE '{tmp / 'export'}'",
    ]


def test_duckdb_itself_refuses_every_other_place(
    endpoint: Settings, trap: tuple[int, list[str]], tmp_path: Path
) -> None:
    """Below the translation: the connection's own settings refuse each of these."""
    port, hits = trap
    con = duck.connect(endpoint)
    tmp_path = tmp_path / "attacks"
    tmp_path.mkdir()
    for statement in _attacks(port, tmp_path):
        with pytest.raises(duckdb.Error):
            con.execute(statement).fetchall()
    # a query parameter in an s3:// URL is part of the key, not a setting: no request leaves
    with pytest.raises(duckdb.Error):
        con.execute(f"SELECT * FROM read_blob('s3://lake/x?s3_endpoint=127.0.0.1:{port}')")
    assert hits == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SET s3_endpoint = 'evil:1'", "SET"),
        ("RESET s3_endpoint", "RESET"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("COPY (SELECT 1) TO 's3://lake/x.csv'", "COPY"),
        ("ATTACH 's3://lake/x.db' AS x", "ATTACH"),
        ("DETACH x", "DETACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("FORCE INSTALL httpfs", "FORCE"),
        ("EXPORT DATABASE 'x'", "EXPORT"),
        ("IMPORT DATABASE 'x'", "IMPORT"),
        ("CALL enable_logging('HTTP')", "CALL"),
        ("CHECKPOINT", "CHECKPOINT"),
        ("CREATE SECRET s (TYPE s3, ENDPOINT 'evil:1')", "CREATE SECRET"),
        ("CREATE OR REPLACE PERSISTENT SECRET s (TYPE s3)", "CREATE SECRET"),
        ("DROP SECRET sandbox_s3", "DROP SECRET"),
        ("CREATE MACRO m(x) AS x", "CREATE MACRO"),
        ("FROM events_json", "FROM"),
        ("SUMMARIZE events_json", "SUMMARIZE"),
    ],
)
def test_duckdb_statements_are_refused_as_athena_refuses_them(sql: str, named: str) -> None:
    with pytest.raises(QueryError, match=rf"^SYNTAX_ERROR: .*\({named} is DuckDB's statement"):
        parse_utility(sql)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM read_csv('s3://lake/x.csv')", "read_csv"),
        ("SELECT * FROM read_csv_auto('s3://lake/x.csv')", "read_csv_auto"),
        ("SELECT * FROM read_text('s3://lake/x')", "read_text"),
        ("SELECT * FROM read_blob('s3://lake/x')", "read_blob"),
        ("SELECT * FROM read_json('s3://lake/x')", "read_json"),
        ("SELECT * FROM read_json_auto('s3://lake/x')", "read_json_auto"),
        ("SELECT * FROM read_ndjson_objects('s3://lake/x')", "read_ndjson_objects"),
        ("SELECT * FROM read_parquet('s3://lake/x')", "read_parquet"),
        ("SELECT * FROM parquet_scan('s3://lake/x')", "parquet_scan"),
        ("SELECT * FROM parquet_metadata('s3://lake/x')", "parquet_metadata"),
        ("SELECT * FROM query('SELECT 1')", "query"),
        ("SELECT * FROM duckdb_secrets()", "duckdb_secrets"),
        ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
        ("SELECT * FROM range(3)", "range"),
        ("SELECT * FROM TABLE(sequence(1, 2))", "table"),
        ("SELECT current_setting('s3_endpoint')", "current_setting"),
        ("SELECT length(read_text('x')) FROM t", "read_text"),
        ("SELECT json_execute_serialized_sql('x')", "json_execute_serialized_sql"),
        (
            "SELECT * FROM t WHERE x IN (SELECT content FROM read_text('http://127.0.0.1:9/'))",
            "read_text",
        ),
        ("WITH a AS (SELECT * FROM read_parquet('s3://x/y')) SELECT * FROM a", "read_parquet"),
    ],
)
def test_file_and_engine_functions_are_not_athenas(sql: str, named: str) -> None:
    assert parse_utility(sql) is None
    with pytest.raises(QueryError, match=rf"^FUNCTION_NOT_FOUND: (Table f|F)unction '{named}'"):
        parse(sql)


def test_glob_does_not_even_parse_as_athena() -> None:
    with pytest.raises(QueryError, match="SYNTAX_ERROR"):
        parse("SELECT * FROM glob('s3://lake/*')")


def test_every_table_name_reaches_duckdb_qualified() -> None:
    """A name like ``'s3://...'`` is then a view that must exist, never a file to scan."""
    sql = translate('SELECT * FROM "s3://lake/x.parquet" JOIN t ON true', database="db")
    assert 'db."s3://lake/x.parquet"' in sql and "db.t" in sql
    with_cte = translate("WITH c AS (SELECT 1 AS x) SELECT * FROM c", database="db")
    assert "db.c" not in with_cte


def test_athena_queries_still_pass_the_gate() -> None:
    for sql in (
        "SELECT name, count(*) FROM events_json GROUP BY 1",
        "SELECT x FROM UNNEST(ARRAY[1, 2]) AS t(x)",
        "SELECT json_extract_scalar(payload, '$.a'), regexp_extract(name, 'a(b)', 1) FROM t",
    ):
        assert parse(sql) is not None


def test_a_query_through_the_session_reaches_no_other_server(
    endpoint: Settings, glue: Any, s3: Any, lake: Any, trap: tuple[int, list[str]]
) -> None:
    port, hits = trap
    url = f"http://127.0.0.1:{port}/x"
    with Session(endpoint, glue_client=glue, s3_client=s3, database="events_db") as session:
        for sql in (
            f"SELECT * FROM read_json('{url}')",
            f'SELECT * FROM "{url}"',
            f"SELECT * FROM events_json WHERE payload IN (SELECT * FROM read_text('{url}'))",
            f"CREATE SECRET e (TYPE s3, ENDPOINT '127.0.0.1:{port}', URL_STYLE 'path')",
            f"SET s3_endpoint = '127.0.0.1:{port}'",
        ):
            with pytest.raises(QueryError):
                session.execute(sql)
        assert session.execute("SELECT count(*) FROM events_json").rows[0][0] > 0
    assert hits == []
