"""LocalStack's Firehose provider with S3 delivery handed to the sandbox's delivery engine.

What changes against LocalStack 4.14.0's own provider (everything else is inherited):

- CreateDeliveryStream / UpdateDestination validate the extended S3 destination as AWS does
  (prefix expressions, error prefix, dynamic partitioning, conversion rules) and register it with
  the engine; UpdateDestination merges into the existing destination, checks
  ``CurrentDeliveryStreamVersionId`` and bumps the version, as AWS does.
- PutRecord / PutRecordBatch check AWS's batch limits and hand the raw record bytes to the engine,
  which buffers, partitions, compresses, converts and writes to S3 (or to the error output).
- Server-side encryption: ``DeliveryStreamEncryptionConfigurationInput`` at creation and
  Start/StopDeliveryStreamEncryption are recorded and reported by DescribeDeliveryStream
  (LocalStack answers 501). Nothing is actually encrypted in memory: the emulator has no keys.
- DeleteDeliveryStream delivers what is buffered first.

Not reproduced: destinations other than (extended) S3 keep LocalStack's behaviour; the
``DeliveryStreamStatus`` transitions (CREATING/UPDATING/ENABLING) are immediate.
"""

from __future__ import annotations

import base64
import copy
import os
from typing import Any

from localstack.aws.api import CommonServiceException, RequestContext
from localstack.aws.api.firehose import (
    ConcurrentModificationException,
    InvalidArgumentException,
    ResourceNotFoundException,
)
from localstack.services.firehose.provider import FirehoseProvider

from sandbox.firehose import (
    FirehoseError,
    validate_batch,
    validate_destination,
    validate_record,
)
from sandbox.firehose.jq_worker import JqWorkers
from sandbox.firehose.processors import use_workers
from sandbox.localstack_plugin import delivery, fast_path


def _aws_error(error: FirehoseError) -> CommonServiceException:
    return CommonServiceException(error.code, error.message, status_code=400)


def _record_ids(count: int) -> list[str]:
    raw = os.urandom(24 * count).hex()
    return [raw[i * 48 : (i + 1) * 48] for i in range(count)]


def _deep_merge(base: dict, update: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _dynamic_partitioning(destination: dict | None) -> bool:
    config = (destination or {}).get("DynamicPartitioningConfiguration") or {}
    return bool(config.get("Enabled"))


class SandboxFirehoseProvider(FirehoseProvider):
    """Firehose whose S3 delivery follows the AWS developer guide (see :mod:`sandbox.firehose`)."""

    def __init__(self) -> None:
        super().__init__()
        fast_path.install(self)  # PutRecordBatch without LocalStack's generic parsing
        # jq (MetadataExtraction) in helper processes, off the GIL; SANDBOX_JQ_WORKERS=0: not.
        workers = int(os.environ.get("SANDBOX_JQ_WORKERS") or "1")
        if workers > 0:
            use_workers(JqWorkers(workers))

    # --- helpers -------------------------------------------------------------------------------

    def _description(self, context: RequestContext, name: str) -> Any:
        store = self.get_store(context.account_id, context.region)
        description = store.delivery_streams.get(name)
        if not description:
            raise ResourceNotFoundException(
                f"Firehose {name} under account {context.account_id} not found."
            )
        return description

    @staticmethod
    def _extended_s3(description: Any) -> tuple[dict, dict] | None:
        for destination in description.get("Destinations", []):
            extended = destination.get("ExtendedS3DestinationDescription")
            if extended:
                return destination, extended
        return None

    @staticmethod
    def _validate(destination: dict) -> None:
        try:
            validate_destination(destination)
        except FirehoseError as error:
            raise _aws_error(error) from error

    @staticmethod
    def _encryption_config(config: dict | None, status: str) -> dict:
        config = dict(config or {})
        key_type = config.get("KeyType") or "AWS_OWNED_CMK"
        key_arn = config.get("KeyARN")
        # API reference, DeliveryStreamEncryptionConfigurationInput: a KeyARN is required for
        # CUSTOMER_MANAGED_CMK and not allowed for AWS_OWNED_CMK.
        if key_type == "CUSTOMER_MANAGED_CMK" and not key_arn:
            raise InvalidArgumentException(
                "KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK."
            )
        if key_type == "AWS_OWNED_CMK" and key_arn:
            raise InvalidArgumentException(
                "KeyARN must not be specified when KeyType is AWS_OWNED_CMK."
            )
        result = {"KeyType": key_type, "Status": status}
        if key_arn:
            result["KeyARN"] = key_arn
        return result

    # --- control plane -------------------------------------------------------------------------

    def create_delivery_stream(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> Any:
        extended = kwargs.get("extended_s3_destination_configuration")
        if extended:
            self._validate(extended)
        encryption_input = kwargs.get("delivery_stream_encryption_configuration_input")
        encryption = None
        if encryption_input:
            if kwargs.get("delivery_stream_type") == "KinesisStreamAsSource":
                raise InvalidArgumentException(
                    "Server-side encryption is not supported for delivery streams whose source "
                    "is a Kinesis data stream; enable it on the Kinesis stream instead."
                )
            encryption = self._encryption_config(encryption_input, "ENABLED")
        result = super().create_delivery_stream(context, delivery_stream_name, **kwargs)
        description = self._description(context, delivery_stream_name)
        description["DeliveryStreamEncryptionConfiguration"] = encryption or {"Status": "DISABLED"}
        if found := self._extended_s3(description):
            engine = delivery.engine_for(context.account_id, context.region)
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
        if current_delivery_stream_version_id != description.get("VersionId"):
            raise ConcurrentModificationException(
                f"Cannot update firehose: {delivery_stream_name} since the current version id: "
                f"{description.get('VersionId')} and specified version id: "
                f"{current_delivery_stream_version_id} do not match"
            )
        update = kwargs.get("extended_s3_destination_update")
        found = self._extended_s3(description)
        if not update or not found or found[0].get("DestinationId") != destination_id:
            result = super().update_destination(
                context,
                delivery_stream_name,
                current_delivery_stream_version_id,
                destination_id,
                **kwargs,
            )
            description["VersionId"] = str(int(description.get("VersionId", "1")) + 1)
            return result
        destination, current = found
        # UpdateDestination (API reference): parameters not given keep their current values.
        merged = _deep_merge(current, update)
        if _dynamic_partitioning(merged) and not _dynamic_partitioning(current):
            raise InvalidArgumentException(
                "Dynamic partitioning can only be enabled when the delivery stream is created."
            )
        self._validate(merged)
        destination["ExtendedS3DestinationDescription"] = merged
        description["VersionId"] = str(int(description.get("VersionId", "1")) + 1)
        engine = delivery.engine_for(context.account_id, context.region)
        engine.configure_stream(delivery_stream_name, description["VersionId"], merged)
        return {}

    def delete_delivery_stream(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> Any:
        self._description(context, delivery_stream_name)
        delivery.engine_for(context.account_id, context.region).remove_stream(delivery_stream_name)
        return super().delete_delivery_stream(context, delivery_stream_name, **kwargs)

    def start_delivery_stream_encryption(
        self,
        context: RequestContext,
        delivery_stream_name: str,
        delivery_stream_encryption_configuration_input: dict | None = None,
        **kwargs: Any,
    ) -> dict:
        description = self._description(context, delivery_stream_name)
        if description.get("DeliveryStreamType") == "KinesisStreamAsSource":
            raise InvalidArgumentException(
                "Server-side encryption is not supported for delivery streams whose source is a "
                "Kinesis data stream."
            )
        description["DeliveryStreamEncryptionConfiguration"] = self._encryption_config(
            delivery_stream_encryption_configuration_input, "ENABLED"
        )
        return {}

    def stop_delivery_stream_encryption(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> dict:
        description = self._description(context, delivery_stream_name)
        current = description.get("DeliveryStreamEncryptionConfiguration") or {}
        description["DeliveryStreamEncryptionConfiguration"] = {
            **{k: v for k, v in current.items() if k in ("KeyType", "KeyARN")},
            "Status": "DISABLED",
        }
        return {}

    # --- data plane ----------------------------------------------------------------------------

    def _accept(
        self, context: RequestContext, name: str, data: list[bytes], single: bool = False
    ) -> bool | None:
        """Hand records to the engine; None when the stream has no extended S3 destination."""
        description = self._description(context, name)
        if not self._extended_s3(description):
            return None
        try:
            if single:
                validate_record(data[0])
            else:
                validate_batch(data)
        except FirehoseError as error:
            raise _aws_error(error) from error
        engine = delivery.engine_for(context.account_id, context.region)
        try:
            engine.put_records(name, data)
        except FirehoseError as error:
            # DeleteDeliveryStream drains the engine before LocalStack forgets the description:
            # a call that looked the stream up in between gets AWS's ResourceNotFoundException,
            # not an InternalError (nothing of it was accepted).
            raise _aws_error(error) from error
        encryption = description.get("DeliveryStreamEncryptionConfiguration") or {}
        return encryption.get("Status") == "ENABLED"

    def put_record(
        self, context: RequestContext, delivery_stream_name: str, record: Any, **kwargs: Any
    ) -> Any:
        encrypted = self._accept(
            context, delivery_stream_name, [record.get("Data") or b""], single=True
        )
        if encrypted is None:
            return super().put_record(context, delivery_stream_name, record, **kwargs)
        return {"RecordId": _record_ids(1)[0], "Encrypted": encrypted}

    def put_record_batch(
        self, context: RequestContext, delivery_stream_name: str, records: list, **kwargs: Any
    ) -> Any:
        data = [r.get("Data") or b"" for r in records]
        encrypted = self._accept(context, delivery_stream_name, data)
        if encrypted is None:
            return super().put_record_batch(context, delivery_stream_name, records, **kwargs)
        return self.batch_response(encrypted, len(records))

    @staticmethod
    def batch_response(encrypted: bool, count: int) -> dict:
        """PutRecordBatch's answer when all ``count`` records were accepted."""
        return {
            "FailedPutCount": 0,
            "Encrypted": encrypted,
            "RequestResponses": [{"RecordId": rid} for rid in _record_ids(count)],
        }

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
        if not description or not self._extended_s3(description):
            return super()._put_records(
                account_id, region_name, delivery_stream_name, unprocessed_records
            )
        data = [
            base64.b64decode(r.get("Data") or r.get("data") or b"") for r in unprocessed_records
        ]
        delivery.engine_for(account_id, region_name).put_records(delivery_stream_name, data)
        return [{"RecordId": rid} for rid in _record_ids(len(data))]
