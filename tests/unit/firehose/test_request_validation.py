"""The Firehose API's wire-level checks (``sandbox.firehose.request_validation``), alone.

The model is botocore's Firehose service model, the one LocalStack serves; the expected codes
and texts are AWS's (see the module's docstring for the sources).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.session
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.firehose.errors import FirehoseError
from sandbox.firehose.request_validation import (
    SerializationError,
    decode_blob,
    parse_request,
    stream_name_violations,
)
from tests.unit.firehose.article import article_destinations

SERVICE = botocore.session.get_session().get_service_model("firehose")
BATCH = "Firehose_20150804.PutRecordBatch"


def _error(target: str | None, body: bytes) -> tuple[str, str]:
    with pytest.raises(FirehoseError) as raised:
        parse_request(target, body, SERVICE)
    return raised.value.code, raised.value.message


def _batch(name: Any = "s", records: Any = None) -> bytes:
    document: dict[str, Any] = {"Records": [{"Data": "aGk="}] if records is None else records}
    if name is not None:
        document["DeliveryStreamName"] = name
    return json.dumps(document).encode()


MALFORMED = {
    # case: (target, body, code, message or its start)
    "invalid base64 '***'": (
        BATCH,
        _batch(records=[{"Data": "***"}]),
        "SerializationException",
        "'***' can not be converted to a Blob: Base64 encoded length is expected a multiple "
        "of 4 bytes but found: 3",
    ),
    "invalid base64 character": (
        BATCH,
        _batch(records=[{"Data": "ab*="}]),
        "SerializationException",
        "'ab*=' can not be converted to a Blob: Invalid Base64 character: '*'",
    ),
    "record without Data": (
        BATCH,
        _batch(records=[{}]),
        "ValidationException",
        "1 validation error detected: Value null at 'records.1.member.data' failed to satisfy "
        "constraint: Member must not be null",
    ),
    "Data not a string": (
        BATCH,
        _batch(records=[{"Data": 12}]),
        "SerializationException",
        "NUMBER_VALUE can not be converted to a Blob",
    ),
    "empty Records": (
        BATCH,
        _batch(records=[]),
        "ValidationException",
        "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    ),
    "Records not a list": (
        BATCH,
        _batch(records={"Data": "aGk="}),
        "SerializationException",
        "Start of structure or map found where not expected.",
    ),
    "missing DeliveryStreamName": (
        BATCH,
        _batch(name=None),
        "ValidationException",
        "1 validation error detected: Value null at 'deliveryStreamName' failed to satisfy "
        "constraint: Member must not be null",
    ),
    "numeric DeliveryStreamName": (
        BATCH,
        _batch(name=123),
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String",
    ),
    "65-character DeliveryStreamName": (
        BATCH,
        _batch(name="a" * 65),
        "ValidationException",
        f"1 validation error detected: Value '{'a' * 65}' at 'deliveryStreamName' failed to "
        "satisfy constraint: Member must have length less than or equal to 64",
    ),
    "DeliveryStreamName outside the pattern": (
        BATCH,
        _batch(name="a/b"),
        "ValidationException",
        "1 validation error detected: Value 'a/b' at 'deliveryStreamName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    ),
    "empty body": (BATCH, b"", "SerializationException", "The request body is empty"),
    "truncated JSON": (BATCH, b'{"DeliveryStreamName": "s", "Rec', "SerializationException", ""),
    "JSON array body": (BATCH, b"[]", "SerializationException", "Start of list found"),
    "JSON scalar body": (BATCH, b"42", "SerializationException", "Expected null"),
    "garbage body": (BATCH, bytes(range(256)) * 40, "SerializationException", ""),
    "NaN in the body": (BATCH, b'{"DeliveryStreamName": NaN}', "SerializationException", ""),
    "body nested 100,000 deep": (
        BATCH,
        b'{"DeliveryStreamName": "s", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "SerializationException",
        "",
    ),
    "unknown operation": (
        "Firehose_20150804.PutRecords",
        b"{}",
        "UnknownOperationException",
        "X-Amz-Target 'Firehose_20150804.PutRecords' names no Firehose operation.",
    ),
    "another service's target": (
        "Kinesis_20131202.PutRecord",
        b"{}",
        "UnknownOperationException",
        "",
    ),
    "no X-Amz-Target": (None, b"{}", "UnknownOperationException", "The request has no"),
    "bad enum at creation": (
        "Firehose_20150804.CreateDeliveryStream",
        b'{"DeliveryStreamName": "x", "DeliveryStreamType": "Bogus"}',
        "ValidationException",
        "1 validation error detected: Value 'Bogus' at 'deliveryStreamType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_get_aws_codes_and_messages(case: str) -> None:
    target, body, code, message = MALFORMED[case]
    got_code, got_message = _error(target, body)
    assert got_code == code
    assert got_message.startswith(message) and got_message


def test_every_violation_is_listed_in_one_message() -> None:
    code, message = _error(BATCH, _batch(name="", records=[]))
    assert code == "ValidationException"
    assert message.startswith("3 validation errors detected: ")
    assert message.count("failed to satisfy constraint") == 3


def test_valid_requests_parse_with_their_blobs_decoded() -> None:
    records = [{"Data": base64.b64encode(b"x" * n).decode()} for n in (0, 1, 2, 3, 1_024_000)]
    name, params = parse_request(BATCH, _batch(records=records), SERVICE)
    assert name == "PutRecordBatch"
    assert [r["Data"] for r in params["Records"]] == [b"x" * n for n in (0, 1, 2, 3, 1_024_000)]
    assert parse_request("Firehose_20150804.ListDeliveryStreams", b"{}", SERVICE) == (
        "ListDeliveryStreams",
        {},
    )


def test_unknown_members_and_nulls_are_ignored_as_coral_does() -> None:
    body = b'{"DeliveryStreamName": "s", "Record": {"Data": "", "Extra": 1}, "Other": null}'
    _, params = parse_request("Firehose_20150804.PutRecord", body, SERVICE)
    assert params == {"DeliveryStreamName": "s", "Record": {"Data": b""}}


@pytest.mark.parametrize("stream", ["json", "parquet"])
def test_the_articles_terraform_streams_pass_creation_checks(stream: str) -> None:
    body = json.dumps(
        {
            "DeliveryStreamName": f"events_{stream}",
            "DeliveryStreamType": "DirectPut",
            "ExtendedS3DestinationConfiguration": article_destinations()[stream],
        }
    ).encode()
    name, _ = parse_request("Firehose_20150804.CreateDeliveryStream", body, SERVICE)
    assert name == "CreateDeliveryStream"


def test_stream_name_rule_of_the_short_path_is_the_models() -> None:
    shape = SERVICE.shape_for("DeliveryStreamName")
    assert (shape.metadata["min"], shape.metadata["max"]) == (1, 64)
    assert shape.metadata["pattern"] == "[a-zA-Z0-9_.-]+"
    assert stream_name_violations("events_json-1.0") == []
    assert len(stream_name_violations("")) == 2
    assert len(stream_name_violations("é")) == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_canonical_base64_round_trips(data: bytes) -> None:
    assert decode_blob(base64.b64encode(data).decode()) == data


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_any_text_decodes_only_if_it_is_canonical_base64(text: str) -> None:
    try:
        canonical = base64.b64encode(base64.b64decode(text, validate=True)).decode() == text
    except ValueError:
        canonical = False
    try:
        decode_blob(text)
    except SerializationError:
        assert not canonical
    else:
        assert canonical


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([*sorted(SERVICE.operation_names), "Nope"]),
    st.one_of(JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=64)),
)
def test_any_request_parses_or_raises_an_aws_error(operation: str, body: bytes) -> None:
    try:
        parse_request(f"Firehose_20150804.{operation}", body, SERVICE)
    except FirehoseError as error:
        assert error.code in {
            "SerializationException",
            "UnknownOperationException",
            "ValidationException",
        }
        assert error.message
