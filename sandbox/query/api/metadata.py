"""Athena's metadata operations, answered from the Glue Data Catalog (AwsDataCatalog).

ListDataCatalogs / GetDataCatalog, ListDatabases / GetDatabase, ListTableMetadata /
GetTableMetadata, in the shapes of the Athena API reference ("DataCatalog", "Database",
"TableMetadata"): a table's Columns and PartitionKeys (Name, Type, Comment), its TableType,
CreateTime, LastAccessTime, and Parameters, which Athena fills with the Glue table parameters
plus the storage descriptor's ``inputformat``, ``outputformat``, ``location``,
``serde.serialization.lib`` and ``serde.param.*``. Pagination with MaxResults/NextToken.

Errors: an unknown catalog or database is a ``MetadataException`` (Athena's code for the
catalogue's errors); an unknown table too. Not reproduced: ListTableMetadata's ``Expression``
is a regular expression here (Athena documents it as a regex on table names, and so it is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.query.api.errors import ApiError, invalid_request

CATALOG = "AwsDataCatalog"


def _metadata_error(message: str) -> ApiError:
    return ApiError("MetadataException", message)


def page(
    items: list[Any], max_results: int | None, token: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of ``items`` from the offset ``token`` holds; the next token or None."""
    size = min(int(max_results or limit), limit)
    try:
        start = int(token) if token else 0
    except ValueError:
        raise invalid_request("Invalid NextToken") from None
    chunk = items[start : start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


def listing(
    key: str, items: list[Any], render: Callable[[Any], dict[str, Any]], request: dict[str, Any]
) -> dict[str, Any]:
    """A List* answer: the request's page of ``items`` under ``key``, rendered, and NextToken."""
    chunk, token = page(items, request.get("MaxResults"), request.get("NextToken"), 50)
    out: dict[str, Any] = {key: [render(item) for item in chunk]}
    if token:
        out["NextToken"] = token
    return out


def check_catalog(name: str | None) -> None:
    if name and name.lower() != CATALOG.lower():
        raise _metadata_error(f"Catalog {name} does not exist")


def data_catalog(account: str) -> dict[str, Any]:
    return {
        "Name": CATALOG,
        "Description": "Glue Data Catalog of the sandbox",
        "Type": "GLUE",
        "Parameters": {"catalog-id": account},
    }


def database(raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": raw["Name"]}
    if raw.get("Description"):
        out["Description"] = raw["Description"]
    out["Parameters"] = dict(raw.get("Parameters") or {})
    return out


def _columns(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for column in raw:
        entry = {"Name": column["Name"], "Type": column.get("Type", "string")}
        if column.get("Comment"):
            entry["Comment"] = column["Comment"]
        out.append(entry)
    return out


def table_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Athena's TableMetadata of a Glue ``Table``."""
    storage = raw.get("StorageDescriptor") or {}
    serde = storage.get("SerdeInfo") or {}
    parameters = dict(raw.get("Parameters") or {})
    for key, value in (
        ("inputformat", storage.get("InputFormat")),
        ("outputformat", storage.get("OutputFormat")),
        ("location", storage.get("Location")),
        ("serde.serialization.lib", serde.get("SerializationLibrary")),
    ):
        if value:
            parameters[key] = value
    for key, value in (serde.get("Parameters") or {}).items():
        parameters[f"serde.param.{key}"] = value
    out: dict[str, Any] = {
        "Name": raw["Name"],
        "TableType": raw.get("TableType") or "EXTERNAL_TABLE",
        "Columns": _columns(storage.get("Columns") or []),
        "PartitionKeys": _columns(raw.get("PartitionKeys") or []),
        "Parameters": parameters,
    }
    if raw.get("CreateTime"):
        out["CreateTime"] = raw["CreateTime"]
    if raw.get("LastAccessTime"):
        out["LastAccessTime"] = raw["LastAccessTime"]
    return out


class Metadata:
    """The metadata operations over a boto3-like Glue client (``get_tables``...)."""

    def __init__(self, glue: Any, account: str) -> None:
        self.glue = glue
        self.account = account

    def _glue(self, call: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.glue, call)(**kwargs)
        except Exception as exc:  # botocore ClientError, without importing botocore here
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code == "EntityNotFoundException":
                raise _metadata_error(
                    getattr(exc, "response", {}).get("Error", {}).get("Message", str(exc))
                ) from exc
            raise

    def _all(self, call: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            response = self._glue(call, **kwargs, **({"NextToken": token} if token else {}))
            items.extend(response.get(key) or [])
            token = response.get("NextToken")
            if not token:
                return items

    def list_databases(self, request: dict[str, Any]) -> dict[str, Any]:
        check_catalog(request.get("CatalogName"))
        names = sorted(self._all("get_databases", "DatabaseList"), key=lambda d: d["Name"])
        return listing("DatabaseList", names, database, request)

    def get_database(self, request: dict[str, Any]) -> dict[str, Any]:
        check_catalog(request.get("CatalogName"))
        name = request["DatabaseName"]
        raw = self._glue("get_database", Name=name)["Database"]
        return {"Database": database(raw)}

    def list_table_metadata(self, request: dict[str, Any]) -> dict[str, Any]:
        check_catalog(request.get("CatalogName"))
        tables = self._all("get_tables", "TableList", DatabaseName=request["DatabaseName"])
        expression = request.get("Expression")
        if expression:
            pattern = re.compile(expression, re.I)
            tables = [t for t in tables if pattern.fullmatch(t["Name"])]
        tables.sort(key=lambda t: t["Name"])
        return listing("TableMetadataList", tables, table_metadata, request)

    def get_table_metadata(self, request: dict[str, Any]) -> dict[str, Any]:
        check_catalog(request.get("CatalogName"))
        raw = self._glue(
            "get_table", DatabaseName=request["DatabaseName"], Name=request["TableName"]
        )["Table"]
        return {"TableMetadata": table_metadata(raw)}
