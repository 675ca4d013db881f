"""Athena views as Glue stores them: ``VIRTUAL_VIEW`` tables holding an encoded Presto view.

Owns the encoding Athena uses for ``CREATE VIEW`` (Athena user guide, "Working with views";
the same encoding the Trino Hive connector writes and awswrangler/dbt-athena read back): the
table's ``ViewOriginalText`` is ``/* Presto View: <base64 of a JSON document> */`` with the
view's SQL (``originalSql``), its catalog and schema and its output columns with Trino type
names; ``ViewExpandedText`` is ``/* Presto View */``; ``Parameters`` say ``presto_view=true``
and ``comment=Presto View``; the StorageDescriptor lists the columns with Hive types and has no
location.

Not reproduced: Athena's ``owner`` and ``runAsInvoker`` fields are written with fixed values
(no IAM identity here), and Glue Data Catalog views (``IsMultiDialectView``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.core.gluetypes import (
    ArrayType,
    CharType,
    DecimalType,
    GlueType,
    MapType,
    StructType,
    to_athena,
)
from sandbox.query.errors import QueryError

VIEW_TYPE = "VIRTUAL_VIEW"
_PREFIX = "/* Presto View: "
_SUFFIX = " */"
EXPANDED_TEXT = "/* Presto View */"


def trino_type(node: GlueType) -> str:
    """Trino's type name, as a Presto view's JSON spells a column's type."""
    match node:
        case ArrayType():
            return f"array({trino_type(node.element)})"
        case MapType():
            return f"map({trino_type(node.key)},{trino_type(node.value)})"
        case StructType():
            return "row(" + ",".join(f"{f.name} {trino_type(f.type)}" for f in node.fields) + ")"
        case DecimalType():
            return f"decimal({node.precision},{node.scale})"
        case CharType():
            return f"{node.name}({node.length})"
    return to_athena(node).type


@dataclass(frozen=True)
class ViewColumn:
    name: str
    glue_type: str  # Hive type, for the StorageDescriptor
    trino_type: str  # Trino type, for the view's JSON


@dataclass(frozen=True)
class ViewDefinition:
    sql: str
    database: str
    columns: tuple[tuple[str, str], ...]  # (name, Trino type)


def encode_original_text(sql: str, database: str, columns: Sequence[ViewColumn]) -> str:
    document = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": c.name, "type": c.trino_type} for c in columns],
        "owner": "sandbox",
        "runAsInvoker": False,
    }
    payload = base64.b64encode(json.dumps(document).encode()).decode()
    return f"{_PREFIX}{payload}{_SUFFIX}"


def view_table_input(name: str, sql: str, database: str, columns: Sequence[ViewColumn]) -> dict:
    """Glue's TableInput of a view, as Athena's CREATE VIEW writes it."""
    return {
        "Name": name,
        "TableType": VIEW_TYPE,
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "ViewOriginalText": encode_original_text(sql, database, columns),
        "ViewExpandedText": EXPANDED_TEXT,
        "PartitionKeys": [],
        "StorageDescriptor": {
            "Columns": [{"Name": c.name, "Type": c.glue_type} for c in columns],
            "SerdeInfo": {},
            "Location": "",
        },
    }


def is_view(raw: Mapping[str, Any]) -> bool:
    return str(raw.get("TableType", "")).upper() == VIEW_TYPE


def decode(raw: Mapping[str, Any]) -> ViewDefinition:
    """The view's SQL and schema from a Glue table Athena (or the sandbox) created."""
    text = str(raw.get("ViewOriginalText") or "").strip()
    name = f"{raw.get('DatabaseName', '')}.{raw.get('Name', '')}"
    if not (text.startswith(_PREFIX) and text.endswith(_SUFFIX)):
        raise QueryError(f"HIVE_VIEW_TRANSLATION_ERROR: view {name} is not an Athena (Presto) view")
    try:
        document = json.loads(base64.b64decode(text[len(_PREFIX) : -len(_SUFFIX)]))
        columns = tuple((str(c["name"]), str(c["type"])) for c in document.get("columns", []))
        return ViewDefinition(
            str(document["originalSql"]), str(document.get("schema") or ""), columns
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise QueryError(f"HIVE_VIEW_TRANSLATION_ERROR: view {name} cannot be decoded") from exc
