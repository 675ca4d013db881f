"""The Athena stand-in: one statement in, a result with bytes scanned and cost out.

Owns the orchestration for a statement: write and catalogue statements (CTAS, INSERT INTO,
UNLOAD, DDL, views) go to :mod:`~sandbox.query.engine.writes`, which runs their queries here;
utility statements (partition DDL, SHOW, DESCRIBE) go to Glue through
:mod:`~sandbox.query.catalog.partitions`; queries are parsed, each Glue table they read becomes
a DuckDB view over exactly the files its (pruned) partitions hold, each Athena view a DuckDB view
of its own translated SQL (views over views, up to 16 deep), each Iceberg table a view over
``iceberg_scan`` of the metadata Glue points at (``t$snapshots`` and the other metadata tables,
and ``FOR VERSION|TIMESTAMP AS OF`` resolved to a snapshot first: :mod:`~sandbox.query.engine.
iceberg`; the iceberg extension is loaded into the connection the first time a query needs it),
the SQL is translated, run, and charged for the bytes DuckDB fetched from S3 (not counting
Iceberg metadata files). Iceberg-only statements (DELETE, UPDATE, MERGE, OPTIMIZE, VACUUM,
ALTER TABLE DROP/CHANGE COLUMN, RENAME TO) go to :mod:`~sandbox.query.engine.iceberg_writes`.

Not reproduced: query queueing, workgroup settings (bytes-scanned cutoffs, result encryption),
result files in the results bucket, query result reuse, ``information_schema``, and federated
catalogs. Everything runs against the sandbox endpoint only: a Session refuses to start when
the settings point anywhere else.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
from botocore.exceptions import ClientError

from sandbox.iceberg.catalog import is_iceberg, metadata_location
from sandbox.query.catalog import views
from sandbox.query.catalog.glue import Catalog, Table
from sandbox.query.catalog.partitions import (
    add_partitions,
    drop_partitions,
    msck_repair,
    show_partitions,
)
from sandbox.query.catalog.tables import resolve
from sandbox.query.dialect import iceberg as iceberg_sql
from sandbox.query.dialect.ddl import CreateTableAs, InsertInto, Statement, Unload, parse_ddl
from sandbox.query.dialect.iceberg import IcebergStatement, parse_iceberg
from sandbox.query.dialect.pruning import partition_filters
from sandbox.query.dialect.quoting import identifier, literal
from sandbox.query.dialect.statements import (
    AddPartitions,
    Describe,
    DropPartitions,
    MsckRepair,
    ShowColumns,
    ShowDatabases,
    ShowPartitions,
    ShowTables,
    TableRef,
    Utility,
    parse_utility,
    show_tables_matcher,
)
from sandbox.query.dialect.translate import parse, table_references, translate
from sandbox.query.engine import duck, iceberg
from sandbox.query.engine.iceberg_writes import IcebergWriter
from sandbox.query.engine.pricing import DEFAULT_PRICES, Prices, athena_cost
from sandbox.query.engine.readers import JSON_ANY, JSON_LINES, reader_kind, view_sql
from sandbox.query.engine.writes import Selected, WriteContext, Writer
from sandbox.query.errors import QueryError, UnsupportedError
from sandbox.settings import Settings, load

MAX_VIEW_DEPTH = 16  # views over views, before a cycle is assumed
# DuckDB's message when a line holds more than one JSON document.
_CONCATENATED = "unexpected content after document"


def _not_iceberg(statement: IcebergStatement, qualified: str) -> QueryError:
    """Athena's answer to an Iceberg-only statement on a Hive table."""
    if isinstance(statement, iceberg_sql.RenameTable):
        return UnsupportedError(
            "ALTER TABLE ... RENAME TO", "Athena does not rename Hive tables (Unsupported DDL)"
        )
    if isinstance(statement, iceberg_sql.ChangeColumn | iceberg_sql.DropColumn):
        what = "CHANGE COLUMN" if isinstance(statement, iceberg_sql.ChangeColumn) else "DROP COLUMN"
        return UnsupportedError(f"ALTER TABLE ... {what} on Hive table {qualified}")
    verb = type(statement).__name__.upper()
    return QueryError(
        f"NOT_SUPPORTED: Modifying Hive table rows is only supported for transactional "
        f"tables: {verb} needs an Iceberg table, and {qualified} is not one"
    )


class _IcebergNeeded(Exception):
    """A query met an Iceberg table on a connection without the extension: run it again."""


@dataclass
class Result:
    """A statement's answer, and what running it on Athena would have scanned and cost."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    bytes_scanned: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    engine: str = "duckdb"
    statement_type: str = "DML"  # DML (billed), DDL or UTILITY (free), as Athena reports them
    sql: str = ""  # what the engine ran
    warnings: list[str] = field(default_factory=list)
    scan: duck.Scan | None = None
    # DuckDB's type of each column (``INTEGER``, ``VARCHAR[]``...), for Athena's ColumnInfo;
    # empty for utility statements, whose columns are all text.
    column_types: list[str] = field(default_factory=list)
    # The data files a CTAS, INSERT INTO or UNLOAD wrote (the data manifest); None otherwise.
    data_files: list[str] | None = None


def default_database(settings: Settings) -> str:
    """The Glue database from the Terraform outputs, else Athena's ``default``."""
    from sandbox.infra.outputs import OutputsMissingError, read_outputs

    try:
        return read_outputs(settings).database
    except (OutputsMissingError, OSError, ValueError):
        return "default"


class Session:
    """Runs Athena SQL on DuckDB over the sandbox's S3, with tables from its Glue catalogue."""

    def __init__(
        self,
        settings: Settings | None = None,
        glue_client: Any = None,
        s3_client: Any = None,
        *,
        database: str | None = None,
        prices: Prices = DEFAULT_PRICES,
        undelimited_json: str = "warn",
        now: datetime | None = None,
        reads: duck.ReadEndpoint | None = None,
    ) -> None:
        self.settings = settings or load()
        # Where DuckDB fetches objects when not from the settings' endpoint (in LocalStack).
        self.reads = reads
        if not self.settings.is_local:
            raise QueryError(
                f"the DuckDB engine only queries the sandbox, but the endpoint is "
                f"{self.settings.endpoint_url}; use --engine athena to query AWS"
            )
        if undelimited_json not in ("warn", "error"):
            raise ValueError("undelimited_json must be 'warn' or 'error'")
        self.glue = glue_client or self.settings.client("glue")
        self.s3 = s3_client or self.settings.client("s3")
        self.catalog = Catalog(self.glue)
        self.database = (database or default_database(self.settings)).lower()
        self.prices = prices
        self.undelimited_json = undelimited_json
        self.now = now
        self._con: duckdb.DuckDBPyConnection | None = None
        # JSON tables found to hold undelimited records: read them that way from then on.
        self._undelimited: set[str] = set()
        self._column_types: list[str] = []
        # The execution a write statement belongs to (set by the API's worker before each one).
        self.context = WriteContext()
        # Iceberg: whether the connection has the extension, the pyiceberg catalog (made on
        # first use), and per query the metadata each Iceberg table was read at and the
        # metadata folders whose reads are not billed.
        self._iceberg_loaded = False
        self._iceberg_catalog: Any = None
        self.iceberg_reads: dict[str, str] = {}
        self._unbilled: set[str] = set()
        self._registered: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            # with the macros (duck.prepare_sql); the iceberg extension once a query needs it
            self._con = duck.connect(self.settings, iceberg=self._iceberg_loaded, reads=self.reads)
        return self._con

    def _need_iceberg(self) -> None:
        """Reconnect with the iceberg extension (views are made again by the retried query)."""
        if not self._iceberg_loaded:
            self._iceberg_loaded = True
            self.close()
            raise _IcebergNeeded

    def iceberg_catalog(self) -> Any:
        """The pyiceberg Glue catalog on the sandbox endpoint (sandbox.iceberg.catalog)."""
        if self._iceberg_catalog is None:
            from sandbox.iceberg.catalog import glue_catalog

            self._iceberg_catalog = glue_catalog(self.settings.endpoint_url, self.settings.region)
        return self._iceberg_catalog

    def load_iceberg(self, database: str, name: str) -> Any:
        """The pyiceberg table, QueryError as Athena's when it is missing."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.iceberg_catalog().load_table((database, name))
        except NoSuchTableError as exc:
            raise QueryError(
                f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.{name}' does not exist"
            ) from exc

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statements ------------------------------------------------------------------------
    def execute(self, athena_sql: str) -> Result:
        """Run one Athena statement; QueryError (one line) when it fails."""
        started = time.perf_counter()
        special = parse_iceberg(athena_sql)
        if special is not None:
            result = self._iceberg_statement(special)
            result.seconds = time.perf_counter() - started
            return result
        write = parse_ddl(athena_sql)
        if write is not None:
            result = self._writes(write)
        else:
            utility = parse_utility(athena_sql)
            result = self._utility(utility) if utility is not None else self._query(athena_sql)
        result.seconds = time.perf_counter() - started
        return result

    def table(self, ref: TableRef) -> Table:
        return self.catalog.get_table(ref.database or self.database, ref.name)

    def _utility(self, statement: Utility) -> Result:
        ddl = "DDL"
        if isinstance(statement, MsckRepair | AddPartitions | DropPartitions | ShowPartitions):
            table = self.table(statement.table)
            if is_iceberg({"Parameters": table.parameters}):
                # Iceberg partitions live in the table's metadata, not in Glue.
                what = {
                    MsckRepair: "MSCK REPAIR TABLE",
                    AddPartitions: "ALTER TABLE ADD PARTITION",
                    DropPartitions: "ALTER TABLE DROP PARTITION",
                    ShowPartitions: "SHOW PARTITIONS",
                }[type(statement)]
                raise UnsupportedError(
                    f"{what} on Iceberg table {table.qualified_name}",
                    f'query "{table.name}$partitions" instead',
                )
        if isinstance(statement, MsckRepair):
            lines = msck_repair(self.catalog, self.s3, self.table(statement.table))
            return Result(["result"], [(line,) for line in lines], statement_type=ddl)
        if isinstance(statement, AddPartitions):
            add_partitions(self.catalog, self.table(statement.table), statement)
            return Result([], [], statement_type=ddl)
        if isinstance(statement, DropPartitions):
            drop_partitions(self.catalog, self.table(statement.table), statement)
            return Result([], [], statement_type=ddl)
        if isinstance(statement, ShowPartitions):
            specs = show_partitions(self.catalog, self.table(statement.table))
            return Result(["partition"], [(s,) for s in specs], statement_type=ddl)
        if isinstance(statement, ShowTables):
            match = show_tables_matcher(statement.pattern)
            names = self.catalog.list_tables(statement.database or self.database)
            rows = [(n,) for n in names if match.fullmatch(n)]
            return Result(["tab_name"], rows, statement_type=ddl)
        if isinstance(statement, ShowDatabases):
            match = show_tables_matcher(statement.pattern)
            rows = [(n,) for n in self.catalog.list_databases() if match.fullmatch(n)]
            return Result(["database_name"], rows, statement_type=ddl)
        if isinstance(statement, ShowColumns):
            table = self.table(statement.table)
            return Result(["field"], [(c.name,) for c in table.all_columns()], statement_type=ddl)
        if isinstance(statement, Describe):
            return self._describe(self.table(statement.table))
        raise UnsupportedError(type(statement).__name__)

    def _describe(self, table: Table) -> Result:
        rows: list[tuple[Any, ...]] = [
            (c.name, c.glue_type, c.comment) for c in table.all_columns()
        ]
        if table.partition_keys:
            rows += [
                ("", "", ""),
                ("# Partition Information", "", ""),
                ("# col_name", "data_type", "comment"),
                ("", "", ""),
            ]
            rows += [(c.name, c.glue_type, c.comment) for c in table.partition_keys]
        return Result(["col_name", "data_type", "comment"], rows, statement_type="DDL")

    def _query(self, athena_sql: str) -> Result:
        arrow, scan, duck_sql, warnings = self._select(athena_sql)
        # By column, not as dicts: two outputs may share a name (SELECT 1 AS a, 2 AS a).
        rows = list(zip(*(column.to_pylist() for column in arrow.columns), strict=True))
        return Result(
            columns=list(arrow.column_names),
            rows=rows,
            bytes_scanned=scan.bytes_scanned,
            cost_usd=athena_cost(scan.bytes_scanned, self.prices),
            sql=duck_sql,
            warnings=warnings,
            scan=scan,
            column_types=self._column_types,
        )

    def _prepare(
        self,
        tree: Any,
        database: str,
        json_views: dict[str, tuple[Table, Any]],
        known_undelimited: dict[str, tuple[Table, Any]],
        depth: int = 0,
    ) -> dict[str, dict[str, dict[str, str]]]:
        """A DuckDB view for each Glue table or Athena view ``tree`` reads; their schema."""
        schema: dict[str, dict[str, dict[str, str]]] = {}
        self._time_travel(tree, database)
        for db, name in table_references(tree, database):
            if db == "information_schema":
                raise UnsupportedError("information_schema", "use SHOW TABLES / SHOW COLUMNS")
            base, suffix = iceberg.split_name(name)
            if suffix is not None:
                schema.setdefault(db, {})[name] = self._iceberg_special(db, base, suffix)
                continue
            table = self.catalog.get_table(db, name)
            if is_iceberg({"Parameters": table.parameters}):
                schema.setdefault(db, {})[name] = self._iceberg_view(table)
                continue
            if table.table_type.upper() == views.VIEW_TYPE:
                self._athena_view(table, json_views, known_undelimited, depth)
            else:
                filters = partition_filters(tree, db, name, table.key_names)
                resolved = resolve(table, self.catalog, self.s3, filters, self.now)
                undelimited = table.qualified_name in self._undelimited
                self._create_view(
                    table,
                    view_sql(table, resolved.groups, JSON_ANY if undelimited else JSON_LINES),
                )
                if reader_kind(table) == "json":
                    found = known_undelimited if undelimited else json_views
                    found[table.qualified_name] = (table, resolved.groups)
            columns = {c.name: c.duck_type for c in table.all_columns()}
            schema.setdefault(db, {})[name] = columns
        return schema

    def _athena_view(
        self,
        table: Table,
        json_views: dict[str, tuple[Table, Any]],
        known_undelimited: dict[str, tuple[Table, Any]],
        depth: int,
    ) -> None:
        """A DuckDB view for an Athena view: its SQL translated over its own tables."""
        if depth >= MAX_VIEW_DEPTH:
            raise QueryError(f"VIEW_IS_RECURSIVE: View {table.qualified_name} is recursive")
        raw = self.catalog.raw_table(table.database, table.name) or {}
        definition = views.decode({**raw, "DatabaseName": table.database})
        database = definition.database or table.database
        tree = parse(definition.sql)
        schema = self._prepare(tree, database, json_views, known_undelimited, depth + 1)
        self._create_view(table, translate(tree, database=database, schema=schema))

    # -- Iceberg reads (sandbox.query.engine.iceberg) -------------------------------------------
    def _iceberg_view(self, table: Table, snapshot: int | None = None, name: str = "") -> dict:
        """A DuckDB view over an Iceberg table at the metadata Glue holds now; its columns."""
        location = metadata_location({"Parameters": table.parameters})
        if not location:
            raise QueryError(
                f"ICEBERG_INVALID_METADATA: Table {table.qualified_name} has no metadata_location"
            )
        self._need_iceberg()
        self.iceberg_reads.setdefault(table.qualified_name, location)
        self._unbilled.add(iceberg.metadata_folder(location))
        view = replace(table, name=name or table.name)
        self._create_view(view, iceberg.scan_sql(location, snapshot))
        return self._view_columns(view)

    def _view_columns(self, table: Table) -> dict[str, str]:
        con = self.connection()
        rows = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
            "AND table_name = ?",
            [table.database, table.name],
        ).fetchall()
        return {str(n): str(t) for n, t in rows}

    def _iceberg_special(self, db: str, base: str, suffix: str) -> dict[str, str]:
        """``t$snapshots`` and the other metadata tables, or ``t$version=<id>`` (time travel)."""
        table = self.catalog.get_table(db, base)
        if not is_iceberg({"Parameters": table.parameters}):
            raise QueryError(
                f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{db}.{base}${suffix}' does not exist"
            )
        name = f"{base}${suffix}"
        if suffix.startswith(iceberg.VERSION_SUFFIX):
            snapshot = int(suffix.removeprefix(iceberg.VERSION_SUFFIX))
            return self._iceberg_view(table, snapshot, name)
        self._need_iceberg()
        loaded = self.load_iceberg(db, base)
        arrow, select = iceberg.metadata_table(loaded, suffix, table.qualified_name)
        con = self.connection()
        source = f"__iceberg_meta_{len(self._registered)}"
        self._registered.append(source)
        con.register(source, arrow)
        view = replace(table, name=name)
        self._create_view(view, f"SELECT {select} FROM {source}")
        return self._view_columns(view)

    def _time_travel(self, tree: Any, database: str) -> None:
        """``t FOR VERSION|TIMESTAMP AS OF x`` -> the table ``t$version=<snapshot id>``."""
        from sqlglot import exp

        for node in list(tree.find_all(exp.Table)):
            version = node.args.get("version")
            if version is None:
                continue
            db = (node.db or database).lower()
            name = node.name.lower()
            table = self.catalog.get_table(db, name)
            if not is_iceberg({"Parameters": table.parameters}):
                raise UnsupportedError(
                    f"FOR {version.name} AS OF on {table.qualified_name}",
                    "time travel needs an Iceberg table",
                )
            loaded = self.load_iceberg(db, name)
            kind = str(version.name).upper()
            if kind == "VERSION":
                value = self._constant(version.expression)
                snapshot = iceberg.snapshot_for_version(loaded, value, table.qualified_name)
            else:
                # As seconds since the epoch: a zone-less timestamp is UTC (the session's zone,
                # and "Athena considers the value to be a timestamp in UTC time").
                seconds = self._constant(exp.TimeToUnix(this=version.expression.copy()))
                if not isinstance(seconds, int | float):
                    raise QueryError("TYPE_MISMATCH: FOR TIMESTAMP AS OF needs a timestamp")
                instant = datetime.fromtimestamp(seconds, UTC)
                snapshot = iceberg.snapshot_for_timestamp(loaded, instant, table.qualified_name)
            alias = node.args.get("alias")
            node.set("version", None)
            node.set("this", exp.to_identifier(f"{name}${iceberg.VERSION_SUFFIX}{snapshot}"))
            node.set("db", exp.to_identifier(db))
            if alias is None:
                node.set("alias", exp.TableAlias(this=exp.to_identifier(name)))

    def _constant(self, expression: Any) -> Any:
        """The value of a constant Athena expression (time travel's AS OF), run on DuckDB."""
        from sqlglot import exp

        duck_sql = translate(exp.select(expression.copy()), database=self.database)
        try:
            row = self.connection().execute(duck_sql).fetchone()
        except duckdb.Error as exc:
            raise _engine_error(exc) from exc
        return row[0] if row else None

    def _select(self, athena_sql: str) -> tuple[Any, duck.Scan, str, list[str]]:
        """Run one query: its Arrow result, the scan, the DuckDB SQL and warnings."""
        try:
            return self._select_once(athena_sql)
        except _IcebergNeeded:
            return self._select_once(athena_sql)  # now on a connection with the extension

    def _select_once(self, athena_sql: str) -> tuple[Any, duck.Scan, str, list[str]]:
        self.iceberg_reads = {}
        self._unbilled = set()
        self._registered = []
        tree = parse(athena_sql)
        json_views: dict[str, tuple[Table, Any]] = {}
        known_undelimited: dict[str, tuple[Table, Any]] = {}
        schema = self._prepare(tree, self.database, json_views, known_undelimited)
        duck_sql = translate(tree, database=self.database, schema=schema)
        warnings: list[str] = []
        if known_undelimited:
            warnings.append(
                _concatenated_message(known_undelimited) + "; read every record instead"
            )
        try:
            arrow, scan = self._run(duck_sql)
        except duckdb.Error as exc:
            if _CONCATENATED not in str(exc) or not json_views:
                raise _engine_error(exc) from exc
            if self.undelimited_json == "error":
                raise QueryError(_concatenated_message(json_views)) from exc
            warnings.append(_concatenated_message(json_views) + "; read every record instead")
            for table, groups in json_views.values():
                self._create_view(table, view_sql(table, groups, JSON_ANY))
                self._undelimited.add(table.qualified_name)
            try:
                arrow, scan = self._run(duck_sql)
            except duckdb.Error as retry_exc:
                raise _engine_error(retry_exc) from retry_exc
        return arrow, scan, duck_sql, warnings

    def _writes(self, statement: Statement) -> Result:
        writer = Writer(
            self.catalog,
            self.s3,
            self.database,
            self._selected,
            self.context,
            iceberg=self._iceberg_writer(),
        )
        outcome = writer.run(statement)
        kind = "DML" if isinstance(statement, CreateTableAs | InsertInto | Unload) else "DDL"
        return Result(
            columns=outcome.columns,
            rows=outcome.rows,
            bytes_scanned=outcome.bytes_scanned,
            cost_usd=athena_cost(outcome.bytes_scanned, self.prices) if kind == "DML" else 0.0,
            statement_type=kind,
            column_types=outcome.column_types,
            data_files=outcome.data_files,
        )

    def _selected(self, sql: str) -> Selected:
        """A query for a write: its rows, types, bytes and the Iceberg metadata it read."""
        arrow, scan, _, _ = self._select(sql)
        return Selected(
            arrow, list(self._column_types), scan.bytes_scanned, dict(self.iceberg_reads)
        )

    def _iceberg_writer(self) -> IcebergWriter:
        return IcebergWriter(
            self.catalog,
            self.s3,
            self.database,
            self._selected,
            self.load_iceberg,
            self.iceberg_catalog,
            self._scan_files,
        )

    def _scan_files(self, location: str, files: list[str]) -> tuple[Any, int]:
        """Whole data files of an Iceberg table at ``location`` (OPTIMIZE): rows, bytes read."""
        if not self._iceberg_loaded:
            self._iceberg_loaded = True
            self.close()
        con = self.connection()
        self._unbilled = {iceberg.metadata_folder(location)}
        duck.start_measuring(con)
        listed = "[" + ", ".join(literal(f) for f in files) + "]"
        try:
            # ``filename`` is the scan's virtual column (not in SELECT *).
            arrow = con.execute(
                f"{iceberg.scan_sql(location)} WHERE filename IN (SELECT unnest({listed}))"
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise _engine_error(exc) from exc
        return arrow, duck.scan_from_log(duck.http_log(con), self._unbilled).bytes_scanned

    def _iceberg_statement(self, statement: IcebergStatement) -> Result:
        """DELETE, UPDATE, MERGE, OPTIMIZE, VACUUM and the Iceberg-only ALTER TABLEs."""
        ref = statement.table
        database = ref.database or self.database
        raw = self.catalog.raw_table(database, ref.name)
        if raw is None:
            raise QueryError(
                f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.{ref.name}' does not exist"
            )
        if not is_iceberg(raw):
            raise _not_iceberg(statement, f"{database}.{ref.name}")
        writer = self._iceberg_writer()
        handlers: dict[type, Any] = {
            iceberg_sql.Delete: writer.delete,
            iceberg_sql.Update: writer.update,
            iceberg_sql.Merge: writer.merge,
            iceberg_sql.Optimize: writer.optimize,
            iceberg_sql.Vacuum: writer.vacuum,
            iceberg_sql.DropColumn: writer.drop_column,
            iceberg_sql.ChangeColumn: writer.change_column,
            iceberg_sql.RenameTable: writer.rename,
        }
        try:
            outcome = handlers[type(statement)](statement)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise QueryError(
                f"HIVE_METASTORE_ERROR: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
            ) from exc
        dml = isinstance(
            statement,
            iceberg_sql.Delete
            | iceberg_sql.Update
            | iceberg_sql.Merge
            | iceberg_sql.Optimize
            | iceberg_sql.Vacuum,
        )
        kind = "DML" if dml else "DDL"
        return Result(
            columns=outcome.columns,
            rows=outcome.rows,
            bytes_scanned=outcome.bytes_scanned,
            cost_usd=athena_cost(outcome.bytes_scanned, self.prices) if dml else 0.0,
            statement_type=kind,
            column_types=outcome.column_types,
            data_files=outcome.data_files,
        )

    def _create_view(self, table: Table, select: str) -> None:
        con = self.connection()
        schema = identifier(table.database)
        con.execute("CREATE SCHEMA IF NOT EXISTS " + schema)
        con.execute(
            "CREATE OR REPLACE VIEW " + schema + "." + identifier(table.name) + " AS " + select
        )

    def _run(self, duck_sql: str) -> tuple[Any, duck.Scan]:
        con = self.connection()
        duck.start_measuring(con)
        cursor = con.execute(duck_sql)
        self._column_types = [str(d[1]) for d in cursor.description or []]
        arrow = cursor.to_arrow_table()
        return arrow, duck.scan_from_log(duck.http_log(con), self._unbilled)


def _engine_error(exc: BaseException) -> QueryError:
    """DuckDB's error as the query's; a refusal the translated SQL raises at run time (a value
    the sandbox cannot answer for, see dialect.functions) as the UnsupportedError it is."""
    text = _one_line(exc)
    refused = re.search(r"NOT_SUPPORTED: (.*) is not supported by the sandbox", text)
    return UnsupportedError(refused.group(1)) if refused else QueryError(text)


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _concatenated_message(json_views: dict[str, tuple[Table, Any]]) -> str:
    names = ", ".join(sorted(json_views))
    return (
        f"{names}: objects hold JSON records not separated by newlines (Firehose without the "
        "AppendDelimiterToRecord processor); Athena's JSON SerDe would return only the first "
        "record of each line, so Athena's answer differs"
    )
