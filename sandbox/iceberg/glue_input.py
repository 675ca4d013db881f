"""Glue's ``CreateTable`` with ``OpenTableFormatInput.IcebergInput``: the Iceberg table it makes.

AWS Glue creates an Iceberg table's first metadata file itself when ``CreateTable`` carries
``OpenTableFormatInput: {IcebergInput: {MetadataOperation: CREATE, Version}}`` (Glue API
reference: OpenTableFormatInput, IcebergInput, CreateIcebergTableInput): the schema is
``CreateIcebergTableInput.Schema`` (Iceberg's JSON schema) or else the ``StorageDescriptor``'s
columns (Hive types), the location ``CreateIcebergTableInput.Location`` or the
``StorageDescriptor``'s, the partition spec ``CreateIcebergTableInput.PartitionSpec`` (none
otherwise: ``PartitionKeys`` are refused, "Cannot create partitions in an iceberg table",
hashicorp/terraform-provider-aws#36531), and the table's ``Parameters`` get
``table_type=ICEBERG`` and ``metadata_location``.

Owns: that translation (pure; the metadata is built by pyiceberg's ``new_table_metadata``, never
by hand) and the errors, as ``GlueInputError`` (``InvalidInputException``).

Not reproduced: Hive column types beyond the primitives and ``decimal(p,s)`` (arrays, maps and
structs must come as an Iceberg ``Schema``), ``WriteOrder`` other than unsorted, format version
3, and Lake Formation registration.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyiceberg.table.metadata import TableMetadata

__all__ = ["GlueInputError", "IcebergCreation", "iceberg_creation", "is_iceberg_create"]


class GlueInputError(ValueError):
    """Glue's ``InvalidInputException``."""

    code = "InvalidInputException"


@dataclass(frozen=True)
class IcebergCreation:
    """What CreateTable with IcebergInput writes: the metadata file and the Glue table input."""

    metadata_location: str
    metadata_json: bytes
    table_input: dict[str, Any]
    metadata: TableMetadata


def is_iceberg_create(request: Mapping[str, Any]) -> bool:
    """Whether a CreateTable request asks Glue to create an Iceberg table."""
    iceberg = (request.get("OpenTableFormatInput") or {}).get("IcebergInput") or {}
    return bool(iceberg)


_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def hive_type(text: str) -> Any:
    """The Iceberg type of a Glue (Hive) column type."""
    from pyiceberg import types as t

    name = text.strip().lower()
    simple = {
        "string": t.StringType(),
        "boolean": t.BooleanType(),
        "tinyint": t.IntegerType(),
        "smallint": t.IntegerType(),
        "int": t.IntegerType(),
        "integer": t.IntegerType(),
        "bigint": t.LongType(),
        "float": t.FloatType(),
        "double": t.DoubleType(),
        "date": t.DateType(),
        "timestamp": t.TimestampType(),
        "binary": t.BinaryType(),
    }
    if name in simple:
        return simple[name]
    if name.startswith(("varchar", "char")):
        return t.StringType()
    match = _DECIMAL.fullmatch(name)
    if match:
        return t.DecimalType(int(match.group(1)), int(match.group(2)))
    raise GlueInputError(
        f"Column type {text} is not reproduced by the sandbox for Iceberg tables created from "
        "StorageDescriptor columns; give CreateIcebergTableInput.Schema instead."
    )


def _schema(table_input: Mapping[str, Any], create: Mapping[str, Any]) -> Any:
    from pyiceberg.schema import Schema
    from pyiceberg.types import NestedField

    given = create.get("Schema")
    if given:
        document = {
            "type": "struct",
            "schema-id": given.get("SchemaId", 0),
            "identifier-field-ids": list(given.get("IdentifierFieldIds") or []),
            "fields": [
                {
                    "id": f["Id"],
                    "name": f["Name"],
                    "type": f["Type"],
                    "required": bool(f.get("Required")),
                    **({"doc": f["Doc"]} if f.get("Doc") else {}),
                }
                for f in given.get("Fields") or []
            ],
        }
        try:
            return Schema.model_validate(document)
        except ValueError as error:
            raise GlueInputError(f"Invalid Iceberg schema: {error}") from None
    columns = (table_input.get("StorageDescriptor") or {}).get("Columns") or []
    if not columns:
        raise GlueInputError("An Iceberg table needs columns (StorageDescriptor.Columns).")
    return Schema(
        *(
            NestedField(i, str(c["Name"]), hive_type(str(c.get("Type") or "")), required=False)
            for i, c in enumerate(columns, start=1)
        )
    )


def _spec(create: Mapping[str, Any]) -> Any:
    from pyiceberg.partitioning import PartitionSpec

    given = create.get("PartitionSpec")
    if not given:
        return PartitionSpec()
    fields = [
        {
            "source-id": f["SourceId"],
            "field-id": f.get("FieldId", 1000 + i),
            "transform": f["Transform"],
            "name": f["Name"],
        }
        for i, f in enumerate(given.get("Fields") or [])
    ]
    try:
        return PartitionSpec.model_validate({"spec-id": given.get("SpecId", 0), "fields": fields})
    except ValueError as error:
        raise GlueInputError(f"Invalid Iceberg partition spec: {error}") from None


def iceberg_creation(request: Mapping[str, Any]) -> IcebergCreation:
    """The Iceberg table a CreateTable request with IcebergInput makes (raises GlueInputError)."""
    from pyiceberg.table.metadata import new_table_metadata
    from pyiceberg.table.sorting import UNSORTED_SORT_ORDER

    table_input = dict(request.get("TableInput") or {})
    iceberg = (request.get("OpenTableFormatInput") or {}).get("IcebergInput") or {}
    if iceberg.get("MetadataOperation") != "CREATE":
        raise GlueInputError("IcebergInput.MetadataOperation must be CREATE.")
    version = str(iceberg.get("Version") or "2")
    if version not in ("1", "2"):
        raise GlueInputError(f"Iceberg format version {version} is not reproduced (1 and 2 are).")
    if table_input.get("PartitionKeys"):
        raise GlueInputError("Cannot create partitions in an iceberg table")
    create = iceberg.get("CreateIcebergTableInput") or {}
    if create.get("WriteOrder") and (create["WriteOrder"].get("Fields") or []):
        raise GlueInputError("A WriteOrder with fields is not reproduced by the sandbox.")
    descriptor = dict(table_input.get("StorageDescriptor") or {})
    location = str(create.get("Location") or descriptor.get("Location") or "").rstrip("/")
    if not location.startswith("s3://"):
        raise GlueInputError("An Iceberg table needs an s3:// location.")
    properties = {str(k): str(v) for k, v in (create.get("Properties") or {}).items()}
    properties.setdefault("format-version", version)
    metadata = new_table_metadata(
        _schema(table_input, create),
        _spec(create),
        UNSORTED_SORT_ORDER,
        location,
        properties,
        uuid.uuid4(),
    )
    metadata_location = f"{location}/metadata/00000-{uuid.uuid4()}.metadata.json"
    parameters = dict(table_input.get("Parameters") or {})
    parameters["table_type"] = "ICEBERG"
    parameters["metadata_location"] = metadata_location
    descriptor["Location"] = descriptor.get("Location") or location
    if not descriptor.get("Columns"):
        from pyiceberg.catalog.glue import _to_columns

        descriptor["Columns"] = _to_columns(metadata)
    table_input.update(
        TableType=table_input.get("TableType") or "EXTERNAL_TABLE",
        Parameters=parameters,
        StorageDescriptor=descriptor,
    )
    return IcebergCreation(
        metadata_location, metadata.model_dump_json().encode(), table_input, metadata
    )
