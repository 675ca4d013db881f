"""Athena's query API on the sandbox endpoint, through boto3 and the AWS CLI, on a lake filled
by the sandbox's own Firehose: answers equal the seed manifest's, failures have Athena's state
and error shape, and the result CSV in S3 is what GetQueryResults returns."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from sandbox.generate import read_manifest
from sandbox.query.api.results import parse_csv
from tests.conftest import SandboxHandle, SeededLake

pytestmark = pytest.mark.integration

FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}


def wait(athena: Any, query_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in FINAL or time.monotonic() > deadline:
            return execution
        time.sleep(0.05)


def run(platform: SandboxHandle, sql: str, **kwargs: Any) -> dict[str, Any]:
    athena = platform.client("athena")
    request: dict[str, Any] = {
        "QueryString": sql,
        "WorkGroup": platform.outputs.workgroup,
        "QueryExecutionContext": {"Database": platform.outputs.database},
    }
    request.update(kwargs)
    query_id = athena.start_query_execution(**request)["QueryExecutionId"]
    return wait(athena, query_id)


def rows(platform: SandboxHandle, query_id: str) -> list[list[str | None]]:
    paginator = platform.client("athena").get_paginator("get_query_results")
    out: list[list[str | None]] = []
    for page in paginator.paginate(QueryExecutionId=query_id, PaginationConfig={"PageSize": 2}):
        out += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    return out


@pytest.fixture(scope="module")
def lake(seeded_lake: SeededLake) -> SeededLake:
    assert seeded_lake.seed.returncode == 0, seeded_lake.seed.stderr
    outputs = seeded_lake.platform.outputs
    for table in (outputs.json_table, outputs.parquet_table):
        execution = run(seeded_lake.platform, f"MSCK REPAIR TABLE {table}")
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        assert execution["StatementType"] == "DDL"
    return seeded_lake


def test_events_per_name_equal_the_manifest_on_both_tables(lake: SeededLake) -> None:
    platform = lake.platform
    manifest = read_manifest(lake.data_file)
    for table in (platform.outputs.json_table, platform.outputs.parquet_table):
        execution = run(platform, f"SELECT name, count(*) AS events FROM {table} GROUP BY name")
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        assert execution["Statistics"]["DataScannedInBytes"] > 0
        got = rows(platform, execution["QueryExecutionId"])
        assert got[0] == ["name", "events"]
        assert {name: int(n or 0) for name, n in got[1:]} == manifest.events_per_name  # type: ignore[misc]


def test_the_result_csv_in_s3_is_what_get_query_results_returns(lake: SeededLake) -> None:
    platform = lake.platform
    table = platform.outputs.parquet_table
    execution = run(
        platform,
        f"SELECT name, min(tstamp) AS first, CAST(NULL AS varchar) AS nothing, "
        f"ARRAY[1, 2] AS pair FROM {table} GROUP BY name ORDER BY name",
    )
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    location = execution["ResultConfiguration"]["OutputLocation"]
    bucket, key = location.removeprefix("s3://").split("/", 1)
    assert bucket == platform.outputs.results_bucket and key.endswith(".csv")
    s3 = platform.client("s3")
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    header, body = parse_csv(text)
    api = rows(platform, execution["QueryExecutionId"])
    assert [header, *body] == api
    assert api[1][1] and len(api[1][1].split(".")[-1]) == 3  # milliseconds
    assert api[1][2] is None and api[1][3] == "[1, 2]"
    assert s3.head_object(Bucket=bucket, Key=key + ".metadata")["ContentLength"] > 0
    results = platform.client("athena").get_query_results(
        QueryExecutionId=execution["QueryExecutionId"], MaxResults=1
    )
    info = results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Type"] for c in info] == ["varchar", "timestamp", "varchar", "array"]
    assert "NextToken" in results


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT FROM WHERE", "SYNTAX_ERROR: line 1:"),
        ("SELECT * FROM no_such_table", "TABLE_NOT_FOUND: line 1:15: Table"),
        (
            "SELECT no_such_column FROM {table}",
            "COLUMN_NOT_FOUND: line 1:8: Column 'no_such_column'",
        ),
    ],
)
def test_failures_have_athena_state_and_error(lake: SeededLake, sql: str, message: str) -> None:
    platform = lake.platform
    execution = run(platform, sql.format(table=platform.outputs.json_table))
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert status["AthenaError"]["ErrorMessage"].startswith(message), status
    assert status["AthenaError"]["ErrorCategory"] == 2
    assert status["AthenaError"]["Retryable"] is False
    assert status["StateChangeReason"] == status["AthenaError"]["ErrorMessage"]
    athena = platform.client("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])


def test_the_bytes_scanned_cutoff_cancels_the_query(lake: SeededLake) -> None:
    platform = lake.platform
    # Athena's minimum cutoff is 10 MB, more than this lake: botocore's check is turned off.
    athena = platform.settings.client("athena", config=Config(parameter_validation=False))
    name = f"cutoff{uuid.uuid4().hex[:6]}"
    athena.create_work_group(
        Name=name,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{platform.outputs.results_bucket}/x/"},
            "BytesScannedCutoffPerQuery": 100,
        },
    )
    execution = run(platform, f"SELECT count(*) FROM {platform.outputs.json_table}", WorkGroup=name)
    assert execution["Status"]["State"] == "CANCELLED"
    assert execution["Status"]["StateChangeReason"] == "Bytes scanned limit was exceeded"


def test_the_cutoff_stops_a_scan_before_it_ends(lake: SeededLake) -> None:
    """A statement reading the table 40 times over, in a workgroup whose cutoff is one read's
    bytes, is CANCELLED having fetched far less than the 40 reads (checked during the scan, not
    only once the statement has read everything)."""
    platform = lake.platform
    table = platform.outputs.json_table
    once = run(platform, f"SELECT count(*) FROM {table}")
    assert once["Status"]["State"] == "SUCCEEDED"
    single = int(once["Statistics"]["DataScannedInBytes"])
    assert single > 0
    athena = platform.settings.client("athena", config=Config(parameter_validation=False))
    name = f"cutoff{uuid.uuid4().hex[:6]}"
    athena.create_work_group(
        Name=name,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{platform.outputs.results_bucket}/x/"},
            "BytesScannedCutoffPerQuery": single,
        },
    )
    reads = " UNION ALL ".join(f"SELECT count(*) AS n FROM {table}" for _ in range(40))
    execution = run(platform, f"SELECT sum(n) FROM ({reads})", WorkGroup=name)
    assert execution["Status"]["State"] == "CANCELLED"
    assert execution["Status"]["StateChangeReason"] == "Bytes scanned limit was exceeded"
    scanned = int(execution["Statistics"]["DataScannedInBytes"])
    assert single < scanned < 20 * single, (single, scanned)


def test_a_running_query_is_cancelled_and_others_still_answer(lake: SeededLake) -> None:
    platform = lake.platform
    athena = platform.client("athena")
    table = platform.outputs.json_table
    slow = athena.start_query_execution(
        QueryString=f"SELECT count(*) FROM {table} a CROSS JOIN {table} b CROSS JOIN {table} c",
        WorkGroup=platform.outputs.workgroup,
        QueryExecutionContext={"Database": platform.outputs.database},
    )["QueryExecutionId"]
    started = time.monotonic()
    quick = run(platform, "SELECT 1")
    assert quick["Status"]["State"] == "SUCCEEDED"
    athena.stop_query_execution(QueryExecutionId=slow)
    execution = wait(athena, slow, timeout=30)
    assert execution["Status"]["State"] == "CANCELLED"
    assert time.monotonic() - started < 30
    with pytest.raises(athena.exceptions.InvalidRequestException):
        athena.get_query_execution(QueryExecutionId=str(uuid.uuid4()))
    batch = athena.batch_get_query_execution(QueryExecutionIds=[slow, "no-such-id"])
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == [slow]
    assert batch["UnprocessedQueryExecutionIds"][0]["QueryExecutionId"] == "no-such-id"
    listed = athena.list_query_executions(WorkGroup=platform.outputs.workgroup)
    # newest first: the quick query was submitted after the slow one
    assert listed["QueryExecutionIds"][:2] == [quick["QueryExecutionId"], slow]


def test_metadata_comes_from_glue(lake: SeededLake) -> None:
    platform = lake.platform
    athena = platform.client("athena")
    names = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert platform.outputs.database in names
    table = athena.get_table_metadata(
        CatalogName="AwsDataCatalog",
        DatabaseName=platform.outputs.database,
        TableName=platform.outputs.parquet_table,
    )["TableMetadata"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["name", "d"]
    assert "location" in table["Parameters"]
    listed = athena.list_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName=platform.outputs.database
    )["TableMetadataList"]
    assert {platform.outputs.json_table, platform.outputs.parquet_table} <= {
        t["Name"] for t in listed
    }


def test_the_aws_cli_runs_a_query(lake: SeededLake, tmp_path: Path) -> None:
    platform = lake.platform
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=platform.settings.region,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )

    def cli(*args: str) -> dict[str, Any]:
        proc = subprocess.run(
            [
                aws,
                "--endpoint-url",
                platform.settings.endpoint_url,
                "--output",
                "json",
                "athena",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    table = platform.outputs.json_table
    started = cli(
        "start-query-execution",
        "--query-string",
        f"SELECT count(*) AS n FROM {table}",
        "--work-group",
        platform.outputs.workgroup,
        "--query-execution-context",
        f"Database={platform.outputs.database}",
    )
    query_id = started["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while True:
        state = cli("get-query-execution", "--query-execution-id", query_id)
        if state["QueryExecution"]["Status"]["State"] in FINAL or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert state["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    results = cli("get-query-results", "--query-execution-id", query_id)
    got = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    manifest = read_manifest(lake.data_file)
    assert got == [["n"], [str(manifest.events_total)]]


def test_the_short_path_answers_what_localstacks_chain_answers(
    lake: SeededLake, sandbox: SandboxHandle
) -> None:
    """GetQueryExecution and every GetQueryResults page, byte for byte, taken by the short path
    (what boto3 sends) and by LocalStack's generic chain (an explicit ``Accept``, which the
    short path leaves to it)."""
    platform = lake.platform
    columns = "name, tstamp, CAST(NULL AS varchar) AS nothing, 'null' AS word, ARRAY[1, 2] AS a"
    sql = f"SELECT {columns} FROM {platform.outputs.json_table} ORDER BY tstamp, name LIMIT 1200"
    query_id = run(platform, sql)["QueryExecutionId"]

    def raw_pages(accept: str | None) -> list[bytes]:
        athena = platform.client("athena")
        bodies: list[bytes] = []
        if accept:
            athena.meta.events.register(
                "before-send.athena.*",
                lambda request, **_: request.headers.__setitem__("Accept", accept),
            )
        athena.meta.events.register(
            "after-call.athena.*", lambda http_response, **_: bodies.append(http_response.content)
        )
        athena.get_query_execution(QueryExecutionId=query_id)
        token = None
        while True:
            kwargs: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 500}
            if token:
                kwargs["NextToken"] = token
            token = athena.get_query_results(**kwargs).get("NextToken")
            if not token:
                return bodies

    short, generic = raw_pages(None), raw_pages("application/x-amz-json-1.1")
    assert json.loads(short[0])["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    assert len(short) == 1 + 3  # the execution, then 1,200 rows and the header in 3 pages
    assert short == generic
    log = sandbox.settings.state.log_file.read_text(errors="replace")  # the LocalStack's own
    assert "Athena GetQueryResults takes the sandbox's short path" in log
    assert "Athena GetQueryExecution takes the sandbox's short path" in log


def test_athena_clients_keep_their_connection_other_services_do_not(lake: SeededLake) -> None:
    """A boto3 Athena client's start, polls and pages go over one TCP connection (the plugin
    takes LocalStack's ``Connection: close`` off Athena's responses, short path and generic
    chain alike); S3 answers keep it, and a client asking to close still gets its close."""
    import urllib3.connection

    platform = lake.platform
    connects: list[Any] = []
    original = urllib3.connection.connection.create_connection

    def counting(*args: Any, **kwargs: Any) -> Any:
        connects.append(args[0])
        return original(*args, **kwargs)

    def headers_of(client: Any) -> list[str | None]:
        seen: list[str | None] = []
        client.meta.events.register(
            "after-call.*.*",
            lambda http_response, **_: seen.append(http_response.headers.get("Connection")),
        )
        return seen

    urllib3.connection.connection.create_connection = counting
    try:
        athena = platform.client("athena")
        seen = headers_of(athena)
        query_id = run_with(athena, platform, "SELECT x FROM UNNEST(sequence(1, 2500)) AS t(x)")
        assert wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
        pages = athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id)
        assert sum(len(p["ResultSet"]["Rows"]) for p in pages) == 2501
        athena.list_work_groups()  # answered by moto
        # StartQueryExecution and ListWorkGroups took LocalStack's generic chain, the polls
        # and the 3 pages the short path.
        assert len(seen) >= 6 and set(seen) == {None}, seen
        assert len(connects) == 1, f"{len(connects)} connections for {len(seen)} calls"

        connects.clear()
        s3 = platform.client("s3")
        s3_seen = headers_of(s3)
        s3.list_buckets()
        s3.list_buckets()
        assert s3_seen == ["close", "close"]
        assert len(connects) == 2

        connects.clear()
        closing = platform.client("athena")
        closing_seen = headers_of(closing)
        closing.meta.events.register(
            "before-send.athena.*",
            lambda request, **_: request.headers.__setitem__("Connection", "close"),
        )
        closing.get_query_execution(QueryExecutionId=query_id)
        closing.get_query_execution(QueryExecutionId=query_id)
        assert closing_seen == ["close", "close"]
        assert len(connects) == 2
    finally:
        urllib3.connection.connection.create_connection = original


def run_with(athena: Any, platform: SandboxHandle, sql: str) -> str:
    return str(
        athena.start_query_execution(
            QueryString=sql,
            WorkGroup=platform.outputs.workgroup,
            QueryExecutionContext={"Database": platform.outputs.database},
        )["QueryExecutionId"]
    )
