"""Athena clients from PyPI, unchanged, against the sandbox's Athena endpoint on a seeded lake.

Each client is pointed at the sandbox the way the README's "Use the sandbox from Athena clients"
section says (the snippets there are these tests' code), with dummy credentials, and must return
the seed manifest's answers for both tables. A socket guard records every host a client resolves
or connects to: anything but the sandbox's loopback endpoint fails the test, so a client's hidden
S3 or STS client cannot reach AWS unnoticed (it sees Python's sockets: that is why PyAthena's
ArrowCursor is not here -- it downloads the result file with pyarrow's S3FileSystem, which
PyAthena builds without an endpoint and which ignores ``AWS_ENDPOINT_URL``, apache/arrow#49643,
so it would go to AWS's S3; the README says so). The CLI (``sandbox query``/``analyze``) is one more
client: its default path is the API, and its in-process engine must print the same.

The write paths (CTAS, ``ctas_approach=True``, UNLOAD, dbt) are not covered here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.generate import Manifest, read_manifest
from tests.conftest import SeededLake, run_cli

pytestmark = pytest.mark.integration

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


# -- the lake and the endpoint ------------------------------------------------------------------


class Lake:
    """What a client needs to know about the seeded platform."""

    def __init__(self, seeded: SeededLake) -> None:
        platform = seeded.platform
        self.endpoint = platform.settings.endpoint_url
        self.region = platform.settings.region
        self.database = platform.outputs.database
        self.workgroup = platform.outputs.workgroup
        self.tables = {
            "json": platform.outputs.json_table,
            "parquet": platform.outputs.parquet_table,
        }
        self.manifest: Manifest = read_manifest(seeded.data_file)
        athena = platform.client("athena")
        group = athena.get_work_group(WorkGroup=self.workgroup)["WorkGroup"]
        self.output_location: str = group["Configuration"]["ResultConfiguration"]["OutputLocation"]
        self.platform = platform


@pytest.fixture(scope="module")
def lake(seeded_lake: SeededLake) -> Lake:
    assert seeded_lake.seed.returncode == 0, seeded_lake.seed.stderr
    found = Lake(seeded_lake)
    for table in found.tables.values():
        proc = run_cli(found.platform, "query", f"MSCK REPAIR TABLE {table}")
        assert proc.returncode == 0, proc.stderr
    return found


@pytest.fixture
def aws_env(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment the README gives every client: dummy credentials, the sandbox's region,
    and ``AWS_ENDPOINT_URL`` so that any boto3 client a library makes stays on the sandbox."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "WR_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", lake.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", lake.endpoint)
    yield


@pytest.fixture
def only_the_sandbox(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Records every name resolved and address connected to; fails on anything not local."""
    contacted: list[Any] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        contacted.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> Any:
        contacted.append(address[0] if isinstance(address, tuple) else address)
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield contacted
    elsewhere = {
        str(h) for h in contacted if not (isinstance(h, str) and h.startswith("/"))
    } - LOCAL_HOSTS
    assert elsewhere == set(), f"a client reached beyond the sandbox: {sorted(elsewhere)}"


def per_name_sql(table: str) -> str:
    return (
        f"SELECT name, count(*) AS events, count(DISTINCT payload_md5) AS distinct_events "
        f"FROM {table} GROUP BY name ORDER BY name"
    )


def span_sql(table: str) -> str:
    return f"SELECT count(*) AS events, min(tstamp) AS first, max(tstamp) AS last FROM {table}"


def assert_per_name(rows: list[tuple[Any, ...]], manifest: Manifest) -> None:
    assert {r[0]: r[1] for r in rows} == manifest.events_per_name
    assert {r[0]: r[2] for r in rows} == manifest.distinct_events_per_name
    assert all(type(r[1]) is int for r in rows)


def assert_span(row: tuple[Any, ...], manifest: Manifest) -> None:
    assert row[0] == manifest.events_total
    assert manifest.tstamp_min and manifest.tstamp_max
    assert row[1] == datetime.fromisoformat(manifest.tstamp_min)
    assert row[2] == datetime.fromisoformat(manifest.tstamp_max)


# -- boto3 and the AWS CLI ----------------------------------------------------------------------


def boto3_rows(lake: Lake, sql: str) -> tuple[list[dict[str, Any]], list[list[str | None]]]:
    """The README's boto3 snippet: submit, poll, page through the results."""
    import boto3

    athena = boto3.client("athena")  # endpoint, region and credentials from the environment
    query_id = athena.start_query_execution(
        QueryString=sql,
        WorkGroup=lake.workgroup,
        QueryExecutionContext={"Database": lake.database},
    )["QueryExecutionId"]
    while True:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    assert status["State"] == "SUCCEEDED", status
    pages = athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id)
    info: list[dict[str, Any]] = []
    rows: list[list[str | None]] = []
    for page in pages:
        info = info or page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    return info, rows


@pytest.mark.parametrize("label", ["json", "parquet"])
def test_boto3_client_and_paginator(
    lake: Lake, aws_env: None, only_the_sandbox: list[Any], label: str
) -> None:
    info, rows = boto3_rows(lake, per_name_sql(lake.tables[label]))
    assert [c["Name"] for c in info] == ["name", "events", "distinct_events"]
    assert [c["Type"] for c in info] == ["varchar", "bigint", "bigint"]
    assert rows[0] == ["name", "events", "distinct_events"]  # SELECT results: a header row first
    typed = [(r[0], int(r[1] or 0), int(r[2] or 0)) for r in rows[1:]]
    assert_per_name(typed, lake.manifest)


def test_aws_cli(lake: Lake, aws_env: None) -> None:
    aws = [str(Path(sys.executable).with_name("aws")), "--endpoint-url", lake.endpoint]

    def cli(*args: str) -> Any:
        proc = subprocess.run(
            [*aws, "athena", *args, "--output", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    sql = f"SELECT count(*) AS events FROM {lake.tables['parquet']}"
    query_id = cli(
        "start-query-execution",
        "--query-string",
        sql,
        "--work-group",
        lake.workgroup,
        "--query-execution-context",
        f"Database={lake.database}",
    )["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution = cli("get-query-execution", "--query-execution-id", query_id)
        if execution["QueryExecution"]["Status"]["State"] not in ("QUEUED", "RUNNING"):
            break
        time.sleep(0.2)
    assert execution["QueryExecution"]["Status"]["State"] == "SUCCEEDED", execution
    results = cli("get-query-results", "--query-execution-id", query_id)
    assert results["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == str(
        lake.manifest.events_total
    )


# -- PyAthena -----------------------------------------------------------------------------------


def pyathena_connection(lake: Lake, cursor_class: Any = None) -> Any:
    """The README's PyAthena snippet."""
    from pyathena import connect

    return connect(
        endpoint_url=lake.endpoint,  # Athena's, and the S3 reads of the Pandas/Arrow cursors
        region_name=lake.region,
        work_group=lake.workgroup,
        s3_staging_dir=lake.output_location,
        schema_name=lake.database,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        **({"cursor_class": cursor_class} if cursor_class else {}),
    )


@pytest.mark.parametrize("label", ["json", "parquet"])
def test_pyathena_cursor(
    lake: Lake, aws_env: None, only_the_sandbox: list[Any], label: str
) -> None:
    with pyathena_connection(lake) as conn:
        cursor = conn.cursor()
        cursor.execute(per_name_sql(lake.tables[label]))
        assert [d[0] for d in cursor.description] == ["name", "events", "distinct_events"]
        assert_per_name(cursor.fetchall(), lake.manifest)
        cursor.execute(span_sql(lake.tables[label]))
        assert_span(cursor.fetchone(), lake.manifest)
        assert cursor.data_scanned_in_bytes > 0
        assert cursor.output_location.endswith(f"{cursor.query_id}.csv")


@pytest.mark.parametrize("label", ["json", "parquet"])
def test_pyathena_pandas_cursor(
    lake: Lake, aws_env: None, only_the_sandbox: list[Any], label: str
) -> None:
    from pyathena.pandas.cursor import PandasCursor

    with pyathena_connection(lake, PandasCursor) as conn:
        frame = conn.cursor().execute(per_name_sql(lake.tables[label])).as_pandas()
        rows = [(r.name, int(r.events), int(r.distinct_events)) for r in frame.itertuples()]
        assert_per_name(rows, lake.manifest)
        assert str(frame["events"].dtype) == "Int64" or frame["events"].dtype.kind == "i"
        span = conn.cursor().execute(span_sql(lake.tables[label])).as_pandas()
        first = span.iloc[0]
        assert_span(
            (int(first["events"]), first["first"].to_pydatetime(), first["last"].to_pydatetime()),
            lake.manifest,
        )


def test_pyathena_metadata(lake: Lake, aws_env: None, only_the_sandbox: list[Any]) -> None:
    with pyathena_connection(lake) as conn:
        cursor = conn.cursor()
        assert lake.database in [d.name for d in cursor.list_databases("AwsDataCatalog")]
        names = {t.name for t in cursor.list_table_metadata(schema_name=lake.database)}
        assert set(lake.tables.values()) <= names
        table = cursor.get_table_metadata(lake.tables["parquet"], schema_name=lake.database)
        assert [c.name for c in table.partition_keys] == ["name", "d"]
        assert "tstamp" in [c.name for c in table.columns]


def test_pyathena_reports_athena_errors(lake: Lake, aws_env: None) -> None:
    from pyathena.error import OperationalError

    with (
        pyathena_connection(lake) as conn,
        pytest.raises(OperationalError, match="TABLE_NOT_FOUND"),
    ):
        conn.cursor().execute("SELECT * FROM no_such_table")


# -- awswrangler --------------------------------------------------------------------------------


@pytest.fixture
def wr(lake: Lake, aws_env: None) -> Iterator[Any]:
    """awswrangler pointed at the sandbox (the README's snippet), its settings restored after."""
    import awswrangler as wrangler

    wrangler.config.athena_endpoint_url = lake.endpoint
    wrangler.config.s3_endpoint_url = lake.endpoint
    wrangler.config.glue_endpoint_url = lake.endpoint
    wrangler.config.sts_endpoint_url = lake.endpoint
    try:
        yield wrangler
    finally:
        for service in ("athena", "s3", "glue", "sts"):
            wrangler.config.reset(f"{service}_endpoint_url")


@pytest.mark.parametrize("label", ["json", "parquet"])
def test_awswrangler_read_sql_query(
    lake: Lake, wr: Any, only_the_sandbox: list[Any], label: str
) -> None:
    frame = wr.athena.read_sql_query(
        per_name_sql(lake.tables[label]),
        database=lake.database,
        workgroup=lake.workgroup,
        ctas_approach=False,
    )
    rows = [(r.name, int(r.events), int(r.distinct_events)) for r in frame.itertuples()]
    assert_per_name(rows, lake.manifest)


def test_awswrangler_start_and_get_results(
    lake: Lake, wr: Any, only_the_sandbox: list[Any]
) -> None:
    query_id = wr.athena.start_query_execution(
        span_sql(lake.tables["parquet"]), database=lake.database, workgroup=lake.workgroup
    )
    wr.athena.wait_query(query_id)
    frame = wr.athena.get_query_results(query_id)
    first = frame.iloc[0]
    assert int(first["events"]) == lake.manifest.events_total


def test_awswrangler_catalog(lake: Lake, wr: Any, only_the_sandbox: list[Any]) -> None:
    assert lake.database in set(wr.catalog.databases()["Database"])
    tables = set(wr.catalog.tables(database=lake.database)["Table"])
    assert set(lake.tables.values()) <= tables


# -- the CLI: a client of the same API ----------------------------------------------------------


def cli_json(lake: Lake, *args: str) -> Any:
    proc = run_cli(lake.platform, *args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


STATEMENTS = [
    "SELECT 1 AS one, 'x' AS text, CAST(2.5 AS double) AS real_number",
    "SELECT name, count(*) AS events FROM {parquet} GROUP BY name ORDER BY name",
    "SELECT count(*) AS events, min(tstamp) AS first, max(tstamp) AS last FROM {json}",
    "SHOW PARTITIONS {parquet}",
    "SHOW TABLES",
]


@pytest.mark.parametrize("template", STATEMENTS)
def test_the_cli_goes_through_the_api_and_matches_the_engine_alone(
    lake: Lake, template: str
) -> None:
    sql = template.format(**lake.tables)
    via_api = cli_json(lake, "query", sql)
    in_process = cli_json(lake, "query", "--engine", "duckdb", sql)
    assert via_api["engine"] == "sandbox" and in_process["engine"] == "duckdb"
    for key in ("columns", "rows", "bytes_scanned", "cost_usd", "statement_type"):
        assert via_api[key] == in_process[key], key


def test_analyze_through_the_api_matches_the_manifest_and_the_engine_alone(lake: Lake) -> None:
    via_api = cli_json(lake, "analyze")
    in_process = cli_json(lake, "analyze", "--engine", "duckdb")
    assert [c for c in via_api["checks"] if not c["ok"]] == []
    assert via_api["checks"] and len(via_api["checks"]) == len(in_process["checks"])
    for api_run, local_run in zip(via_api["runs"], in_process["runs"], strict=True):
        assert api_run["error"] is None, api_run
        for key in ("columns", "rows", "bytes_scanned", "statement_type"):
            assert api_run["result"][key] == local_run["result"][key], (api_run["query"], key)


def test_cli_errors_are_athenas(lake: Lake) -> None:
    proc = run_cli(lake.platform, "query", "SELECT nope FROM no_such_table")
    assert proc.returncode == 1
    assert "TABLE_NOT_FOUND" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


# -- the README's snippets, as written ---------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_snippets(lake: Lake) -> dict[str, str]:
    """The Python blocks of the README's "Use the sandbox from Athena clients" section, keyed
    by the client each one is for, with the default names replaced by this test lake's."""
    text = README.read_text()
    section = text.split("## Use the sandbox from Athena clients", 1)[1].split("\n## ", 1)[0]
    names = {
        "http://127.0.0.1:4566": lake.endpoint,
        "s3://sandbox-athena-results/results/": lake.output_location,
        "sandbox-analytics": lake.workgroup,
        "events_db": lake.database,
        "events_parquet": lake.tables["parquet"],
        "events_json": lake.tables["json"],
        "us-east-1": lake.region,
    }
    snippets = {}
    for block in section.split("```python\n")[1:]:
        code = block.split("```", 1)[0]
        for default, actual in names.items():
            code = code.replace(default, actual)
        client = next(c for c in ("awswrangler", "pyathena", "boto3") if f" {c}" in code)
        snippets[client] = code
    return snippets


@pytest.mark.parametrize("client", ["boto3", "pyathena", "awswrangler"])
def test_the_readme_snippets_run_as_written(
    lake: Lake, aws_env: None, only_the_sandbox: list[Any], client: str
) -> None:
    code = readme_snippets(lake)[client]
    scope: dict[str, Any] = {}
    try:
        exec(compile(code, f"README.md ({client})", "exec"), scope)
    finally:
        if client == "awswrangler":
            for service in ("athena", "s3", "glue", "sts"):
                scope["wr"].config.reset(f"{service}_endpoint_url")
    if client == "boto3":
        assert {r[0]: int(r[1] or 0) for r in scope["rows"][1:]} == lake.manifest.events_per_name
    elif client == "pyathena":
        assert dict(scope["rows"]) == lake.manifest.events_per_name
        assert len(scope["frame"]) == 10
    else:
        frame = scope["frame"]
        assert dict(zip(frame["name"], frame["events"], strict=True)) == (
            lake.manifest.events_per_name
        )
