"""Commits of Firehose's Iceberg destination, through pyiceberg and the Glue Data Catalog.

Owns: :class:`IcebergTables`, the engine's view of the tables (their current schema) and the
sink of :class:`~sandbox.firehose.engine.IcebergCommit`: one pyiceberg transaction per commit
(new columns for schema evolution, the delete of the keys an update or delete replaces, the
append of the rows as Parquet data files), registered in Glue by pyiceberg's ``GlueCatalog``
(``metadata_location`` swapped with optimistic concurrency, ``previous_metadata_location``
kept), as AWS's Glue Iceberg tables look. Every snapshot a commit writes carries
``firehose.commit-id`` in its summary: :meth:`IcebergTables.committed` answers the write-ahead
log's replay (exactly once, as the object's existence does for S3 destinations).

Deletes are copy-on-write (pyiceberg rewrites the data files that hold a deleted key) where
Firehose writes equality/position delete files (merge-on-read); a scan gives the same rows.

Not reproduced: Firehose's retry duration (``RetryOptions``) before a commit that keeps failing
goes to the error output: a failing commit is retried until it succeeds, in order, like an S3
delivery.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog
    from pyiceberg.schema import Schema

    from sandbox.firehose.engine import IcebergCommit
    from sandbox.firehose.iceberg import IcebergTarget

__all__ = ["COMMIT_ID_PROPERTY", "IcebergTables", "delete_filter"]

COMMIT_ID_PROPERTY = "firehose.commit-id"

# (region, account id, warehouse) -> a pyiceberg catalog on the sandbox's own endpoint.
CatalogFactory = Callable[[str | None, str | None, str | None], "Catalog"]


def delete_filter(keys: tuple[str, ...], values: list[tuple[Any, ...]]) -> Any:
    """The pyiceberg row filter matching any of ``values`` of the unique ``keys``."""
    import pyiceberg.expressions

    # pyiceberg's expression classes are pydantic models mypy misreads: used untyped.
    ex: Any = pyiceberg.expressions
    if len(keys) == 1:
        return ex.In(keys[0], [v[0] for v in values])
    terms = [
        functools.reduce(ex.And, [ex.EqualTo(k, v) for k, v in zip(keys, value, strict=True)])
        for value in values
    ]
    return functools.reduce(ex.Or, terms) if len(terms) > 1 else terms[0]


class IcebergTables:
    """The Iceberg tables of one account and region, through ``catalogs``."""

    def __init__(self, catalogs: CatalogFactory) -> None:
        self._factory = catalogs
        self._lock = threading.Lock()
        self._catalogs: dict[tuple[str | None, str | None, str | None], Catalog] = {}

    def catalog(self, target: IcebergTarget | None) -> Catalog:
        key = (target.region, target.account_id, target.warehouse) if target else (None, None, None)
        with self._lock:
            found = self._catalogs.get(key)
            if found is None:
                found = self._catalogs[key] = self._factory(*key)
            return found

    def schema(self, target: IcebergTarget, database: str, table: str) -> Schema | None:
        """The table's current schema, or None if Glue has no such table."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            return self.catalog(target).load_table((database, table)).schema()
        except NoSuchTableError:
            return None

    def commit(self, commit: IcebergCommit) -> None:
        """Apply one commit (the sink of an Iceberg destination)."""
        import pyarrow as pa
        from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError

        assert commit.target is not None and commit.plan is not None
        plan = commit.plan
        catalog = self.catalog(commit.target)
        identifier = (plan.database, plan.table)
        try:
            table = catalog.load_table(identifier)
        except NoSuchTableError:
            if commit.create_schema is None:
                raise
            try:
                table = catalog.create_table(
                    identifier,
                    schema=commit.create_schema,
                    partition_spec=_identity_spec(commit.create_schema, commit.target, plan),
                )
            except TableAlreadyExistsError:  # created meanwhile (another stream)
                table = catalog.load_table(identifier)
        if _has_commit(table, commit.commit_id):
            return  # a retry of a commit that went through
        properties = {COMMIT_ID_PROPERTY: commit.commit_id}
        with table.transaction() as tx:
            known = set(tx.table_metadata.schema().column_names)
            missing = {n: t for n, t in commit.add_columns.items() if n not in known}
            if missing:
                with tx.update_schema() as update:
                    for name, kind in missing.items():
                        update.add_column(name, kind)
            if plan.delete_keys:
                tx.delete(
                    delete_filter(plan.unique_keys, plan.delete_keys),
                    snapshot_properties=properties,
                )
            if plan.rows:
                arrow_schema = tx.table_metadata.schema().as_arrow()
                tx.append(
                    pa.Table.from_pylist(plan.rows, schema=arrow_schema),
                    snapshot_properties=properties,
                )

    def committed(self, database: str, table: str, commit_id: str) -> bool:
        """Whether a commit is in the table's history (the write-ahead log's replay; the
        account's own catalog)."""
        from pyiceberg.exceptions import NoSuchTableError

        try:
            loaded = self.catalog(None).load_table((database, table))
        except NoSuchTableError:
            return False
        return _has_commit(loaded, commit_id)


def _has_commit(table: Any, commit_id: str) -> bool:
    return any(
        s.summary is not None and s.summary.get(COMMIT_ID_PROPERTY) == commit_id
        for s in table.metadata.snapshots
    )


def _identity_spec(schema: Schema, target: IcebergTarget, plan: Any) -> Any:
    """TableCreationConfiguration: the table's ``PartitionSpec`` identity fields."""
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import IdentityTransform

    config = target.table(plan.database, plan.table)
    names = config.identity_partitions if config is not None else ()
    fields = []
    for offset, name in enumerate(names):
        column = schema.find_field(name)
        fields.append(PartitionField(column.field_id, 1000 + offset, IdentityTransform(), name))
    return PartitionSpec(*fields)
