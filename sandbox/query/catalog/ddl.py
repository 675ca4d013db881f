"""What Athena's DDL writes to Glue: databases, tables and their storage, as Athena stores them.

Owns the Glue inputs (pure functions, no client) for ``CREATE DATABASE``, ``CREATE EXTERNAL
TABLE``, CTAS tables and the ``ALTER TABLE`` forms, and the text of ``SHOW CREATE TABLE``
(Athena user guide, "CREATE TABLE", "CREATE DATABASE", "ALTER TABLE ...", "SHOW CREATE TABLE").
A table created here carries ``TableType=EXTERNAL_TABLE``, ``Parameters.EXTERNAL=TRUE`` plus
the TBLPROPERTIES given (partition projection, ``classification``... kept as written), and a
StorageDescriptor whose SerDe and Input/OutputFormat are Hive's for the format named
(:data:`FORMATS`): the same shape Terraform's ``aws_glue_catalog_table`` and the query side
read. ``SHOW CREATE TABLE`` prints the DDL that recreates the table, in Athena's layout, and
parses back to the same Glue table.

Not reproduced: ``transient_lastDdlTime`` and the other properties Hive's metastore adds,
``CLUSTERED BY`` buckets, and Iceberg tables.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.query.dialect.ddl import ColumnDef, CreateDatabase, CreateTable

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


@dataclass(frozen=True)
class StorageFormat:
    serde: str
    input_format: str
    output_format: str
    serde_parameters: tuple[tuple[str, str], ...] = ()


# Hive's storage formats (HiveStorageFormat in the Trino Hive connector that Athena v3 runs).
FORMATS = {
    "PARQUET": StorageFormat(
        PARQUET_SERDE,
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        (("serialization.format", "1"),),
    ),
    "ORC": StorageFormat(
        "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
    ),
    "TEXTFILE": StorageFormat(LAZY_SIMPLE_SERDE, TEXT_INPUT, TEXT_OUTPUT),
    "JSON": StorageFormat("org.apache.hive.hcatalog.data.JsonSerDe", TEXT_INPUT, TEXT_OUTPUT),
    "JSONFILE": StorageFormat("org.apache.hadoop.hive.serde2.JsonSerDe", TEXT_INPUT, TEXT_OUTPUT),
    "AVRO": StorageFormat(
        "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
    ),
    "SEQUENCEFILE": StorageFormat(
        LAZY_SIMPLE_SERDE,
        "org.apache.hadoop.mapred.SequenceFileInputFormat",
        "org.apache.hadoop.mapred.SequenceFileOutputFormat",
    ),
    "RCFILE": StorageFormat(
        "org.apache.hadoop.hive.serde2.columnar.LazyBinaryColumnarSerDe",
        "org.apache.hadoop.hive.ql.io.RCFileInputFormat",
        "org.apache.hadoop.hive.ql.io.RCFileOutputFormat",
    ),
}


@functools.cache
def _table_input_members() -> tuple[str, ...]:
    """The members of Glue's TableInput (GetTable returns more: CreateTime, DatabaseName...)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("glue")
    return tuple(model.shape_for("TableInput").members)


def database_input(statement: CreateDatabase) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": statement.name}
    if statement.comment is not None:
        out["Description"] = statement.comment
    if statement.location is not None:
        out["LocationUri"] = statement.location
    if statement.properties:
        out["Parameters"] = dict(statement.properties)
    return out


def glue_columns(columns: tuple[ColumnDef, ...]) -> list[dict[str, str]]:
    out = []
    for column in columns:
        item = {"Name": column.name, "Type": column.type}
        if column.comment:
            item["Comment"] = column.comment
        out.append(item)
    return out


def storage_descriptor(
    columns: list[dict[str, str]],
    location: str,
    fmt: StorageFormat,
    serde: str | None = None,
    serde_parameters: Mapping[str, str] | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
) -> dict[str, Any]:
    parameters = dict(fmt.serde_parameters)
    parameters.update(serde_parameters or {})
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": input_format or fmt.input_format,
        "OutputFormat": output_format or fmt.output_format,
        "Compressed": False,
        "NumberOfBuckets": -1,
        "SerdeInfo": {"SerializationLibrary": serde or fmt.serde, "Parameters": parameters},
        "BucketColumns": [],
        "SortColumns": [],
        "StoredAsSubDirectories": False,
    }


def external_table_input(statement: CreateTable) -> dict[str, Any]:
    """CREATE EXTERNAL TABLE's TableInput. Without STORED AS or INPUTFORMAT, Hive's default
    is TEXTFILE with LazySimpleSerDe; ROW FORMAT SERDE replaces the format's SerDe."""
    fmt = FORMATS[statement.stored_as or "TEXTFILE"]
    if statement.stored_as is None and statement.serde is None and statement.input_format is None:
        fmt = FORMATS["TEXTFILE"]
    sd = storage_descriptor(
        glue_columns(statement.columns),
        statement.location or "",
        fmt,
        serde=statement.serde,
        serde_parameters=statement.serde_properties,
        input_format=statement.input_format,
        output_format=statement.output_format,
    )
    table: dict[str, Any] = {
        "Name": statement.table.name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", **statement.properties},
        "StorageDescriptor": sd,
        "PartitionKeys": glue_columns(statement.partition_keys),
    }
    if statement.comment is not None:
        table["Parameters"]["comment"] = statement.comment
    return table


def table_input(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A GetTable answer as the TableInput of UpdateTable/CreateTable."""
    return {k: raw[k] for k in _table_input_members() if k in raw}


def with_columns(
    raw: Mapping[str, Any], columns: tuple[ColumnDef, ...], replace: bool
) -> dict[str, Any]:
    """ALTER TABLE ADD COLUMNS (appended) or REPLACE COLUMNS (the data columns replaced)."""
    out = table_input(raw)
    sd = dict(out.get("StorageDescriptor") or {})
    new = glue_columns(columns)
    sd["Columns"] = new if replace else list(sd.get("Columns") or []) + new
    out["StorageDescriptor"] = sd
    return out


def with_properties(raw: Mapping[str, Any], properties: Mapping[str, str]) -> dict[str, Any]:
    out = table_input(raw)
    out["Parameters"] = {**(out.get("Parameters") or {}), **properties}
    return out


def with_location(raw: Mapping[str, Any], location: str) -> dict[str, Any]:
    out = table_input(raw)
    out["StorageDescriptor"] = {**(out.get("StorageDescriptor") or {}), "Location": location}
    return out


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns_ddl(columns: list[Mapping[str, Any]]) -> list[str]:
    lines = []
    for index, column in enumerate(columns):
        comment = f" COMMENT {_quote(column['Comment'])}" if column.get("Comment") else ""
        end = ", " if index < len(columns) - 1 else ")"
        lines.append(f"  `{column['Name']}` {column.get('Type', 'string')}{comment}{end}")
    return lines


def _string_map(mapping: Mapping[str, str]) -> list[str]:
    items = sorted(mapping.items())
    return [
        f"  {_quote(k)}={_quote(v)}{', ' if i < len(items) - 1 else ')'}"
        for i, (k, v) in enumerate(items)
    ]


def show_create_table(raw: Mapping[str, Any], database: str) -> list[str]:
    """SHOW CREATE TABLE's lines, in Athena's layout (one result row per line)."""
    sd = raw.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    lines = [f"CREATE EXTERNAL TABLE `{database}`.`{raw['Name']}`("]
    lines += _columns_ddl(list(sd.get("Columns") or [])) or ["  )"]
    parameters = dict(raw.get("Parameters") or {})
    comment = parameters.pop("comment", None)
    if comment is not None:
        lines.append(f"COMMENT {_quote(comment)}")
    if raw.get("PartitionKeys"):
        lines.append("PARTITIONED BY ( ")
        lines += _columns_ddl(list(raw["PartitionKeys"]))
    lines += ["ROW FORMAT SERDE ", f"  {_quote(serde.get('SerializationLibrary') or '')} "]
    if serde.get("Parameters"):
        lines.append("WITH SERDEPROPERTIES ( ")
        lines += _string_map(serde["Parameters"])
    lines += [
        "STORED AS INPUTFORMAT ",
        f"  {_quote(sd.get('InputFormat') or '')} ",
        "OUTPUTFORMAT ",
        f"  {_quote(sd.get('OutputFormat') or '')}",
    ]
    if sd.get("Location"):
        lines += ["LOCATION", f"  {_quote(sd['Location'])}"]
    parameters.pop("EXTERNAL", None)
    if parameters:
        lines.append("TBLPROPERTIES (")
        lines += _string_map(parameters)
    return lines
