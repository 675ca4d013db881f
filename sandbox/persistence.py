"""Snapshots of the lake (S3) and the catalogue (Glue), and the S3 journal between them.

The free LocalStack keeps state in memory only. The sandbox saves what a user cannot cheaply
rebuild -- every S3 bucket with its objects and settings, and every Glue database, table and
partition with database and table tags, in every account and region that holds some -- into
``<state>/persist/``, and loads it back into a fresh emulator. The other services' state
(Firehose streams, IAM, log groups, Athena workgroups) is saved next to it, in
``<state>/persist/services/``, by the plugin (:mod:`sandbox.localstack_plugin.service_state`).

Works on any boto3-compatible S3 and Glue clients: inside LocalStack the plugin passes its
internal clients, one pair per account and region (see
:mod:`sandbox.localstack_plugin.persistence_hooks`).

Layout: ``objects/<aa>/<sha256 of bucket/key/ETag>`` holds each version of a body (entry
``File``; snapshots from before versioned bodies name ``<sha256 of bucket/key>``, still read);
``index.json`` lists buckets (with their account and region), objects (with ETag, so an export
only rewrites what changed) and the Glue catalogue. The index is written last, to a temporary
file then renamed, and a changed object gets a new body file (fsynced) instead of overwriting
the one the current index names: a crash at any point of an export leaves the previous snapshot
whole, never a half-written or mixed one. Body files no index or journal entry names
(superseded versions, leftovers of a crashed export) are removed after the index is replaced.

``journal.jsonl`` (:class:`Journal`) makes S3 durable between snapshots: after each change the
plugin's S3 provider appends the new state of the key or bucket (the body in its version file,
fsynced first), and a write is acknowledged only once its line is fsynced (group commit: one
fsync covers every writer waiting). A restore loads the snapshot, then replays the entries the
snapshot does not cover (``journal_seq`` in the index); a completed snapshot truncates the
journal.

Not kept: object versions other than the latest, multipart uploads in progress, bucket settings
other than encryption, public access block, policy, versioning and tags; Glue column statistics,
partition indexes and table versions. Glue changes are saved by snapshots only (not journaled).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INDEX = "index.json"
JOURNAL = "journal.jsonl"
STATUS = "status.json"
FORMAT_VERSION = 1
DEFAULT_ACCOUNT = "000000000000"  # LocalStack's account for the ``test`` access key
DEFAULT_REGION = "us-east-1"
STATUS_SIZE = 4096  # the status file is rewritten in place: a full disk can still take it

# (account, region) -> (s3 client, glue client) of that account and region.
ClientFactory = Callable[[str, str], tuple[Any, Any]]

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
_OBJECT_FIELDS = ("ContentType", "ContentEncoding", "Metadata")


@dataclass
class SnapshotReport:
    buckets: int = 0
    objects: int = 0
    bytes: int = 0
    objects_written: int = 0
    databases: int = 0
    tables: int = 0
    partitions: int = 0
    journal_entries: int = 0  # restore: journal entries replayed after the snapshot
    # per service (firehose, iam...): stores, backends, bytes (the plugin's service_state)
    services: dict[str, dict[str, int]] = field(default_factory=dict)
    accounts: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def _scope(self, account: str, region: str) -> None:
        if account not in self.accounts:
            self.accounts.append(account)
        if region not in self.regions:
            self.regions.append(region)


@dataclass(frozen=True)
class Scope:
    """An account and region that holds S3 buckets or Glue databases."""

    account: str
    region: str


def _object_file(root: Path, bucket: str, key: str) -> Path:
    """Where the first layout kept an object's body (one file per key, rewritten in place)."""
    digest = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
    return root / "objects" / digest[:2] / digest


def version_file(bucket: str, key: str, etag: str) -> str:
    """A body file for one version of an object, relative to the snapshot folder."""
    digest = hashlib.sha256(f"{bucket}/{key}\n{etag}".encode()).hexdigest()
    return f"objects/{digest[:2]}/{digest}"


_version_file = version_file  # the name earlier code and tests use


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


def clean_temporary_files(root: Path) -> list[Path]:
    """Remove the ``*.tmp`` files a failed or killed write left in ``root``; returns them."""
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for path in [*root.glob("*.tmp"), *root.glob("objects/*/*.tmp")]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def bucket_settings(s3: Any, bucket: str) -> dict[str, Any]:
    """The settings a snapshot keeps of ``bucket``, as its Put* calls take them."""
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


_bucket_settings = bucket_settings


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


def _export_glue(glue: Any, region: str, report: SnapshotReport) -> list[dict[str, Any]]:
    databases: list[dict[str, Any]] = []
    for page in glue.get_paginator("get_databases").paginate():
        for database in page["DatabaseList"]:
            tables: list[dict[str, Any]] = []
            catalog_id = str(database.get("CatalogId") or "")
            entry = {
                "Database": {k: v for k, v in database.items() if k in _DATABASE_INPUT_FIELDS},
                "Tables": tables,
                "Region": region,
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
            databases.append(entry)
    return databases


def _fsync_write(handle: Any, data: bytes) -> None:
    handle.write(data)
    handle.flush()
    os.fsync(handle.fileno())


def write_durably(path: Path, body: bytes | Iterable[bytes]) -> None:
    """Write ``body`` to ``path`` whole and on disk before the index that names it is replaced:
    a power cut after the index was saved must not leave it pointing at a truncated body. A
    failed write (full disk) leaves no temporary file behind."""
    tmp = path.with_suffix(".tmp")
    try:
        with tmp.open("wb") as handle:
            for chunk in [body] if isinstance(body, bytes | bytearray) else body:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


_write_durably = write_durably  # the name earlier code and tests use


def _bucket_region(s3: Any, bucket: dict[str, Any]) -> str:
    region = bucket.get("BucketRegion")
    if not region:
        location = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
        region = location or DEFAULT_REGION
    return str(region)


def export_lake(
    clients: ClientFactory,
    root: Path,
    *,
    s3_accounts: Iterable[str],
    glue_scopes: Iterable[Scope],
    journal: Journal | None = None,
    default_region: str = DEFAULT_REGION,
) -> SnapshotReport:
    """Save every bucket of ``s3_accounts`` and the catalogue of each of ``glue_scopes``.

    Only changed bodies are written: an object whose ETag the previous index or the journal
    already holds a body file for is not read again. With a ``journal``, the entries the new
    index covers are dropped from it once the index is in place.
    """
    started = time.monotonic()
    report = SnapshotReport()
    mark = journal.mark() if journal is not None else None
    previous = read_index(root) or {}
    known = {(o["Bucket"], o["Key"]): o for o in previous.get("objects", [])}
    if journal is not None:
        known.update(journal.latest_objects())
    buckets: list[dict[str, Any]] = []
    objects: list[dict[str, Any]] = []
    for account in s3_accounts:
        s3 = clients(account, default_region)[0]
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            region = _bucket_region(s3, bucket)
            regional = clients(account, region)[0] if region != default_region else s3
            buckets.append(
                {**bucket_settings(regional, name), "Account": account, "Region": region}
            )
            report.buckets += 1
            report._scope(account, region)
            for page in regional.get_paginator("list_objects_v2").paginate(Bucket=name):
                for item in page.get("Contents", []):
                    objects.append(_export_object(regional, root, name, item, known, report))
    glue: list[dict[str, Any]] = []
    for scope in glue_scopes:
        catalogue = clients(scope.account, scope.region)[1]
        if catalogue is not None:
            found = _export_glue(catalogue, scope.region, report)
            if found:
                report._scope(scope.account, scope.region)
            glue.extend(found)
    index = {
        "version": FORMAT_VERSION,
        "saved_at": time.time(),
        "buckets": buckets,
        "objects": objects,
        "glue": {"databases": glue},
    }
    if mark is not None:
        index["journal_seq"] = mark  # journal entries from this one on are not in the index
    root.mkdir(parents=True, exist_ok=True)
    _write_index(root, index)
    if journal is not None and mark is not None:
        journal.truncate(mark)
    _remove_unnamed_bodies(root, objects, journal)
    report.seconds = time.monotonic() - started
    return report


def _export_object(
    s3: Any,
    root: Path,
    bucket: str,
    item: dict[str, Any],
    known: dict[tuple[str, str], dict[str, Any]],
    report: SnapshotReport,
) -> dict[str, Any]:
    key, etag = item["Key"], item["ETag"]
    entry: dict[str, Any] = {"Bucket": bucket, "Key": key, "ETag": etag, "Size": item["Size"]}
    old = known.get((bucket, key))
    if old and old.get("ETag") == etag and body_path(root, old).exists():
        entry.update({k: v for k, v in old.items() if k in ("File", *_OBJECT_FIELDS)})
    else:
        response = s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
        # The ETag of the body read, which may be newer than the listing's.
        entry["ETag"] = response.get("ETag") or etag
        entry["Size"] = len(body)
        entry["File"] = version_file(bucket, key, entry["ETag"])
        path = root / entry["File"]
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_durably(path, body)
        for field_name in _OBJECT_FIELDS:
            if response.get(field_name):
                entry[field_name] = response[field_name]
        report.objects_written += 1
    report.objects += 1
    report.bytes += int(entry["Size"])
    return entry


def _write_index(root: Path, index: dict[str, Any]) -> None:
    """Replace ``index.json`` atomically; a failed write (full disk) leaves no temporary file."""
    handle = tempfile.NamedTemporaryFile("w", dir=root, delete=False, suffix=".tmp")  # noqa: SIM115
    try:
        with handle:
            json.dump(index, handle, default=_json_default)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, root / INDEX)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def _remove_unnamed_bodies(
    root: Path, objects: list[dict[str, Any]], journal: Journal | None
) -> None:
    """Body files neither the new index nor the journal names: deleted objects, superseded
    versions, and what an export killed before its index was replaced left behind."""
    live = {body_path(root, o) for o in objects}
    candidates = [p for p in (root / "objects").glob("*/*") if p not in live]
    if not candidates:
        return
    with journal.guard() if journal is not None else contextlib.nullcontext():
        # Under the journal's lock: no writer is between writing a body and naming it.
        named = journal.files() if journal is not None else set()
        keep = {root / f for f in named} | {(root / f).with_suffix(".tmp") for f in named}
        for path in candidates:
            if path not in keep:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def export_snapshot(s3: Any, glue: Any | None, root: Path) -> SnapshotReport:
    """Save every bucket, object and Glue entity that these two clients see into ``root``."""
    region = getattr(getattr(s3, "meta", None), "region_name", None) or DEFAULT_REGION
    return export_lake(
        lambda account, _region: (s3, glue),
        root,
        s3_accounts=[DEFAULT_ACCOUNT],
        glue_scopes=[Scope(DEFAULT_ACCOUNT, region)] if glue is not None else [],
        default_region=region,
    )


def _restore_bucket(s3: Any, settings: dict[str, Any], region: str, exact: bool = False) -> None:
    """Create the bucket with its settings; ``exact`` also removes settings it no longer has."""
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
    elif exact:
        s3.delete_bucket_encryption(Bucket=name)
    if "PublicAccessBlock" in settings:
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=settings["PublicAccessBlock"]
        )
    elif exact:
        s3.delete_public_access_block(Bucket=name)
    if "Policy" in settings:
        s3.put_bucket_policy(Bucket=name, Policy=settings["Policy"])
    elif exact:
        s3.delete_bucket_policy(Bucket=name)
    if "Versioning" in settings:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": settings["Versioning"]}
        )
    if "Tags" in settings:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": settings["Tags"]})
    elif exact:
        s3.delete_bucket_tagging(Bucket=name)


def _restore_glue(glue: Any, databases: list[dict[str, Any]], report: SnapshotReport) -> None:
    for entry in databases:
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


def _put_kwargs(entry: dict[str, Any], body: bytes) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Bucket": entry["Bucket"], "Key": entry["Key"], "Body": body}
    for field_name in _OBJECT_FIELDS:
        if entry.get(field_name):
            kwargs[field_name] = entry[field_name]
    return kwargs


def import_lake(
    clients: ClientFactory,
    root: Path,
    *,
    default_account: str = DEFAULT_ACCOUNT,
    default_region: str = DEFAULT_REGION,
    journal: Iterable[dict[str, Any]] | None = None,
) -> SnapshotReport:
    """Load the snapshot into an emulator, each bucket and database into its account and
    region (entries from before they were recorded: the defaults), then replay the ``journal``
    entries it does not cover. Existing buckets and tables are updated, not duplicated."""
    started = time.monotonic()
    report = SnapshotReport()
    index = read_index(root) or {}
    where: dict[str, tuple[str, str]] = {}
    for settings in index.get("buckets", []):
        account = str(settings.get("Account") or default_account)
        region = str(settings.get("Region") or default_region)
        bucket = {k: v for k, v in settings.items() if k not in ("Account", "Region")}
        _restore_bucket(clients(account, region)[0], bucket, region)
        where[bucket["Name"]] = (account, region)
        report.buckets += 1
        report._scope(account, region)
    for entry in index.get("objects", []):
        try:
            body = body_path(root, entry).read_bytes()
        except FileNotFoundError:
            report.errors.append(f"s3://{entry['Bucket']}/{entry['Key']}: body missing")
            continue
        account, region = where.get(entry["Bucket"], (default_account, default_region))
        clients(account, region)[0].put_object(**_put_kwargs(entry, body))
        report.objects += 1
        report.bytes += len(body)
    scopes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in index.get("glue", {}).get("databases", []):
        scope = (
            str(entry.get("CatalogId") or default_account),
            entry.get("Region") or default_region,
        )
        scopes.setdefault(scope, []).append(entry)
    for (account, region), databases in scopes.items():
        glue = clients(account, region)[1]
        if glue is not None:
            _restore_glue(glue, databases, report)
            report._scope(account, region)
    if journal is not None:
        first = int(index.get("journal_seq") or 0)
        for entry in journal:
            if int(entry.get("seq", -1)) >= first:
                _replay(clients, root, entry, default_account, default_region, report)
    report.seconds = time.monotonic() - started
    return report


def import_snapshot(s3: Any, glue: Any | None, root: Path, region: str) -> SnapshotReport:
    """Load a snapshot through these two clients (every bucket and database into them)."""
    return import_lake(lambda _account, _region: (s3, glue), root, default_region=region)


# --- the S3 journal ---------------------------------------------------------------------------


def object_entry(
    account: str, region: str, bucket: str, key: str, state: dict[str, Any] | None
) -> dict[str, Any]:
    """A journal entry: ``key`` now holds ``state`` (ETag, Size, File, ContentType...), or is
    gone (None)."""
    entry: dict[str, Any] = {
        "type": "object",
        "Bucket": bucket,
        "Key": key,
        "Account": account,
        "Region": region,
    }
    entry.update(state if state is not None else {"Deleted": True})
    return entry


def bucket_entry(
    account: str, region: str, name: str, settings: dict[str, Any] | None
) -> dict[str, Any]:
    """A journal entry: bucket ``name`` now has ``settings`` (see :func:`bucket_settings`), or
    is gone (None)."""
    entry: dict[str, Any] = {"type": "bucket", "Name": name, "Account": account, "Region": region}
    entry.update({"Settings": settings} if settings is not None else {"Deleted": True})
    return entry


def _replay(
    clients: ClientFactory,
    root: Path,
    entry: dict[str, Any],
    default_account: str,
    default_region: str,
    report: SnapshotReport,
) -> None:
    account = str(entry.get("Account") or default_account)
    region = str(entry.get("Region") or default_region)
    s3 = clients(account, region)[0]
    try:
        if entry.get("type") == "bucket":
            if entry.get("Deleted"):
                _delete_bucket(s3, entry["Name"])
            else:
                _restore_bucket(s3, {**entry["Settings"], "Name": entry["Name"]}, region, True)
        elif entry.get("type") == "object":
            if entry.get("Deleted"):
                with contextlib.suppress(Exception):  # the bucket may be gone as well
                    s3.delete_object(Bucket=entry["Bucket"], Key=entry["Key"])
            else:
                body = body_path(root, entry).read_bytes()
                try:
                    s3.put_object(**_put_kwargs(entry, body))
                except Exception as exc:
                    # Its bucket's creation was journaled after it (concurrent writers).
                    if _code(exc) != "NoSuchBucket":
                        raise
                    _restore_bucket(s3, {"Name": entry["Bucket"]}, region)
                    s3.put_object(**_put_kwargs(entry, body))
        report.journal_entries += 1
    except Exception as exc:
        what = entry.get("Name") or f"{entry.get('Bucket')}/{entry.get('Key')}"
        report.errors.append(f"journal entry {entry.get('seq')} (s3://{what}): {exc}")


def _delete_bucket(s3: Any, name: str) -> None:
    """Delete a bucket and what is still in it (it was empty when it was deleted)."""
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        s3.delete_bucket(Bucket=name)
    except Exception as exc:
        if _code(exc) != "NoSuchBucket":
            raise


def read_journal(root: Path) -> list[dict[str, Any]]:
    """The journal's entries in order; a line a crash cut short (the last one) is skipped."""
    path = root / JOURNAL
    entries: list[dict[str, Any]] = []
    if not path.exists():
        return entries
    with path.open("rb") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "seq" in entry:
                entries.append(entry)
    return entries


class Journal:
    """The S3 changes since the last snapshot, durable before a write is acknowledged.

    :meth:`write_body` stores an object's body in its version file (fsynced); :meth:`append`
    adds the entry naming it; :meth:`commit` returns once that entry is on disk. Writers that
    commit at the same time share one fsync (group commit). :meth:`truncate` drops the entries
    a completed snapshot covers. Thread-safe.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / JOURNAL
        root.mkdir(parents=True, exist_ok=True)
        self._entries = read_journal(root)
        index = read_index(root) or {}
        last = max([int(e["seq"]) for e in self._entries], default=-1)
        self._next = max(last + 1, int(index.get("journal_seq") or 0))
        self._durable = self._next - 1
        self._pending: dict[str, int] = {}  # body files written, not yet named by an entry
        self._cond = threading.Condition()
        self._syncing = False
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._size = os.fstat(self._fd).st_size
        self.commits = 0  # fsyncs of the journal (each covers one or more entries)
        self.last_error: str | None = None

    def entries(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def write_body(self, bucket: str, key: str, etag: str, chunks: Iterable[bytes]) -> str:
        """Store a body durably (unless that version's file exists); its relative file name."""
        name = version_file(bucket, key, etag)
        with self._cond:
            self._pending[name] = self._pending.get(name, 0) + 1
        try:
            path = self.root / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_durably(path, chunks)
        except BaseException:
            self.release(name)
            raise
        return name

    def release(self, name: str) -> None:
        """A body file from :meth:`write_body` that no entry will name after all."""
        with self._cond:
            count = self._pending.get(name, 0) - 1
            if count > 0:
                self._pending[name] = count
            else:
                self._pending.pop(name, None)

    def append(self, entry: dict[str, Any]) -> int:
        """Add ``entry`` (not yet durable: :meth:`commit` its sequence number)."""
        with self._cond:
            seq = self._next
            line = (json.dumps({**entry, "seq": seq}, default=_json_default) + "\n").encode()
            try:
                written = os.write(self._fd, line)
                if written != len(line):
                    raise OSError(f"short write to {self.path}")
            except OSError as exc:
                # Cut off what a full disk let through, so the next line starts clean.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._size)
                self.last_error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                if entry.get("File"):
                    self.release(str(entry["File"]))
            self._size += len(line)
            self._next += 1
            self._entries.append({**entry, "seq": seq})
            return seq

    def commit(self, seq: int) -> None:
        """Return once entry ``seq`` is on disk; one fsync serves every writer waiting."""
        with self._cond:
            while self._durable < seq:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                fd, target = self._fd, self._next - 1
                self._cond.release()
                try:
                    os.fsync(fd)
                except OSError as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    raise
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._durable = max(self._durable, target)
                self.commits += 1

    def record(self, entry: dict[str, Any]) -> int:
        """:meth:`append` then :meth:`commit`."""
        seq = self.append(entry)
        self.commit(seq)
        return seq

    def mark(self) -> int:
        """The sequence number the next entry gets (a snapshot taken now covers those before)."""
        with self._cond:
            return self._next

    def truncate(self, before: int) -> None:
        """Drop the entries before ``before`` (a snapshot on disk covers them)."""
        with self._cond:
            while self._syncing:
                self._cond.wait()
            kept = [e for e in self._entries if int(e["seq"]) >= before]
            data = b"".join((json.dumps(e, default=_json_default) + "\n").encode() for e in kept)
            tmp = self.path.with_suffix(".tmp")
            try:
                with tmp.open("wb") as handle:
                    _fsync_write(handle, data)
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND, 0o644)
            os.close(self._fd)
            self._fd, self._size, self._entries = fd, len(data), kept
            self._durable = self._next - 1  # everything kept was just fsynced
            self.last_error = None  # a snapshot holds what a failed append could not
            self._cond.notify_all()

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        """Hold off writers (between a body written and its entry appended) meanwhile."""
        with self._cond:
            yield

    def files(self) -> set[str]:
        """Body files the journal names or a writer is about to name (call under :meth:`guard`)."""
        named = {str(e["File"]) for e in self._entries if e.get("File")}
        return named | set(self._pending)

    def latest_objects(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Per (bucket, key), the latest entry that stores a body (index-entry fields only)."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        with self._cond:
            for e in self._entries:
                if e.get("type") == "object" and e.get("File"):
                    latest[(e["Bucket"], e["Key"])] = {
                        k: v
                        for k, v in e.items()
                        if k in ("Bucket", "Key", "ETag", "Size", "File", *_OBJECT_FIELDS)
                    }
        return latest

    def close(self) -> None:
        with self._cond, contextlib.suppress(OSError):
            os.close(self._fd)


# --- the status of the last save, for `sandbox down` --------------------------------------------


def write_status(root: Path, status: dict[str, Any]) -> None:
    """Record the outcome of a save where the host can read it after the emulator exited.

    The file is created once with :data:`STATUS_SIZE` bytes and then overwritten in place, so
    that a disk that filled up meanwhile can still take it (no new blocks are needed).
    """
    data = json.dumps(status, default=_json_default).encode()
    if len(data) > STATUS_SIZE:
        status = {**status, "error": str(status.get("error"))[: STATUS_SIZE // 2]}
        data = json.dumps(status, default=_json_default).encode()[:STATUS_SIZE]
    data = data.ljust(STATUS_SIZE, b" ")
    path = root / STATUS
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, data, 0)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_status(root: Path) -> dict[str, Any] | None:
    """What :func:`write_status` last recorded, or None (absent or unreadable)."""
    try:
        data = json.loads((root / STATUS).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
