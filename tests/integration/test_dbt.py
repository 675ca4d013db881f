"""dbt-athena (PyPI ``dbt-athena-community``), unchanged, builds tests/dbt_project/ on the sandbox.

``dbt build`` runs the project's seed (uploaded to S3, read through an OpenCSVSerde table, CTAS
to Parquet), a partitioned Parquet table model (CTAS), a view (a Presto view in Glue), an
incremental model (``insert_overwrite``: Glue partitions and S3 objects replaced, then INSERT
INTO) and its tests against a seeded lake nobody else writes to; a second build takes the
incremental path. The models' answers must equal the seed manifest's.

dbt-athena pins ``pyathena<3.35``, which conflicts with the project's constraints, so it lives in
a virtual environment of its own (``.sandbox/dbt-venv``, or ``SANDBOX_DBT_VENV``), created from
PyPI with tests/dbt_project/requirements.txt the first time (about two minutes) and reused.
Its S3 and Glue clients take no endpoint from the profile: the environment gives every client
``AWS_ENDPOINT_URL`` (the README's recipe).
"""

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

from sandbox.generate import read_manifest
from tests.conftest import ROOT, SeededLake, run_cli

pytestmark = pytest.mark.integration

PROJECT = ROOT / "tests" / "dbt_project"


def dbt_executable() -> Path:
    """The dbt of the test tier's own virtual environment, created on first use."""
    venv = Path(os.environ.get("SANDBOX_DBT_VENV") or ROOT / ".sandbox" / "dbt-venv")
    dbt = venv / "bin" / "dbt"
    if dbt.exists():
        return dbt
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "-r", str(PROJECT / "requirements.txt")],
        check=True,
        timeout=900,
    )
    return dbt


def athena_rows(platform: Any, sql: str) -> list[list[str | None]]:
    athena = platform.client("athena")
    query_id = athena.start_query_execution(QueryString=sql, WorkGroup=platform.outputs.workgroup)[
        "QueryExecutionId"
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    assert status["State"] == "SUCCEEDED", status
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    return [[d.get("VarCharValue") for d in r["Data"]] for r in rows[1:]]


def test_dbt_build_on_the_sandbox(seeded_lake: SeededLake, tmp_path: Path) -> None:
    assert seeded_lake.seed.returncode == 0, seeded_lake.seed.stderr
    platform = seeded_lake.platform
    outputs = platform.outputs
    for table in (outputs.json_table, outputs.parquet_table):
        proc = run_cli(platform, "query", f"MSCK REPAIR TABLE {table}")
        assert proc.returncode == 0, proc.stderr
    dbt = dbt_executable()
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("target", "logs"))
    group = platform.client("athena").get_work_group(WorkGroup=outputs.workgroup)["WorkGroup"]
    schema = f"dbt_{uuid.uuid4().hex[:8]}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": platform.settings.region,
        "AWS_ENDPOINT_URL": platform.settings.endpoint_url,
        "DBT_PROFILES_DIR": str(project),
        "DBT_SCHEMA": schema,
        "DBT_WORKGROUP": outputs.workgroup,
        "DBT_S3_STAGING_DIR": group["Configuration"]["ResultConfiguration"]["OutputLocation"],
        "DBT_S3_DATA_DIR": f"s3://{outputs.bucket}/dbt/{schema}/",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    variables = json.dumps(
        {
            "lake_database": outputs.database,
            "json_table": outputs.json_table,
            "parquet_table": outputs.parquet_table,
        }
    )
    seconds = []
    for _ in range(2):  # the second build takes the incremental model's incremental path
        started = time.monotonic()
        proc = subprocess.run(
            [str(dbt), "build", "--vars", variables],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        seconds.append(time.monotonic() - started)
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
        assert "PASS=10 WARN=0 ERROR=0 SKIP=0" in proc.stdout, proc.stdout[-3000:]
    print(f"dbt build: {seconds[0]:.1f} s, incremental rebuild: {seconds[1]:.1f} s")
    manifest = read_manifest(seeded_lake.data_file)
    rows = athena_rows(
        platform,
        f"SELECT name, events, distinct_events, category FROM {schema}.events_with_category",
    )
    assert {r[0]: int(r[1] or 0) for r in rows} == manifest.events_per_name
    assert {r[0]: int(r[2] or 0) for r in rows} == manifest.distinct_events_per_name
    categories = {r[0]: r[3] for r in rows}
    assert categories.get("measurement_recorded", "engagement") == "engagement"
    daily = athena_rows(platform, f"SELECT name, events FROM {schema}.daily_events")
    assert {r[0]: int(r[1] or 0) for r in daily} == manifest.events_per_name
    glue = platform.client("glue")
    table = glue.get_table(DatabaseName=schema, Name="events_by_name")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["PartitionKeys"] == [{"Name": "name", "Type": "string"}]
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith(
        "ParquetHiveSerDe"
    )
    view = glue.get_table(DatabaseName=schema, Name="events_with_category")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    seed = athena_rows(platform, f"SELECT count(*) FROM {schema}.event_categories")
    assert seed == [["3"]]
