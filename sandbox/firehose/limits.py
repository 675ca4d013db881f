"""The PutRecord/PutRecordBatch checks that enforce Firehose's per-call limits.

Owns: the checks and AWS's error codes and messages for a call that breaks a limit (API
reference, PutRecordBatch: "Each PutRecordBatch request supports up to 500 records. Each record
in the request can be as large as 1,000 KB (before base64 encoding), up to a limit of 4 MB for
the entire request. These limits cannot be changed."). The numbers themselves, with the AWS page
each comes from, are in :mod:`sandbox.core.limits`. A failing call raises before anything is
accepted.

Not reproduced: per-stream throughput quotas (records/s, MiB/s) and the resulting
``ServiceUnavailableException`` throttling.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.core.limits import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES
from sandbox.firehose.errors import InvalidArgumentError, ValidationError, validation_message

__all__ = ["validate_batch", "validate_record"]


def validate_batch(records: Sequence[bytes]) -> None:
    """Raise AWS's error when a PutRecordBatch call breaks a limit; nothing is accepted then."""
    if not records:
        raise ValidationError(
            validation_message(
                [
                    "Value '[]' at 'records' failed to satisfy constraint: "
                    "Member must have length greater than or equal to 1"
                ]
            )
        )
    violations: list[str] = []
    if len(records) > MAX_BATCH_RECORDS:
        violations.append(
            "Value at 'records' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_BATCH_RECORDS}"
        )
    total = 0
    for index, record in enumerate(records, start=1):
        size = len(record)
        total += size
        if size > MAX_RECORD_BYTES:
            violations.append(
                f"Value at 'records.{index}.member.data' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_RECORD_BYTES}"
            )
    if violations:
        raise ValidationError(validation_message(violations))
    if total > MAX_BATCH_BYTES:
        raise InvalidArgumentError("Records size exceeds 4 MB limit")


def validate_record(record: bytes) -> None:
    """PutRecord's single-record limit (1,000 KiB before base64)."""
    if len(record) > MAX_RECORD_BYTES:
        raise ValidationError(
            validation_message(
                [
                    "Value at 'record.data' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {MAX_RECORD_BYTES}"
                ]
            )
        )
