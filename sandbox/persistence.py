"""Snapshots of the lake (S3) and the catalogue (Glue), so they survive emulator restarts.

The free LocalStack keeps state in memory only. The sandbox saves what a user cannot cheaply
rebuild -- every S3 bucket with its objects and settings, and every Glue database, table and
partition with database and table tags -- into ``<state>/persist/``, and loads it back into a
fresh emulator. Everything else (IAM, Firehose streams, log groups, the Athena workgroup) is
re-created by ``terraform apply``.

Works on any boto3-compatible S3 and Glue clients: inside LocalStack the plugin passes its
internal clients (see :mod:`sandbox.localstack_plugin.persistence_hooks`).

Layout: ``objects/<aa>/<sha256 of bucket/key/ETag>`` holds each version of a body (entry
``File``; snapshots from before versioned bodies name ``<sha256 of bucket/key>``, still read);
``index.json`` lists buckets, objects (with ETag, so an export only rewrites what changed) and the
Glue catalogue. The index is written last, to a temporary file then renamed, and a changed object
gets a new body file (fsynced) instead of overwriting the one the current index names: a crash
at any point of an export leaves the previous snapshot whole, never a half-written or mixed one.
Body files no index names (superseded versions, leftovers of a crashed export) are removed after
the index is replaced.

Not kept: object versions other than the latest, multipart uploads in progress, bucket settings
other than encryption, public access block, policy, versioning and tags; Glue column statistics,
partition indexes and table versions.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INDEX = "index.json"
FORMAT_VERSION = 1

# Fields of GetTable/GetDatabase/GetPartitions output that their *Input shapes do not accept.
_TABLE_INPUT_FIELDS = {
    "Name",
    "Description",
    "Owner",
    "LastAccessTime",
    "LastAnalyzedTime",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
}
_DATABASE_INPUT_FIELDS = {
    "Name",
    "Description",
    "LocationUri",
    "Parameters",
    "CreateTableDefaultPermissions",
    "TargetDatabase",
}
_PARTITION_INPUT_FIELDS = {
    "Values",
    "LastAccessTime",
    "StorageDescriptor",
    "Parameters",
    "LastAnalyzedTime",
}


@dataclass
class SnapshotReport:
    buckets: int = 0
    objects: int = 0
    bytes: int = 0
    objects_written: int = 0
    databases: int = 0
    tables: int = 0
    partitions: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _object_file(root: Path, bucket: str, key: str) -> Path:
    """Where the first layout kept an object's body (one file per key, rewritten in place)."""
    digest = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
    return root / "objects" / digest[:2] / digest


def _version_file(bucket: str, key: str, etag: str) -> str:
    """A body file for one version of an object, relative to the snapshot folder."""
    digest = hashlib.sha256(f"{bucket}/{key}\n{etag}".encode()).hexdigest()
    return f"objects/{digest[:2]}/{digest}"


def body_path(root: Path, entry: dict[str, Any]) -> Path:
    """The body file of an index entry."""
    if entry.get("File"):
        return root / str(entry["File"])
    return _object_file(root, entry["Bucket"], entry["Key"])


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _optional(call: Any, *missing_codes: str) -> Any:
    """Call a Get* API; None when the setting is absent (AWS answers with an error code)."""
    try:
        return call()
    except Exception as exc:
        if _code(exc) in missing_codes:
            return None
        raise


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_index(root: Path) -> dict[str, Any] | None:
    path = root / INDEX
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return data if data.get("version") == FORMAT_VERSION else None


def _bucket_settings(s3: Any, bucket: str) -> dict[str, Any]:
    settings: dict[str, Any] = {"Name": bucket}
    encryption = _optional(
        lambda: s3.get_bucket_encryption(Bucket=bucket),
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    if encryption:
        settings["Encryption"] = encryption["ServerSideEncryptionConfiguration"]
    block = _optional(
        lambda: s3.get_public_access_block(Bucket=bucket), "NoSuchPublicAccessBlockConfiguration"
    )
    if block:
        settings["PublicAccessBlock"] = block["PublicAccessBlockConfiguration"]
    policy = _optional(lambda: s3.get_bucket_policy(Bucket=bucket), "NoSuchBucketPolicy")
    if policy:
        settings["Policy"] = policy["Policy"]
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if versioning:
        settings["Versioning"] = versioning
    tags = _optional(lambda: s3.get_bucket_tagging(Bucket=bucket), "NoSuchTagSet")
    if tags and tags.get("TagSet"):
        settings["Tags"] = tags["TagSet"]
    return settings


def _glue_arn(glue: Any, catalog_id: str, *path: str) -> str:
    """``arn:aws:glue:<region>:<account>:database/<db>`` or ``...:table/<db>/<table>``
    (https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html)."""
    region = glue.meta.region_name
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if "gov" in region else "aws"
    return f"arn:{partition}:glue:{region}:{catalog_id}:{path[0]}/{'/'.join(path[1:])}"


def _glue_tags(glue: Any, catalog_id: str, *path: str) -> dict[str, str]:
    """Tags of a Glue resource (Terraform's ``tags``), so a restored catalogue plans clean."""
    arn = _glue_arn(glue, catalog_id, *path)
    return dict(glue.get_tags(ResourceArn=arn).get("Tags") or {})


def _restore_glue_tags(glue: Any, catalog_id: str | None, tags: Any, *path: str) -> None:
    if catalog_id and tags:
        glue.tag_resource(ResourceArn=_glue_arn(glue, catalog_id, *path), TagsToAdd=tags)


def _export_glue(glue: Any, report: SnapshotReport) -> dict[str, Any]:
    catalogue: dict[str, Any] = {"databases": []}
    for page in glue.get_paginator("get_databases").paginate():
        for database in page["DatabaseList"]:
            tables: list[dict[str, Any]] = []
            catalog_id = str(database.get("CatalogId") or "")
            entry = {
                "Database": {k: v for k, v in database.items() if k in _DATABASE_INPUT_FIELDS},
                "Tables": tables,
            }
            if catalog_id:
                entry["CatalogId"] = catalog_id
                entry["Tags"] = _glue_tags(glue, catalog_id, "database", database["Name"])
            report.databases += 1
            for tpage in glue.get_paginator("get_tables").paginate(DatabaseName=database["Name"]):
                for table in tpage["TableList"]:
                    partitions: list[dict[str, Any]] = []
                    for ppage in glue.get_paginator("get_partitions").paginate(
                        DatabaseName=database["Name"], TableName=table["Name"]
                    ):
                        partitions.extend(
                            {k: v for k, v in p.items() if k in _PARTITION_INPUT_FIELDS}
                            for p in ppage["Partitions"]
                        )
                    table_entry = {
                        "Table": {k: v for k, v in table.items() if k in _TABLE_INPUT_FIELDS},
                        "Partitions": partitions,
                    }
                    if catalog_id:
                        table_entry["Tags"] = _glue_tags(
                            glue, catalog_id, "table", database["Name"], table["Name"]
                        )
                    tables.append(table_entry)
                    report.tables += 1
                    report.partitions += len(partitions)
            catalogue["databases"].append(entry)
    return catalogue


def _write_durably(path: Path, body: bytes) -> None:
    """Write ``body`` to ``path`` whole and on disk before the index that names it is replaced:
    a power cut after the index was saved must not leave it pointing at a truncated body."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def export_snapshot(s3: Any, glue: Any | None, root: Path) -> SnapshotReport:
    """Save every bucket, object and Glue entity into ``root``; only changed bodies are written."""
    started = time.monotonic()
    report = SnapshotReport()
    previous = read_index(root) or {}
    known = {(o["Bucket"], o["Key"]): o for o in previous.get("objects", [])}
    buckets: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        buckets.append(_bucket_settings(s3, name))
        report.buckets += 1
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                key, etag = item["Key"], item["ETag"]
                entry = {"Bucket": name, "Key": key, "ETag": etag, "Size": item["Size"]}
                old = known.get((name, key))
                if old and old.get("ETag") == etag and body_path(root, old).exists():
                    entry.update({k: v for k, v in old.items() if k not in entry})
                else:
                    response = s3.get_object(Bucket=name, Key=key)
                    body = response["Body"].read()
                    # The ETag of the body read, which may be newer than the listing's.
                    entry["ETag"] = response.get("ETag") or etag
                    entry["Size"] = len(body)
                    entry["File"] = _version_file(name, key, entry["ETag"])
                    path = root / entry["File"]
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _write_durably(path, body)
                    for field_name in ("ContentType", "ContentEncoding", "Metadata"):
                        if response.get(field_name):
                            entry[field_name] = response[field_name]
                    report.objects_written += 1
                objects.append(entry)
                report.objects += 1
                report.bytes += int(item["Size"])
    index = {
        "version": FORMAT_VERSION,
        "saved_at": time.time(),
        "buckets": buckets,
        "objects": objects,
        "glue": _export_glue(glue, report) if glue is not None else {"databases": []},
    }
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=root, delete=False, suffix=".tmp") as handle:
        json.dump(index, handle, default=_json_default)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, root / INDEX)
    # Body files the new index does not name: deleted objects, superseded versions, and what
    # an export killed before its index was replaced left behind.
    live = {body_path(root, o) for o in objects}
    for path in (root / "objects").glob("*/*"):
        if path not in live:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    report.seconds = time.monotonic() - started
    return report


def _restore_bucket(s3: Any, settings: dict[str, Any], region: str) -> None:
    name = settings["Name"]
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except Exception as exc:
        if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    if "Encryption" in settings:
        s3.put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration=settings["Encryption"]
        )
    if "PublicAccessBlock" in settings:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=settings["PublicAccessBlock"]
        )
    if "Policy" in settings:
        s3.put_bucket_policy(Bucket=name, Policy=settings["Policy"])
    if "Versioning" in settings:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": settings["Versioning"]}
        )
    if "Tags" in settings:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": settings["Tags"]})


def _restore_glue(glue: Any, catalogue: dict[str, Any], report: SnapshotReport) -> None:
    for entry in catalogue.get("databases", []):
        database = entry["Database"]
        try:
            glue.create_database(DatabaseInput=database)
        except Exception as exc:
            if _code(exc) != "AlreadyExistsException":
                raise
        catalog_id = entry.get("CatalogId")
        _restore_glue_tags(glue, catalog_id, entry.get("Tags"), "database", database["Name"])
        report.databases += 1
        for table_entry in entry.get("Tables", []):
            table = table_entry["Table"]
            try:
                glue.create_table(DatabaseName=database["Name"], TableInput=table)
            except Exception as exc:
                if _code(exc) != "AlreadyExistsException":
                    raise
                glue.update_table(DatabaseName=database["Name"], TableInput=table)
            _restore_glue_tags(
                glue, catalog_id, table_entry.get("Tags"), "table", database["Name"], table["Name"]
            )
            report.tables += 1
            partitions = table_entry.get("Partitions", [])
            for start in range(0, len(partitions), 100):  # BatchCreatePartition takes <= 100
                chunk = partitions[start : start + 100]
                result = glue.batch_create_partition(
                    DatabaseName=database["Name"], TableName=table["Name"], PartitionInputList=chunk
                )
                for error in result.get("Errors", []):
                    code = error.get("ErrorDetail", {}).get("ErrorCode")
                    if code != "AlreadyExistsException":
                        report.errors.append(f"partition {error.get('PartitionValues')}: {code}")
            report.partitions += len(partitions)


def import_snapshot(s3: Any, glue: Any | None, root: Path, region: str) -> SnapshotReport:
    """Load a snapshot into an emulator; existing buckets and tables are updated, not duplicated."""
    started = time.monotonic()
    report = SnapshotReport()
    index = read_index(root)
    if index is None:
        return report
    for settings in index.get("buckets", []):
        _restore_bucket(s3, settings, region)
        report.buckets += 1
    for entry in index.get("objects", []):
        try:
            body = body_path(root, entry).read_bytes()
        except FileNotFoundError:
            report.errors.append(f"s3://{entry['Bucket']}/{entry['Key']}: body missing")
            continue
        kwargs: dict[str, Any] = {"Bucket": entry["Bucket"], "Key": entry["Key"], "Body": body}
        for field_name in ("ContentType", "ContentEncoding", "Metadata"):
            if entry.get(field_name):
                kwargs[field_name] = entry[field_name]
        s3.put_object(**kwargs)
        report.objects += 1
        report.bytes += len(body)
    if glue is not None:
        _restore_glue(glue, index.get("glue", {}), report)
    report.seconds = time.monotonic() - started
    return report
