"""Bad input through the delivery engine alone: the JQ partitioning path, property-tested.

Complements ``tests/unit/firehose`` (the parser, formatter and extractor on their own, and the
fuzzed accounting invariant): here arbitrary JSON values for the partition key and arbitrary
bytes go through the article's JSON destination end to end, and every record must land exactly
once, either under the key that spells its value verbatim or in the error output. The sink
behaves like S3 for keys (at most 1,024 UTF-8 bytes, "Naming Amazon S3 objects").
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.core.limits import MAX_S3_KEY_BYTES
from sandbox.firehose import DeliveryEngine, S3Object
from tests.unit.firehose.article import ARTICLE_COLUMNS, article_destinations

T0 = 1_690_800_000.0  # 2023-07-31 10:40:00 UTC
DATE = "2023-07-31"
VALID_TSTAMPS = ("2023-06-18 14:27:52.000000", "2021-01-01 00:00:00")
INVALID_TSTAMPS = ("bad", "18/06/2023 14:27:52", "")


class S3Like:
    """Collects objects; rejects keys S3 would reject, with S3's error code."""

    def __init__(self) -> None:
        self.objects: list[S3Object] = []

    def __call__(self, obj: S3Object) -> None:
        if len(obj.key.encode()) > MAX_S3_KEY_BYTES:
            error = RuntimeError("Your key is too long")
            error.response = {"Error": {"Code": "KeyTooLongError"}}  # type: ignore[attr-defined]
            raise error
        self.objects.append(obj)

    def data(self) -> dict[str, list[bytes]]:
        return {
            o.key: gzip.decompress(o.body).splitlines()
            for o in self.objects
            if o.key.startswith("events_raw/")
        }

    def errors(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for o in self.objects
            if o.key.startswith("errors/")
            for line in gzip.decompress(o.body).splitlines()
        ]


def _engine() -> tuple[DeliveryEngine, S3Like]:
    sink = S3Like()
    counter = iter(range(10**9))
    engine = DeliveryEngine(
        sink,
        lambda _schema: list(ARTICLE_COLUMNS),
        clock=lambda: T0,
        random_string=lambda: f"uuid{next(counter):08d}",
    )
    engine.configure_stream("s", "1", article_destinations()["json"])
    return engine, sink


def _record(name: Any, tstamp: str) -> bytes:
    return json.dumps({"name": name, "tstamp": tstamp, "payload": "{}"}).encode()


def _expected_partition(name: Any, tstamp: str) -> str | None:
    """The partition value AWS's prefix would show, or None for the error output."""
    if tstamp not in VALID_TSTAMPS:
        return None
    if isinstance(name, bool):
        return "true" if name else "false"
    if isinstance(name, int):
        return str(name)
    if isinstance(name, str) and name:
        return name
    return None  # null, "", arrays and objects are not partition keys


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
NAMES = st.one_of(
    TEXT,
    st.sampled_from(
        ["!{timestamp:yyyy}", "!{firehose:random-string}", "../..", "a/b", "é ☕ 事件"]
    ),
    st.integers(-(10**15), 10**15),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(TEXT, st.integers(), max_size=2),
)
CASES = st.lists(
    st.one_of(
        st.tuples(NAMES, st.sampled_from(VALID_TSTAMPS + INVALID_TSTAMPS)),
        st.binary(max_size=24),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_every_record_lands_once_under_its_verbatim_value_or_in_the_error_output(
    cases: list[Any],
) -> None:
    engine, sink = _engine()
    records: list[bytes] = []
    expected: Counter[tuple[bytes, str | None]] = Counter()
    for case in cases:
        if isinstance(case, bytes):
            record, partition = case, None  # never a whole JSON object with name and tstamp
        else:
            record, partition = _record(*case), _expected_partition(*case)
        records.append(record)
        expected[(record, partition)] += 1
    engine.put_records("s", records)
    engine.flush()

    stats = engine.stats()["s"]
    assert stats["accepted"] == len(records) and stats["buffered"] == 0
    assert stats["delivered"] + stats["errored"] == len(records)
    landed: Counter[tuple[bytes, str | None]] = Counter()
    for key, lines in sink.data().items():
        rest = key.removeprefix("events_raw/json/name=")
        partition, _, name = rest.rpartition(f"/d={DATE}/")
        assert name.startswith("s-1-") and "/" not in name, key
        landed.update((line, partition) for line in lines)
    for document in sink.errors():
        assert document["errorCode"].startswith("DynamicPartitioning.")
        landed[(base64.b64decode(document["rawData"]), None)] += 1
    assert landed == expected


def test_partition_values_are_never_evaluated_as_expressions() -> None:
    engine, sink = _engine()
    engine.put_records(
        "s",
        [
            _record("!{timestamp:yyyy}", VALID_TSTAMPS[0]),
            _record("!{partitionKeyFromQuery:event_name}", VALID_TSTAMPS[0]),
        ],
    )
    engine.flush()
    assert sorted(k.rsplit("/", 1)[0] for k in sink.data()) == [
        f"events_raw/json/name=!{{partitionKeyFromQuery:event_name}}/d={DATE}",
        f"events_raw/json/name=!{{timestamp:yyyy}}/d={DATE}",
    ]


def test_a_key_s3_would_reject_goes_to_the_error_output_and_the_stream_goes_on() -> None:
    engine, sink = _engine()
    too_long = _record("事件" * 200, VALID_TSTAMPS[0])  # 400 characters, 1,200 bytes
    good = _record("account_created", VALID_TSTAMPS[0])
    engine.put_records("s", [too_long])
    engine.flush()
    engine.put_records("s", [good])
    engine.flush()
    stats = engine.stats()["s"]
    assert stats["buffered"] == 0, stats
    assert [base64.b64decode(d["rawData"]) for d in sink.errors()] == [too_long]
    assert [line for lines in sink.data().values() for line in lines] == [good]
