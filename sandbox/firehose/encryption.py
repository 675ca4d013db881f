"""Server-side encryption of a delivery stream: what the API accepts and what it reports.

Owns the ``DeliveryStreamEncryptionConfiguration`` that DescribeDeliveryStream reports, after
CreateDeliveryStream (``DeliveryStreamEncryptionConfigurationInput``; ``DISABLED`` without it),
StartDeliveryStreamEncryption and StopDeliveryStreamEncryption, with the API reference's rules:
``KeyType`` defaults to ``AWS_OWNED_CMK``; a ``KeyARN`` is required for ``CUSTOMER_MANAGED_CMK``
and not allowed for ``AWS_OWNED_CMK``; a stream whose source is a Kinesis data stream cannot be
encrypted by Firehose (encryption belongs to the Kinesis stream). Stopping keeps the key type and
ARN, as DescribeDeliveryStream shows them in AWS.

Not reproduced: nothing is encrypted (the emulator holds no keys; objects get the bucket's own
default encryption from S3), the KMS key is not looked up (no ``InvalidKMSResourceException``),
and the status changes at once (no ``ENABLING``/``DISABLING``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.firehose.errors import InvalidArgumentError

__all__ = [
    "KINESIS_SOURCE",
    "encryption_at_creation",
    "encryption_configuration",
    "encryption_started",
    "encryption_stopped",
    "is_encrypted",
]

KINESIS_SOURCE = "KinesisStreamAsSource"
DISABLED: dict[str, Any] = {"Status": "DISABLED"}


def encryption_configuration(config: dict | None, status: str) -> dict[str, Any]:
    """The reported configuration for an encryption input; raises on a KeyARN rule."""
    config = dict(config or {})
    key_type = config.get("KeyType") or "AWS_OWNED_CMK"
    key_arn = config.get("KeyARN")
    # API reference, DeliveryStreamEncryptionConfigurationInput: a KeyARN is required for
    # CUSTOMER_MANAGED_CMK and not allowed for AWS_OWNED_CMK.
    if key_type == "CUSTOMER_MANAGED_CMK" and not key_arn:
        raise InvalidArgumentError("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.")
    if key_type == "AWS_OWNED_CMK" and key_arn:
        raise InvalidArgumentError("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.")
    result = {"KeyType": key_type, "Status": status}
    if key_arn:
        result["KeyARN"] = key_arn
    return result


def encryption_at_creation(stream_type: str | None, config: dict | None) -> dict[str, Any]:
    """CreateDeliveryStream's encryption state (checked before the stream is created)."""
    if not config:
        return dict(DISABLED)
    if stream_type == KINESIS_SOURCE:
        raise InvalidArgumentError(
            "Server-side encryption is not supported for delivery streams whose source "
            "is a Kinesis data stream; enable it on the Kinesis stream instead."
        )
    return encryption_configuration(config, "ENABLED")


def encryption_started(stream_type: str | None, config: dict | None) -> dict[str, Any]:
    """StartDeliveryStreamEncryption's new state for a stream of ``stream_type``."""
    if stream_type == KINESIS_SOURCE:
        raise InvalidArgumentError(
            "Server-side encryption is not supported for delivery streams whose source is a "
            "Kinesis data stream."
        )
    return encryption_configuration(config, "ENABLED")


def encryption_stopped(current: dict | None) -> dict[str, Any]:
    """StopDeliveryStreamEncryption's new state: disabled, key type and ARN kept."""
    current = current or {}
    return {
        **{k: v for k, v in current.items() if k in ("KeyType", "KeyARN")},
        "Status": "DISABLED",
    }


def is_encrypted(description: Mapping[str, Any]) -> bool:
    """PutRecord(Batch)'s ``Encrypted``: whether the stream's encryption is ``ENABLED``."""
    encryption = description.get("DeliveryStreamEncryptionConfiguration") or {}
    return encryption.get("Status") == "ENABLED"
