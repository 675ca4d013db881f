"""MetadataExtraction on the real jq library, batch-evaluated with per-record failures."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.firehose.errors import InvalidArgumentError
from sandbox.firehose.processors import ExtractionFailure, MetadataExtractor
from tests.unit.firehose.article import ARTICLE_QUERY

ARTICLE_RECORD = json.dumps(
    {
        "name": "anonymous_visited",
        "tstamp": "2023-06-18 14:27:52.000000",
        "payload": json.dumps({"dvce_os": "Android 4.3.1", "session_id": "FQMDaWRSHuZGMOJKzQIn"}),
        "payload_md5": "000016e7e672dddb6b7cdd607c4e372b",
    }
).encode()


def article() -> MetadataExtractor:
    return MetadataExtractor(ARTICLE_QUERY, ["event_name", "event_date"])


def test_the_articles_query_works() -> None:
    assert article().extract([ARTICLE_RECORD]) == [("anonymous_visited", "2023-06")]


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (b"not json", "Non JSON record provided"),
        (b"", "Non JSON record provided"),
        (b'{"name":"a"}{"name":"b"}', "Non JSON record provided"),
        (b"\xff\xfe{}", "Non JSON record provided"),
        (b"[1, 2]", "Cannot index array"),
        (b'{"name": "x"}', "split input and separator must be strings"),
        (b'{"name": "x", "tstamp": "yesterday.0"}', "does not match format"),
        (b'{"name": null, "tstamp": "2023-06-18 14:27:52.0"}', "Partition key 'event_name'"),
        (b'{"name": {"a": 1}, "tstamp": "2023-06-18 14:27:52.0"}', "Partition key"),
        (b'{"name": "", "tstamp": "2023-06-18 14:27:52.0"}', "Partition key"),
    ],
)
def test_bad_records_fail_alone(record: bytes, reason: str) -> None:
    results = article().extract([ARTICLE_RECORD, record, ARTICLE_RECORD])
    assert results[0] == results[2] == ("anonymous_visited", "2023-06")
    failure = results[1]
    assert isinstance(failure, ExtractionFailure)
    assert failure.code == "DynamicPartitioning.MetadataExtractionFailed"
    assert reason in failure.message


def test_records_that_would_shift_the_framing_are_isolated() -> None:
    # "[" opens an array that would swallow the next record; "1] [2" closes one early.
    records = [ARTICLE_RECORD, b"[", ARTICLE_RECORD, b"1] [2", ARTICLE_RECORD]
    results = article().extract(records)
    assert [isinstance(r, ExtractionFailure) for r in results] == [False, True, False, True, False]


def test_scalar_partition_values_become_text() -> None:
    extractor = MetadataExtractor("{a: .a, b: .b, c: .c}", ["a", "b", "c"])
    assert extractor.extract([b'{"a": 7, "b": true, "c": 1.5}']) == [("7", "true", "1.5")]


def test_query_with_several_or_no_results_fails() -> None:
    extractor = MetadataExtractor(".items[] | {k: .}", ["k"])
    results = extractor.extract([b'{"items": [1, 2]}', b'{"items": []}', b'{"items": [3]}'])
    assert isinstance(results[0], ExtractionFailure)
    assert isinstance(results[1], ExtractionFailure)
    assert results[2] == ("3",)


def test_invalid_query_is_an_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError):
        MetadataExtractor("{a: .a", ["a"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=30),
            st.builds(
                lambda n, t: json.dumps({"name": n, "tstamp": t}).encode(),
                st.text(max_size=8),
                st.sampled_from(["2023-06-18 14:27:52.0", "bad", "2021-01-01 00:00:00"]),
            ),
        ),
        max_size=40,
    )
)
def test_every_record_gets_exactly_one_result(records: list[bytes]) -> None:
    results = article().extract(records)
    assert len(results) == len(records)
    for record, result in zip(records, results, strict=True):
        expected = MetadataExtractor(ARTICLE_QUERY, ["event_name", "event_date"]).extract([record])
        assert result == expected[0]
