"""Firehose's Apache Iceberg destination: its configuration, and records turned into table rows.

Owns, in plain Python (no LocalStack, no network):

- the create/update-time rules of an ``IcebergDestinationConfiguration`` beyond the service
  model's constraints (which :mod:`~sandbox.firehose.request_validation` checks), with AWS's
  ``InvalidArgumentException`` (API reference: IcebergDestinationConfiguration,
  IcebergDestinationUpdate, DestinationTableConfiguration, CatalogConfiguration,
  SchemaEvolutionConfiguration, TableCreationConfiguration);
- the ``IcebergDestinationDescription`` DescribeDeliveryStream answers (AWS's defaults applied:
  buffering 5 MiB / 300 s, ``RetryOptions`` 300 s, ``S3BackupMode`` ``FailedDataOnly``,
  ``AppendOnly`` false), and UpdateDestination's merge into it;
- :class:`IcebergTarget`: what the engine needs (tables, routing query, options);
- routing ("Route incoming records to different Iceberg tables"): a single table of
  ``DestinationTableConfigurationList``, or per record the JSON object the
  ``MetadataExtraction`` processor's JQ query yields, ``{destinationDatabaseName,
  destinationTableName, operation}`` (``operation``: ``insert`` (default), ``update``,
  ``delete``);
- a record's row for a table's Iceberg schema (columns by name, Firehose-like coercion) and the
  plan of one commit per table: with unique keys (the table's ``UniqueKeys``, else the Iceberg
  schema's identifier fields), ``update`` replaces the row with the same key (delete, then
  insert), ``delete`` removes it, ``insert`` appends; the last operation on a key in a batch
  wins (records are applied in arrival order);
- ``SchemaEvolutionConfiguration``: a record field the table lacks becomes a new optional
  column (types inferred from JSON: string, long, double, boolean); ``TableCreationConfiguration``:
  a missing table is created with the columns of its first records, partitioned by the table's
  ``PartitionSpec`` identity fields.

Error codes: ``Iceberg.MissingColumnWithinRecord`` is AWS's (a record lacks a column of the
table); the sandbox's own names for the other failures are ``Iceberg.InvalidRecord`` (not a
JSON object), ``Iceberg.InvalidColumnValue`` (a value that does not convert to the column's
type), ``Iceberg.TableNotFound``, ``Iceberg.UnknownOperation``, ``Iceberg.NoUniqueKeys``
(update/delete without unique keys), ``Iceberg.RoutingFailed`` and
``Iceberg.SchemaEvolutionNotReproduced`` (a new nested field under schema evolution).

Differences from AWS, on purpose: timestamps are accepted as epoch microseconds (what AWS
documents, "Supported data types") and also as ISO 8601 / ``yyyy-MM-dd HH:mm:ss[.f]`` text, the
form the article's records carry; ``AppendOnly`` is echoed but updates and deletes are still
applied in order (AWS may apply them out of order then).

Not reproduced (refused at create time where a setting asks for it): ``S3BackupMode``
``AllData`` (every record copied to S3 as well); Lambda processors; S3 Tables catalogs
(``catalog/s3tablescatalog/...`` ARNs); schema evolution of nested or list fields and type
widening; Lake Formation permissions.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.firehose.errors import InvalidArgumentError
from sandbox.firehose.prefixes import KeyLayout
from sandbox.firehose.processors import compile_query, processor_parameters

if TYPE_CHECKING:
    from pyiceberg.schema import Schema

__all__ = [
    "ICEBERG_FAILED",
    "IcebergTarget",
    "RowFailure",
    "TableConfig",
    "TablePlan",
    "description_from_configuration",
    "iceberg_target",
    "is_iceberg_destination",
    "plan_table",
    "record_row",
    "route",
    "schema_with",
    "updated_description",
    "validate_iceberg_configuration",
]

# The error-output-type of failed Iceberg deliveries (by analogy with "http-endpoint-failed",
# "splunk-failed": the sandbox's name, AWS does not document one).
ICEBERG_FAILED = "iceberg-failed"
MISSING_COLUMN = "Iceberg.MissingColumnWithinRecord"
INVALID_RECORD = "Iceberg.InvalidRecord"
INVALID_VALUE = "Iceberg.InvalidColumnValue"
TABLE_NOT_FOUND = "Iceberg.TableNotFound"
UNKNOWN_OPERATION = "Iceberg.UnknownOperation"
NO_UNIQUE_KEYS = "Iceberg.NoUniqueKeys"
ROUTING_FAILED = "Iceberg.RoutingFailed"
EVOLUTION_NOT_REPRODUCED = "Iceberg.SchemaEvolutionNotReproduced"
OPERATIONS = ("insert", "update", "delete")
DEFAULT_SIZE_MB = 5
DEFAULT_INTERVAL_S = 300
DEFAULT_RETRY_S = 300
_ROUTING_KEYS = ("destinationDatabaseName", "destinationTableName", "operation")
_GLUE_CATALOG = re.compile(r"arn:[^:]+:glue:([^:]*):(\d{12}):catalog")


def is_iceberg_destination(destination: Mapping[str, Any]) -> bool:
    """Whether a destination description (or configuration) is an Iceberg one."""
    return "CatalogConfiguration" in destination and "S3DestinationDescription" in destination


# --- configuration -------------------------------------------------------------------------


def _processors(destination: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """(MetadataExtractionQuery, types of the other enabled processors)."""
    processing = destination.get("ProcessingConfiguration") or {}
    if not processing.get("Enabled"):
        return None, []
    query = None
    others = []
    for processor in processing.get("Processors") or []:
        params = processor_parameters(processor)
        if processor.get("Type") == "MetadataExtraction":
            query = params.get("MetadataExtractionQuery")
            if not query:
                raise InvalidArgumentError(
                    "MetadataExtraction processor requires the MetadataExtractionQuery parameter."
                )
            if params.get("JsonParsingEngine") != "JQ-1.6":
                raise InvalidArgumentError(
                    "MetadataExtraction processor requires the JsonParsingEngine parameter "
                    "with value JQ-1.6."
                )
        else:
            others.append(str(processor.get("Type")))
    return query, others


def validate_iceberg_configuration(destination: Mapping[str, Any]) -> None:
    """Raise ``InvalidArgumentException`` for an Iceberg destination AWS (or the sandbox,
    naming what it does not reproduce) refuses. Model constraints are checked before."""
    catalog = destination.get("CatalogConfiguration") or {}
    arn = catalog.get("CatalogARN")
    if not arn:
        raise InvalidArgumentError("CatalogConfiguration.CatalogARN is required.")
    if "s3tablescatalog" in arn or not _GLUE_CATALOG.match(arn):
        raise InvalidArgumentError(
            f"CatalogARN {arn} is not reproduced by the sandbox: only the account's Glue Data "
            "Catalog (arn:aws:glue:<region>:<account>:catalog) is."
        )
    s3 = destination.get("S3Configuration") or destination.get("S3DestinationDescription") or {}
    if not s3.get("BucketARN"):
        raise InvalidArgumentError("S3Configuration.BucketARN is required.")
    if destination.get("S3BackupMode") == "AllData":
        raise InvalidArgumentError(
            "S3BackupMode AllData is not reproduced by the sandbox (FailedDataOnly is)."
        )
    query, others = _processors(destination)
    if others:
        raise InvalidArgumentError(
            f"Processor type {others[0]} is not reproduced by the sandbox for Iceberg "
            "destinations (MetadataExtraction is)."
        )
    if query is not None:
        compile_query(query)
    tables = destination.get("DestinationTableConfigurationList") or []
    if not tables and query is None:
        raise InvalidArgumentError(
            "DestinationTableConfigurationList must not be empty unless a MetadataExtraction "
            "processor routes each record to its table."
        )
    seen: set[tuple[str, str]] = set()
    for table in tables:
        key = (table.get("DestinationDatabaseName"), table.get("DestinationTableName"))
        if key in seen:
            raise InvalidArgumentError(
                f"DestinationTableConfigurationList holds table {key[0]}.{key[1]} twice."
            )
        seen.add(key)
        if table.get("S3ErrorOutputPrefix"):
            KeyLayout.from_destination(
                None, table["S3ErrorOutputPrefix"], dynamic_partitioning=False
            )
        keys = table.get("UniqueKeys") or []
        if len(set(keys)) != len(keys):
            raise InvalidArgumentError(
                f"UniqueKeys of table {key[0]}.{key[1]} must not repeat a column."
            )
    hints = destination.get("BufferingHints") or {}
    if ("SizeInMBs" in hints) != ("IntervalInSeconds" in hints):
        raise InvalidArgumentError(
            "If you specify a value for SizeInMBs, you must also specify a value for "
            "IntervalInSeconds, and vice versa."
        )


def _s3_description(s3: Mapping[str, Any]) -> dict[str, Any]:
    described = {k: copy.deepcopy(v) for k, v in s3.items()}
    described.setdefault(
        "BufferingHints", {"SizeInMBs": DEFAULT_SIZE_MB, "IntervalInSeconds": DEFAULT_INTERVAL_S}
    )
    described.setdefault("CompressionFormat", "UNCOMPRESSED")
    described.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})
    return described


def description_from_configuration(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """The ``IcebergDestinationDescription`` of a validated ``IcebergDestinationConfiguration``."""
    described = {k: copy.deepcopy(v) for k, v in configuration.items() if k != "S3Configuration"}
    described["S3DestinationDescription"] = _s3_description(
        configuration.get("S3Configuration") or {}
    )
    described.setdefault(
        "BufferingHints", {"SizeInMBs": DEFAULT_SIZE_MB, "IntervalInSeconds": DEFAULT_INTERVAL_S}
    )
    described.setdefault("RetryOptions", {"DurationInSeconds": DEFAULT_RETRY_S})
    described.setdefault("S3BackupMode", "FailedDataOnly")
    described.setdefault("AppendOnly", False)
    return described


def updated_description(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateDestination: ``update`` (an ``IcebergDestinationUpdate``) merged into ``current``
    (parameters not given keep their values; lists are replaced), then checked."""
    from sandbox.firehose.api import merge_update

    change = dict(update)
    s3 = change.pop("S3Configuration", None)
    merged = merge_update(dict(current), change)
    if s3:
        merged["S3DestinationDescription"] = merge_update(
            dict(merged.get("S3DestinationDescription") or {}), s3
        )
    validate_iceberg_configuration(merged)
    return merged


@dataclass(frozen=True)
class TableConfig:
    """One entry of ``DestinationTableConfigurationList``."""

    database: str
    table: str
    unique_keys: tuple[str, ...] = ()
    error_prefix: str | None = None
    identity_partitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class IcebergTarget:
    """An Iceberg destination as the engine uses it."""

    catalog_arn: str
    account_id: str | None
    region: str | None
    warehouse: str | None
    tables: tuple[TableConfig, ...]
    routing_query: str | None
    append_only: bool
    schema_evolution: bool
    table_creation: bool
    error_prefixes: dict[tuple[str, str], str] = field(default_factory=dict)

    def table(self, database: str, table: str) -> TableConfig | None:
        for config in self.tables:
            if (config.database, config.table) == (database, table):
                return config
        return None


def _enabled(section: Mapping[str, Any] | None) -> bool:
    return bool((section or {}).get("Enabled"))


def iceberg_target(description: Mapping[str, Any]) -> IcebergTarget:
    """The engine's view of a (validated) ``IcebergDestinationDescription``."""
    catalog = description.get("CatalogConfiguration") or {}
    arn = str(catalog.get("CatalogARN") or "")
    match = _GLUE_CATALOG.match(arn)
    tables = tuple(
        TableConfig(
            database=str(t["DestinationDatabaseName"]),
            table=str(t["DestinationTableName"]),
            unique_keys=tuple(t.get("UniqueKeys") or ()),
            error_prefix=t.get("S3ErrorOutputPrefix") or None,
            identity_partitions=tuple(
                str(p["SourceName"]) for p in (t.get("PartitionSpec") or {}).get("Identity") or []
            ),
        )
        for t in description.get("DestinationTableConfigurationList") or []
    )
    query, _ = _processors(description)
    return IcebergTarget(
        catalog_arn=arn,
        account_id=match.group(2) if match else None,
        region=(match.group(1) or None) if match else None,
        warehouse=catalog.get("WarehouseLocation") or None,
        tables=tables,
        routing_query=query,
        append_only=bool(description.get("AppendOnly")),
        schema_evolution=_enabled(description.get("SchemaEvolutionConfiguration")),
        table_creation=_enabled(description.get("TableCreationConfiguration")),
    )


# --- routing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowFailure:
    """Why one record cannot be delivered (errorCode, errorMessage)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Route:
    database: str
    table: str
    operation: str


def parse_record(data: bytes) -> dict[str, Any] | RowFailure:
    """A record's JSON object, or why it is not one."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        return RowFailure(INVALID_RECORD, f"The record is not valid JSON: {error}")
    if not isinstance(value, dict):
        return RowFailure(INVALID_RECORD, "The record is not a JSON object.")
    return value


def route(target: IcebergTarget, record: Mapping[str, Any], program: Any) -> Route | RowFailure:
    """Where a record goes: the JQ query's answer (``program``: the compiled query, or None),
    else the single table configured."""
    if program is None:
        if len(target.tables) != 1:
            return RowFailure(
                ROUTING_FAILED,
                "Several destination tables are configured and no MetadataExtraction query "
                "routes the record.",
            )
        only = target.tables[0]
        return Route(only.database, only.table, "insert")
    try:
        results = program.input_value(record).all()
    except ValueError as error:
        return RowFailure(ROUTING_FAILED, f"The MetadataExtractionQuery failed: {error}")
    if len(results) != 1 or not isinstance(results[0], dict):
        return RowFailure(
            ROUTING_FAILED, "The MetadataExtractionQuery must yield exactly one JSON object."
        )
    found = results[0]
    database = found.get("destinationDatabaseName")
    table = found.get("destinationTableName")
    operation = found.get("operation") or "insert"
    if (database is None or table is None) and len(target.tables) == 1:
        database = database or target.tables[0].database
        table = table or target.tables[0].table
    if not isinstance(database, str) or not database or not isinstance(table, str) or not table:
        return RowFailure(
            ROUTING_FAILED,
            "The MetadataExtractionQuery did not give destinationDatabaseName and "
            "destinationTableName.",
        )
    if not isinstance(operation, str) or operation.lower() not in OPERATIONS:
        return RowFailure(
            UNKNOWN_OPERATION,
            f"Operation {operation!r} is not one of insert, update, delete.",
        )
    return Route(database, table, operation.lower())


# --- rows -----------------------------------------------------------------------------------


def _timestamp(value: Any, aware: bool) -> dt.datetime:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        # "For Timestamp data types, you must always send in microseconds."
        moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(value))
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    else:
        raise ValueError("not a timestamp")
    moment = moment.astimezone(dt.UTC)
    return moment if aware else moment.replace(tzinfo=None)


def _integer(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        value = int(value)
    elif isinstance(value, str):
        value = int(value.strip())
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError("out of range")
    return value


def convert_value(value: Any, iceberg_type: Any) -> Any:
    """``value`` (from JSON) as a value of ``iceberg_type`` (a pyiceberg type); ValueError if
    it does not convert. Nested types take JSON objects and lists as they are."""
    from pyiceberg import types as t

    if value is None:
        return None
    if isinstance(iceberg_type, t.StringType):
        if isinstance(value, str):
            return value
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        return json.dumps(value)
    if isinstance(iceberg_type, t.LongType):
        return _integer(value, -(2**63), 2**63 - 1)
    if isinstance(iceberg_type, t.IntegerType):
        return _integer(value, -(2**31), 2**31 - 1)
    if isinstance(iceberg_type, t.DoubleType | t.FloatType):
        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        number = float(value)
        if math.isnan(number) and not isinstance(value, str):
            raise ValueError("not a number")
        return number
    if isinstance(iceberg_type, t.BooleanType):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError("not a boolean")
    if isinstance(iceberg_type, t.TimestamptzType):
        return _timestamp(value, aware=True)
    if isinstance(iceberg_type, t.TimestampType):
        return _timestamp(value, aware=False)
    if isinstance(iceberg_type, t.DateType):
        if isinstance(value, str):
            return dt.date.fromisoformat(value.strip()[:10])
        return dt.date(1970, 1, 1) + dt.timedelta(days=_integer(value, -(10**7), 10**7))
    if isinstance(iceberg_type, t.DecimalType):
        import decimal

        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        quantum = decimal.Decimal(1).scaleb(-iceberg_type.scale)
        return decimal.Decimal(str(value)).quantize(quantum)
    if isinstance(iceberg_type, t.StructType):
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        return {f.name: convert_value(value.get(f.name), f.field_type) for f in iceberg_type.fields}
    if isinstance(iceberg_type, t.ListType):
        if not isinstance(value, list):
            raise ValueError("not a JSON array")
        return [convert_value(v, iceberg_type.element_type) for v in value]
    if isinstance(iceberg_type, t.MapType):
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        return {
            convert_value(k, iceberg_type.key_type): convert_value(v, iceberg_type.value_type)
            for k, v in value.items()
        }
    if isinstance(iceberg_type, t.BinaryType | t.FixedType):
        import base64

        return base64.b64decode(str(value), validate=True)
    if isinstance(iceberg_type, t.UUIDType):
        import uuid

        return uuid.UUID(str(value)).bytes
    raise ValueError(f"the column type {iceberg_type} is not reproduced")


def record_row(record: Mapping[str, Any], schema: Schema) -> dict[str, Any] | RowFailure:
    """The row a record gives the table whose schema is ``schema`` (columns by name)."""
    row: dict[str, Any] = {}
    for column in schema.fields:
        if column.name not in record:
            if column.required:
                return RowFailure(
                    MISSING_COLUMN,
                    f"The record has no value for the required column {column.name}.",
                )
            row[column.name] = None
            continue
        try:
            row[column.name] = convert_value(record[column.name], column.field_type)
        except (ValueError, TypeError, ArithmeticError) as error:
            return RowFailure(
                INVALID_VALUE,
                f"The value of {column.name} does not convert to {column.field_type}: {error}",
            )
        if row[column.name] is None and column.required:
            return RowFailure(MISSING_COLUMN, f"The required column {column.name} is null.")
    return row


def inferred_type(value: Any) -> Any:
    """The Iceberg type schema evolution / table creation gives a new column from its value
    (None when it cannot: null, nested)."""
    from pyiceberg import types as t

    if isinstance(value, bool):
        return t.BooleanType()
    if isinstance(value, int):
        return t.LongType()
    if isinstance(value, float):
        return t.DoubleType()
    if isinstance(value, str):
        return t.StringType()
    return None


def new_columns(
    records: Sequence[Mapping[str, Any]], known: set[str]
) -> tuple[dict[str, Any], list[str]]:
    """Columns the records bring that ``known`` lacks: ({name: Iceberg type}, names whose type
    cannot be inferred)."""
    found: dict[str, Any] = {}
    unknown: list[str] = []
    for record in records:
        for name, value in record.items():
            if name in known or name in found:
                continue
            kind = inferred_type(value)
            if kind is None:
                if value is not None and name not in unknown:
                    unknown.append(name)
                continue
            found[name] = kind
            if name in unknown:
                unknown.remove(name)
    return found, unknown


def schema_with(schema: Schema | None, columns: Mapping[str, Any]) -> Schema:
    """``schema`` (None: empty) with ``columns`` ({name: type}) added as optional fields."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import NestedField

    fields = list(schema.fields) if schema is not None else []
    next_id = max((schema.highest_field_id if schema is not None else 0), 0) + 1
    for offset, (name, kind) in enumerate(columns.items()):
        fields.append(NestedField(next_id + offset, name, kind, required=False))
    if schema is None:
        return Schema(*fields)
    return Schema(
        *fields, schema_id=schema.schema_id, identifier_field_ids=schema.identifier_field_ids
    )


def evolution_failure(name: str) -> RowFailure:
    """A record whose new field schema evolution cannot add (nested, list: not reproduced)."""
    return RowFailure(
        EVOLUTION_NOT_REPRODUCED,
        f"Schema evolution of the nested or list field {name} is not reproduced by the sandbox.",
    )


@dataclass
class TablePlan:
    """One commit to one table: rows to append, keys whose current rows are deleted first."""

    database: str
    table: str
    unique_keys: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    delete_keys: list[tuple[Any, ...]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # the batch positions it delivers


def plan_table(
    database: str,
    table: str,
    unique_keys: Sequence[str],
    items: Sequence[tuple[int, str, dict[str, Any]]],
) -> tuple[TablePlan, list[tuple[int, RowFailure]]]:
    """The commit of ``items`` (batch position, operation, row) to one table.

    Inserts append; with unique keys, update and delete remove the key's current row first and
    the last operation on a key in the batch decides what remains. Without unique keys, update
    and delete fail (``Iceberg.NoUniqueKeys``)."""
    keys = tuple(unique_keys)
    plan = TablePlan(database, table, keys)
    failures: list[tuple[int, RowFailure]] = []
    last: dict[tuple[Any, ...], tuple[int, str, dict[str, Any]]] = {}
    inserts: list[tuple[int, dict[str, Any]]] = []
    for position, operation, row in items:
        if operation == "insert":
            inserts.append((position, row))
            continue
        if not keys:
            failures.append(
                (
                    position,
                    RowFailure(
                        NO_UNIQUE_KEYS,
                        f"Operation {operation} on {database}.{table} needs UniqueKeys (or "
                        "identifier fields in the table's schema).",
                    ),
                )
            )
            continue
        key = tuple(row.get(k) for k in keys)
        if any(v is None for v in key):
            failures.append(
                (position, RowFailure(MISSING_COLUMN, f"A unique key column of {keys} is null."))
            )
            continue
        if key in last:
            plan.positions.append(last[key][0])  # superseded, but delivered by this commit
        last[key] = (position, operation, row)
    for key, (position, operation, row) in last.items():
        plan.delete_keys.append(key)
        plan.positions.append(position)
        if operation == "update":
            plan.rows.append(row)
    for position, row in inserts:
        plan.positions.append(position)
        later = last.get(tuple(row.get(k) for k in keys)) if keys else None
        if later is None or later[0] < position:  # a later update/delete of the key replaces it
            plan.rows.append(row)
    plan.positions.sort()
    return plan, failures
