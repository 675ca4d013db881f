"""The batch planner: records split into PutRecordBatch calls (pure; no AWS calls).

PutRecordBatch's limits (at most 500 records and 4 MiB per call, 1,000 KiB per record, sizes of
the data before base64 encoding) are :mod:`sandbox.core.limits`'s; they are re-exported here for
the emitter.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.core.limits import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_RECORDS", "MAX_RECORD_BYTES", "plan_batches"]


def plan_batches(
    sizes: Sequence[int],
    max_records: int = MAX_BATCH_RECORDS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[tuple[int, int]]:
    """Split records of the given sizes, in order, into ``[start, end)`` batches.

    Greedy: a batch is closed when one more record would exceed either limit. Every size must
    be <= ``max_bytes`` (oversize records are filtered out before planning).
    """
    batches: list[tuple[int, int]] = []
    start = count = total = 0
    for index, size in enumerate(sizes):
        if size > max_bytes:
            raise ValueError(f"record {index} has {size} bytes, more than a batch may hold")
        if count == max_records or total + size > max_bytes:
            batches.append((start, index))
            start, count, total = index, 0, 0
        count += 1
        total += size
    if count:
        batches.append((start, len(sizes)))
    return batches
