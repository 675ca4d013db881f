"""Batch planning respects PutRecordBatch's limits: 500 records and 4 MiB per call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.emit.batching import (
    MAX_BATCH_BYTES,
    MAX_BATCH_RECORDS,
    MAX_RECORD_BYTES,
    plan_batches,
)


def sizes_of(batches, sizes):
    return [(end - start, sum(sizes[start:end])) for start, end in batches]


def test_limits_are_awss():
    assert MAX_BATCH_RECORDS == 500
    assert MAX_BATCH_BYTES == 4_194_304
    assert MAX_RECORD_BYTES == 1_024_000


def test_the_emitter_plans_with_the_shared_limits():
    from sandbox.core import limits

    assert (MAX_BATCH_RECORDS, MAX_BATCH_BYTES, MAX_RECORD_BYTES) == (
        limits.MAX_BATCH_RECORDS,
        limits.MAX_BATCH_BYTES,
        limits.MAX_RECORD_BYTES,
    )


def test_exactly_500_records_is_one_batch():
    assert plan_batches([10] * 500) == [(0, 500)]


def test_501_records_is_two_batches():
    assert plan_batches([10] * 501) == [(0, 500), (500, 501)]


def test_exactly_4_mib_is_one_batch():
    sizes = [1024 * 1024] * 4
    assert plan_batches(sizes) == [(0, 4)]


def test_one_byte_over_4_mib_starts_a_new_batch():
    sizes = [1024 * 1024] * 3 + [1024 * 1024 + 1]
    assert plan_batches(sizes) == [(0, 3), (3, 4)]


def test_largest_records_go_four_to_a_batch():
    assert plan_batches([MAX_RECORD_BYTES] * 9) == [(0, 4), (4, 8), (8, 9)]


def test_no_records_no_batches():
    assert plan_batches([]) == []


def test_a_record_larger_than_a_batch_is_refused():
    with pytest.raises(ValueError):
        plan_batches([MAX_BATCH_BYTES + 1])


@given(st.lists(st.integers(min_value=0, max_value=MAX_RECORD_BYTES), max_size=2000))
def test_batches_cover_all_records_in_order_within_limits_greedily(sizes):
    batches = plan_batches(sizes)
    flat = [i for start, end in batches for i in range(start, end)]
    assert flat == list(range(len(sizes)))
    for (count, total), (_start, end) in zip(sizes_of(batches, sizes), batches, strict=True):
        assert 1 <= count <= MAX_BATCH_RECORDS
        assert total <= MAX_BATCH_BYTES
        if end < len(sizes):  # greedy: the next record did not fit
            assert count == MAX_BATCH_RECORDS or total + sizes[end] > MAX_BATCH_BYTES
