"""Athena's writes to Iceberg tables, committed through pyiceberg's Glue catalog.

Owns what each Iceberg statement does (Athena user guide, "Create Iceberg tables", "CREATE
TABLE AS", "INSERT INTO", "Update Iceberg table data" (DELETE, UPDATE, MERGE INTO), "Optimize
Iceberg tables" (OPTIMIZE, VACUUM), "Evolve Iceberg table schema", "DROP TABLE"):

* ``CREATE TABLE ... TBLPROPERTIES ('table_type'='ICEBERG')`` and CTAS ``WITH (table_type =
  'ICEBERG', is_external = false, location = ..., partitioning = ARRAY[...])``: a format-2
  table created through pyiceberg (Glue ``table_type=ICEBERG`` + ``metadata_location``), the
  partition spec from the transforms, Athena's table properties kept as Iceberg properties;
* ``INSERT INTO``: the query runs on DuckDB like any SELECT (bytes billed), its rows are cast
  to the table's Iceberg schema (Trino's implicit coercions only) and appended in one commit;
* ``DELETE``, ``UPDATE`` and ``MERGE INTO``: DuckDB computes the table's new contents from
  the contents it read (one query over the target and the source) and pyiceberg commits them
  as one overwrite snapshot. This is **copy-on-write** where Athena writes merge-on-read
  position-delete files: the answers of every later query are the same, the files differ
  (every data file is rewritten, so the file count after a DML reflects the rewrite). A commit
  against a table that changed since it was read (a Firehose delivery in between) is retried
  on the new contents, up to 3 times, then fails with ``ICEBERG_COMMIT_ERROR``. A MERGE target
  row matched by more than one source row fails as Trino fails it
  (``MERGE_TARGET_ROW_MULTIPLE_MATCHES``);
* ``OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE p]``: the data files that may hold rows
  matching ``p`` (all files without it; pyiceberg's planning on partition values and column
  bounds) of every partition holding more than one file are read whole and rewritten by one
  overwrite snapshot -- pyiceberg writes one file per partition (up to its 512 MiB target
  size), so many small files become few larger ones with the same rows; a partition already
  in one file is left alone. ``p`` must be a predicate pyiceberg's expression parser reads
  (comparisons, ``IN``, ``IS NULL``, ``AND``/``OR``/``NOT`` on columns and literals), else
  NOT_SUPPORTED;
* ``VACUUM t``: snapshots older than ``vacuum_max_snapshot_age_seconds`` (default 432000 s)
  expire, keeping at least ``vacuum_min_snapshots_to_keep`` (default 1) and the current one;
  data files only the expired snapshots referenced are deleted from S3;
* ``ALTER TABLE ADD COLUMNS``, ``DROP COLUMN``, ``CHANGE COLUMN`` (rename, widen
  int->bigint/float->double/decimal precision, comment), ``RENAME TO``, ``SET TBLPROPERTIES``
  through pyiceberg's ``update_schema`` and properties (column ids kept: old files still read);
* ``DROP TABLE``: Glue entry dropped *and* the table's data and metadata deleted from S3, as
  Athena does for Iceberg tables ("DROP TABLE": "for Iceberg tables ... the data is removed").

Not reproduced: ORC/Avro Iceberg data files (pyiceberg writes Parquet; ``format`` other than
``parquet`` is refused), merge-on-read delete files, ``OPTIMIZE``'s file-size thresholds
(``optimize_rewrite_*_threshold``: every matching file is rewritten), orphan files that no
snapshot ever referenced (VACUUM keeps them), and partition evolution (``ALTER TABLE SET
PARTITION SPEC`` is not Athena SQL anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sandbox.core import gluetypes as gt
from sandbox.query.catalog.s3layout import directory, split_s3_url
from sandbox.query.dialect import ddl
from sandbox.query.dialect import iceberg as statements
from sandbox.query.dialect.statements import TableRef
from sandbox.query.engine import iceberg
from sandbox.query.errors import QueryError, UnsupportedError

if TYPE_CHECKING:
    from sandbox.query.catalog.glue import Catalog
    from sandbox.query.engine.writes import Outcome, Selected

DEFAULT_MAX_SNAPSHOT_AGE = 432000  # vacuum_max_snapshot_age_seconds (VACUUM)
DEFAULT_MIN_SNAPSHOTS = 1  # vacuum_min_snapshots_to_keep
COMMIT_ATTEMPTS = 3
# Athena's Iceberg table properties (CREATE TABLE / CTAS), and their Iceberg names.
ICEBERG_PROPERTIES = {
    "table_type",
    "format",
    "write_compression",
    "compression_level",
    "optimize_rewrite_min_data_file_size_bytes",
    "optimize_rewrite_max_data_file_size_bytes",
    "optimize_rewrite_data_file_threshold",
    "optimize_rewrite_delete_file_threshold",
    "vacuum_min_snapshots_to_keep",
    "vacuum_max_snapshot_age_seconds",
    "vacuum_max_metadata_files_to_keep",
    "write_target_data_file_size_bytes",
}
CTAS_ICEBERG_PROPERTIES = ICEBERG_PROPERTIES | {"is_external", "location", "partitioning"}
_COMPRESSIONS = {"GZIP", "SNAPPY", "ZSTD", "LZ4", "NONE", "UNCOMPRESSED"}
_FLAG = "__sandbox_flag"
_ACTION = "__sandbox_action"
_MATCHES = "__sandbox_matches"
_ORDINAL = "__sandbox_ordinal"


class _Stale(Exception):
    """The table changed between the read and the commit."""


def _athena(node: Any) -> str:
    from sandbox.query.dialect.translate import AthenaSQL

    return str(node.sql(dialect=AthenaSQL))


def _quoted(database: str, name: str) -> str:
    return f'"{database}"."{name}"'


def iceberg_properties(properties: dict[str, Any]) -> dict[str, str]:
    """Athena's table properties as the Iceberg table's (``write.parquet.compression-codec``
    for ``write_compression``; the rest kept under their Athena names, as Athena keeps them)."""
    out: dict[str, str] = {}
    fmt = str(properties.get("format", "parquet")).lower()
    if fmt != "parquet":
        raise UnsupportedError(f"Iceberg format '{fmt}'", "the sandbox writes Iceberg as Parquet")
    out["write.format.default"] = "parquet"
    codec = properties.get("write_compression")
    if codec is not None:
        if str(codec).upper() not in _COMPRESSIONS:
            raise QueryError(f"INVALID_TABLE_PROPERTY: Unsupported compression: {codec}")
        name = str(codec).lower()
        out["write.parquet.compression-codec"] = "uncompressed" if name == "none" else name
    for key, value in properties.items():
        if key in ("table_type", "format", "write_compression", "is_external", "location"):
            continue
        if key == "partitioning":
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


class IcebergWriter:
    """Runs the Iceberg statements for one engine session."""

    def __init__(
        self,
        catalog: Catalog,
        s3: Any,
        database: str,
        select: Callable[[str], Selected],
        load: Callable[[str, str], Any],
        iceberg_catalog: Callable[[], Any],
        scan_files: Callable[[str, list[str]], tuple[pa.Table, int]],
    ) -> None:
        self.scan_files = scan_files
        self.catalog = catalog
        self.s3 = s3
        self.database = database
        self.select = select
        self.load = load
        self.iceberg_catalog = iceberg_catalog

    # -- helpers -------------------------------------------------------------------------------
    def _db(self, ref: TableRef) -> str:
        return ref.database or self.database

    def _outcome(self, rows: int, scanned: int, files: list[str] | None = None) -> Outcome:
        from sandbox.query.engine.writes import Outcome

        return Outcome(["rows"], [(rows,)], ["BIGINT"], scanned, files if files is not None else [])

    def _arrow_schema(self, table: Any) -> pa.Schema:
        from pyiceberg.io.pyarrow import schema_to_pyarrow

        return schema_to_pyarrow(table.schema(), include_field_ids=False)

    def _cast(self, arrow: pa.Table, table: Any) -> pa.Table:
        schema = self._arrow_schema(table)
        try:
            return pa.Table.from_arrays(
                [arrow.column(i).cast(f.type) for i, f in enumerate(schema)], schema=schema
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise QueryError(f"TYPE_MISMATCH: {str(exc).splitlines()[0]}") from exc

    def _added_files(self, table: Any, before: int | None) -> list[str]:
        """The data files the snapshots after ``before`` added (the data manifest)."""
        table.refresh()
        entries = table.inspect.entries()
        current = table.current_snapshot()
        if current is None or current.snapshot_id == before:
            return []
        rows = entries.select(["status", "snapshot_id", "data_file"]).to_pylist()
        return sorted(
            r["data_file"]["file_path"]
            for r in rows
            if r["status"] == 1 and r["snapshot_id"] == current.snapshot_id
        )

    def _commit(self, database: str, name: str, work: Callable[[Any], Outcome]) -> Outcome:
        """Run ``work`` on the freshly loaded table; again when the table moved meanwhile."""
        from pyiceberg.exceptions import CommitFailedException

        for attempt in range(COMMIT_ATTEMPTS):
            table = self.load(database, name)
            try:
                return work(table)
            except (_Stale, CommitFailedException) as exc:
                if attempt == COMMIT_ATTEMPTS - 1:
                    raise QueryError(
                        f"ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table: "
                        f"{database}.{name}: {exc or 'the table changed concurrently'}"
                    ) from exc
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError  # unreachable

    def _read(self, sql: str, table: Any, qualified: str) -> Selected:
        """Run a query over the table; _Stale when it read other metadata than ``table``'s."""
        selected = self.select(sql)
        read = selected.iceberg_reads.get(qualified)
        if read is not None and read != table.metadata_location:
            raise _Stale()
        return selected

    # -- CREATE TABLE, CTAS, DROP ---------------------------------------------------------------
    def _location(self, database: str, name: str, location: str | None) -> str:
        if location:
            split_s3_url(location)
            return directory(location).rstrip("/")
        raise QueryError(
            f"INVALID_TABLE_PROPERTY: Iceberg table {database}.{name} needs a LOCATION "
            "(CREATE TABLE ... LOCATION 's3://...', or CTAS's location property)"
        )

    def _create(
        self,
        database: str,
        name: str,
        columns: list[tuple[str, gt.GlueType, str]],
        partitioning: tuple[statements.PartitionField, ...],
        location: str,
        properties: dict[str, str],
    ) -> Any:
        schema = iceberg.iceberg_schema(columns)
        spec = iceberg.partition_spec(schema, partitioning)
        properties = {**properties, "format-version": "2"}
        return self.iceberg_catalog().create_table(
            (database, name),
            schema,
            location=location,
            partition_spec=spec,
            properties=properties,
        )

    def create_table(self, statement: ddl.CreateIcebergTable) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        self.catalog.require_database(database)
        if self.catalog.raw_table(database, name) is not None:
            if statement.if_not_exists:
                return self._outcome(0, 0)
            raise QueryError(
                f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{database}.{name}' already exists"
            )
        unknown = sorted(set(statement.properties) - ICEBERG_PROPERTIES)
        if unknown:
            raise QueryError(
                f"INVALID_TABLE_PROPERTY: Unsupported table property key: {unknown[0]}"
            )
        names = [c.name for c in statement.columns]
        duplicate = next((n for n in names if names.count(n) > 1), None)
        if duplicate:
            raise QueryError(
                f"DUPLICATE_COLUMN_NAME: Column name '{duplicate}' specified more than once"
            )
        columns = [(c.name, gt.parse_glue_type(c.type), c.comment) for c in statement.columns]
        location = self._location(database, name, statement.location)
        properties = iceberg_properties(statement.properties)
        if statement.comment:
            properties["comment"] = statement.comment
        self._create(database, name, columns, statement.partitioning, location, properties)
        from sandbox.query.engine.writes import Outcome

        return Outcome()

    def create_table_as(self, statement: ddl.CreateTableAs) -> Outcome:
        """CTAS into a new Iceberg table; ``Writer._createtableas`` has already checked the
        database and refused (or, with IF NOT EXISTS, answered) an existing table."""
        from sandbox.query.engine.writes import _string_property

        database, name = self._db(statement.table), statement.table.name
        properties = dict(statement.properties)
        unknown = sorted(set(properties) - CTAS_ICEBERG_PROPERTIES)
        if unknown:
            raise QueryError(
                f"INVALID_TABLE_PROPERTY: Catalog 'awsdatacatalog' table property "
                f"'{unknown[0]}' does not exist"
            )
        if properties.get("is_external", True) is not False:
            # "CREATE TABLE AS", is_external: "The default is true. For Iceberg tables, this
            # must be set to false."
            raise QueryError(
                "INVALID_TABLE_PROPERTY: is_external must be set to false for Iceberg tables"
            )
        items = properties.get("partitioning") or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise QueryError(
                "INVALID_TABLE_PROPERTY: Property partitioning must be an array of varchar values"
            )
        partitioning = statements.ctas_partitioning(items)
        location = self._location(database, name, _string_property(properties, "location"))
        self._require_empty(location)
        query = statement.query
        if not statement.with_data:
            query = f"SELECT * FROM ({query}) LIMIT 0"
        from sandbox.query.engine.writes import glue_type_of

        selected = self.select(query)
        names = [n.lower() for n in selected.arrow.column_names]
        types = [glue_type_of(t) for t in selected.duck_types]
        columns = [(n, t, "") for n, t in zip(names, types, strict=True)]
        table = self._create(
            database, name, columns, partitioning, location, iceberg_properties(properties)
        )
        arrow = selected.arrow.rename_columns(names)
        files: list[str] = []
        if arrow.num_rows:
            table.append(self._cast(arrow, table))
            files = self._added_files(table, None)
        return self._outcome(arrow.num_rows, selected.bytes_scanned, files)

    def _require_empty(self, location: str) -> None:
        bucket, prefix = split_s3_url(directory(location))
        page = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        if page.get("KeyCount", 0) or page.get("Contents"):
            raise QueryError(
                f"HIVE_PATH_ALREADY_EXISTS: Target directory for table already exists: {location}"
            )

    def drop_table(self, database: str, name: str) -> Outcome:
        """Glue entry and the files under the table's location (Athena purges Iceberg data)."""
        table = self.load(database, name)
        location = directory(table.location())
        self.iceberg_catalog().drop_table((database, name))
        bucket, prefix = split_s3_url(location)
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents") or []]
            for start in range(0, len(keys), 1000):
                batch = {"Objects": keys[start : start + 1000]}
                self.s3.delete_objects(Bucket=bucket, Delete=batch)
        from sandbox.query.engine.writes import Outcome

        return Outcome()

    # -- INSERT ---------------------------------------------------------------------------------
    def insert(self, statement: ddl.InsertInto) -> Outcome:
        from sandbox.query.engine.writes import coercible, glue_type_of

        database, name = self._db(statement.table), statement.table.name

        def work(table: Any) -> Outcome:
            before = table.current_snapshot()
            selected = self.select(statement.query)
            types = [glue_type_of(t) for t in selected.duck_types]
            targets = [(f.name, _glue_of(f.field_type)) for f in table.schema().fields]
            wanted = list(statement.columns) if statement.columns else [n for n, _ in targets]
            known = dict(targets)
            unknown = [n for n in wanted if n not in known]
            if unknown:
                raise QueryError(
                    f"COLUMN_NOT_FOUND: Insert column name does not exist: {unknown[0]}"
                )
            if len(wanted) != len(types) or not all(
                coercible(t, known[n]) for n, t in zip(wanted, types, strict=True)
            ):
                raise QueryError(
                    "TYPE_MISMATCH: Insert query has mismatched column types: "
                    f"Table: [{', '.join(str(known[n]) for n in wanted)}], "
                    f"Query: [{', '.join(str(t) for t in types)}]"
                )
            source = dict(zip(wanted, selected.arrow.columns, strict=True))
            schema = self._arrow_schema(table)
            arrays = [
                source[f.name].cast(f.type)
                if f.name in source
                else pa.nulls(selected.arrow.num_rows, f.type)
                for f in schema
            ]
            out = pa.Table.from_arrays(arrays, schema=schema)
            files: list[str] = []
            if out.num_rows:
                table.append(out)
                files = self._added_files(table, before.snapshot_id if before else None)
            return self._outcome(out.num_rows, selected.bytes_scanned, files)

        return self._commit(database, name, work)

    # -- DELETE, UPDATE, MERGE ---------------------------------------------------------------------
    def _replace(self, table: Any, arrow: pa.Table, files: list[Any] | None = None) -> None:
        """One ``overwrite`` snapshot: the data files ``files`` (all of the table's if None)
        removed, ``arrow``'s rows written as new ones (copy-on-write). pyiceberg's own
        ``overwrite`` commits a delete and an append snapshot; Athena's statements make one."""
        from pyiceberg.io.pyarrow import _dataframe_to_data_files

        rows = self._cast(arrow, table)
        if files is None:
            files = [task.file for task in table.scan().plan_files()]
        with table.transaction() as tx, tx.update_snapshot().overwrite() as overwrite:
            for data_file in files:
                overwrite.delete_data_file(data_file)
            if rows.num_rows:
                for data_file in _dataframe_to_data_files(
                    table_metadata=tx.table_metadata,
                    write_uuid=overwrite.commit_uuid,
                    df=rows,
                    io=table.io,
                ):
                    overwrite.append_data_file(data_file)

    def delete(self, statement: statements.Delete) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        where = statement.tree.args.get("where")
        alias = statement.tree.this.alias
        source = _quoted(database, name) + (f' AS "{alias}"' if alias else "")
        flag = f"coalesce(({_athena(where.this)}), false)" if where is not None else "true"

        def work(table: Any) -> Outcome:
            qualified = f"{database}.{name}"
            selected = self._read(f"SELECT *, {flag} AS {_FLAG} FROM {source}", table, qualified)
            arrow = selected.arrow
            flags = arrow.column(arrow.num_columns - 1)
            deleted = int(pa.compute.sum(flags.cast(pa.int64())).as_py() or 0)
            if deleted:
                kept = arrow.filter(pa.compute.invert(flags)).drop_columns([_FLAG])
                self._replace(table, kept)
            return self._outcome(deleted, selected.bytes_scanned)

        return self._commit(database, name, work)

    def update(self, statement: statements.Update) -> Outcome:
        from sqlglot import exp

        database, name = self._db(statement.table), statement.table.name
        tree = statement.tree
        where = tree.args.get("where")
        alias = tree.this.alias
        source = _quoted(database, name) + (f' AS "{alias}"' if alias else "")
        flag = f"coalesce(({_athena(where.this)}), false)" if where is not None else "true"
        assignments: dict[str, str] = {}
        for item in tree.expressions:
            if not isinstance(item, exp.EQ) or not isinstance(item.this, exp.Column):
                raise QueryError(f"SYNTAX_ERROR: not an assignment: {_athena(item)}")
            assignments[item.this.name.lower()] = _athena(item.expression)

        def work(table: Any) -> Outcome:
            columns = [f.name for f in table.schema().fields]
            missing = [c for c in assignments if c not in columns]
            if missing:
                raise QueryError(
                    f"COLUMN_NOT_FOUND: line 1:1: Column '{missing[0]}' cannot be resolved"
                )
            items = [
                f'CASE WHEN {flag} THEN ({assignments[c]}) ELSE "{c}" END AS "{c}"'
                if c in assignments
                else f'"{c}"'
                for c in columns
            ]
            sql = f"SELECT {', '.join(items)}, {flag} AS {_FLAG} FROM {source}"
            selected = self._read(sql, table, f"{database}.{name}")
            arrow = selected.arrow
            updated = int(pa.compute.sum(arrow.column(_FLAG).cast(pa.int64())).as_py() or 0)
            if updated:
                self._replace(table, arrow.drop_columns([_FLAG]))
            return self._outcome(updated, selected.bytes_scanned)

        return self._commit(database, name, work)

    def merge(self, statement: statements.Merge) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        plan = _MergePlan(statement.tree, database, name)

        def work(table: Any) -> Outcome:
            columns = [f.name for f in table.schema().fields]
            selected = self._read(plan.sql(columns), table, f"{database}.{name}")
            arrow = selected.arrow
            actions = arrow.column(_ACTION).to_pylist()
            matches = arrow.column(_MATCHES).to_pylist()
            if any(m > 1 and a > 0 for a, m in zip(actions, matches, strict=True)):
                raise QueryError(
                    "MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table row matched "
                    "more than one source row"
                )
            ordinals = arrow.column(_ORDINAL).to_pylist()
            # An unchanged target row matched by several source rows is kept once.
            keep = [
                a not in plan.deletes and a != -1 and not (a == 0 and o > 1)
                for a, o in zip(actions, ordinals, strict=True)
            ]
            changed = sum(1 for a in actions if a != 0 and a != -1)
            if changed:
                out = arrow.filter(pa.array(keep)).drop_columns([_ACTION, _MATCHES, _ORDINAL])
                self._replace(table, out)
            return self._outcome(changed, selected.bytes_scanned)

        return self._commit(database, name, work)

    # -- OPTIMIZE, VACUUM ------------------------------------------------------------------
    def optimize(self, statement: statements.Optimize) -> Outcome:
        from pyiceberg.expressions import AlwaysTrue
        from pyiceberg.expressions.parser import parse as parse_filter

        database, name = self._db(statement.table), statement.table.name
        predicate: Any = AlwaysTrue()
        if statement.where:
            try:
                predicate = parse_filter(statement.where)
            except Exception as exc:  # pyparsing's ParseException and pyiceberg's ValueError
                raise UnsupportedError(
                    f"OPTIMIZE ... WHERE {statement.where}",
                    "comparisons, IN, IS NULL, AND/OR/NOT on columns and literals",
                ) from exc

        def work(table: Any) -> Outcome:
            if table.current_snapshot() is None:
                return self._outcome(0, 0)
            try:
                # The files that may hold matching rows (partition values and column bounds),
                # rewritten whole: BIN_PACK compacts files, it does not split them by rows.
                planned = [task.file for task in table.scan(row_filter=predicate).plan_files()]
            except ValueError as exc:
                raise QueryError(f"COLUMN_NOT_FOUND: OPTIMIZE ... WHERE: {exc}") from exc
            # Bin-packing works per partition: a partition already in one file is left alone.
            groups: dict[tuple[int, str], list[Any]] = {}
            for data_file in planned:
                groups.setdefault((data_file.spec_id, repr(data_file.partition)), []).append(
                    data_file
                )
            files = [f for group in groups.values() if len(group) > 1 for f in group]
            if not files:
                return self._outcome(0, 0)
            arrow, scanned = self.scan_files(table.metadata_location, [f.file_path for f in files])
            self._replace(table, arrow, files)
            return self._outcome(arrow.num_rows, scanned)

        return self._commit(database, name, work)

    def vacuum(self, statement: statements.Vacuum, now: datetime | None = None) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        table = self.load(database, name)
        properties = table.properties
        max_age = int(properties.get("vacuum_max_snapshot_age_seconds", DEFAULT_MAX_SNAPSHOT_AGE))
        keep_min = int(properties.get("vacuum_min_snapshots_to_keep", DEFAULT_MIN_SNAPSHOTS))
        now = now or datetime.now(UTC)
        cutoff_ms = int((now - timedelta(seconds=max_age)).timestamp() * 1000)
        snapshots = sorted(table.snapshots(), key=lambda s: s.timestamp_ms, reverse=True)
        current = table.current_snapshot()
        protected = {s.snapshot_id for s in snapshots[: max(keep_min, 1)]}
        if current is not None:
            protected.add(current.snapshot_id)
        protected |= {ref.snapshot_id for ref in table.metadata.refs.values()}
        expired = [
            s.snapshot_id
            for s in snapshots
            if s.snapshot_id not in protected and s.timestamp_ms < cutoff_ms
        ]
        if not expired:
            return self._outcome(0, 0)
        before = _data_files(table, snapshots)
        table.maintenance.expire_snapshots().by_ids(expired).commit()
        table.refresh()
        after = _data_files(table, table.snapshots())
        for path in sorted(before - after):
            bucket, key = split_s3_url(path)
            self.s3.delete_object(Bucket=bucket, Key=key)
        return self._outcome(len(expired), 0)

    # -- schema evolution ------------------------------------------------------------------
    def add_columns(self, statement: ddl.AlterColumns) -> Outcome:
        from sandbox.query.engine.writes import Outcome

        if statement.replace:
            raise UnsupportedError(
                "ALTER TABLE ... REPLACE COLUMNS on an Iceberg table",
                "use ADD COLUMNS, DROP COLUMN and CHANGE COLUMN",
            )
        table = self.load(self._db(statement.table), statement.table.name)
        existing = {f.name for f in table.schema().fields}
        with table.update_schema() as update:
            for column in statement.columns:
                if column.name in existing:
                    raise QueryError(f"HIVE_METASTORE_ERROR: Column '{column.name}' already exists")
                kind = iceberg.iceberg_type(gt.parse_glue_type(column.type))
                update.add_column(column.name, kind, doc=column.comment or None)
        return Outcome()

    def drop_column(self, statement: statements.DropColumn) -> Outcome:
        from sandbox.query.engine.writes import Outcome

        table = self.load(self._db(statement.table), statement.table.name)
        if statement.column not in {f.name for f in table.schema().fields}:
            raise QueryError(f"COLUMN_NOT_FOUND: Column '{statement.column}' does not exist")
        source_ids = {f.source_id for f in table.spec().fields}
        if table.schema().find_field(statement.column).field_id in source_ids:
            raise QueryError(f"NOT_SUPPORTED: Cannot drop partition column: {statement.column}")
        with table.update_schema() as update:
            update.delete_column(statement.column)
        return Outcome()

    def change_column(self, statement: statements.ChangeColumn) -> Outcome:
        from pyiceberg.exceptions import ValidationError

        from sandbox.query.engine.writes import Outcome

        table = self.load(self._db(statement.table), statement.table.name)
        names = {f.name for f in table.schema().fields}
        if statement.old not in names:
            raise QueryError(f"COLUMN_NOT_FOUND: Column '{statement.old}' does not exist")
        if statement.new != statement.old and statement.new in names:
            raise QueryError(f"HIVE_METASTORE_ERROR: Column '{statement.new}' already exists")
        kind = iceberg.iceberg_type(gt.parse_glue_type(statement.type))
        try:
            with table.update_schema() as update:
                current = table.schema().find_field(statement.old).field_type
                if current != kind:
                    update.update_column(statement.old, field_type=kind)
                if statement.comment is not None:
                    update.update_column(statement.old, doc=statement.comment)
                if statement.new != statement.old:
                    update.rename_column(statement.old, statement.new)
        except (ValidationError, ValueError) as exc:
            raise QueryError(
                f"NOT_SUPPORTED: Cannot change column type of {statement.old} to "
                f"{statement.type}: {exc}"
            ) from exc
        return Outcome()

    def rename(self, statement: statements.RenameTable) -> Outcome:
        from sandbox.query.engine.writes import Outcome

        source = (self._db(statement.table), statement.table.name)
        target = (statement.new.database or source[0], statement.new.name)
        if self.catalog.raw_table(*target) is not None:
            raise QueryError(
                f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{target[0]}.{target[1]}' "
                "already exists"
            )
        self.iceberg_catalog().rename_table(source, target)
        return Outcome()

    def set_properties(self, ref: TableRef, properties: dict[str, str]) -> Outcome:
        from sandbox.query.engine.writes import Outcome

        unknown = sorted(set(properties) - ICEBERG_PROPERTIES)
        if unknown:
            raise QueryError(
                f"INVALID_TABLE_PROPERTY: Unsupported table property key: {unknown[0]}"
            )
        table = self.load(self._db(ref), ref.name)
        with table.transaction() as tx:
            tx.set_properties(**{k: v for k, v in properties.items() if k != "table_type"})
        return Outcome()


def show_create(table: Any, database: str, name: str) -> list[str]:
    """SHOW CREATE TABLE of an Iceberg table, in Athena's layout (one row per line)."""
    fields = table.schema().fields
    lines = [f"CREATE TABLE `{database}`.`{name}`("]
    for index, field in enumerate(fields):
        end = ")" if index == len(fields) - 1 else ", "
        comment = f" COMMENT '{field.doc}'" if field.doc else ""
        lines.append(f"  `{field.name}` {_glue_of(field.field_type)}{comment}{end}")
    spec = table.spec()
    if spec.fields:
        items = []
        for part in spec.fields:
            column = table.schema().find_column_name(part.source_id)
            transform = str(part.transform)
            if transform == "identity":
                items.append(f"`{column}`")
            elif "[" in transform:  # bucket[16], truncate[4]
                kind, width = transform.rstrip("]").split("[")
                items.append(f"{kind}({width}, `{column}`)")
            else:
                items.append(f"{transform}(`{column}`)")
        lines.append(f"PARTITIONED BY ({', '.join(items)})")
    lines += ["LOCATION", f"  '{table.location()}'", "TBLPROPERTIES ("]
    properties = {"table_type": "iceberg"}
    codec = table.properties.get("write.parquet.compression-codec")
    if codec:
        properties["write_compression"] = codec
    properties.update(
        {k: v for k, v in table.properties.items() if k in ICEBERG_PROPERTIES - {"table_type"}}
    )
    items = [f"  '{k}'='{v}'" for k, v in properties.items()]
    lines += [item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]
    lines.append(")")
    return lines


def _data_files(table: Any, snapshots: Any) -> set[str]:
    """The data files the given snapshots reference."""
    found: set[str] = set()
    for snapshot in snapshots:
        for manifest in snapshot.manifests(table.io):
            for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
                found.add(entry.data_file.file_path)
    return found


def _glue_of(kind: Any) -> gt.GlueType:
    """The Glue type of an Iceberg type (for INSERT's coercion check)."""
    from pyiceberg.catalog.glue import _IcebergSchemaToGlueType
    from pyiceberg.schema import visit

    return gt.parse_glue_type(visit(kind, _IcebergSchemaToGlueType()))


class _MergePlan:
    """MERGE INTO as one query: target FULL JOIN source, the first WHEN clause that applies to
    each row (``_ACTION``: 0 unchanged, -1 an unmatched source row no clause inserts, else the
    clause's number), the number of source rows matching each target row (``_MATCHES``), and
    every target column's new value."""

    def __init__(self, tree: Any, database: str, name: str) -> None:
        from sqlglot import exp

        self.tree = tree
        target = tree.this
        self.target_alias = target.alias or name
        self.target = (
            "(SELECT *, true AS __t, row_number() OVER () AS __rid FROM "
            f'{_quoted(database, name)}) AS "{self.target_alias}"'
        )
        using = tree.args["using"]
        if isinstance(using, exp.Table):
            self.source_alias = using.alias or using.name
            plain = using.copy()
            plain.set("alias", None)
            inner = _athena(plain)
        elif isinstance(using, exp.Subquery):
            self.source_alias = using.alias
            if not self.source_alias:
                raise QueryError("SYNTAX_ERROR: a MERGE source subquery needs an alias")
            inner = "(" + _athena(using.this) + ")"
        else:
            raise UnsupportedError(f"MERGE source {_athena(using)}")
        self.source = f'(SELECT *, true AS __s FROM {inner} AS __src) AS "{self.source_alias}"'
        self.on = _athena(tree.args["on"])
        self.whens = list(tree.args["whens"].expressions)
        self.deletes: set[int] = set()
        for number, when in enumerate(self.whens, start=1):
            if when.args.get("source"):
                raise UnsupportedError("MERGE ... WHEN NOT MATCHED BY SOURCE")
            then = when.args.get("then")
            if isinstance(then, exp.Var) and then.name.upper() == "DELETE":
                if not when.args.get("matched"):
                    raise QueryError("SYNTAX_ERROR: DELETE is only allowed in WHEN MATCHED")
                self.deletes.add(number)

    def _action(self) -> str:
        t, s = f'"{self.target_alias}".__t', f'"{self.source_alias}".__s'
        matched: list[str] = []
        unmatched: list[str] = []
        for number, when in enumerate(self.whens, start=1):
            condition = when.args.get("condition")
            test = f"coalesce(({_athena(condition)}), false)" if condition is not None else "true"
            (matched if when.args.get("matched") else unmatched).append(
                f"WHEN {test} THEN {number}"
            )
        on_match = f"CASE {' '.join(matched)} ELSE 0 END" if matched else "0"
        on_insert = f"CASE {' '.join(unmatched)} ELSE -1 END" if unmatched else "-1"
        return (
            f"CASE WHEN {t} IS NOT NULL AND {s} IS NOT NULL THEN {on_match} "
            f"WHEN {t} IS NOT NULL THEN 0 ELSE {on_insert} END"
        )

    def sql(self, columns: list[str]) -> str:
        from sqlglot import exp

        action = self._action()
        values: dict[int, dict[str, str]] = {}
        for number, when in enumerate(self.whens, start=1):
            then = when.args.get("then")
            if isinstance(then, exp.Update):
                assigned: dict[str, str] = {}
                for item in then.expressions:
                    column = item.this.name.lower()
                    if column not in columns:
                        raise QueryError(
                            f"COLUMN_NOT_FOUND: line 1:1: Column '{column}' cannot be resolved"
                        )
                    assigned[column] = _athena(item.expression)
                values[number] = assigned
            elif isinstance(then, exp.Insert):
                names = (
                    [c.name.lower() for c in then.this.expressions]
                    if then.this is not None
                    else list(columns)
                )
                exprs = [_athena(e) for e in then.expression.expressions]
                if len(names) != len(exprs):
                    raise QueryError(
                        "SYNTAX_ERROR: MERGE INSERT has a different number of columns and values"
                    )
                unknown = [n for n in names if n not in columns]
                if unknown:
                    raise QueryError(
                        f"COLUMN_NOT_FOUND: Insert column name does not exist: {unknown[0]}"
                    )
                given = dict(zip(names, exprs, strict=True))
                values[number] = {c: given.get(c, "NULL") for c in columns}
        items = []
        for column in columns:
            current = f'"{self.target_alias}"."{column}"'
            branches = [
                f"WHEN {number} THEN ({assigned[column]})"
                for number, assigned in values.items()
                if column in assigned
            ]
            items.append(
                f'CASE ({action}) {" ".join(branches)} ELSE {current} END AS "{column}"'
                if branches
                else f'{current} AS "{column}"'
            )
        t, s = f'"{self.target_alias}"', f'"{self.source_alias}"'
        matches = (
            f"CASE WHEN {t}.__t IS NOT NULL AND {s}.__s IS NOT NULL THEN "
            f"count(*) OVER (PARTITION BY {t}.__rid) ELSE 0 END"
        )
        ordinal = (
            f"CASE WHEN {t}.__t IS NOT NULL THEN row_number() OVER (PARTITION BY {t}.__rid) "
            "ELSE 1 END"
        )
        return (
            f"SELECT {', '.join(items)}, ({action}) AS {_ACTION}, {matches} AS {_MATCHES}, "
            f"{ordinal} AS {_ORDINAL} "
            f"FROM {self.target} FULL OUTER JOIN {self.source} ON {self.on}"
        )
