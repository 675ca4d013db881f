"""LocalStack's Firehose provider with S3 delivery handed to the sandbox's delivery engine.

A thin adapter: the AWS rules are in the pure modules of :mod:`sandbox.firehose` (``config``:
destination validation; ``api``: versions, UpdateDestination's merge, the answers;
``encryption``: server-side encryption; ``limits``: per-call limits); this provider turns
their ``FirehoseError`` exceptions into LocalStack's exception classes. The provider owns its
delivery engines (:class:`~sandbox.localstack_plugin.delivery.DeliveryEngines`) and the jq
worker processes they use, and gives the PutRecordBatch short path its public entry point,
:meth:`accept_batch`.

What changes against LocalStack 4.14.0's own provider (everything else is inherited):

- CreateDeliveryStream / UpdateDestination validate the extended S3 destination as AWS does
  (prefix expressions, error prefix, dynamic partitioning, conversion rules) and register it with
  the engine; UpdateDestination merges into the existing destination, checks
  ``CurrentDeliveryStreamVersionId`` and bumps the version, as AWS does.
- The Iceberg destination (``IcebergDestinationConfiguration``, which LocalStack drops): the
  same, with :mod:`sandbox.firehose.iceberg`'s rules; DescribeDeliveryStream answers its
  ``IcebergDestinationDescription``; records are committed to the tables with pyiceberg.
- PutRecord / PutRecordBatch check AWS's batch limits and hand the raw record bytes to the engine,
  which buffers, partitions, compresses, converts and writes to S3 (or to the error output).
- Server-side encryption: ``DeliveryStreamEncryptionConfigurationInput`` at creation and
  Start/StopDeliveryStreamEncryption are recorded and reported by DescribeDeliveryStream
  (LocalStack answers 501). Nothing is actually encrypted in memory: the emulator has no keys.
- DeleteDeliveryStream delivers what is buffered first.

Not reproduced: destinations other than (extended) S3 and Iceberg keep LocalStack's behaviour;
switching a stream's destination type with UpdateDestination; the
``DeliveryStreamStatus`` transitions (CREATING/UPDATING/ENABLING) are immediate.
"""

from __future__ import annotations

import base64
from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext, ServiceException
from localstack.aws.api.firehose import (
    ConcurrentModificationException,
    InvalidArgumentException,
    ResourceNotFoundException,
)
from localstack.services.firehose.provider import FirehoseProvider

from sandbox.firehose import (
    FirehoseError,
    api,
    encryption,
    iceberg,
    validate_batch,
    validate_destination,
    validate_record,
)
from sandbox.firehose.errors import (
    ConcurrentModificationError,
    InvalidArgumentError,
    ResourceNotFoundError,
    ValidationError,
    validation_message,
)
from sandbox.firehose.jq_worker import JqWorkers
from sandbox.firehose.wal import WalUnavailable
from sandbox.localstack_plugin import firehose_requests
from sandbox.localstack_plugin.delivery import DeliveryEngines
from sandbox.settings import PluginSettings

# The stage's error types and LocalStack's exception classes for them; any other code (e.g.
# ValidationException, which LocalStack's Firehose API module has no class for) is answered as
# a CommonServiceException with that code.
_EXCEPTIONS: tuple[tuple[type[FirehoseError], type[ServiceException]], ...] = (
    (InvalidArgumentError, InvalidArgumentException),
    (ConcurrentModificationError, ConcurrentModificationException),
    (ResourceNotFoundError, ResourceNotFoundException),
)


def aws_error(error: FirehoseError) -> ServiceException:
    """LocalStack's exception for one of the Firehose stage's errors (same code and message)."""
    for kind, exception in _EXCEPTIONS:
        if isinstance(error, kind) and exception.code == error.code:
            return exception(error.message)
    return CommonServiceException(error.code, error.message, status_code=400)


def _data(record: Any, path: str) -> bytes:
    """A record's ``Data``; a missing one is AWS's ValidationException ("Required: Yes"), never
    an empty record (``firehose_requests`` refuses it first; this holds for any other caller)."""
    data = record.get("Data") if isinstance(record, dict) else None
    if data is None:
        raise aws_error(
            ValidationError(
                validation_message(
                    [
                        f"Value null at '{path}' failed to satisfy constraint: "
                        "Member must not be null"
                    ]
                )
            )
        )
    return data


class SandboxFirehoseProvider(FirehoseProvider):
    """Firehose whose S3 delivery follows the AWS developer guide (see :mod:`sandbox.firehose`).

    ``settings`` are the plugin's (read once by :mod:`~sandbox.localstack_plugin.runtime`);
    ``engines`` replaces the delivery engines it would make (tests).
    """

    def __init__(self, settings: PluginSettings, *, engines: DeliveryEngines | None = None) -> None:
        super().__init__()
        self.settings = settings
        if engines is None:
            # jq (MetadataExtraction) in helper processes, off the GIL; SANDBOX_JQ_WORKERS=0:
            # in this process.
            workers = JqWorkers(settings.jq_workers) if settings.jq_workers > 0 else None
            # Accepted records go to a write-ahead log before the call answers (crash-proof
            # delivery; SANDBOX_FIREHOSE_WAL=0: in memory only).
            engines = DeliveryEngines(jq_workers=workers, wal_dir=settings.firehose_wal_dir)
        self.engines = engines
        # Malformed Firehose requests get AWS's 400 before LocalStack's parser can answer 500
        # (the PutRecordBatch short path, when installed, runs before this check).
        firehose_requests.install()

    @property
    def jq_workers(self) -> JqWorkers | None:
        return self.engines.jq_workers

    # --- helpers -------------------------------------------------------------------------------

    def _description(self, context: RequestContext, name: str) -> Any:
        store = self.get_store(context.account_id, context.region)
        description = store.delivery_streams.get(name)
        if not description:
            raise ResourceNotFoundException(
                f"Firehose {name} under account {context.account_id} not found."
            )
        return description

    # --- control plane -------------------------------------------------------------------------

    def create_delivery_stream(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> Any:
        iceberg_description = None
        try:
            extended = kwargs.get("extended_s3_destination_configuration")
            if extended:
                validate_destination(extended)
            if kwargs.get("iceberg_destination_configuration"):
                iceberg_description = iceberg.description_from_configuration(
                    kwargs["iceberg_destination_configuration"]
                )
                validate_destination(iceberg_description)
            sse = encryption.encryption_at_creation(
                kwargs.get("delivery_stream_type"),
                kwargs.get("delivery_stream_encryption_configuration_input"),
            )
        except FirehoseError as error:
            raise aws_error(error) from error
        result = super().create_delivery_stream(context, delivery_stream_name, **kwargs)
        description = self._description(context, delivery_stream_name)
        description["DeliveryStreamEncryptionConfiguration"] = sse
        if iceberg_description is not None:
            # LocalStack keeps no Iceberg destination: the sandbox's, with AWS's id format.
            description["Destinations"].append(
                {
                    "DestinationId": f"destinationId-{len(description['Destinations']) + 1:012d}",
                    "IcebergDestinationDescription": iceberg_description,
                }
            )
        if found := api.delivered_destination(description):
            engine = self.engines.engine_for(context.account_id, context.region)
            engine.configure_stream(delivery_stream_name, description["VersionId"], found[1])
        return result

    def update_destination(
        self,
        context: RequestContext,
        delivery_stream_name: str,
        current_delivery_stream_version_id: str,
        destination_id: str,
        **kwargs: Any,
    ) -> Any:
        description = self._description(context, delivery_stream_name)
        if kwargs.get("iceberg_destination_update") is not None:
            return self._update_iceberg(
                context,
                description,
                current_delivery_stream_version_id,
                destination_id,
                kwargs["iceberg_destination_update"],
            )
        update = kwargs.get("extended_s3_destination_update")
        found = api.extended_s3_destination(description)
        if found is not None and found[0].get("DestinationId") != destination_id:
            found = None
        try:
            api.check_version(
                delivery_stream_name,
                description.get("VersionId"),
                current_delivery_stream_version_id,
            )
            merged = api.updated_destination(found[1], update) if update and found else None
        except FirehoseError as error:
            raise aws_error(error) from error
        if found is None or merged is None:
            # Not the extended S3 destination the sandbox delivers: LocalStack's own update.
            result = super().update_destination(
                context,
                delivery_stream_name,
                current_delivery_stream_version_id,
                destination_id,
                **kwargs,
            )
            description["VersionId"] = api.next_version(description.get("VersionId"))
            return result
        found[0]["ExtendedS3DestinationDescription"] = merged
        description["VersionId"] = api.next_version(description.get("VersionId"))
        engine = self.engines.engine_for(context.account_id, context.region)
        engine.configure_stream(delivery_stream_name, description["VersionId"], merged)
        return {}

    def _update_iceberg(
        self,
        context: RequestContext,
        description: Any,
        version: str,
        destination_id: str,
        update: dict,
    ) -> Any:
        """UpdateDestination with ``IcebergDestinationUpdate`` (merged, checked, re-registered)."""
        name = description["DeliveryStreamName"]
        found = api.delivered_destination(description)
        try:
            api.check_version(name, description.get("VersionId"), version)
            if (
                found is None
                or found[0].get("DestinationId") != destination_id
                or "IcebergDestinationDescription" not in found[0]
            ):
                raise InvalidArgumentError(
                    "Changing the destination type to Iceberg is not reproduced by the sandbox: "
                    "create a new delivery stream with IcebergDestinationConfiguration."
                )
            merged = iceberg.updated_description(found[1], update)
        except FirehoseError as error:
            raise aws_error(error) from error
        found[0]["IcebergDestinationDescription"] = merged
        description["VersionId"] = api.next_version(description.get("VersionId"))
        engine = self.engines.engine_for(context.account_id, context.region)
        engine.configure_stream(name, description["VersionId"], merged)
        return {}

    def delete_delivery_stream(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> Any:
        self._description(context, delivery_stream_name)
        self.engines.engine_for(context.account_id, context.region).remove_stream(
            delivery_stream_name
        )
        return super().delete_delivery_stream(context, delivery_stream_name, **kwargs)

    def start_delivery_stream_encryption(
        self,
        context: RequestContext,
        delivery_stream_name: str,
        delivery_stream_encryption_configuration_input: dict | None = None,
        **kwargs: Any,
    ) -> dict:
        description = self._description(context, delivery_stream_name)
        try:
            sse = encryption.encryption_started(
                description.get("DeliveryStreamType"),
                delivery_stream_encryption_configuration_input,
            )
        except FirehoseError as error:
            raise aws_error(error) from error
        description["DeliveryStreamEncryptionConfiguration"] = sse
        return {}

    def stop_delivery_stream_encryption(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> dict:
        description = self._description(context, delivery_stream_name)
        description["DeliveryStreamEncryptionConfiguration"] = encryption.encryption_stopped(
            description.get("DeliveryStreamEncryptionConfiguration")
        )
        return {}

    # --- data plane ----------------------------------------------------------------------------

    def _accept(
        self, context: RequestContext, name: str, data: list[bytes], single: bool = False
    ) -> bool | None:
        """Hand records to the engine: whether the stream is encrypted, or None when the stream
        has no extended S3 destination (LocalStack's own provider handles it then)."""
        description = self._description(context, name)
        if not api.delivered_destination(description):
            return None
        try:
            if single:
                validate_record(data[0])
            else:
                validate_batch(data)
            # DeleteDeliveryStream drains the engine before LocalStack forgets the description:
            # a call that looked the stream up in between gets AWS's ResourceNotFoundException,
            # not an InternalError (nothing of it was accepted).
            self.engines.engine_for(context.account_id, context.region).put_records(name, data)
        except WalUnavailable as error:  # nothing of the call is accepted; the client retries
            raise CommonServiceException(error.code, error.message, status_code=503) from error
        except FirehoseError as error:
            raise aws_error(error) from error
        return encryption.is_encrypted(description)

    def accept_batch(
        self, context: RequestContext, name: str, data: list[bytes]
    ) -> dict[str, Any] | None:
        """PutRecordBatch of decoded ``data`` to ``name``: the answer once every record is
        accepted, or None when the stream is not one the sandbox delivers (nothing accepted).

        Raises LocalStack's ``ServiceException`` (AWS's code and message) before accepting
        anything when the call is invalid. The entry point of the short path (``fast_path``).
        """
        encrypted = self._accept(context, name, data)
        if encrypted is None:
            return None
        return api.batch_response(encrypted, len(data))

    def put_record(
        self, context: RequestContext, delivery_stream_name: str, record: Any, **kwargs: Any
    ) -> Any:
        encrypted = self._accept(
            context, delivery_stream_name, [_data(record, "record.data")], single=True
        )
        if encrypted is None:
            return super().put_record(context, delivery_stream_name, record, **kwargs)
        return api.record_response(encrypted)

    def put_record_batch(
        self, context: RequestContext, delivery_stream_name: str, records: list, **kwargs: Any
    ) -> Any:
        data = [_data(r, f"records.{i}.member.data") for i, r in enumerate(records, start=1)]
        result = self.accept_batch(context, delivery_stream_name, data)
        if result is None:
            return super().put_record_batch(context, delivery_stream_name, records, **kwargs)
        return result

    def _put_records(
        self,
        account_id: str,
        region_name: str,
        delivery_stream_name: str,
        unprocessed_records: list,
    ) -> list:
        """Kinesis-source path: records arrive base64-encoded from LocalStack's listener."""
        store = self.get_store(account_id, region_name)
        description = store.delivery_streams.get(delivery_stream_name)
        if not description or not api.delivered_destination(description):
            return super()._put_records(
                account_id, region_name, delivery_stream_name, unprocessed_records
            )
        data = [
            base64.b64decode(r.get("Data") or r.get("data") or b"") for r in unprocessed_records
        ]
        self.engines.engine_for(account_id, region_name).put_records(delivery_stream_name, data)
        return [{"RecordId": rid} for rid in api.record_ids(len(data))]
