"""Athena's write paths on the running sandbox, through its API, with clients from PyPI unchanged.

boto3 runs CTAS, INSERT INTO, UNLOAD, the Hive DDL and views and reads back what Athena reports
(StatementType/SubstatementType, Statistics.DataManifestLocation and the manifest's lines,
UpdateCount) and what Glue holds (GetTable); awswrangler runs its fast paths: ``read_sql_query``
with ``ctas_approach=True`` (a CTAS into a temporary Glue table, the manifest's Parquet files,
the table dropped), ``unload_approach=True``, ``create_ctas_table``, and ``s3.to_parquet(dataset=
True, database=..., table=...)`` followed by a query. Answers are checked against the seed
manifest of a lake nobody else writes to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.generate import Manifest, read_manifest
from sandbox.infra.outputs import read_outputs
from tests.conftest import SeededLake, run_cli
from tests.integration import lake as lake_helpers

pytestmark = pytest.mark.integration


class Lake:
    def __init__(self, seeded: SeededLake) -> None:
        platform = seeded.platform
        self.platform = platform
        self.endpoint = platform.settings.endpoint_url
        self.region = platform.settings.region
        self.database = platform.outputs.database
        self.workgroup = platform.outputs.workgroup
        self.bucket = platform.outputs.bucket
        self.parquet = platform.outputs.parquet_table
        self.json = platform.outputs.json_table
        self.manifest: Manifest = read_manifest(seeded.data_file)
        athena = platform.client("athena")
        group = athena.get_work_group(WorkGroup=self.workgroup)["WorkGroup"]
        self.results: str = group["Configuration"]["ResultConfiguration"]["OutputLocation"]

    def client(self, service: str) -> Any:
        return self.platform.client(service)

    def run(self, sql: str, database: str | None = None) -> dict[str, Any]:
        """Submit through the API, wait (bounded), return the final QueryExecution."""
        athena = self.client("athena")
        query_id = athena.start_query_execution(
            QueryString=sql,
            WorkGroup=self.workgroup,
            QueryExecutionContext={"Database": database or self.database},
        )["QueryExecutionId"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return dict(execution)
            time.sleep(0.05)
        raise AssertionError(f"{query_id} did not finish in 120 s")

    def ok(self, sql: str, database: str | None = None) -> dict[str, Any]:
        execution = self.run(sql, database)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        return execution

    def rows(self, sql: str) -> list[list[str | None]]:
        execution = self.ok(sql)
        athena = self.client("athena")
        pages = athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=execution["QueryExecutionId"]
        )
        out = [
            [d.get("VarCharValue") for d in r["Data"]]
            for p in pages
            for r in p["ResultSet"]["Rows"]
        ]
        return out[1:] if execution["StatementType"] == "DML" else out

    def read(self, url: str) -> bytes:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        return bytes(self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.fixture(scope="module")
def lake(seeded_lake: SeededLake) -> Lake:
    assert seeded_lake.seed.returncode == 0, seeded_lake.seed.stderr
    found = Lake(seeded_lake)
    for table in (found.json, found.parquet):
        proc = run_cli(found.platform, "query", f"MSCK REPAIR TABLE {table}")
        assert proc.returncode == 0, proc.stderr
    return found


def unique(stem: str) -> str:
    return f"{stem}_{uuid.uuid4().hex[:8]}"


def per_name(lake: Lake) -> dict[str, int]:
    return dict(lake.manifest.events_per_name)


# -- boto3 --------------------------------------------------------------------------------------


def test_ctas_reports_the_manifest_and_registers_the_table(lake: Lake) -> None:
    name = unique("ctas")
    execution = lake.ok(
        f"CREATE TABLE {name} WITH (format = 'PARQUET', partitioned_by = ARRAY['name']) AS "
        f"SELECT count(*) AS events, name FROM {lake.parquet} GROUP BY name"
    )
    assert (execution["StatementType"], execution["SubstatementType"]) == (
        "DML",
        "CREATE_TABLE_AS_SELECT",
    )
    stats = execution["Statistics"]
    assert stats["DataScannedInBytes"] > 0
    query_id = execution["QueryExecutionId"]
    assert stats["DataManifestLocation"] == f"{lake.results}{query_id}-manifest.csv"
    files = lake.read(stats["DataManifestLocation"]).decode().splitlines()
    location = f"{lake.results}tables/{query_id}/"
    assert len(files) == len(per_name(lake))
    assert all(f.startswith(location + "name=") for f in files)
    results = lake.client("athena").get_query_results(QueryExecutionId=query_id)
    assert results["UpdateCount"] == len(per_name(lake))
    table = lake.client("glue").get_table(DatabaseName=lake.database, Name=name)["Table"]
    assert table["StorageDescriptor"]["Location"] == location
    assert table["PartitionKeys"] == [{"Name": "name", "Type": "string"}]
    back = lake.rows(f"SELECT name, events FROM {name}")
    assert {r[0]: int(r[1] or 0) for r in back} == per_name(lake)
    again = lake.run(
        f"CREATE TABLE {unique('ctas')} WITH (external_location = '{location}') AS SELECT 1 AS x"
    )
    assert again["Status"]["State"] == "FAILED"
    # The sandbox's workgroup enforces its result location, so Athena refuses external_location.
    assert "external_location" in again["Status"]["StateChangeReason"]
    dropped = lake.ok(f"DROP TABLE {name}")
    assert (dropped["StatementType"], dropped["SubstatementType"]) == ("DDL", "DROP_TABLE")


def test_insert_into_and_unload(lake: Lake) -> None:
    name = unique("ins")
    location = f"s3://{lake.bucket}/tests/{name}/"
    lake.ok(
        f"CREATE EXTERNAL TABLE {name} (events bigint) PARTITIONED BY (name string) "
        f"STORED AS PARQUET LOCATION '{location}'"
    )
    execution = lake.ok(f"INSERT INTO {name} SELECT count(*), name FROM {lake.json} GROUP BY name")
    assert execution["SubstatementType"] == "INSERT"
    assert execution["Statistics"]["DataManifestLocation"].endswith("-manifest.csv")
    lake.ok(f"INSERT INTO {name} VALUES (1, 'extra')")
    back = {r[0]: int(r[1] or 0) for r in lake.rows(f"SELECT name, events FROM {name}")}
    assert back == {**per_name(lake), "extra": 1}
    partitions = lake.client("glue").get_partitions(DatabaseName=lake.database, TableName=name)
    assert len(partitions["Partitions"]) == len(per_name(lake)) + 1
    target = f"s3://{lake.bucket}/tests/unload_{name}/"
    unload = lake.ok(
        f"UNLOAD (SELECT events, name FROM {name}) TO '{target}' "
        "WITH (format = 'JSON', partitioned_by = ARRAY['name'])"
    )
    assert unload["SubstatementType"] == "UNLOAD"
    files = lake.read(unload["Statistics"]["DataManifestLocation"]).decode().splitlines()
    assert files and all(f.startswith(target + "name=") and f.endswith(".gz") for f in files)
    refused = lake.run(f"UNLOAD (SELECT 1 AS x) TO '{target}' WITH (format = 'PARQUET')")
    assert refused["Status"]["State"] == "FAILED"
    assert refused["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")


def test_ddl_and_views_through_the_api(lake: Lake) -> None:
    database = unique("scratch")
    created = lake.ok(f"CREATE DATABASE {database} COMMENT 'scratch'")
    assert (created["StatementType"], created["SubstatementType"]) == ("DDL", "CREATE_DATABASE")
    glue = lake.client("glue")
    assert glue.get_database(Name=database)["Database"]["Description"] == "scratch"
    lake.ok(
        f"CREATE EXTERNAL TABLE {database}.events (tstamp timestamp, payload string, "
        "payload_md5 string) PARTITIONED BY (name string) STORED AS PARQUET "
        f"LOCATION 's3://{lake.bucket}/events_raw/parquet/'"
    )
    lake.ok(f"MSCK REPAIR TABLE {database}.events")
    view = lake.ok(
        f"CREATE VIEW {database}.per_name AS "
        f"SELECT name, count(*) AS events FROM {database}.events GROUP BY name"
    )
    assert (view["StatementType"], view["SubstatementType"]) == ("DDL", "CREATE_VIEW")
    raw = glue.get_table(DatabaseName=database, Name="per_name")["Table"]
    assert raw["TableType"] == "VIRTUAL_VIEW"
    assert raw["ViewOriginalText"].startswith("/* Presto View: ")
    back = {r[0]: int(r[1] or 0) for r in lake.rows(f"SELECT * FROM {database}.per_name")}
    assert back == per_name(lake)
    assert lake.rows(f"SHOW VIEWS IN {database}") == [["per_name"]]
    lines = [r[0] for r in lake.rows(f"SHOW CREATE TABLE {database}.events")]
    assert lines[0] == f"CREATE EXTERNAL TABLE `{database}`.`events`("
    lake.ok(f"DROP VIEW {database}.per_name")
    failed = lake.run(f"DROP DATABASE {database}")
    assert failed["Status"]["State"] == "FAILED"
    lake.ok(f"DROP DATABASE {database} CASCADE")
    assert database not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]


# -- awswrangler --------------------------------------------------------------------------------


@pytest.fixture
def wr(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """awswrangler pointed at the sandbox as the README says, settings restored after."""
    import awswrangler as wrangler

    environment = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": lake.region,
        "AWS_ENDPOINT_URL": lake.endpoint,
    }
    for variable in [v for v in os.environ if v.startswith(("AWS_", "WR_"))]:
        monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    for service in ("athena", "s3", "glue", "sts"):
        setattr(wrangler.config, f"{service}_endpoint_url", lake.endpoint)
    try:
        yield wrangler
    finally:
        for service in ("athena", "s3", "glue", "sts"):
            wrangler.config.reset(f"{service}_endpoint_url")


def per_name_sql(lake: Lake, table: str) -> str:
    return f"SELECT name, count(*) AS events FROM {table} GROUP BY name"


@pytest.mark.parametrize("table", ["json", "parquet"])
def test_awswrangler_ctas_approach(lake: Lake, wr: Any, table: str) -> None:
    glue = lake.client("glue")
    before = {t["Name"] for t in glue.get_tables(DatabaseName=lake.database)["TableList"]}
    frame = wr.athena.read_sql_query(
        per_name_sql(lake, getattr(lake, table)),
        database=lake.database,
        workgroup=lake.workgroup,
        ctas_approach=True,
    )
    assert {r.name: int(r.events) for r in frame.itertuples()} == per_name(lake)
    after = {t["Name"] for t in glue.get_tables(DatabaseName=lake.database)["TableList"]}
    assert after == before  # the temporary table is dropped


def test_awswrangler_unload_approach(lake: Lake, wr: Any) -> None:
    frame = wr.athena.read_sql_query(
        per_name_sql(lake, lake.parquet),
        database=lake.database,
        workgroup=lake.workgroup,
        ctas_approach=False,
        unload_approach=True,
        # awswrangler follows a manifest only into the manifest's bucket: the results bucket.
        s3_output=f"{lake.results}unload/{unique('unload')}/",
    )
    assert {r.name: int(r.events) for r in frame.itertuples()} == per_name(lake)


def test_awswrangler_create_ctas_table_and_to_parquet(lake: Lake, wr: Any) -> None:
    name = unique("wr_ctas")
    info = wr.athena.create_ctas_table(
        # Partition columns last, as Athena requires.
        sql=f"SELECT count(*) AS events, name FROM {lake.json} GROUP BY name",
        database=lake.database,
        ctas_table=name,
        workgroup=lake.workgroup,
        partitioning_info=["name"],
        wait=True,
    )
    assert info["ctas_table"] == name
    frame = wr.athena.read_sql_query(
        f"SELECT name, events FROM {name}",
        database=lake.database,
        workgroup=lake.workgroup,
        ctas_approach=False,
    )
    assert {r.name: int(r.events) for r in frame.itertuples()} == per_name(lake)
    import pandas as pd

    written = unique("wr_dataset")
    df = pd.DataFrame({"id": [1, 2, 3], "kind": ["a", "b", "a"]})
    wr.s3.to_parquet(
        df,
        path=f"s3://{lake.bucket}/tests/{written}/",
        dataset=True,
        database=lake.database,
        table=written,
        partition_cols=["kind"],
    )
    counts = wr.athena.read_sql_query(
        f"SELECT kind, count(*) AS n, sum(id) AS total FROM {written} GROUP BY kind",
        database=lake.database,
        workgroup=lake.workgroup,
    )
    assert {r.kind: (int(r.n), int(r.total)) for r in counts.itertuples()} == {
        "a": (2, 4),
        "b": (1, 2),
    }


# -- restart ------------------------------------------------------------------------------------


def test_glue_writes_made_by_sql_survive_a_restart(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A sandbox of this test's own: DDL, a CTAS and a view made through Athena's API are in
    Glue (and their data in S3) after ``sandbox down`` and ``sandbox up``, and answer the same."""
    settings, env = lake_helpers.own_sandbox(tmp_path_factory.mktemp("writes-restart"))

    def cli(*args: str) -> None:
        command = [sys.executable, "-m", "sandbox.cli", *args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"sandbox {' '.join(args)}: {done.stderr[-2000:]}"

    cli("up")
    try:
        outputs = read_outputs(settings)
        athena, glue = settings.client("athena"), settings.client("glue")

        def run(sql: str) -> list[list[str | None]]:
            query_id = athena.start_query_execution(QueryString=sql, WorkGroup=outputs.workgroup)[
                "QueryExecutionId"
            ]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
                if status["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                    break
                time.sleep(0.05)
            assert status["Status"]["State"] == "SUCCEEDED", status["Status"]
            rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
            return [[d.get("VarCharValue") for d in r["Data"]] for r in rows]

        run("CREATE DATABASE kept COMMENT 'made by SQL'")
        run(
            "CREATE EXTERNAL TABLE kept.ddl (a string) PARTITIONED BY (p string) "
            f"STORED AS PARQUET LOCATION 's3://{outputs.bucket}/kept/ddl/'"
        )
        run("CREATE TABLE kept.ctas AS SELECT * FROM (VALUES (1, 'x'), (2, 'y')) AS t(n, s)")
        run("CREATE VIEW kept.v AS SELECT sum(n) AS total FROM kept.ctas")
        before = {
            name: glue.get_table(DatabaseName="kept", Name=name)["Table"]
            for name in ("ddl", "ctas", "v")
        }
        cli("down")
        cli("up")
        for name, table in before.items():
            after = glue.get_table(DatabaseName="kept", Name=name)["Table"]
            for key in ("TableType", "StorageDescriptor", "PartitionKeys", "Parameters"):
                assert after.get(key) == table.get(key), (name, key)
            assert after.get("ViewOriginalText") == table.get("ViewOriginalText")
        assert glue.get_database(Name="kept")["Database"]["Description"] == "made by SQL"
        assert run("SELECT total FROM kept.v")[1:] == [["3"]]
    finally:
        subprocess.run([sys.executable, "-m", "sandbox.cli", "down"], env=env, timeout=300)
