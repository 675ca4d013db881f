"""Reading Glue's Iceberg tables: DuckDB's iceberg extension on the current metadata, time
travel, and the ``$snapshots``-style metadata tables, as Athena (engine v3, Trino) shows them.

Owns (Athena user guide, "Query Apache Iceberg tables", "Perform time travel and version travel
queries", "Query Iceberg table metadata"):

* the view a query reads an Iceberg table through: ``iceberg_scan(<metadata_location>)`` on the
  ``metadata_location`` Glue holds when the query starts (one consistent snapshot per query),
  with the extension's own pruning of data files by the partition values and column bounds the
  manifests record -- hidden partitions (``day(tstamp)``) prune on a filter on ``tstamp``;
* ``FOR VERSION AS OF <snapshot id>`` and ``FOR TIMESTAMP AS OF <expression>`` (the snapshot
  current at that instant, from the table's snapshot log; Trino's errors for an unknown id or
  an instant before the first snapshot);
* ``"t$snapshots"``, ``"t$history"``, ``"t$files"``, ``"t$manifests"``, ``"t$partitions"`` and
  ``"t$refs"``: pyiceberg's ``inspect`` tables with Trino's column names (``$partitions``:
  ``partition``, ``record_count``, ``file_count``, ``total_size``; timestamps with time zone);
* the Iceberg type of a Glue/Athena column type (:func:`iceberg_type`, a visitor over the one
  type model of :mod:`sandbox.core.gluetypes`), for the writes.

Bytes scanned are the data files' bytes DuckDB fetched: the table's metadata files (metadata
JSON, manifest lists, manifests) are read but not billed. Not reproduced: Athena's ``$files``
``lower_bounds``/``upper_bounds`` as text (binary here, as Iceberg stores them), the
``readable_metrics`` column, ``$manifests``' row counts (pyiceberg's file counts only), time
travel to a branch or tag name, and Iceberg tables in ORC or Avro (pyiceberg writes Parquet).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sandbox.core import gluetypes as gt
from sandbox.core.gluetypes import GlueType
from sandbox.query.dialect.quoting import literal
from sandbox.query.errors import QueryError, UnsupportedError

if TYPE_CHECKING:
    from pyiceberg.table import Table as IcebergTable
    from pyiceberg.types import IcebergType

# The metadata tables Athena answers, each as (pyiceberg's inspect method, select list).
METADATA_TABLES: dict[str, tuple[str, str]] = {
    "snapshots": (
        "snapshots",
        "CAST(committed_at AS TIMESTAMPTZ) AS committed_at, snapshot_id, parent_id, operation, "
        "manifest_list, summary",
    ),
    "history": (
        "history",
        "CAST(made_current_at AS TIMESTAMPTZ) AS made_current_at, snapshot_id, parent_id, "
        "is_current_ancestor",
    ),
    "files": (
        "files",
        "content, file_path, CAST(file_format AS VARCHAR) AS file_format, spec_id, {partition}"
        "record_count, file_size_in_bytes, column_sizes, value_counts, null_value_counts, "
        "nan_value_counts, lower_bounds, upper_bounds, key_metadata, split_offsets, "
        "equality_ids, sort_order_id",
    ),
    "manifests": (
        "manifests",
        "path, length, partition_spec_id, added_snapshot_id, added_data_files_count, "
        "existing_data_files_count, deleted_data_files_count, partition_summaries",
    ),
    "partitions": (
        "partitions",
        "{partition}record_count, file_count, total_data_file_size_in_bytes AS total_size",
    ),
    "refs": (
        "refs",
        "name, type, snapshot_id, max_reference_age_in_ms, min_snapshots_to_keep, "
        "max_snapshot_age_in_ms",
    ),
}
# The columns of the metadata tables pyiceberg cannot inspect before the first snapshot.
EMPTY: dict[str, list[tuple[str, Any]]] = {}


def _empty_columns() -> None:
    import pyarrow as pa

    EMPTY["files"] = [
        ("content", pa.int8()),
        ("file_path", pa.string()),
        ("file_format", pa.string()),
        ("spec_id", pa.int32()),
        ("partition", pa.string()),
        ("record_count", pa.int64()),
        ("file_size_in_bytes", pa.int64()),
    ]
    EMPTY["manifests"] = [
        ("path", pa.string()),
        ("length", pa.int64()),
        ("partition_spec_id", pa.int32()),
        ("added_snapshot_id", pa.int64()),
        ("added_data_files_count", pa.int32()),
        ("existing_data_files_count", pa.int32()),
        ("deleted_data_files_count", pa.int32()),
    ]
    EMPTY["partitions"] = [
        ("partition", pa.string()),
        ("record_count", pa.int64()),
        ("file_count", pa.int32()),
        ("total_size", pa.int64()),
    ]


# The suffix the session gives a time-travelling table reference: ``t$version=<snapshot id>``.
VERSION_SUFFIX = "version="


def split_name(name: str) -> tuple[str, str | None]:
    """``t$snapshots`` -> (``t``, ``snapshots``); ``t`` -> (``t``, None)."""
    base, dollar, suffix = name.partition("$")
    return base, (suffix if dollar else None)


def scan_sql(metadata_location: str, snapshot_id: int | None = None) -> str:
    """The SELECT a view over an Iceberg table runs (at its current or a given snapshot)."""
    options = [literal(metadata_location)]
    if snapshot_id is not None:
        options.append(f"snapshot_from_id = {int(snapshot_id)}")
    return "SELECT * FROM iceberg_scan(" + ", ".join(options) + ")"


def metadata_folder(metadata_location: str) -> str:
    """The folder holding a table's metadata files (``s3://b/t/metadata/``)."""
    return metadata_location.rsplit("/", 1)[0] + "/"


def metadata_table(table: IcebergTable, kind: str, qualified: str) -> tuple[Any, str]:
    """The Arrow rows of ``t$<kind>`` and the select list over them (Trino's columns)."""
    found = METADATA_TABLES.get(kind)
    if found is None:
        raise QueryError(
            f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{qualified}${kind}' does not exist"
        )
    method, select = found
    partitioned = bool(table.spec().fields)
    if not EMPTY:
        _empty_columns()
    if table.current_snapshot() is None and kind in EMPTY:
        # pyiceberg's inspect needs a snapshot for these; a new table has none: no rows.
        import pyarrow as pa

        columns = [c for c in EMPTY[kind] if partitioned or c[0] != "partition"]
        arrow = pa.table({name: pa.array([], type=kind_) for name, kind_ in columns})
        return arrow, ", ".join(name for name, _ in columns)
    arrow = getattr(table.inspect, method)()
    return arrow, select.format(partition="partition, " if partitioned else "")


def snapshot_for_version(table: IcebergTable, value: Any, qualified: str) -> int:
    """``FOR VERSION AS OF <id>``: the snapshot, which must exist (Trino's message)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsupportedError(
            f"FOR VERSION AS OF {value!r}", "a snapshot id (bigint); branches and tags are not"
        )
    if table.snapshot_by_id(value) is None:
        raise QueryError(f"INVALID_ARGUMENTS: Iceberg snapshot ID does not exists: {value}")
    return value


def snapshot_for_timestamp(table: IcebergTable, instant: datetime, qualified: str) -> int:
    """``FOR TIMESTAMP AS OF <ts>``: the snapshot current at ``instant`` (snapshot log)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)  # "Athena considers the value ... in UTC time"
    millis = int(instant.timestamp() * 1000)
    snapshot = table.snapshot_as_of_timestamp(millis, inclusive=True)
    if snapshot is None:
        shown = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
        raise QueryError(
            f"INVALID_ARGUMENTS: No version history table {qualified} at or before {shown}"
        )
    return int(snapshot.snapshot_id)


# -- types ---------------------------------------------------------------------------------------


class _ToIceberg(gt.GlueTypeVisitor["IcebergType"]):
    """Athena's Iceberg column types (Athena user guide, "Supported data types for Iceberg
    tables"): no tinyint/smallint (Iceberg has none), char/varchar stored as string."""

    def __init__(self) -> None:
        from pyiceberg import types

        self.t = types
        self.ids = itertools.count(1000)  # nested ids; create_table assigns fresh ones
        self.simple: dict[str, IcebergType] = {
            "string": types.StringType(),
            "boolean": types.BooleanType(),
            "int": types.IntegerType(),
            "bigint": types.LongType(),
            "float": types.FloatType(),
            "double": types.DoubleType(),
            "date": types.DateType(),
            "timestamp": types.TimestampType(),
            "binary": types.BinaryType(),
        }

    def primitive(self, node: gt.Primitive) -> IcebergType:
        found = self.simple.get(node.name)
        if found is None:
            raise QueryError(f"NOT_SUPPORTED: Unsupported Iceberg type: {node.name}")
        return found

    def decimal(self, node: gt.DecimalType) -> IcebergType:
        return self.t.DecimalType(node.precision, node.scale)

    def char(self, node: gt.CharType) -> IcebergType:
        return self.t.StringType()

    def array(self, node: gt.ArrayType, element: IcebergType) -> IcebergType:
        return self.t.ListType(next(self.ids), element, element_required=False)

    def map(self, node: gt.MapType, key: IcebergType, value: IcebergType) -> IcebergType:
        return self.t.MapType(next(self.ids), key, next(self.ids), value, value_required=False)

    def struct(self, node: gt.StructType, fields: list[IcebergType]) -> IcebergType:
        return self.t.StructType(
            *(
                self.t.NestedField(next(self.ids), f.name.lower(), kind, required=False)
                for f, kind in zip(node.fields, fields, strict=True)
            )
        )


def iceberg_schema(columns: list[tuple[str, GlueType, str]]) -> Any:
    """A pyiceberg Schema for (name, Glue type, comment) columns, ids from 1."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import NestedField

    visitor = _ToIceberg()
    fields = [
        NestedField(index + 1, name, gt.visit(kind, visitor), required=False, doc=comment or None)
        for index, (name, kind, comment) in enumerate(columns)
    ]
    return Schema(*fields)


def iceberg_type(node: GlueType) -> Any:
    return gt.visit(node, _ToIceberg())


def partition_spec(schema: Any, fields: Any) -> Any:
    """A pyiceberg PartitionSpec for :class:`~sandbox.query.dialect.iceberg.PartitionField`s."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import (
        BucketTransform,
        DayTransform,
        HourTransform,
        IdentityTransform,
        MonthTransform,
        TruncateTransform,
        YearTransform,
    )

    simple: Mapping[str, Any] = {
        "identity": IdentityTransform,
        "year": YearTransform,
        "month": MonthTransform,
        "day": DayTransform,
        "hour": HourTransform,
    }
    out = []
    for index, field in enumerate(fields):
        try:
            source = schema.find_field(field.column)
        except ValueError as exc:
            raise QueryError(
                f"COLUMN_NOT_FOUND: Partition column {field.column} does not exist"
            ) from exc
        if field.transform == "bucket":
            transform: Any = BucketTransform(field.width)
        elif field.transform == "truncate":
            transform = TruncateTransform(field.width)
        else:
            transform = simple[field.transform]()
        identity = field.transform == "identity"
        name = field.column if identity else f"{field.column}_{field.transform}"
        if not transform.can_transform(source.field_type):
            raise QueryError(
                f"INVALID_TABLE_PROPERTY: Invalid partition transform {field.transform} for "
                f"column {field.column} of type {source.field_type}"
            )
        out.append(PartitionField(source.field_id, 1000 + index, transform, name))
    return PartitionSpec(*out)
