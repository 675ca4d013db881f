"""Bad input through the delivery engine alone: the JQ partitioning path, property-tested.

Complements ``tests/unit/firehose`` (the parser, formatter and extractor on their own, and the
fuzzed accounting invariant): here arbitrary JSON values for the partition key and arbitrary
bytes go through the article's JSON destination end to end, and every record must land exactly
once, either under the key that spells its value verbatim or in the error output. The sink
behaves like S3 for keys (at most 1,024 UTF-8 bytes, "Naming Amazon S3 objects").

Then pathological records (nested thousands deep, numbers past any double, ``NaN`` and
``Infinity`` tokens, invalid UTF-8, duplicate keys) through the article's Parquet and JSON
destinations: each one fails alone, in its own error document, and the good records of the same
buffer are delivered (a record nested 9,998 deep once sent a whole Parquet buffer to the error
output as ``DataFormatConversion.InvalidSchema``).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from collections import Counter
from typing import Any

import pyarrow.parquet as pq
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

    def rows(self) -> list[dict[str, Any]]:
        """The rows of every Parquet data object."""
        return [
            row
            for o in self.objects
            if o.key.startswith("events_raw/parquet/")
            for row in pq.read_table(io.BytesIO(o.body)).to_pylist()
        ]

    def errors(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for o in self.objects
            if o.key.startswith("errors/")
            for line in _maybe_gunzip(o.body).splitlines()
        ]


def _maybe_gunzip(body: bytes) -> bytes:
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


def _engine(stream: str = "json") -> tuple[DeliveryEngine, S3Like]:
    sink = S3Like()
    counter = iter(range(10**9))
    engine = DeliveryEngine(
        sink,
        lambda _schema: list(ARTICLE_COLUMNS),
        clock=lambda: T0,
        random_string=lambda: f"uuid{next(counter):08d}",
    )
    engine.configure_stream("s", "1", _destination(stream))
    return engine, sink


def _destination(stream: str) -> dict[str, Any]:
    """An article stream; ``parquet-plain``: the Parquet one without JQ partitioning, so that
    every record reaches the converter."""
    if stream != "parquet-plain":
        return article_destinations()[stream]
    destination = dict(article_destinations()["parquet"])
    del destination["ProcessingConfiguration"], destination["DynamicPartitioningConfiguration"]
    destination["Prefix"] = "events_raw/parquet/"
    destination["ErrorOutputPrefix"] = "errors/parquet/!{firehose:error-output-type}/"
    return destination


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


# --- pathological records: each fails alone, the rest of the buffer is delivered ---------------

GOOD_TSTAMP = VALID_TSTAMPS[0]


def _raw_record(payload: str, ident: str, prefix: str = "") -> bytes:
    """A record whose ``payload`` member is the raw JSON text ``payload`` (not re-encoded)."""
    return (
        f'{{{prefix}"name": "account_created", "tstamp": "{GOOD_TSTAMP}", '
        f'"payload": {payload}, "payload_md5": "{ident}"}}'
    ).encode()


def _good(n: int) -> list[bytes]:
    return [_raw_record(json.dumps(f"fine {i}"), f"good-{i}") for i in range(n)]


def _outcome(sink: S3Like) -> tuple[list[str], list[tuple[bytes, str]]]:
    """The payload_md5 of every delivered row, and (rawData, error code) of every error."""
    delivered = [row["payload_md5"] for row in sink.rows()]
    errors = [
        (
            base64.b64decode(d["rawData"]),
            d.get("lastErrorCode") or d.get("errorCode") or "",
        )
        for d in sink.errors()
    ]
    return delivered, errors


def test_a_record_nested_too_deep_fails_alone_and_the_parquet_buffer_is_delivered() -> None:
    engine, sink = _engine("parquet-plain")
    # 10,000 deep: past Python's JSON parser (a RecursionError, which used to escape the
    # converter and send the whole buffer to the error output as InvalidSchema)
    deep = _raw_record("[" * 10_000 + "]" * 10_000, "deep")
    good = _good(5)
    engine.put_records("s", [*good[:2], deep, *good[2:]])
    engine.flush()
    delivered, errors = _outcome(sink)
    assert sorted(delivered) == [f"good-{i}" for i in range(5)]
    assert errors == [(deep, "DataFormatConversion.ParseError")]
    stats = engine.stats()["s"]
    assert (stats["delivered"], stats["errored"], stats["buffered"]) == (5, 1, 0)


def test_nan_and_infinity_are_malformed_json_for_the_hive_serde() -> None:
    """HiveJsonSerDe parses with Jackson, ALLOW_NON_NUMERIC_NUMBERS off: the record fails."""
    engine, sink = _engine("parquet")
    bad = [_raw_record(token, f"bad-{token}") for token in ("NaN", "Infinity", "-Infinity")]
    engine.put_records("s", [*_good(2), *bad])
    engine.flush()
    delivered, errors = _outcome(sink)
    assert sorted(delivered) == ["good-0", "good-1"]
    assert sorted(errors) == sorted((r, "DataFormatConversion.ParseError") for r in bad)
    documents = [d for d in sink.errors() if "Non-standard token 'NaN'" in d["lastErrorMessage"]]
    assert len(documents) == 1


def test_pathological_records_fail_alone_on_the_jq_path() -> None:
    """The JSON stream: jq's limits (depth), invalid UTF-8 and non-objects fail one by one."""
    engine, sink = _engine("json")
    bad = [
        _raw_record("[" * 10_001 + "]" * 10_001, "too-deep-for-jq"),
        _raw_record('"X"', "bad-utf8").replace(b'"X"', bytes([34, 0xFF, 34])),
        b"[" * 50_000,
        b"\xff\xfe\x00",
    ]
    good = _good(3)
    engine.put_records("s", [*bad[:2], *good, *bad[2:]])
    engine.flush()
    delivered = [line for lines in sink.data().values() for line in lines]
    assert sorted(delivered) == sorted(good)
    assert sorted(base64.b64decode(d["rawData"]) for d in sink.errors()) == sorted(bad)


def test_numbers_past_a_double_are_partitioned_as_jq_prints_them() -> None:
    engine, sink = _engine("json")
    records = [
        json.dumps({"name": n, "tstamp": GOOD_TSTAMP}).encode()
        for n in (1.5e308, 123456789012345678901234567890, 1e-5)
    ]
    engine.put_records("s", records)
    engine.flush()
    partitions = sorted(k.split("/")[2] for k in sink.data())
    assert partitions == ["name=1.5e+308", "name=123456789012345680000000000000", "name=1e-05"]


PAYLOADS = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=16).map(json.dumps),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-0", "1" * 400, "null", "{}"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(json.dumps),
    st.sampled_from([10, 2_000, 9_998, 10_001]).map(lambda d: "[" * d + "]" * d),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=8,
    ).map(json.dumps),
)
SHAPES = st.lists(
    st.one_of(
        st.tuples(PAYLOADS, st.sampled_from(["", '"name": "dup", '])),  # duplicate key: last wins
        st.binary(max_size=32),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SHAPES, st.sampled_from(["parquet", "parquet-plain", "json"]))
def test_random_shapes_land_exactly_once_and_good_records_are_never_taken_down(
    cases: list[Any], stream: str
) -> None:
    engine, sink = _engine(stream)
    records: list[bytes] = []
    must_deliver: list[bytes] = []
    for i, case in enumerate(cases):
        if isinstance(case, bytes):
            records.append(case)
            continue
        payload, prefix = case
        record = _raw_record(payload, f"id-{i}", prefix)
        records.append(record)
        if payload.startswith('"'):  # a plain string payload fits both destinations
            must_deliver.append(record)
    engine.put_records("s", records)
    engine.flush()

    stats = engine.stats()["s"]
    assert stats["buffered"] == 0 and stats["delivered"] + stats["errored"] == len(records)
    errored = Counter(base64.b64decode(d["rawData"]) for d in sink.errors())
    if stream.startswith("parquet"):
        # Raw byte cases carry no id: one that happens to be a JSON object (b"{}") is a row of
        # NULLs, as the OpenX SerDe makes it; they are counted in the totals below only.
        by_id = {r: f"id-{i}" for i, r in enumerate(records) if not isinstance(cases[i], bytes)}
        delivered_ids = Counter(row["payload_md5"] for row in sink.rows())
        assert all(count == 1 for ident, count in delivered_ids.items() if ident is not None)
        for record, ident in by_id.items():
            assert delivered_ids[ident] + errored[record] >= 1, record[:80]
        assert sum(delivered_ids.values()) + sum(errored.values()) == len(records)
        for record in must_deliver:
            assert delivered_ids[by_id[record]] == 1, record[:80]
    else:
        delivered = Counter(line for lines in sink.data().values() for line in lines)
        assert delivered + errored == Counter(records)
        for record in must_deliver:
            assert delivered[record] == 1, record[:80]


def test_nan_and_infinity_are_strings_for_the_openx_serde() -> None:
    """OpenXJsonSerDe's org.json tokenizer keeps unquoted tokens as strings (stringToValue)."""
    from sandbox.firehose.conversion import MALFORMED_DATA, Converter

    converter = Converter(
        {
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
        }
    )
    columns = [("s", "string"), ("d", "double"), ("i", "int")]
    result = converter.convert(
        [b'{"s": NaN, "d": -Infinity}', b'{"s": "ok", "i": Infinity}'], columns
    )
    assert result.converted == 1 and result.body is not None
    assert [(f.index, f.code) for f in result.failures] == [(1, MALFORMED_DATA)]
    (row,) = pq.read_table(io.BytesIO(result.body)).to_pylist()
    assert row["s"] == "NaN" and row["d"] == float("-inf") and row["i"] is None
