"""Athena on Iceberg tables, through boto3's Athena API on the running sandbox.

Tables are created by Athena DDL in a database of this module's own (the bucket is the
platform's sink bucket, under a unique prefix), filled by INSERT INTO, and then read, changed
and compacted through StartQueryExecution: answers, ColumnInfo types, bytes scanned on hidden
partitions, the metadata tables, time travel, DELETE/UPDATE/MERGE, OPTIMIZE (fewer files, the
same answers), VACUUM, schema evolution, DROP TABLE (data removed) and Athena's failures.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
# Two names over three days, inserted by three statements (three snapshots, several files
# per partition).
BATCHES = [
    [("a", "2024-01-01 05:00:00", "p1", 1), ("b", "2024-01-01 06:00:00", "p2", 2)],
    [("a", "2024-01-01 07:00:00", "p3", 3), ("a", "2024-01-02 05:00:00", "p4", 4)],
    [("b", "2024-01-03 05:00:00", "p5", 5), ("a", "2024-01-01 08:00:00", "p6", 6)],
]


class Athena:
    def __init__(self, platform: SandboxHandle, database: str) -> None:
        self.platform = platform
        self.database = database
        self.athena = platform.client("athena")
        self.s3 = platform.client("s3")
        self.bucket = platform.outputs.bucket
        self.prefix = f"iceberg-tests/{database}"

    def location(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}/{name}/"

    def run(self, sql: str) -> dict[str, Any]:
        query_id = self.athena.start_query_execution(
            QueryString=sql,
            WorkGroup=self.platform.outputs.workgroup,
            QueryExecutionContext={"Database": self.database},
        )["QueryExecutionId"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            execution = self.athena.get_query_execution(QueryExecutionId=query_id)
            if execution["QueryExecution"]["Status"]["State"] in FINAL:
                return dict(execution["QueryExecution"])
            time.sleep(0.05)
        raise AssertionError(f"{query_id} did not finish in 120 s")

    def ok(self, sql: str) -> dict[str, Any]:
        execution = self.run(sql)
        assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"])
        return execution

    def fail(self, sql: str) -> dict[str, Any]:
        execution = self.run(sql)
        assert execution["Status"]["State"] == "FAILED", sql
        return dict(execution["Status"])

    def result(self, sql: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[list[Any]]]:
        execution = self.ok(sql)
        pages = self.athena.get_paginator("get_query_results").paginate(
            QueryExecutionId=execution["QueryExecutionId"]
        )
        info: list[dict[str, Any]] = []
        rows: list[list[Any]] = []
        for page in pages:
            info = info or page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        # A query's first row is its header; DDL and utility statements have none.
        return execution, info, rows[1:] if execution["StatementType"] == "DML" else rows

    def rows(self, sql: str) -> list[list[Any]]:
        return self.result(sql)[2]

    def keys(self, name: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/{name}/"
        )
        return [o["Key"] for p in pages for o in p.get("Contents") or []]


@pytest.fixture(scope="module")
def athena(sandbox: SandboxHandle) -> Athena:
    database = f"ice_{uuid.uuid4().hex[:8]}"
    client = Athena(sandbox, database)
    client.ok(f"CREATE DATABASE {database}")
    return client


def values(rows: list[tuple[str, str, str, int]]) -> str:
    return ", ".join(f"('{n}', TIMESTAMP '{t}', '{p}', {v})" for n, t, p, v in rows)


def make_events(athena: Athena, name: str) -> list[str]:
    """An events table filled by the three batches; the snapshot ids, oldest first."""
    athena.ok(
        f"CREATE TABLE {name} (name string, tstamp timestamp, payload string, n bigint) "
        f"PARTITIONED BY (name, day(tstamp)) LOCATION '{athena.location(name)}' "
        "TBLPROPERTIES ('table_type'='ICEBERG')"
    )
    for batch in BATCHES:
        execution = athena.ok(f"INSERT INTO {name} VALUES {values(batch)}")
        assert execution["StatementType"] == "DML"
    ids = athena.rows(
        f'SELECT snapshot_id FROM "{athena.database}"."{name}$snapshots" ORDER BY committed_at'
    )
    return [str(row[0]) for row in ids]


def ns(rows: list[list[Any]]) -> list[int]:
    return sorted(int(r[-1]) for r in rows)


def test_select_reads_the_table_with_athena_types_and_prunes_hidden_partitions(
    athena: Athena,
) -> None:
    make_events(athena, "events")
    execution, info, rows = athena.result("SELECT name, tstamp, payload, n FROM events ORDER BY n")
    assert [(c["Name"], c["Type"]) for c in info] == [
        ("name", "varchar"),
        ("tstamp", "timestamp"),
        ("payload", "varchar"),
        ("n", "bigint"),
    ]
    assert [r[3] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0][:3] == ["a", "2024-01-01 05:00:00.000", "p1"]
    everything = execution["Statistics"]["DataScannedInBytes"]
    assert everything > 0
    by_name = athena.ok("SELECT count(*) FROM events WHERE name = 'b'")
    by_day = athena.ok(
        "SELECT count(*) FROM events WHERE tstamp >= TIMESTAMP '2024-01-02 00:00:00'"
    )
    # Hidden partitioning: a filter on the source column prunes the day(tstamp) partitions.
    assert 0 < by_name["Statistics"]["DataScannedInBytes"] < everything
    assert 0 < by_day["Statistics"]["DataScannedInBytes"] < everything
    assert athena.rows("SELECT count(*) FROM events WHERE name = 'b'") == [["2"]]


def test_metadata_tables_have_athena_columns(athena: Athena) -> None:
    ids = make_events(athena, "meta")
    assert len(ids) == len(BATCHES)
    _, info, rows = athena.result(f'SELECT * FROM "{athena.database}"."meta$snapshots"')
    assert [c["Name"] for c in info] == [
        "committed_at",
        "snapshot_id",
        "parent_id",
        "operation",
        "manifest_list",
        "summary",
    ]
    assert {r[3] for r in rows} == {"append"}
    assert info[0]["Type"] == "timestamp with time zone"
    history = athena.rows('SELECT snapshot_id, is_current_ancestor FROM "meta$history"')
    assert sorted(r[0] for r in history) == sorted(ids)
    files = athena.rows('SELECT file_path, record_count FROM "meta$files"')
    assert sum(int(r[1]) for r in files) == 6
    assert all(r[0].startswith(athena.location("meta") + "data/") for r in files)
    partitions = athena.rows('SELECT record_count, file_count FROM "meta$partitions"')
    assert len(partitions) == 4  # (a, 01-01), (b, 01-01), (a, 01-02), (b, 01-03)
    assert sum(int(r[1]) for r in partitions) == len(files)
    status = athena.fail('SELECT * FROM "meta$nothing"')
    assert "TABLE_NOT_FOUND" in status["StateChangeReason"]


def test_time_travel_returns_the_earlier_snapshot(athena: Athena) -> None:
    ids = make_events(athena, "travel")
    assert ns(athena.rows(f"SELECT n FROM travel FOR VERSION AS OF {ids[0]}")) == [1, 2]
    assert ns(athena.rows(f"SELECT n FROM travel FOR VERSION AS OF {ids[1]}")) == [1, 2, 3, 4]
    committed = athena.rows(
        f'SELECT committed_at FROM "travel$snapshots" WHERE snapshot_id = {ids[1]}'
    )[0][0]
    assert committed.endswith(" UTC")  # Athena shows a timestamp with time zone so
    at = athena.rows(f"SELECT n FROM travel FOR TIMESTAMP AS OF TIMESTAMP '{committed}'")
    assert ns(at) == [1, 2, 3, 4]
    assert len(athena.rows("SELECT n FROM travel FOR TIMESTAMP AS OF current_timestamp")) == 6
    early = athena.fail(
        "SELECT n FROM travel FOR TIMESTAMP AS OF TIMESTAMP '2000-01-01 00:00:00 UTC'"
    )
    assert "No version history" in early["StateChangeReason"]
    unknown = athena.fail("SELECT n FROM travel FOR VERSION AS OF 12345")
    assert "snapshot ID does not exist" in unknown["StateChangeReason"]


def test_delete_update_merge_change_the_rows(athena: Athena) -> None:
    make_events(athena, "dml")
    deleted = athena.ok("DELETE FROM dml WHERE n IN (1, 5)")
    assert deleted["StatementType"] == "DML"
    assert ns(athena.rows("SELECT n FROM dml")) == [2, 3, 4, 6]
    athena.ok("UPDATE dml SET payload = 'changed', n = n * 10 WHERE name = 'a' AND n > 3")
    assert athena.rows("SELECT name, payload, n FROM dml ORDER BY n") == [
        ["b", "p2", "2"],
        ["a", "p3", "3"],
        ["a", "changed", "40"],
        ["a", "changed", "60"],
    ]
    athena.ok(
        "MERGE INTO dml t USING (SELECT * FROM (VALUES (2, 'D'), (3, 'U'), (7, 'I'), (8, 'X')) "
        "AS v(n, op)) s ON t.n = s.n "
        "WHEN MATCHED AND s.op = 'D' THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET payload = 'merged' "
        "WHEN NOT MATCHED AND s.op = 'I' THEN INSERT (name, n, payload) VALUES ('c', s.n, 'new')"
    )
    assert athena.rows("SELECT name, payload, n FROM dml ORDER BY n") == [
        ["a", "merged", "3"],
        ["c", "new", "7"],
        ["a", "changed", "40"],
        ["a", "changed", "60"],
    ]
    # The earlier snapshots stay readable: the DML wrote new snapshots.
    assert len(athena.rows('SELECT * FROM "dml$snapshots"')) == len(BATCHES) + 3
    twice = athena.fail(
        "MERGE INTO dml t USING (SELECT * FROM (VALUES (3), (3)) AS v(n)) s ON t.n = s.n "
        "WHEN MATCHED THEN DELETE"
    )
    assert twice["AthenaError"]["ErrorCategory"] == 2
    assert twice["StateChangeReason"].startswith("MERGE_TARGET_ROW_MULTIPLE_MATCHES")
    assert ns(athena.rows("SELECT n FROM dml")) == [3, 7, 40, 60]


def test_optimize_rewrites_small_files_with_the_same_answers(athena: Athena) -> None:
    make_events(athena, "compact")
    answer = "SELECT name, CAST(tstamp AS varchar), payload, n FROM compact ORDER BY n"
    before_rows = athena.rows(answer)
    before = int(athena.rows('SELECT count(*) FROM "compact$files"')[0][0])
    per_partition = athena.rows(
        'SELECT file_count FROM "compact$partitions" ORDER BY file_count DESC'
    )
    assert int(per_partition[0][0]) > 1  # (a, 2024-01-01) got a file from each batch
    athena.ok("OPTIMIZE compact REWRITE DATA USING BIN_PACK WHERE name = 'b'")
    assert athena.rows(answer) == before_rows
    athena.ok("OPTIMIZE compact REWRITE DATA USING BIN_PACK")
    after = int(athena.rows('SELECT count(*) FROM "compact$files"')[0][0])
    assert after < before
    assert after == 4  # one file per partition
    assert athena.rows(answer) == before_rows


def test_vacuum_expires_snapshots_per_table_properties(athena: Athena) -> None:
    ids = make_events(athena, "vac")
    athena.ok("VACUUM vac")  # defaults: 5 days' snapshots kept
    assert len(athena.rows('SELECT * FROM "vac$snapshots"')) == len(ids)
    athena.ok(
        "ALTER TABLE vac SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds'='0', "
        "'vacuum_min_snapshots_to_keep'='2')"
    )
    athena.ok("VACUUM vac")
    kept = athena.rows('SELECT snapshot_id FROM "vac$snapshots"')
    assert sorted(r[0] for r in kept) == sorted(ids[-2:])
    assert ns(athena.rows("SELECT n FROM vac")) == [1, 2, 3, 4, 5, 6]
    expired = athena.fail(f"SELECT n FROM vac FOR VERSION AS OF {ids[0]}")
    assert "snapshot ID does not exist" in expired["StateChangeReason"]


def test_schema_evolution_keeps_old_files_readable(athena: Athena) -> None:
    make_events(athena, "evolve")
    athena.ok("ALTER TABLE evolve ADD COLUMNS (score int)")
    athena.ok("INSERT INTO evolve VALUES ('c', TIMESTAMP '2024-01-04 00:00:00', 'p7', 7, 70)")
    athena.ok("ALTER TABLE evolve CHANGE COLUMN score points bigint")
    athena.ok("ALTER TABLE evolve DROP COLUMN payload")
    _, info, rows = athena.result("SELECT * FROM evolve ORDER BY n")
    assert [(c["Name"], c["Type"]) for c in info] == [
        ("name", "varchar"),
        ("tstamp", "timestamp"),
        ("n", "bigint"),
        ("points", "bigint"),
    ]
    assert rows[-1] == ["c", "2024-01-04 00:00:00.000", "7", "70"]
    assert rows[0][3] is None
    described = athena.rows("DESCRIBE evolve")
    names = [str(r[0]).split("\t")[0].strip() for r in described]
    assert "points" in names and "payload" not in names and "score" not in names


def test_ctas_into_iceberg_and_drop_removes_the_data(athena: Athena) -> None:
    make_events(athena, "ctas_src")
    location = athena.location("ctas_out")
    execution = athena.ok(
        "CREATE TABLE ctas_out WITH (table_type = 'ICEBERG', is_external = false, "
        f"location = '{location}', partitioning = ARRAY['name', 'day(tstamp)']) AS "
        "SELECT name, tstamp, n FROM ctas_src WHERE n > 2"
    )
    assert execution["SubstatementType"] == "CREATE_TABLE_AS_SELECT"
    table = athena.platform.client("glue").get_table(DatabaseName=athena.database, Name="ctas_out")
    assert table["Table"]["Parameters"]["table_type"].upper() == "ICEBERG"
    assert ns(athena.rows("SELECT n FROM ctas_out")) == [3, 4, 5, 6]
    # (a, 01-01) holds n 3 and 6, (a, 01-02) n 4, (b, 01-03) n 5
    assert len(athena.rows('SELECT * FROM "ctas_out$partitions"')) == 3
    shown = [r[0] for r in athena.rows("SHOW CREATE TABLE ctas_out")]
    assert shown[0] == f"CREATE TABLE `{athena.database}`.`ctas_out`("
    assert "PARTITIONED BY (`name`, day(`tstamp`))" in shown
    assert "  'table_type'='iceberg'" in shown
    assert athena.keys("ctas_out")
    athena.ok("DROP TABLE ctas_out")
    assert athena.keys("ctas_out") == []
    assert "TABLE_NOT_FOUND" in athena.fail("SELECT * FROM ctas_out")["StateChangeReason"]


def test_unsupported_and_invalid_statements_fail_as_athena(athena: Athena) -> None:
    make_events(athena, "errs")
    athena.ok(
        "CREATE EXTERNAL TABLE hive_t (n bigint) STORED AS PARQUET "
        f"LOCATION '{athena.location('hive_t')}'"
    )
    hive = athena.fail("DELETE FROM hive_t WHERE n = 1")
    assert hive["StateChangeReason"].startswith("NOT_SUPPORTED")
    assert athena.fail("SELECT * FROM hive_t FOR VERSION AS OF 1")["StateChangeReason"].startswith(
        "NOT_SUPPORTED"
    )
    for statement in ("SHOW PARTITIONS errs", "MSCK REPAIR TABLE errs"):
        assert athena.fail(statement)["StateChangeReason"].startswith("NOT_SUPPORTED")
    optimize = athena.fail("OPTIMIZE errs REWRITE DATA USING BIN_PACK WHERE length(name) > 0")
    assert optimize["StateChangeReason"].startswith("NOT_SUPPORTED")
    small = athena.fail(
        f"CREATE TABLE small_t (x tinyint) LOCATION '{athena.location('small_t')}' "
        "TBLPROPERTIES ('table_type'='ICEBERG')"
    )
    assert "tinyint" in small["StateChangeReason"]
    external = athena.fail(
        f"CREATE TABLE ext_t WITH (table_type = 'ICEBERG', location = "
        f"'{athena.location('ext_t')}') AS SELECT 1 AS x"
    )
    assert "is_external" in external["StateChangeReason"]
    mismatch = athena.fail("INSERT INTO errs VALUES ('a', 'not a timestamp', 'p', 1)")
    assert mismatch["StateChangeReason"].startswith("TYPE_MISMATCH")
    assert ns(athena.rows("SELECT n FROM errs")) == [1, 2, 3, 4, 5, 6]
