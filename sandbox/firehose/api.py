"""Rules of the Firehose API around S3 delivery: stream versions, UpdateDestination, answers.

Owns, on the DescribeDeliveryStream shape (AWS PascalCase dicts, as LocalStack's store keeps
them):

- which destination of a stream is the one the sandbox delivers (extended S3 or Iceberg);
- UpdateDestination (API reference): ``CurrentDeliveryStreamVersionId`` must be the stream's
  current ``VersionId`` (else ``ConcurrentModificationException``), every successful update bumps
  the version by one, parameters not given keep their current values (the update is merged into
  the current destination), dynamic partitioning "can only be enabled when the delivery stream
  is created" (developer guide, "Dynamic partitioning"), and the merged destination is checked as
  at creation (:func:`~sandbox.firehose.config.validate_destination`);
- the answers of PutRecord and PutRecordBatch when every record was accepted (random record
  IDs, ``FailedPutCount`` 0, ``Encrypted`` as the stream's server-side encryption says).

Server-side encryption's rules are in :mod:`~sandbox.firehose.encryption`, per-call limits in
:mod:`~sandbox.firehose.limits`. Errors are :mod:`~sandbox.firehose.errors` types with AWS's
codes; the LocalStack provider turns them into LocalStack's exception classes.

Not reproduced: record IDs are random hex, not AWS's opaque 224-character IDs; UpdateDestination
cannot switch a stream between destination types (the provider leaves that to LocalStack).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

from sandbox.firehose.config import dynamic_partitioning_enabled, validate_destination
from sandbox.firehose.errors import ConcurrentModificationError, InvalidArgumentError

__all__ = [
    "batch_response",
    "check_version",
    "delivered_destination",
    "extended_s3_destination",
    "merge_update",
    "next_version",
    "record_ids",
    "record_response",
    "updated_destination",
]


def extended_s3_destination(description: Mapping[str, Any]) -> tuple[dict, dict] | None:
    """``(destination, ExtendedS3DestinationDescription)`` of a stream, or None if it has none."""
    for destination in description.get("Destinations", []):
        extended = destination.get("ExtendedS3DestinationDescription")
        if extended:
            return destination, extended
    return None


def delivered_destination(description: Mapping[str, Any]) -> tuple[dict, dict] | None:
    """``(destination, description)`` of the destination the sandbox delivers: the extended S3
    one (``ExtendedS3DestinationDescription``) or the Iceberg one
    (``IcebergDestinationDescription``); None if the stream has neither."""
    for destination in description.get("Destinations", []):
        for key in ("ExtendedS3DestinationDescription", "IcebergDestinationDescription"):
            found = destination.get(key)
            if found:
                return destination, found
    return None


def check_version(name: str, current: str | None, given: str | None) -> None:
    """Raise ``ConcurrentModificationException`` unless ``given`` is the current version."""
    if given != current:
        raise ConcurrentModificationError(
            f"Cannot update firehose: {name} since the current version id: {current} and "
            f"specified version id: {given} do not match"
        )


def next_version(version_id: str | None) -> str:
    """The ``VersionId`` after a successful update (``"1"`` -> ``"2"``)."""
    return str(int(version_id or "1") + 1)


def merge_update(current: dict, update: dict) -> dict:
    """``update`` merged into a copy of ``current``: members not given keep their values."""
    merged = copy.deepcopy(current)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_update(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def updated_destination(current: dict, update: dict) -> dict:
    """The extended S3 destination after UpdateDestination, checked; raises ``FirehoseError``."""
    merged = merge_update(current, update)
    if dynamic_partitioning_enabled(merged) and not dynamic_partitioning_enabled(current):
        raise InvalidArgumentError(
            "Dynamic partitioning can only be enabled when the delivery stream is created."
        )
    validate_destination(merged)
    return merged


def record_ids(count: int) -> list[str]:
    """``count`` fresh record IDs (48 hex characters each)."""
    raw = os.urandom(24 * count).hex()
    return [raw[i * 48 : (i + 1) * 48] for i in range(count)]


def record_response(encrypted: bool) -> dict[str, Any]:
    """PutRecord's answer for an accepted record."""
    return {"RecordId": record_ids(1)[0], "Encrypted": encrypted}


def batch_response(encrypted: bool, count: int) -> dict[str, Any]:
    """PutRecordBatch's answer when all ``count`` records were accepted."""
    return {
        "FailedPutCount": 0,
        "Encrypted": encrypted,
        "RequestResponses": [{"RecordId": rid} for rid in record_ids(count)],
    }
