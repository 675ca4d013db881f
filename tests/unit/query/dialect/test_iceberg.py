"""The Iceberg-only statements and the partition transforms of CREATE TABLE, parsed."""

from __future__ import annotations

import pytest

from sandbox.query.dialect import iceberg
from sandbox.query.dialect.ddl import CreateIcebergTable, parse_ddl
from sandbox.query.dialect.statements import TableRef
from sandbox.query.errors import QueryError, UnsupportedError


def test_create_table_takes_partition_transforms() -> None:
    statement = parse_ddl(
        "CREATE TABLE db.t (name string, tstamp timestamp, id bigint) "
        "PARTITIONED BY (name, day(tstamp), bucket(16, id)) LOCATION 's3://b/t/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'vacuum_min_snapshots_to_keep'='2')"
    )
    assert isinstance(statement, CreateIcebergTable)
    assert statement.table == TableRef("db", "t")
    assert statement.partitioning == (
        iceberg.PartitionField("name"),
        iceberg.PartitionField("tstamp", "day"),
        iceberg.PartitionField("id", "bucket", 16),
    )
    assert statement.location == "s3://b/t/"
    assert statement.properties["vacuum_min_snapshots_to_keep"] == "2"


def test_create_table_without_external_needs_iceberg() -> None:
    with pytest.raises(UnsupportedError, match="EXTERNAL"):
        parse_ddl("CREATE TABLE t (a int) LOCATION 's3://b/t/'")
    with pytest.raises(QueryError, match="Unknown partition transform"):
        parse_ddl(
            "CREATE TABLE t (a int) PARTITIONED BY (week(a)) TBLPROPERTIES ('table_type'='ICEBERG')"
        )


def test_ctas_partitioning_strings() -> None:
    assert iceberg.ctas_partitioning(["name", "day(tstamp)", "truncate(4, s)"]) == (
        iceberg.PartitionField("name"),
        iceberg.PartitionField("tstamp", "day"),
        iceberg.PartitionField("s", "truncate", 4),
    )


def test_row_level_statements_keep_their_trees() -> None:
    delete = iceberg.parse_iceberg("DELETE FROM db.t WHERE n > 3")
    assert isinstance(delete, iceberg.Delete) and delete.table == TableRef("db", "t")
    update = iceberg.parse_iceberg("UPDATE t SET v = v + 1 WHERE id = 2;")
    assert isinstance(update, iceberg.Update) and update.table == TableRef(None, "t")
    merge = iceberg.parse_iceberg(
        "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE "
        "WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)"
    )
    assert isinstance(merge, iceberg.Merge)
    with pytest.raises(UnsupportedError, match=r"UPDATE \.\.\. FROM"):
        iceberg.parse_iceberg("UPDATE t SET v = s.v FROM s WHERE t.id = s.id")


def test_maintenance_and_schema_statements() -> None:
    assert iceberg.parse_iceberg(
        "OPTIMIZE db.t REWRITE DATA USING BIN_PACK WHERE name = 'a'"
    ) == iceberg.Optimize(TableRef("db", "t"), "name = 'a'")
    assert iceberg.parse_iceberg("VACUUM t") == iceberg.Vacuum(TableRef(None, "t"))
    assert iceberg.parse_iceberg("ALTER TABLE t DROP COLUMN c") == iceberg.DropColumn(
        TableRef(None, "t"), "c"
    )
    assert iceberg.parse_iceberg("ALTER TABLE t CHANGE COLUMN a b bigint COMMENT 'x'") == (
        iceberg.ChangeColumn(TableRef(None, "t"), "a", "b", "bigint", "x")
    )
    assert iceberg.parse_iceberg("ALTER TABLE t RENAME TO u") == iceberg.RenameTable(
        TableRef(None, "t"), TableRef(None, "u")
    )
    # Partition DDL and queries are not Iceberg statements.
    assert iceberg.parse_iceberg("ALTER TABLE t DROP PARTITION (d='1')") is None
    assert iceberg.parse_iceberg("SELECT 1") is None
    with pytest.raises(QueryError, match="BIN_PACK"):
        iceberg.parse_iceberg("OPTIMIZE t REWRITE DATA USING SORT")
