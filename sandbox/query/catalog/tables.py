"""Which files a query reads from a Glue table: its partitions, pruned, then listed in S3.

Owns Athena's rule for what a table holds at query time. Without projection, only the
partitions registered in Glue (GetPartitions) exist: objects under an unregistered ``k=v/``
prefix are invisible until ``MSCK REPAIR TABLE`` or ``ALTER TABLE ADD PARTITION`` registers them,
and a partition may live anywhere its Location says. With ``projection.enabled``, partitions are
computed from the table properties and Glue's partitions are ignored. Partitions are narrowed by
the query's static equality conditions before anything is listed; unpartitioned tables read
everything under their Location.

Not reproduced: Glue partition indexes and Athena's partition-count limits per query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.query.catalog.glue import Catalog, Partition, Table
from sandbox.query.catalog.projection import projected_partitions
from sandbox.query.catalog.s3layout import (
    S3Object,
    assign_to_locations,
    conforming,
    directory,
    hive_path,
    list_objects,
)


@dataclass(frozen=True)
class FileGroup:
    """Files read together: with ``values`` None their partition values come from Hive paths."""

    files: tuple[str, ...]
    values: tuple[str, ...] | None = None


# Up to this many partitions are listed one by one; beyond, the table root is listed once.
LIST_EACH_LIMIT = 32


@dataclass
class ResolvedTable:
    table: Table
    groups: list[FileGroup] = field(default_factory=list)
    partitions: int = 0
    objects: list[S3Object] = field(default_factory=list)


def partition_location(table: Table, partition: Partition) -> str:
    if partition.location:
        return directory(partition.location)
    return directory(table.location) + hive_path(table.key_names, partition.values)


def select_partitions(
    table: Table, partitions: list[Partition], filters: Mapping[str, set[str]]
) -> list[Partition]:
    wanted = [(table.key_names.index(k), v) for k, v in filters.items() if k in table.key_names]
    return [p for p in partitions if all(p.values[i] in values for i, values in wanted)]


def _list_partitions(s3: Any, table: Table, locations: list[str]) -> list[S3Object]:
    if len(locations) <= LIST_EACH_LIMIT:
        found: list[S3Object] = []
        for location in locations:
            found.extend(list_objects(s3, location))
        return found
    root = directory(table.location)
    found = list_objects(s3, root)
    for location in {loc for loc in locations if not loc.startswith(root)}:
        found.extend(list_objects(s3, location))
    return found


def resolve(
    table: Table,
    catalog: Catalog,
    s3: Any,
    filters: Mapping[str, set[str]] | None = None,
    now: datetime | None = None,
) -> ResolvedTable:
    """The file groups a view over ``table`` reads for a query with these ``filters``."""
    filters = filters or {}
    if not table.partition_keys:
        objects = list_objects(s3, table.location) if table.location else []
        return ResolvedTable(table, [FileGroup(tuple(o.key for o in objects))], 0, objects)
    if table.projection_enabled:
        partitions = projected_partitions(table, filters, now)
    else:
        partitions = select_partitions(table, catalog.get_partitions(table), filters)
    locations = {partition_location(table, p): p for p in partitions}
    objects = _list_partitions(s3, table, list(locations))
    by_location = assign_to_locations(objects, locations)
    hive_files: list[str] = []
    groups: list[FileGroup] = []
    used: list[S3Object] = []
    for location, partition in locations.items():
        files = by_location.get(location, [])
        used.extend(files)
        if not files:
            continue
        if all(conforming(f.key, table.key_names, partition.values) for f in files):
            hive_files.extend(f.key for f in files)
        else:
            groups.append(FileGroup(tuple(f.key for f in files), partition.values))
    if hive_files:
        groups.insert(0, FileGroup(tuple(sorted(hive_files))))
    return ResolvedTable(table, groups, len(partitions), used)
