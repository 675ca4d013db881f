"""The click commands: output formats and exit codes (1 for query errors, 2 for usage).

moto (these tests' AWS) has no Athena that executes statements, so the commands run on the
in-process path here (``--engine duckdb``: the endpoint's query service in this process, read by
the same client code); that the default goes through the endpoint's API is checked against a
stub client below, and against the sandbox itself in ``tests/integration/test_athena_clients.py``
(with the two paths' output compared)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sandbox.query.cli import analyze_command, query_command, stats_command
from sandbox.settings import Settings
from tests.unit.query.lakes import DATABASE, OUTPUTS, Lake


class InProcessRunner(CliRunner):
    """Invokes commands that take ``--engine`` with ``--engine duckdb`` first (a later
    ``--engine`` in the arguments still wins)."""

    def invoke(self, cli: Any, args: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if any(param.name == "engine" for param in cli.params):
            args = ["--engine", "duckdb", *(args or [])]
        return super().invoke(cli, args, **kwargs)


@pytest.fixture
def workgroup(endpoint: Settings, s3: Any) -> str:
    """The outputs' workgroup in moto, with its results bucket, as Terraform creates them."""
    name, bucket = OUTPUTS["athena_workgroup_name"], OUTPUTS["results_bucket_name"]
    s3.create_bucket(Bucket=bucket)
    endpoint.client("athena").create_work_group(
        Name=name,
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{bucket}/results/"},
            "EnforceWorkGroupConfiguration": True,
        },
    )
    return name


@pytest.fixture
def cli(endpoint: Settings, lake: Lake, workgroup: str) -> CliRunner:
    return InProcessRunner()


def test_query_prints_an_aligned_table(cli: CliRunner) -> None:
    result = cli.invoke(query_command, ["SELECT name, count(*) AS n FROM events_json GROUP BY 1"])
    assert result.exit_code == 0, result.output
    assert "account_created" in result.output and "Data scanned:" in result.output


def test_query_csv_and_json(cli: CliRunner, lake: Lake) -> None:
    sql = "SELECT count(*) AS events FROM events_parquet"
    csv_out = cli.invoke(query_command, ["--format", "csv", sql])
    assert csv_out.exit_code == 0
    assert csv_out.stdout == f"events\n{len(lake.events)}\n"
    json_out = cli.invoke(query_command, ["--format", "json", sql])
    document = json.loads(json_out.stdout)
    assert document["rows"] == [[len(lake.events)]] and document["bytes_scanned"] > 0


def test_query_from_a_file(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "q.sql"
    path.write_text("SHOW TABLES;\n")
    result = cli.invoke(query_command, ["--file", str(path), "--format", "csv"])
    assert result.stdout == "tab_name\nevents_json\nevents_parquet\n"


@pytest.mark.parametrize(
    "sql", ["SELEC 1", "SELECT * FROM nowhere", "SELECT date_format(now(), '%X')"]
)
def test_sql_errors_exit_1_with_one_line(cli: CliRunner, sql: str) -> None:
    result = cli.invoke(query_command, [sql])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["SELECT 1", "--file", __file__],
        ["--format", "xml", "SELECT 1"],
        ["--engine", "x", "SELECT 1"],
    ],
)
def test_usage_errors_exit_2(cli: CliRunner, args: list[str]) -> None:
    assert cli.invoke(query_command, args).exit_code == 2


def test_athena_engine_refuses_the_sandbox_credentials(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    result = cli.invoke(query_command, ["--engine", "athena", "SELECT 1"])
    assert result.exit_code == 1 and "dummy" in result.output


def test_analyze_runs_the_pack_and_compares(cli: CliRunner) -> None:
    result = cli.invoke(analyze_command, ["--only", "events_per_name", "--only", "one_partition"])
    assert result.exit_code == 0, result.output
    assert "events_per_name · events_json" in result.output
    assert "JSON vs Parquet" in result.output


def test_analyze_repairs_partitions_first(
    endpoint: Settings, glue: Any, s3: Any, workgroup: str
) -> None:
    from tests.unit.query.lakes import build_lake

    lake = build_lake(s3, glue, register_partitions=False)
    result = InProcessRunner().invoke(analyze_command, ["--only", "events_per_name"])
    assert result.exit_code == 0, result.output
    added = len(lake.partitions())
    assert f"partitions added: events_json +{added}, events_parquet +{added}" in result.output
    skipped = InProcessRunner().invoke(analyze_command, ["--no-repair", "--format", "csv"])
    assert "MSCK" not in skipped.output


def test_analyze_json_document(cli: CliRunner) -> None:
    result = cli.invoke(analyze_command, ["--format", "json", "--only", "duplicates"])
    document = json.loads(result.stdout)
    assert [run["table"] for run in document["runs"]] == ["events_json", "events_parquet"]
    assert document["comparison"]["rows"][-1][0] == "total"


def test_analyze_fails_when_the_manifest_disagrees(cli: CliRunner, tmp_path: Path) -> None:
    from sandbox.generate.generator import generate

    data = tmp_path / "events.jsonl"
    generate(20, 1, data)
    result = cli.invoke(
        analyze_command,
        ["--only", "events_per_name", "--manifest", str(tmp_path / "events.manifest.json")],
    )
    assert result.exit_code == 1
    assert "MISMATCH" in result.output and "differ from the seed manifest" in result.output


def test_analyze_unknown_query_is_a_usage_error(cli: CliRunner) -> None:
    assert cli.invoke(analyze_command, ["--only", "nope"]).exit_code == 2


def test_stats(cli: CliRunner, lake: Lake) -> None:
    result = cli.invoke(stats_command, [])
    assert result.exit_code == 0, result.output
    assert f"s3://{lake.bucket}" in result.output and "events_raw/json/" in result.output
    assert "Monthly cost" in result.output and "Athena (Parquet table)" in result.output
    document: dict[str, Any] = json.loads(cli.invoke(stats_command, ["--format", "json"]).stdout)
    assert document["raw"]["events"] == len(lake.events)
    assert document["prefixes"][0]["objects"] == len(lake.keys["json"])


def test_analyze_reads_the_settings_once(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import settings as settings_module

    loads: list[Settings] = []
    real = settings_module.load
    monkeypatch.setattr(settings_module, "load", lambda: loads.append(real()) or loads[-1])
    result = cli.invoke(analyze_command, ["--only", "events_per_name", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(loads) == 1


class StubAthenaApi:
    """Athena's API as the sandbox's endpoint answers one SELECT (Athena API reference shapes)."""

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def start_query_execution(self, **request: Any) -> dict[str, Any]:
        self.started.append(request)
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **_: Any) -> dict[str, Any]:
        return {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "Status": {"State": "SUCCEEDED"},
                "StatementType": "DML",
                "Statistics": {"DataScannedInBytes": 2048},
            }
        }

    def get_query_results(self, **_: Any) -> dict[str, Any]:
        info = [{"Name": "n", "Label": "n", "Type": "bigint"}]
        rows = [{"Data": [{"VarCharValue": "n"}]}, {"Data": [{"VarCharValue": "42"}]}]
        return {"ResultSet": {"ResultSetMetadata": {"ColumnInfo": info}, "Rows": rows}}


def test_query_goes_through_the_athena_api_by_default(
    endpoint: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = StubAthenaApi()
    real_client = Settings.client

    def client(self: Settings, service: str, **kwargs: Any) -> Any:
        return api if service == "athena" else real_client(self, service, **kwargs)

    monkeypatch.setattr(Settings, "client", client)
    result = CliRunner().invoke(query_command, ["--format", "json", "SELECT 42 AS n"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["rows"] == [[42]] and document["bytes_scanned"] == 2048
    assert document["engine"] == "sandbox"
    assert api.started == [
        {
            "QueryString": "SELECT 42 AS n",
            "WorkGroup": OUTPUTS["athena_workgroup_name"],
            "QueryExecutionContext": {"Database": DATABASE, "Catalog": "AwsDataCatalog"},
        }
    ]


@pytest.mark.parametrize(
    ("runner", "sql"),
    [(InProcessRunner, "SELECT count(*) FROM events_json"), (CliRunner, "SELECT 1")],
    ids=["in-process", "athena-api"],
)
def test_an_unreachable_endpoint_is_one_line_saying_make_up(
    endpoint: Settings, monkeypatch: pytest.MonkeyPatch, runner: type[CliRunner], sql: str
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SANDBOX_PORT", str(port))
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = runner().invoke(query_command, [sql])
    assert result.exit_code == 1 and "make up" in result.output
    assert result.output.count("\n") == 1
