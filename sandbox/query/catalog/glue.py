"""Glue Data Catalog tables and partitions, as Athena reads them.

Owns the model of a Glue table (:class:`Table`: columns, partition keys, location, SerDe,
properties) built from ``GetTable`` responses, and a thin adapter (:class:`Catalog`) over a boto3
Glue client for the calls Athena makes: GetDatabases, GetTables, GetTable, GetPartitions,
BatchCreatePartition and BatchDeletePartition, and for its DDL: CreateDatabase, DeleteDatabase,
CreateTable, UpdateTable and DeleteTable, with Athena's errors for existing and missing names.

Not reproduced: Lake Formation permissions, table versions, Glue Data Catalog (multi-dialect)
views, and Hudi/Delta table formats (tables whose ``table_type`` says so are refused by the
readers). Iceberg tables are read from their metadata (``sandbox.query.engine.iceberg``); their
Glue columns are what pyiceberg keeps there, less the dropped ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from sandbox.core.gluetypes import GlueTypeError, parse_glue_type, to_duckdb
from sandbox.query.errors import QueryError, UnsupportedError

# BatchCreatePartition takes at most 100 partitions, BatchDeletePartition 25 (Glue API reference).
CREATE_BATCH = 100
DELETE_BATCH = 25


@dataclass(frozen=True)
class Column:
    name: str
    glue_type: str
    comment: str = ""

    @property
    def duck_type(self) -> str:
        try:
            return to_duckdb(parse_glue_type(self.glue_type))
        except GlueTypeError as error:
            raise UnsupportedError(f"Glue column type {self.glue_type!r}") from error


@dataclass(frozen=True)
class Partition:
    """A partition: its values (in partition-key order, as strings) and its S3 location."""

    values: tuple[str, ...]
    location: str

    def spec(self, keys: Iterable[Column]) -> str:
        """Athena's ``SHOW PARTITIONS`` form: ``name=x/d=y``."""
        return "/".join(f"{key.name}={value}" for key, value in zip(keys, self.values, strict=True))


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    location: str
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...] = ()
    serde: str = ""
    serde_parameters: Mapping[str, str] = field(default_factory=dict)
    input_format: str = ""
    parameters: Mapping[str, str] = field(default_factory=dict)
    table_type: str = "EXTERNAL_TABLE"
    storage_descriptor: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_glue(cls, raw: Mapping[str, Any]) -> Table:
        sd = raw.get("StorageDescriptor") or {}
        serde_info = sd.get("SerdeInfo") or {}

        def columns(items: Iterable[Mapping[str, Any]]) -> tuple[Column, ...]:
            # pyiceberg keeps an Iceberg table's dropped columns in Glue, marked
            # ``iceberg.field.current = false``: they are not the table's columns.
            return tuple(
                Column(item["Name"].lower(), item.get("Type", "string"), item.get("Comment", ""))
                for item in items
                if (item.get("Parameters") or {}).get("iceberg.field.current") != "false"
            )

        return cls(
            database=raw.get("DatabaseName", ""),
            name=raw["Name"],
            location=sd.get("Location", ""),
            columns=columns(sd.get("Columns") or []),
            partition_keys=columns(raw.get("PartitionKeys") or []),
            serde=serde_info.get("SerializationLibrary", ""),
            serde_parameters=dict(serde_info.get("Parameters") or {}),
            input_format=sd.get("InputFormat", ""),
            parameters=dict(raw.get("Parameters") or {}),
            table_type=raw.get("TableType", "EXTERNAL_TABLE"),
            storage_descriptor=dict(sd),
        )

    @property
    def qualified_name(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def classification(self) -> str:
        return str(self.parameters.get("classification", "")).lower()

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.partition_keys)

    @property
    def projection_enabled(self) -> bool:
        return str(self.parameters.get("projection.enabled", "")).strip().lower() == "true"

    def all_columns(self) -> tuple[Column, ...]:
        """Data columns then partition keys, the order Athena shows them in."""
        return self.columns + self.partition_keys


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Catalog:
    """The Glue calls Athena makes, over an injected boto3 Glue client."""

    def __init__(self, glue: Any) -> None:
        self.glue = glue

    def list_databases(self) -> list[str]:
        names: list[str] = []
        for page in self.glue.get_paginator("get_databases").paginate():
            names.extend(db["Name"] for db in page.get("DatabaseList", []))
        return sorted(names)

    def list_tables(self, database: str) -> list[str]:
        names: list[str] = []
        try:
            for page in self.glue.get_paginator("get_tables").paginate(DatabaseName=database):
                names.extend(table["Name"] for table in page.get("TableList", []))
        except ClientError as exc:
            if _error_code(exc) == "EntityNotFoundException":
                raise QueryError(f"SCHEMA_NOT_FOUND: Schema '{database}' does not exist") from exc
            raise
        return sorted(names)

    def get_table(self, database: str, name: str) -> Table:
        try:
            raw = self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except ClientError as exc:
            if _error_code(exc) == "EntityNotFoundException":
                raise QueryError(
                    f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{database}.{name}' does not exist"
                ) from exc
            raise
        table = Table.from_glue(raw)
        if not table.database:
            table = replace(table, database=database)
        return table

    def get_partitions(self, table: Table) -> list[Partition]:
        partitions: list[Partition] = []
        paginator = self.glue.get_paginator("get_partitions")
        for page in paginator.paginate(DatabaseName=table.database, TableName=table.name):
            for raw in page.get("Partitions", []):
                location = (raw.get("StorageDescriptor") or {}).get("Location") or ""
                partitions.append(Partition(tuple(raw.get("Values", [])), location))
        return sorted(partitions, key=lambda p: p.values)

    def create_partitions(self, table: Table, partitions: list[Partition]) -> None:
        for start in range(0, len(partitions), CREATE_BATCH):
            batch = partitions[start : start + CREATE_BATCH]
            inputs = [
                {
                    "Values": list(p.values),
                    "StorageDescriptor": {**table.storage_descriptor, "Location": p.location},
                }
                for p in batch
            ]
            response = self.glue.batch_create_partition(
                DatabaseName=table.database, TableName=table.name, PartitionInputList=inputs
            )
            errors = response.get("Errors") or []
            if errors:
                detail = errors[0].get("ErrorDetail", {})
                raise QueryError(
                    f"{detail.get('ErrorCode', 'GlueError')}: {detail.get('ErrorMessage', '')}"
                )

    def delete_partitions(self, table: Table, values: list[tuple[str, ...]]) -> None:
        for start in range(0, len(values), DELETE_BATCH):
            batch = values[start : start + DELETE_BATCH]
            response = self.glue.batch_delete_partition(
                DatabaseName=table.database,
                TableName=table.name,
                PartitionsToDelete=[{"Values": list(v)} for v in batch],
            )
            errors = response.get("Errors") or []
            if errors:
                detail = errors[0].get("ErrorDetail", {})
                raise QueryError(
                    f"{detail.get('ErrorCode', 'GlueError')}: {detail.get('ErrorMessage', '')}"
                )

    # -- writes (Athena's DDL, CTAS and INSERT INTO) ---------------------------------------
    def raw_table(self, database: str, name: str) -> dict[str, Any] | None:
        """GetTable's ``Table``, or None when there is no such table (or database)."""
        try:
            return dict(self.glue.get_table(DatabaseName=database, Name=name)["Table"])
        except ClientError as exc:
            if _error_code(exc) == "EntityNotFoundException":
                return None
            raise

    def database_exists(self, name: str) -> bool:
        try:
            self.glue.get_database(Name=name)
        except ClientError as exc:
            if _error_code(exc) == "EntityNotFoundException":
                return False
            raise
        return True

    def require_database(self, name: str) -> None:
        if not self.database_exists(name):
            raise QueryError(f"SCHEMA_NOT_FOUND: Schema '{name}' does not exist")

    def create_database(self, database_input: dict[str, Any], if_not_exists: bool) -> None:
        try:
            self.glue.create_database(DatabaseInput=database_input)
        except ClientError as exc:
            if _error_code(exc) != "AlreadyExistsException":
                raise
            if not if_not_exists:
                raise QueryError(
                    f"SCHEMA_ALREADY_EXISTS: Schema '{database_input['Name']}' already exists"
                ) from exc

    def delete_database(self, name: str, cascade: bool) -> None:
        if not cascade and self.list_tables(name):
            # Glue's DeleteDatabase drops the tables too; Hive refuses unless CASCADE.
            raise QueryError(
                f"HIVE_METASTORE_ERROR: Database {name} is not empty. One or more tables exist."
            )
        self.glue.delete_database(Name=name)

    def create_table(self, database: str, table_input: dict[str, Any]) -> None:
        self.require_database(database)
        try:
            self.glue.create_table(DatabaseName=database, TableInput=table_input)
        except ClientError as exc:
            if _error_code(exc) == "AlreadyExistsException":
                raise QueryError(
                    f"TABLE_ALREADY_EXISTS: Table 'awsdatacatalog.{database}."
                    f"{table_input['Name']}' already exists"
                ) from exc
            raise

    def update_table(self, database: str, table_input: dict[str, Any]) -> None:
        self.glue.update_table(DatabaseName=database, TableInput=table_input)

    def delete_table(self, database: str, name: str) -> None:
        self.glue.delete_table(DatabaseName=database, Name=name)

    def list_views(self, database: str) -> list[str]:
        """The names of the database's ``VIRTUAL_VIEW`` tables (SHOW VIEWS)."""
        names: list[str] = []
        try:
            for page in self.glue.get_paginator("get_tables").paginate(DatabaseName=database):
                names.extend(
                    t["Name"]
                    for t in page.get("TableList", [])
                    if str(t.get("TableType", "")).upper() == "VIRTUAL_VIEW"
                )
        except ClientError as exc:
            if _error_code(exc) == "EntityNotFoundException":
                raise QueryError(f"SCHEMA_NOT_FOUND: Schema '{database}' does not exist") from exc
            raise
        return sorted(names)
