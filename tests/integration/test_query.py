"""The Athena stand-in on a lake produced by the sandbox's own Firehose (`sandbox seed`).

Answers are compared with the seed manifest's ground truth; partition semantics (only
registered partitions are visible, MSCK REPAIR adds exactly what is in S3) and bytes scanned
(pruning, columnar reads) are asserted on the real objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sandbox.generate import read_manifest
from sandbox.query import Session
from sandbox.query.analysis.pack import check_manifest, repair, run_pack
from tests.conftest import SeededLake, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def session(seeded_lake: SeededLake) -> Iterator[Session]:
    assert seeded_lake.seed.returncode == 0, seeded_lake.seed.stderr
    platform = seeded_lake.platform
    engine = Session(platform.settings, database=platform.outputs.database)
    repair(engine, [platform.outputs.json_table, platform.outputs.parquet_table])
    yield engine


def _tables(seeded_lake: SeededLake) -> dict[str, str]:
    outputs = seeded_lake.platform.outputs
    return {"json": outputs.json_table, "parquet": outputs.parquet_table}


def _s3_partitions(seeded_lake: SeededLake, kind: str) -> set[tuple[str, str]]:
    s3 = seeded_lake.platform.client("s3")
    found = set()
    paginator = s3.get_paginator("list_objects_v2")
    prefix = f"events_raw/{kind}/"
    for page in paginator.paginate(Bucket=seeded_lake.platform.outputs.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            name, d = item["Key"][len(prefix) :].split("/")[:2]
            found.add((name.removeprefix("name="), d.removeprefix("d=")))
    return found


def test_msck_repair_registers_exactly_the_partitions_in_s3(
    seeded_lake: SeededLake, session: Session
) -> None:
    glue = seeded_lake.platform.client("glue")
    outputs = seeded_lake.platform.outputs
    for kind, table in _tables(seeded_lake).items():
        partitions = glue.get_partitions(DatabaseName=outputs.database, TableName=table)
        registered = {tuple(p["Values"]) for p in partitions["Partitions"]}
        assert registered == _s3_partitions(seeded_lake, kind)
        # a second repair adds nothing (it only adds, as Athena's does)
        assert repair(session, [table]) == {table: 0}


def test_the_analysis_pack_agrees_with_the_manifest(
    seeded_lake: SeededLake, session: Session
) -> None:
    runs = run_pack(session, _tables(seeded_lake))
    errors = [(run.query.name, run.label, run.error) for run in runs if run.error]
    assert errors == []
    checks = check_manifest(runs, read_manifest(seeded_lake.data_file))
    assert checks, "the manifest checks found nothing to compare"
    failed = [c for c in checks if not c.ok]
    assert failed == []
    for run in runs:
        assert run.result is not None and run.result.bytes_scanned > 0


def test_events_per_name_equal_the_manifest_on_both_formats(
    seeded_lake: SeededLake, session: Session
) -> None:
    manifest = read_manifest(seeded_lake.data_file)
    for table in _tables(seeded_lake).values():
        result = session.execute(f"SELECT name, count(*) FROM {table} GROUP BY name")
        assert dict(result.rows) == manifest.events_per_name


def test_one_partition_scans_less_than_the_whole_table(
    seeded_lake: SeededLake, session: Session
) -> None:
    for table in _tables(seeded_lake).values():
        full = session.execute(f"SELECT count(*) FROM {table}")
        one = session.execute(f"SELECT count(*) FROM {table} WHERE name = 'account_created'")
        assert 0 < one.bytes_scanned < full.bytes_scanned


def test_parquet_scans_less_than_json_for_one_column(
    seeded_lake: SeededLake, session: Session
) -> None:
    tables = _tables(seeded_lake)
    json_scan = session.execute(f"SELECT max(tstamp) FROM {tables['json']}")
    parquet_scan = session.execute(f"SELECT max(tstamp) FROM {tables['parquet']}")
    assert json_scan.rows == parquet_scan.rows
    assert parquet_scan.bytes_scanned < json_scan.bytes_scanned


def test_unregistered_partitions_are_invisible(seeded_lake: SeededLake, session: Session) -> None:
    table = _tables(seeded_lake)["json"]
    name, d = sorted(_s3_partitions(seeded_lake, "json"))[0]
    before = session.execute(f"SELECT count(*) FROM {table}").rows[0][0]
    inside = session.execute(
        f"SELECT count(*) FROM {table} WHERE name = '{name}' AND d = '{d}'"
    ).rows[0][0]
    assert inside > 0
    session.execute(f"ALTER TABLE {table} DROP PARTITION (name = '{name}', d = '{d}')")
    try:
        assert session.execute(f"SELECT count(*) FROM {table}").rows[0][0] == before - inside
    finally:
        session.execute(
            f"ALTER TABLE {table} ADD IF NOT EXISTS PARTITION (name = '{name}', d = '{d}')"
        )
    assert session.execute(f"SELECT count(*) FROM {table}").rows[0][0] == before


def test_athena_functions_work_on_the_payload(seeded_lake: SeededLake, session: Session) -> None:
    table = _tables(seeded_lake)["parquet"]
    result = session.execute(
        f"SELECT count(DISTINCT json_extract_scalar(payload, '$.session_id')) "
        f"FROM {table} WHERE name = 'anonymous_visited'"
    )
    manifest = read_manifest(seeded_lake.data_file)
    assert result.rows[0][0] == manifest.funnel["sessions_with_visit"]


def test_query_cli_prints_csv_and_reports_the_scan(seeded_lake: SeededLake) -> None:
    table = seeded_lake.platform.outputs.parquet_table
    proc = run_cli(
        seeded_lake.platform,
        "query",
        "--format",
        "json",
        f"SELECT name, count(*) AS events FROM {table} GROUP BY name ORDER BY name",
    )
    assert proc.returncode == 0, proc.stderr
    manifest = read_manifest(seeded_lake.data_file)
    assert json.dumps(manifest.events_per_name["account_created"]) in proc.stdout


def test_sql_errors_exit_1_with_one_line(seeded_lake: SeededLake) -> None:
    proc = run_cli(seeded_lake.platform, "query", "SELECT nope FROM no_such_table")
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1


def test_analyze_and_stats_commands_run(seeded_lake: SeededLake) -> None:
    analyze = run_cli(seeded_lake.platform, "analyze", "--format", "csv")
    assert analyze.returncode == 0, analyze.stdout[-2000:] + analyze.stderr
    stats = run_cli(seeded_lake.platform, "stats")
    assert stats.returncode == 0, stats.stderr
    assert "events_raw/json/" in stats.stdout and "events_raw/parquet/" in stats.stdout
