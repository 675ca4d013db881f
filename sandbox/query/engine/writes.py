"""Athena's writing statements on the sandbox: CTAS, INSERT INTO, UNLOAD, the Hive DDL and views.

Owns what each statement of :mod:`sandbox.query.dialect.ddl` does (Athena user guide, "CREATE
TABLE AS", "Considerations and limitations for CTAS queries", "INSERT INTO", "UNLOAD", "CREATE
VIEW"): the query runs on the DuckDB engine like any SELECT (its bytes are billed), its Arrow
result is cast to the Glue types of the output and written *here* with pyarrow -- Parquet, ORC,
JSON (one document per line) or TEXTFILE (LazySimpleSerDe's layout) -- and uploaded through the
sandbox's S3 endpoint; the DuckDB connection stays locked against writes. Partitioned output goes
to Hive ``k=v/`` folders (partition columns last in the SELECT, not stored in the files), at most
100 partitions per statement (``HIVE_TOO_MANY_OPEN_PARTITIONS``); CTAS and UNLOAD refuse a
location that holds objects (``HIVE_PATH_ALREADY_EXISTS``). Without ``external_location`` a CTAS
table goes to ``<query result location>tables/<query id>/``; a workgroup that enforces its
result location refuses ``external_location``. The files written are listed for the data
manifest (``<query id>-manifest.csv``, written by the API layer); the answer is Athena's one row
with the number of rows written.

Formats and compressions written: Parquet (GZIP default, SNAPPY, ZSTD, LZ4, NONE), ORC (ZLIB
default, SNAPPY, ZSTD, LZ4, NONE), JSON and TEXTFILE (GZIP default, ZSTD, NONE). The query side
reads Parquet and JSON tables back.

Iceberg tables (CREATE TABLE/CTAS with ``table_type='ICEBERG'``, INSERT INTO, DROP TABLE, ADD
COLUMNS, SET TBLPROPERTIES, SHOW CREATE TABLE) are handed to
:mod:`~sandbox.query.engine.iceberg_writes`.

Not reproduced: AVRO output, bucketing (``bucketed_by``/``bucket_count``), ION,
Athena's file sizes and names (one file per partition here, named ``<query id>_<uuid>``),
INSERT INTO's implicit coercions beyond widening (narrowing or text-to-number casts fail as
mismatched types, as Athena does), and ``ALTER TABLE ... RENAME TO`` (Athena refuses it for
Hive tables: "Unsupported DDL").
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from botocore.exceptions import ClientError

from sandbox.core import gluetypes as gt
from sandbox.core.gluetypes import GlueType
from sandbox.query.catalog import ddl as glue_ddl
from sandbox.query.catalog import views
from sandbox.query.catalog.glue import Catalog, Partition, Table
from sandbox.query.catalog.s3layout import directory, hive_path, split_s3_url
from sandbox.query.dialect import ddl
from sandbox.query.dialect.statements import TableRef, show_tables_matcher
from sandbox.query.errors import QueryError, UnsupportedError

if TYPE_CHECKING:
    from sandbox.query.engine.iceberg_writes import IcebergWriter

MAX_PARTITIONS = 100  # per CTAS, INSERT INTO or UNLOAD ("Considerations and limitations for CTAS")
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# CTAS table properties (Athena user guide, "CREATE TABLE AS", CTAS table properties).
CTAS_PROPERTIES = {
    "table_type",
    "external_location",
    "is_external",
    "location",
    "format",
    "partitioned_by",
    "bucketed_by",
    "bucket_count",
    "write_compression",
    "orc_compression",
    "parquet_compression",
    "compression_level",
    "field_delimiter",
}
UNLOAD_PROPERTIES = {
    "format",
    "compression",
    "compression_level",
    "field_delimiter",
    "partitioned_by",
}
_COMPRESSIONS = {
    "PARQUET": {"GZIP", "SNAPPY", "ZSTD", "LZ4", "NONE", "UNCOMPRESSED"},
    "ORC": {"ZLIB", "SNAPPY", "ZSTD", "LZ4", "NONE"},
    "JSON": {"GZIP", "ZSTD", "NONE"},
    "TEXTFILE": {"GZIP", "ZSTD", "NONE"},
}
_DEFAULT_COMPRESSION = {"PARQUET": "GZIP", "ORC": "ZLIB", "JSON": "GZIP", "TEXTFILE": "GZIP"}
# The table property each format keeps its compression in.
_COMPRESSION_PROPERTY = {
    "PARQUET": "parquet.compression",
    "ORC": "orc.compress",
    "JSON": "write.compression",
    "TEXTFILE": "write.compression",
}
_INTEGERS = ["tinyint", "smallint", "int", "bigint"]


@dataclass(frozen=True)
class WriteContext:
    """What a write needs of the query execution: its id (file and folder names), the query
    result folder (CTAS's default location) and whether the workgroup enforces it."""

    query_id: str = ""
    output_location: str = ""
    enforced: bool = False


@dataclass
class Selected:
    """A query's Arrow result, DuckDB's type of each column, and the bytes it scanned."""

    arrow: pa.Table
    duck_types: list[str]
    bytes_scanned: int = 0
    # Iceberg tables read: qualified name -> the metadata_location the query read them at.
    iceberg_reads: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    column_types: list[str] = field(default_factory=list)
    bytes_scanned: int = 0
    data_files: list[str] | None = None  # the data manifest's lines (CTAS, INSERT, UNLOAD)


@dataclass(frozen=True)
class Encoding:
    fmt: str  # PARQUET | ORC | JSON | TEXTFILE
    compression: str
    delimiter: str = "\x01"

    @property
    def suffix(self) -> str:
        """Text files carry their codec's extension (Hadoop picks the codec by it)."""
        if self.fmt in ("JSON", "TEXTFILE"):
            return {"GZIP": ".gz", "ZSTD": ".zst"}.get(self.compression, "")
        return ""


# -- types -------------------------------------------------------------------------------------


def glue_type_of(duck_type: str) -> GlueType:
    """The Glue type a query's output column is stored as; Athena refuses types Hive lacks."""
    try:
        return gt.parse_duckdb_type(duck_type)
    except gt.GlueTypeError as exc:
        raise QueryError(f"NOT_SUPPORTED: Unsupported Hive type: {duck_type.lower()}") from exc


def _rank(node: GlueType) -> tuple[str, int]:
    if isinstance(node, gt.Primitive) and node.name in _INTEGERS:
        return "int", _INTEGERS.index(node.name)
    if isinstance(node, gt.Primitive) and node.name in ("float", "double"):
        return "float", ("float", "double").index(node.name)
    if isinstance(node, gt.CharType) or (isinstance(node, gt.Primitive) and node.name == "string"):
        return "text", 0
    return str(node), 0


def coercible(source: GlueType, target: GlueType) -> bool:
    """Trino's implicit coercions for INSERT: same type, integer/float widening, integer to
    decimal or double, varchar(n)/char to string."""
    if source == target:
        return True
    (s_kind, s_rank), (t_kind, t_rank) = _rank(source), _rank(target)
    if s_kind == t_kind and s_kind in ("int", "float"):
        return s_rank <= t_rank
    if s_kind == "int" and (t_kind == "float" or isinstance(target, gt.DecimalType)):
        return True
    if isinstance(source, gt.DecimalType) and isinstance(target, gt.DecimalType):
        return source.scale <= target.scale and (
            source.precision - source.scale <= target.precision - target.scale
        )
    if isinstance(source, gt.DecimalType) and t_kind == "float":
        return True
    return s_kind == "text" and t_kind == "text"


# -- encoding ----------------------------------------------------------------------------------


def _json_value(value: Any, node: GlueType) -> Any:
    if value is None:
        return None
    if isinstance(node, gt.ArrayType):
        return [_json_value(v, node.element) for v in value]
    if isinstance(node, gt.MapType):
        return {str(_json_value(k, node.key)): _json_value(v, node.value) for k, v in value}
    if isinstance(node, gt.StructType):
        return {f.name: _json_value(value.get(f.name), f.type) for f in node.fields}
    return _text(value)


def _text(value: Any) -> Any:
    """A primitive as Hive's SerDes write it (timestamps ``yyyy-MM-dd HH:mm:ss.SSS``)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value


def _delimited(value: Any, node: GlueType, level: int) -> str:
    """LazySimpleSerDe's text: ``\\N`` for NULL, nested levels separated by \\002, \\003..."""
    if value is None:
        return "\\N"
    separator = chr(2 + level)
    if isinstance(node, gt.ArrayType):
        return separator.join(_delimited(v, node.element, level + 1) for v in value)
    if isinstance(node, gt.MapType):
        inner = chr(3 + level)
        return separator.join(
            _delimited(k, node.key, level + 2) + inner + _delimited(v, node.value, level + 2)
            for k, v in value
        )
    if isinstance(node, gt.StructType):
        return separator.join(_delimited(value.get(f.name), f.type, level + 1) for f in node.fields)
    text = _text(value)
    if isinstance(text, bool):
        return "true" if text else "false"
    return str(text)


def encode(table: pa.Table, types: Sequence[GlueType], encoding: Encoding) -> bytes:
    """One data file holding ``table`` in ``encoding``."""
    buffer = io.BytesIO()
    if encoding.fmt == "PARQUET":
        import pyarrow.parquet as pq

        codec = encoding.compression.lower()
        pq.write_table(table, buffer, compression="none" if codec == "uncompressed" else codec)
        return buffer.getvalue()
    if encoding.fmt == "ORC":
        import pyarrow.orc as orc

        codec = "UNCOMPRESSED" if encoding.compression == "NONE" else encoding.compression
        orc.write_table(table, buffer, compression=codec)
        return buffer.getvalue()
    rows = table.to_pylist()
    names = table.column_names
    if encoding.fmt == "JSON":
        lines = [
            json.dumps(
                {n: _json_value(r[n], t) for n, t in zip(names, types, strict=True)},
                separators=(",", ":"),
                ensure_ascii=False,
            )
            for r in rows
        ]
    else:
        lines = [
            encoding.delimiter.join(
                _delimited(r[n], t, 0) for n, t in zip(names, types, strict=True)
            )
            for r in rows
        ]
    body = "".join(line + "\n" for line in lines).encode()
    if encoding.compression == "NONE":
        return body
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, encoding.compression.lower()) as stream:
        stream.write(body)
    return bytes(sink.getvalue().to_pybytes())


def partition_text(value: Any) -> str:
    """A partition value as Glue stores it (always text)."""
    if value is None:
        return NULL_PARTITION
    text = _text(value)
    if isinstance(text, bool):
        return "true" if text else "false"
    return str(text)


def split_partitions(
    table: pa.Table, keys: Sequence[str]
) -> list[tuple[tuple[str, ...], pa.Table]]:
    """The rows of each partition (values as text), partition columns dropped; refuses more
    than :data:`MAX_PARTITIONS`."""
    if not keys:
        return [((), table)]
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(table.select(list(keys)).to_pylist()):
        groups.setdefault(tuple(partition_text(row[k]) for k in keys), []).append(index)
    if len(groups) > MAX_PARTITIONS:
        raise QueryError(
            f"HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of {MAX_PARTITIONS} open writers "
            "for partitions/buckets"
        )
    data = table.drop_columns(list(keys))
    return [(values, data.take(pa.array(rows))) for values, rows in sorted(groups.items())]


# -- properties --------------------------------------------------------------------------------


def _string_property(properties: dict[str, Any], name: str) -> str | None:
    value = properties.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise QueryError(f"INVALID_TABLE_PROPERTY: Property {name} must be a varchar value")
    return value


def _array_property(properties: dict[str, Any], name: str) -> list[str]:
    value = properties.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(
            f"INVALID_TABLE_PROPERTY: Property {name} must be an array of varchar values"
        )
    return [v.lower() for v in value]


def encoding_from(
    properties: dict[str, Any], allowed: set[str], compression_names: Sequence[str]
) -> Encoding:
    unknown = sorted(set(properties) - allowed)
    if unknown:
        raise QueryError(
            f"INVALID_TABLE_PROPERTY: Catalog 'awsdatacatalog' table property '{unknown[0]}' "
            "does not exist"
        )
    fmt = (_string_property(properties, "format") or "PARQUET").upper()
    if fmt == "AVRO":
        raise UnsupportedError("format 'AVRO'", "the sandbox writes PARQUET, ORC, JSON, TEXTFILE")
    if fmt not in _COMPRESSIONS:
        raise QueryError(f"INVALID_TABLE_PROPERTY: Unknown format '{fmt}'")
    compression = None
    for name in compression_names:
        compression = compression or _string_property(properties, name)
    codec = (compression or _DEFAULT_COMPRESSION[fmt]).upper()
    if codec not in _COMPRESSIONS[fmt]:
        raise UnsupportedError(f"{fmt} with compression {codec}")
    delimiter = _string_property(properties, "field_delimiter") or "\x01"
    if len(delimiter) != 1:
        raise QueryError("INVALID_TABLE_PROPERTY: field_delimiter must be a single character")
    return Encoding(fmt, "NONE" if codec == "UNCOMPRESSED" else codec, delimiter)


def encoding_of(table: Table) -> Encoding:
    """How INSERT INTO writes to an existing table: its SerDe's format, its compression."""
    serde, input_format = table.serde.lower(), table.input_format.lower()
    if "parquet" in serde or "parquet" in input_format:
        fmt = "PARQUET"
    elif "orc" in serde or "orc" in input_format:
        fmt = "ORC"
    elif "json" in serde:
        fmt = "JSON"
    elif serde == glue_ddl.LAZY_SIMPLE_SERDE.lower():
        fmt = "TEXTFILE"
    else:
        raise UnsupportedError(f"INSERT INTO a table with SerDe {table.serde or '-'}")
    codec = str(table.parameters.get(_COMPRESSION_PROPERTY[fmt]) or _DEFAULT_COMPRESSION[fmt])
    codec = codec.upper()
    if codec not in _COMPRESSIONS[fmt]:
        codec = _DEFAULT_COMPRESSION[fmt]
    delimiter = str(table.serde_parameters.get("field.delim") or "\x01")
    return Encoding(fmt, "NONE" if codec == "UNCOMPRESSED" else codec, delimiter)


# -- the statements ----------------------------------------------------------------------------


class Writer:
    """Runs the statements of :mod:`sandbox.query.dialect.ddl` for one engine session."""

    def __init__(
        self,
        catalog: Catalog,
        s3: Any,
        database: str,
        select: Callable[[str], Selected],
        context: WriteContext | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        iceberg: IcebergWriter | None = None,
    ) -> None:
        self.iceberg = iceberg
        self.catalog = catalog
        self.s3 = s3
        self.database = database
        self.select = select
        self.context = context or WriteContext()
        self.new_id = new_id

    def run(self, statement: ddl.Statement) -> Outcome:
        handler = getattr(self, "_" + type(statement).__name__.lower())
        try:
            result: Outcome = handler(statement)
        except ClientError as exc:
            # Glue or S3 refused a write (a name Glue rejects, a missing bucket...): the query
            # fails with the service's words, as Athena's metastore errors carry them.
            error = exc.response.get("Error", {})
            raise QueryError(
                f"HIVE_METASTORE_ERROR: {error.get('Code', 'Error')}: {error.get('Message', exc)}"
            ) from exc
        return result

    def _db(self, ref: TableRef) -> str:
        return ref.database or self.database

    def _iceberg(self, raw: dict[str, Any] | None = None) -> IcebergWriter | None:
        """The Iceberg writer when ``raw`` (a Glue table, if given) is an Iceberg table."""
        from sandbox.iceberg.catalog import is_iceberg

        if raw is not None and not is_iceberg(raw):
            return None
        if self.iceberg is None:
            raise UnsupportedError("Iceberg tables in this engine session")
        return self.iceberg

    def _createicebergtable(self, statement: ddl.CreateIcebergTable) -> Outcome:
        writer = self._iceberg()
        assert writer is not None
        return writer.create_table(statement)

    # -- S3 ------------------------------------------------------------------------------------
    def _require_empty(self, location: str, what: str) -> None:
        bucket, prefix = split_s3_url(directory(location))
        page = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        if page.get("KeyCount", 0) or page.get("Contents"):
            raise QueryError(
                f"HIVE_PATH_ALREADY_EXISTS: Target directory for {what} already exists: {location}"
            )

    def _put(self, folder: str, body: bytes, encoding: Encoding) -> str:
        bucket, prefix = split_s3_url(directory(folder))
        query_id = self.context.query_id or self.new_id()
        key = f"{prefix}{query_id}_{self.new_id()}{encoding.suffix}"
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        return f"s3://{bucket}/{key}"

    def _write(
        self,
        location: str,
        table: pa.Table,
        types: Sequence[GlueType],
        keys: Sequence[str],
        encoding: Encoding,
        folders: dict[tuple[str, ...], str] | None = None,
    ) -> tuple[list[str], list[Partition]]:
        """Write ``table`` under ``location`` split by ``keys``; the files and partitions."""
        files: list[str] = []
        partitions: list[Partition] = []
        data_types = [t for n, t in zip(table.column_names, types, strict=True) if n not in keys]
        for values, rows in split_partitions(table, keys):
            folder = (folders or {}).get(values) or directory(location) + hive_path(keys, values)
            if rows.num_rows:
                files.append(self._put(folder, encode(rows, data_types, encoding), encoding))
            if keys:
                partitions.append(Partition(values, folder))
        return files, partitions

    # -- CTAS, INSERT INTO, UNLOAD -------------------------------------------------------------
    def _output(self, query: str, limit_zero: bool = False) -> tuple[Selected, list[GlueType]]:
        if query.lstrip("( \n\t").upper().startswith("VALUES"):
            query = f"SELECT * FROM ({query})"  # sqlglot reads a bare VALUES as no query
        selected = self.select(f"SELECT * FROM ({query}) LIMIT 0" if limit_zero else query)
        names = [n.lower() for n in selected.arrow.column_names]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise QueryError(
                f"HIVE_COLUMN_ORDER_MISMATCH: Column name '{duplicate}' specified more than once"
            )
        types = [glue_type_of(t) for t in selected.duck_types]
        schema = pa.schema([(n, gt.to_arrow(t)) for n, t in zip(names, types, strict=True)])
        selected.arrow = selected.arrow.rename_columns(names).cast(schema)
        return selected, types

    def _createtableas(self, statement: ddl.CreateTableAs) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        self.catalog.require_database(database)
        if self.catalog.raw_table(database, name) is not None:
            if statement.if_not_exists:
                return Outcome(["rows"], [(0,)], ["BIGINT"], 0, [])
            raise QueryError(
                f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{database}.{name}' already exists"
            )
        properties = dict(statement.properties)
        if str(properties.get("table_type", "HIVE")).upper() == "ICEBERG":
            writer = self._iceberg()
            assert writer is not None
            return writer.create_table_as(statement)
        encoding = encoding_from(
            properties,
            CTAS_PROPERTIES,
            ("write_compression", "parquet_compression", "orc_compression"),
        )
        if str(properties.get("table_type", "HIVE")).upper() != "HIVE":
            raise UnsupportedError(f"table_type '{properties['table_type']}'", "Hive tables only")
        if properties.get("bucketed_by") or properties.get("bucket_count"):
            raise UnsupportedError("CTAS bucketed_by/bucket_count")
        keys = _array_property(properties, "partitioned_by")
        location = _string_property(properties, "external_location")
        if location and self.context.enforced:
            # "Athena issues an error and fails a query that specifies an external_location"
            # in a workgroup that enforces its result location (CREATE TABLE AS).
            raise QueryError(
                "INVALID_TABLE_PROPERTY: external_location cannot be set: the workgroup "
                "enforces its query result location (Override client-side settings)"
            )
        if not location:
            results = directory(self.context.output_location or "s3://sandbox-results/")
            location = f"{results}tables/{self.context.query_id or self.new_id()}/"
        self._require_empty(location, f"table '{database}.{name}'")
        selected, types = self._output(statement.query, limit_zero=not statement.with_data)
        names = selected.arrow.column_names
        if keys and names[len(names) - len(keys) :] != keys:
            raise QueryError(
                "HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the "
                f"table and in the same order as the table properties: {keys}"
            )
        if keys and len(keys) == len(names):
            raise QueryError("INVALID_TABLE_PROPERTY: Table contains only partition columns")
        files, partitions = self._write(location, selected.arrow, types, keys, encoding)
        columns = [{"Name": n, "Type": str(t)} for n, t in zip(names, types, strict=True)]
        fmt = glue_ddl.FORMATS[encoding.fmt]
        serde_parameters = {}
        if encoding.fmt == "TEXTFILE":
            serde_parameters = {
                "field.delim": encoding.delimiter,
                "serialization.format": encoding.delimiter,
            }
        table_input = {
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "EXTERNAL": "TRUE",
                "has_encrypted_data": "false",
                _COMPRESSION_PROPERTY[encoding.fmt]: encoding.compression,
            },
            "StorageDescriptor": glue_ddl.storage_descriptor(
                columns[: len(columns) - len(keys)],
                location,
                fmt,
                serde_parameters=serde_parameters,
            ),
            "PartitionKeys": columns[len(columns) - len(keys) :],
        }
        self.catalog.create_table(database, table_input)
        if partitions:
            created = self.catalog.get_table(database, name)
            self.catalog.create_partitions(created, partitions)
        rows = selected.arrow.num_rows if statement.with_data else 0
        return Outcome(["rows"], [(rows,)], ["BIGINT"], selected.bytes_scanned, files)

    def _insertinto(self, statement: ddl.InsertInto) -> Outcome:
        database = self._db(statement.table)
        raw = self.catalog.raw_table(database, statement.table.name)
        if raw is None:
            raise QueryError(
                f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.{statement.table.name}' "
                "does not exist"
            )
        if views.is_view(raw):
            raise QueryError("NOT_SUPPORTED: Inserting into views is not supported")
        if (writer := self._iceberg(raw)) is not None:
            return writer.insert(statement)
        table = self.catalog.get_table(database, statement.table.name)
        encoding = encoding_of(table)
        targets = table.all_columns()
        selected, types = self._output(statement.query)
        wanted = list(statement.columns) if statement.columns else [c.name for c in targets]
        unknown = [n for n in wanted if n not in {c.name for c in targets}]
        if unknown:
            raise QueryError(f"COLUMN_NOT_FOUND: Insert column name does not exist: {unknown[0]}")
        target_types = {c.name: gt.parse_glue_type(c.glue_type) for c in targets}
        if len(wanted) != len(types) or not all(
            coercible(t, target_types[n]) for n, t in zip(wanted, types, strict=True)
        ):
            table_types = ", ".join(str(target_types[n]) for n in wanted)
            query_types = ", ".join(str(t) for t in types)
            raise QueryError(
                "TYPE_MISMATCH: Insert query has mismatched column types: "
                f"Table: [{table_types}], Query: [{query_types}]"
            )
        source = dict(zip(wanted, selected.arrow.columns, strict=True))
        arrays = [
            source[c.name].cast(gt.to_arrow(target_types[c.name]))
            if c.name in source
            else pa.nulls(selected.arrow.num_rows, gt.to_arrow(target_types[c.name]))
            for c in targets
        ]
        out = pa.Table.from_arrays(arrays, names=[c.name for c in targets])
        keys = list(table.key_names)
        known = (
            {}
            if table.projection_enabled
            else {
                p.values: directory(p.location or table.location + hive_path(keys, p.values))
                for p in (self.catalog.get_partitions(table) if keys else [])
            }
        )
        files, partitions = self._write(
            table.location, out, [target_types[c.name] for c in targets], keys, encoding, known
        )
        new = [p for p in partitions if p.values not in known]
        if new and not table.projection_enabled:
            self.catalog.create_partitions(table, new)
        return Outcome(["rows"], [(out.num_rows,)], ["BIGINT"], selected.bytes_scanned, files)

    def _unload(self, statement: ddl.Unload) -> Outcome:
        properties = dict(statement.properties)
        if "format" not in properties:
            raise QueryError("INVALID_TABLE_PROPERTY: UNLOAD requires the format property")
        encoding = encoding_from(properties, UNLOAD_PROPERTIES, ("compression",))
        keys = _array_property(properties, "partitioned_by")
        self._require_empty(statement.location, "UNLOAD")
        selected, types = self._output(statement.query)
        names = selected.arrow.column_names
        if keys and names[len(names) - len(keys) :] != keys:
            raise QueryError(
                "HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be the last columns in the "
                f"query and in the same order as partitioned_by: {keys}"
            )
        files, _ = self._write(statement.location, selected.arrow, types, keys, encoding)
        rows = selected.arrow.num_rows
        return Outcome(["rows"], [(rows,)], ["BIGINT"], selected.bytes_scanned, files)

    # -- databases and tables -----------------------------------------------------------------
    def _createdatabase(self, statement: ddl.CreateDatabase) -> Outcome:
        self.catalog.create_database(glue_ddl.database_input(statement), statement.if_not_exists)
        return Outcome()

    def _dropdatabase(self, statement: ddl.DropDatabase) -> Outcome:
        if not self.catalog.database_exists(statement.name):
            if statement.if_exists:
                return Outcome()
            raise QueryError(f"SCHEMA_NOT_FOUND: Schema '{statement.name}' does not exist")
        self.catalog.delete_database(statement.name, statement.cascade)
        return Outcome()

    def _createtable(self, statement: ddl.CreateTable) -> Outcome:
        database = self._db(statement.table)
        names = [c.name for c in statement.columns + statement.partition_keys]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise QueryError(
                f"HIVE_METASTORE_ERROR: Partition column name {duplicates[0]} conflicts with "
                "table columns"
            )
        if statement.if_not_exists and self.catalog.raw_table(database, statement.table.name):
            return Outcome()
        self.catalog.create_table(database, glue_ddl.external_table_input(statement))
        return Outcome()

    def _existing(self, ref: TableRef) -> dict[str, Any]:
        database = self._db(ref)
        raw = self.catalog.raw_table(database, ref.name)
        if raw is None:
            raise QueryError(
                f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.{ref.name}' does not exist"
            )
        return raw

    def _droptable(self, statement: ddl.DropTable) -> Outcome:
        database = self._db(statement.table)
        raw = self.catalog.raw_table(database, statement.table.name)
        if raw is None:
            if statement.if_exists:
                return Outcome()
            self._existing(statement.table)
        if raw is not None and (writer := self._iceberg(raw)) is not None:
            return writer.drop_table(database, statement.table.name)
        # External tables: the data stays in S3 (Athena user guide, "DROP TABLE").
        self.catalog.delete_table(database, statement.table.name)
        return Outcome()

    def _table_only(self, ref: TableRef) -> dict[str, Any]:
        raw = self._existing(ref)
        if views.is_view(raw):
            raise QueryError(f"NOT_SUPPORTED: {self._db(ref)}.{ref.name} is a view, not a table")
        return raw

    def _altercolumns(self, statement: ddl.AlterColumns) -> Outcome:
        raw = self._table_only(statement.table)
        if (writer := self._iceberg(raw)) is not None:
            return writer.add_columns(statement)
        keys = {k["Name"].lower() for k in raw.get("PartitionKeys") or []}
        existing = (
            set()
            if statement.replace
            else {
                c["Name"].lower() for c in (raw.get("StorageDescriptor") or {}).get("Columns") or []
            }
        )
        for column in statement.columns:
            if column.name in keys or column.name in existing:
                raise QueryError(f"HIVE_METASTORE_ERROR: Duplicate column name: {column.name}")
        updated = glue_ddl.with_columns(raw, statement.columns, statement.replace)
        self.catalog.update_table(self._db(statement.table), updated)
        return Outcome()

    def _altertableset(self, statement: ddl.AlterTableSet) -> Outcome:
        raw = self._table_only(statement.table)
        if (writer := self._iceberg(raw)) is not None:
            if statement.location is not None:
                raise UnsupportedError("ALTER TABLE ... SET LOCATION on an Iceberg table")
            return writer.set_properties(statement.table, statement.properties)
        if statement.location is not None:
            split_s3_url(statement.location)
            updated = glue_ddl.with_location(raw, statement.location)
        else:
            updated = glue_ddl.with_properties(raw, statement.properties)
        self.catalog.update_table(self._db(statement.table), updated)
        return Outcome()

    # -- views --------------------------------------------------------------------------------
    def _createview(self, statement: ddl.CreateView) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        self.catalog.require_database(database)
        existing = self.catalog.raw_table(database, name)
        if existing is not None and not views.is_view(existing):
            raise QueryError(
                f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{database}.{name}' already exists"
            )
        if existing is not None and not statement.or_replace:
            raise QueryError(
                f"TABLE_ALREADY_EXISTS: View 'awsdatacatalog.{database}.{name}' already exists"
            )
        selected = self.select(f"SELECT * FROM ({statement.query}) LIMIT 0")
        columns = []
        for column, duck_type in zip(selected.arrow.column_names, selected.duck_types, strict=True):
            node = glue_type_of(duck_type)
            columns.append(views.ViewColumn(column.lower(), str(node), views.trino_type(node)))
        table_input = views.view_table_input(name, statement.query, database, columns)
        if existing is None:
            self.catalog.create_table(database, table_input)
        else:
            self.catalog.update_table(database, table_input)
        return Outcome()

    def _dropview(self, statement: ddl.DropView) -> Outcome:
        database, name = self._db(statement.table), statement.table.name
        raw = self.catalog.raw_table(database, name)
        if raw is None or not views.is_view(raw):
            if statement.if_exists and raw is None:
                return Outcome()
            raise QueryError(
                f"TABLE_NOT_FOUND: View 'awsdatacatalog.{database}.{name}' does not exist"
            )
        self.catalog.delete_table(database, name)
        return Outcome()

    def _showviews(self, statement: ddl.ShowViews) -> Outcome:
        match = show_tables_matcher(statement.pattern)
        names = self.catalog.list_views(statement.database or self.database)
        return Outcome(["views"], [(n,) for n in names if match.fullmatch(n)])

    def _showcreate(self, statement: ddl.ShowCreate) -> Outcome:
        database = self._db(statement.table)
        raw = self._existing(statement.table)
        if statement.kind == "VIEW":
            if not views.is_view(raw):
                raise QueryError(
                    f"NOT_SUPPORTED: Relation '{database}.{statement.table.name}' is a table, "
                    "not a view"
                )
            definition = views.decode(raw)
            head = f'CREATE VIEW "awsdatacatalog"."{database}"."{raw["Name"]}" SECURITY DEFINER AS'
            lines = [head, *definition.sql.splitlines()]
            return Outcome(["Create View"], [(line,) for line in lines])
        if views.is_view(raw):
            raise QueryError(
                f"NOT_SUPPORTED: {database}.{statement.table.name} is a view; use SHOW CREATE VIEW"
            )
        if (writer := self._iceberg(raw)) is not None:
            from sandbox.query.engine.iceberg_writes import show_create

            table = writer.load(database, statement.table.name)
            lines = show_create(table, database, statement.table.name)
        else:
            lines = glue_ddl.show_create_table(raw, database)
        return Outcome(["createtab_stmt"], [(line,) for line in lines])


__all__ = ["Encoding", "Outcome", "Selected", "WriteContext", "Writer"]
