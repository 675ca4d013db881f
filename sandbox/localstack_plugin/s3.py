"""LocalStack's S3 with the instance's storage under its state folder and a durable journal.

Two things LocalStack 4.14.0's S3 provider does not do, added around it (the provider itself is
LocalStack's, unchanged):

- **Storage per instance.** It keeps bodies over 512 KiB in files under the machine-wide
  ``/tmp/localstack-s3-storage/<bucket>/`` (``DEFAULT_S3_TMP_DIR``), so that two LocalStacks
  on a machine share them: deleting a bucket in one broke the same-named bucket in the other.
  Here the storage backend is rooted in ``<state>/localstack/s3-storage``
  (:attr:`~sandbox.settings.PluginSettings.s3_storage_dir`; a private temporary folder when no
  state folder is set).
- **Durable at write time.** After each operation that changes what a snapshot keeps
  (:data:`OBJECT_OPERATIONS`, :data:`BUCKET_OPERATIONS`) succeeds, the new state of the key or
  bucket is appended to the journal (:class:`sandbox.persistence.Journal`: body fsynced in its
  version file, then the entry, group-committed) before the response leaves: an acknowledged
  write survives a SIGKILL. Internal clients (``connect_to().s3``, the Firehose delivery) go
  through the same dispatch table, so their writes are journaled too. If the journal cannot be
  written (full disk) the caller gets ``InternalError`` (HTTP 500): the change is in memory but
  not durable, and a Firehose delivery retries it.

Entries record state, not requests: whoever journals a key last (under that key's lock) records
what the store holds at that moment, so concurrent writers of a key can never leave an older
version as the journal's last word. Not journaled: object tags, ACLs, multipart uploads in
progress, and other bucket settings (the snapshot does not keep them either).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox import persistence

if TYPE_CHECKING:
    from localstack.services.s3.provider import S3Provider

    from sandbox.settings import PluginSettings

LOG = logging.getLogger(__name__)

OBJECT_OPERATIONS = frozenset(
    {
        "PutObject",
        "PostObject",
        "CopyObject",
        "CompleteMultipartUpload",
        "DeleteObject",
        "DeleteObjects",
    }
)
BUCKET_OPERATIONS = frozenset(
    {
        "CreateBucket",
        "DeleteBucket",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutPublicAccessBlock",
        "DeletePublicAccessBlock",
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketVersioning",
        "PutBucketTagging",
        "DeleteBucketTagging",
    }
)
_STRIPES = 64
# The User-Agent marker of clients whose writes are not journaled: the restore's (it replays the
# journal, then saves a snapshot; journaling what it loads again would only cost fsyncs).
UNJOURNALED_AGENT = "sandbox-restore"


def unjournaled_config() -> Any:
    """A botocore ``Config`` for the restore's clients (their writes skip the journal)."""
    from botocore.config import Config

    return Config(user_agent_extra=UNJOURNALED_AGENT)


def _unjournaled(context: Any) -> bool:
    request = getattr(context, "request", None)
    agent = request.headers.get("User-Agent", "") if request is not None else ""
    return UNJOURNALED_AGENT in agent


def make_service(settings: PluginSettings) -> Any:
    """LocalStack's S3 service, with its storage in the state folder and the journal wrapped
    around its dispatch table."""
    from localstack.services.plugins import Service
    from localstack.services.s3.provider import S3Provider
    from localstack.services.s3.storage.ephemeral import EphemeralS3ObjectStore

    root = settings.s3_storage_dir
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    # None: a private folder made by mkdtemp (under TMPDIR), never the shared default.
    store = EphemeralS3ObjectStore(str(root) if root is not None else None)  # type: ignore[arg-type]
    provider = S3Provider(storage_backend=store)
    from sandbox.localstack_plugin.runtime import current

    current().register_s3(provider)
    return Service.for_provider(
        provider,
        dispatch_table_factory=lambda p: journaled_dispatch_table(p),  # type: ignore[arg-type]
    )


def _journal() -> persistence.Journal | None:
    from sandbox.localstack_plugin.runtime import current

    return current().snapshots.journal


def journaled_dispatch_table(
    provider: S3Provider, journal: Callable[[], persistence.Journal | None] = _journal
) -> dict[str, Any]:
    """The provider's dispatch table with the changing operations journaled."""
    from localstack.aws.skeleton import create_dispatch_table

    table: dict[str, Any] = create_dispatch_table(provider)
    recorder = _Recorder(provider, journal)
    for operation in OBJECT_OPERATIONS | BUCKET_OPERATIONS:
        if operation in table:
            table[operation] = _Journaled(table[operation], operation, recorder)
    return table


class _Journaled:
    """A dispatch-table entry: the provider's handler, then the journal."""

    def __init__(self, handler: Any, operation: str, recorder: _Recorder) -> None:
        self.handler = handler
        self.operation = operation
        self.recorder = recorder

    def __call__(self, context: Any, request: Any) -> Any:
        response = self.handler(context, request)
        if not _unjournaled(context):
            self.recorder.record(self.operation, context, request or {})
        return response


class _Recorder:
    def __init__(
        self, provider: S3Provider, journal: Callable[[], persistence.Journal | None]
    ) -> None:
        self.provider = provider
        self.journal = journal
        self._locks = [threading.Lock() for _ in range(_STRIPES)]

    def _lock(self, bucket: str, key: str | None) -> threading.Lock:
        return self._locks[zlib.crc32(f"{bucket}\0{key or ''}".encode()) % _STRIPES]

    def record(self, operation: str, context: Any, request: dict[str, Any]) -> None:
        journal = self.journal()
        if journal is None:
            return
        bucket = str(request.get("Bucket") or "")
        try:
            if operation in BUCKET_OPERATIONS:
                with self._lock(bucket, None):
                    seq = journal.append(self._bucket_entry(context, bucket))
                journal.commit(seq)
                return
            if operation == "DeleteObjects":
                keys = [o["Key"] for o in (request.get("Delete") or {}).get("Objects", [])]
            else:
                keys = [str(request.get("Key") or "")]
            last = -1
            for key in dict.fromkeys(keys):
                with self._lock(bucket, key):
                    last = self._object(journal, context, bucket, key)
            if last >= 0:
                journal.commit(last)  # one commit covers every key of the call
        except OSError as exc:
            from localstack.aws.api import CommonServiceException

            LOG.error(
                "S3 %s on %s succeeded in memory but could not be journaled (%s): it is not "
                "durable; a SIGKILL before the next snapshot loses it",
                operation,
                bucket,
                exc,
            )
            raise CommonServiceException(
                "InternalError",
                f"The change was applied but could not be saved durably: {exc}",
                status_code=500,
            ) from exc

    def _bucket(self, context: Any, bucket: str) -> Any | None:
        from localstack.aws.api import ServiceException

        try:
            return self.provider._get_cross_account_bucket(context, bucket)[1]
        except ServiceException:
            return None

    def _bucket_entry(self, context: Any, name: str) -> dict[str, Any]:
        s3_bucket = self._bucket(context, name)
        if s3_bucket is None:
            return persistence.bucket_entry(context.account_id, context.region, name, None)
        from localstack.aws.connect import connect_to

        account, region = s3_bucket.bucket_account_id, s3_bucket.bucket_region
        client = connect_to(aws_access_key_id=account, region_name=region).s3
        settings = persistence.bucket_settings(client, name)
        settings.pop("Name", None)
        return persistence.bucket_entry(account, region, name, settings)

    def _object(self, journal: persistence.Journal, context: Any, bucket: str, key: str) -> int:
        """Journal what ``bucket``/``key`` holds now; the entry's sequence number."""
        from localstack.aws.api import ServiceException

        s3_bucket = self._bucket(context, bucket)
        if s3_bucket is None:
            entry = persistence.object_entry(context.account_id, context.region, bucket, key, None)
            return journal.append(entry)
        account, region = s3_bucket.bucket_account_id, s3_bucket.bucket_region
        try:
            s3_object = s3_bucket.get_object(key=key)
        except ServiceException:  # gone, or a delete marker is its latest version
            return journal.append(persistence.object_entry(account, region, bucket, key, None))
        storage = self.provider._storage_backend
        stored = storage.open(bucket, s3_object, mode="r")
        # As S3Provider.get_object: overwritten between the lookup and the read lock.
        if stored.last_modified != s3_object.internal_last_modified:
            stored.close()
            s3_object = s3_bucket.get_object(key=key)
            stored = storage.open(bucket, s3_object, mode="r")
        try:
            etag = s3_object.quoted_etag
            name = journal.write_body(bucket, key, etag, iter(stored))
        finally:
            stored.close()
        state: dict[str, Any] = {"ETag": etag, "Size": s3_object.size, "File": name}
        metadata = s3_object.system_metadata or {}
        for field in ("ContentType", "ContentEncoding"):
            if metadata.get(field):
                state[field] = metadata[field]
        if s3_object.user_metadata:
            state["Metadata"] = dict(s3_object.user_metadata)
        try:
            return journal.append(persistence.object_entry(account, region, bucket, key, state))
        except BaseException:
            journal.release(name)
            raise
