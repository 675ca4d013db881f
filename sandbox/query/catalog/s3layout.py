"""Where a table's data lives in S3: locations, Hive-style ``k=v/`` paths and object listings.

Owns the rules Athena applies to a table or partition location: everything under the location
prefix is read, including subfolders; objects whose name (or a folder below the location) starts
with ``_`` or ``.`` are hidden, as are zero-byte folder markers (``key/`` and ``key_$folder$``).
Also Hive's path escaping of partition values (``FileUtils.escapePathName``) and the mapping of
listed objects to the partitions whose locations contain them.

Not reproduced: S3 access points, Requester Pays, and Glacier-class objects (Athena skips them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.query.errors import QueryError

# Characters Hive escapes in partition path segments (org.apache.hadoop.hive.common.FileUtils).
_HIVE_ESCAPED = set("\"#%'*/:=?\\\x7f{[]^")
_PERCENT = re.compile("%([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class S3Object:
    key: str
    size: int


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/a/b/`` -> (``bucket``, ``a/b/``); also accepts ``s3a://``/``s3n://``."""
    for scheme in ("s3://", "s3a://", "s3n://"):
        if url.startswith(scheme):
            bucket, _, key = url[len(scheme) :].partition("/")
            if bucket:
                return bucket, key
    raise QueryError(f"not an S3 location: {url!r}")


def directory(location: str) -> str:
    """A location as a folder prefix (trailing slash), with an ``s3://`` scheme."""
    bucket, key = split_s3_url(location)
    if key and not key.endswith("/"):
        key += "/"
    return f"s3://{bucket}/{key}"


def escape_path_value(value: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in _HIVE_ESCAPED or ord(c) < 0x20 else c for c in value)


def hive_path(keys: Sequence[str], values: Sequence[str]) -> str:
    """``name=x/d=y/`` for partition keys and values, escaped as Hive does."""
    return "".join(
        f"{escape_path_value(k)}={escape_path_value(v)}/" for k, v in zip(keys, values, strict=True)
    )


def unescape_path_value(text: str) -> str:
    """Hive's ``FileUtils.unescapePathName``: each ``%XX`` (two hex digits) is the character
    U+00XX, anything else stays (``%41`` -> ``A``, ``%zz`` and a lone ``%`` unchanged)."""
    return _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), text)


def parse_hive_segment(segment: str) -> tuple[str, str] | None:
    """``name=x%3Dy`` -> (``name``, ``x=y``); None for a segment that is not ``k=v``."""
    key, sep, value = segment.partition("=")
    if not sep or not key:
        return None
    return unescape_path_value(key), unescape_path_value(value)


def is_hidden(relative_key: str) -> bool:
    """True for objects Athena does not read (relative to the table or partition location)."""
    if not relative_key or relative_key.endswith("/") or relative_key.endswith("_$folder$"):
        return True
    return any(part.startswith(("_", ".")) for part in relative_key.split("/"))


def list_objects(s3: Any, location: str) -> list[S3Object]:
    """Every object under ``location`` (recursively), hidden ones excluded."""
    bucket, prefix = split_s3_url(directory(location))
    objects: list[S3Object] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not is_hidden(key[len(prefix) :]):
                objects.append(S3Object(f"s3://{bucket}/{key}", int(item.get("Size", 0))))
    return objects


def assign_to_locations(
    objects: Iterable[S3Object], locations: Iterable[str]
) -> dict[str, list[S3Object]]:
    """Group objects by the deepest of ``locations`` (folder prefixes) that contains them."""
    wanted = {directory(loc): loc for loc in locations}
    groups: dict[str, list[S3Object]] = {loc: [] for loc in wanted.values()}
    for obj in objects:
        path = obj.key
        cut = path.rfind("/")
        while cut > len("s3://"):
            folder = path[: cut + 1]
            if folder in wanted:
                if not is_hidden(obj.key[len(folder) :]):
                    groups[wanted[folder]].append(obj)
                break
            cut = path.rfind("/", 0, cut)
    return groups


def conforming(file_url: str, keys: Sequence[str], values: Sequence[str]) -> bool:
    """True when the file's ``k=v`` path segments spell exactly these keys and values, in a
    form DuckDB's ``hive_partitioning`` decodes to the same strings (no Hive-escaped character
    in them, no ``\\`` anywhere in the key: DuckDB splits paths on it; no ``%``: DuckDB decodes
    ``%XX`` as UTF-8, Hive as one character per escape)."""
    _, key = split_s3_url(file_url)
    if "\\" in key or "%" in key:
        return False
    found = [parse_hive_segment(part) for part in key.split("/")[:-1]]
    pairs = [pair for pair in found if pair is not None]
    expected = list(zip(keys, values, strict=True))
    return (
        [(k.lower(), v) for k, v in pairs] == [(k.lower(), v) for k, v in expected]
        and all(escape_path_value(v) == v for v in values)
        and all(escape_path_value(k) == k for k in keys)
    )
