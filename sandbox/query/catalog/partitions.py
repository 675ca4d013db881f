"""Athena's partition DDL against Glue: MSCK REPAIR TABLE, ALTER TABLE ADD/DROP PARTITION,
SHOW PARTITIONS.

Owns what each statement changes in the catalogue. ``MSCK REPAIR TABLE`` lists the table's
Location, keeps the folders whose path below it is exactly ``k1=v1/k2=v2/...`` in partition-key
order (hidden ``_``/``.`` objects ignored), and registers those Glue does not have with
BatchCreatePartition; like Athena it only adds, never removes partitions whose data is gone.
``ADD PARTITION`` needs a value for every key and defaults the location to
``<table location>k=v/...``; ``DROP PARTITION`` takes full or partial specs and deletes every
matching partition (the data stays in S3, as in Athena for external tables).

Not reproduced: Athena's message texts word for word, MSCK's timeout behaviour on very large
tables, and type checking of partition values beyond what Glue does.
"""

from __future__ import annotations

from typing import Any

from sandbox.query.catalog.glue import Catalog, Partition, Table
from sandbox.query.catalog.s3layout import directory, hive_path, list_objects, parse_hive_segment
from sandbox.query.catalog.tables import partition_location
from sandbox.query.dialect.statements import AddPartitions, DropPartitions, PartitionSpec
from sandbox.query.errors import QueryError


def discover(table: Table, object_urls: list[str]) -> dict[tuple[str, ...], str]:
    """Partitions MSCK would find: values -> location, from objects under the table Location."""
    root = directory(table.location)
    keys = [k.lower() for k in table.key_names]
    found: dict[tuple[str, ...], str] = {}
    for url in object_urls:
        if not url.startswith(root):
            continue
        parts = url[len(root) :].split("/")
        folders = parts[: len(keys)]
        if len(parts) <= len(keys):
            continue  # an object directly in a partition-level folder, not below all keys
        pairs = [parse_hive_segment(folder) for folder in folders]
        if any(pair is None for pair in pairs):
            continue
        names = [pair[0].lower() for pair in pairs if pair is not None]
        if names != keys:
            continue
        values = tuple(pair[1] for pair in pairs if pair is not None)
        found.setdefault(values, root + "/".join(folders) + "/")
    return found


def msck_repair(catalog: Catalog, s3: Any, table: Table) -> list[str]:
    """Register the partitions present in S3 but missing from Glue; Athena's report lines."""
    if not table.partition_keys:
        return []
    objects = [o.key for o in list_objects(s3, table.location)]
    present = discover(table, objects)
    registered = {p.values for p in catalog.get_partitions(table)}
    missing = [
        Partition(values, loc)
        for values, loc in sorted(present.items())
        if values not in registered
    ]
    if not missing:
        return []
    catalog.create_partitions(table, missing)
    specs = [p.spec(table.partition_keys) for p in missing]
    lines = ["Partitions not in metastore:\t" + "\t".join(f"{table.name}:{s}" for s in specs)]
    lines += [f"Repair: Added partition to metastore {table.name}:{s}" for s in specs]
    return lines


def _ordered_values(table: Table, spec: PartitionSpec) -> tuple[str, ...]:
    unknown = sorted(set(spec.values) - set(table.key_names))
    if unknown:
        raise QueryError(
            f"Partition spec {spec.values} contains non-partition columns {unknown} of "
            f"{table.qualified_name}"
        )
    missing = [k for k in table.key_names if k not in spec.values]
    if missing:
        raise QueryError(
            f"Partition spec {spec.values} of {table.qualified_name} needs a value for {missing}"
        )
    return tuple(spec.values[k] for k in table.key_names)


def add_partitions(catalog: Catalog, table: Table, statement: AddPartitions) -> int:
    """Register the statement's partitions; returns how many were added."""
    registered = {p.values for p in catalog.get_partitions(table)}
    new: list[Partition] = []
    for spec in statement.specs:
        values = _ordered_values(table, spec)
        if values in registered or any(p.values == values for p in new):
            if statement.if_not_exists:
                continue
            spec_text = "/".join(f"{k}={v}" for k, v in zip(table.key_names, values, strict=True))
            raise QueryError(f"AlreadyExistsException: Partition already exists: {spec_text}")
        location = (
            directory(spec.location)
            if spec.location
            else directory(table.location) + hive_path(table.key_names, values)
        )
        new.append(Partition(values, location))
    if new:
        catalog.create_partitions(table, new)
    return len(new)


def drop_partitions(catalog: Catalog, table: Table, statement: DropPartitions) -> int:
    """Delete the partitions matching each spec; returns how many were dropped."""
    registered = catalog.get_partitions(table)
    doomed: list[tuple[str, ...]] = []
    for spec in statement.specs:
        unknown = sorted(set(spec.values) - set(table.key_names))
        if unknown:
            raise QueryError(f"Partition spec contains non-partition columns {unknown}")
        index = {k: table.key_names.index(k) for k in spec.values}
        matches = [
            p.values
            for p in registered
            if all(p.values[i] == spec.values[k] for k, i in index.items())
        ]
        if not matches and not statement.if_exists:
            text = ", ".join(f"{k}='{v}'" for k, v in spec.values.items())
            raise QueryError(f"Partition not found: ({text}) in {table.qualified_name}")
        doomed.extend(v for v in matches if v not in doomed)
    if doomed:
        catalog.delete_partitions(table, doomed)
    return len(doomed)


def show_partitions(catalog: Catalog, table: Table) -> list[str]:
    if not table.partition_keys:
        raise QueryError(f"Table {table.qualified_name} is not partitioned")
    return [p.spec(table.partition_keys) for p in catalog.get_partitions(table)]


__all__ = [
    "add_partitions",
    "discover",
    "drop_partitions",
    "msck_repair",
    "partition_location",
    "show_partitions",
]
