"""The chain handler that answers malformed Firehose requests (``firehose_requests``) and the
short path's refusal of them (``fast_path._records``), in-process on LocalStack's own request
context, response and serializer (no server): the generic path and the fast path give the same
answer, AWS's 400, and leave valid requests alone."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from localstack.aws.api import RequestContext
from localstack.http import Request, Response

from sandbox.localstack_plugin import fast_path, firehose_requests

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/firehose/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
)


class _Chain:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


def _call(target: str | None, body: bytes, auth: str = AUTH) -> tuple[_Chain, Response]:
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": auth,
        "Accept": "*/*",  # what requests and curl send
    }
    if target is not None:
        headers["X-Amz-Target"] = target
    context = RequestContext(Request("POST", "/", headers=headers, body=body))
    context.request_id = "req-1"
    chain, response = _Chain(), Response()
    firehose_requests.handle(chain, context, response)
    return chain, response


def _batch(name: Any, data: list[Any]) -> bytes:
    return json.dumps({"DeliveryStreamName": name, "Records": [{"Data": d} for d in data]}).encode()


@pytest.mark.parametrize(
    ("target", "body", "code"),
    [
        ("Firehose_20150804.PutRecordBatch", _batch("s", ["***"]), "SerializationException"),
        ("Firehose_20150804.PutRecordBatch", _batch(123, ["aGk="]), "SerializationException"),
        ("Firehose_20150804.PutRecordBatch", _batch("a" * 65, ["aGk="]), "ValidationException"),
        ("Firehose_20150804.PutRecordBatch", b"[]", "SerializationException"),
        ("Firehose_20150804.PutRecordBatch", b"", "SerializationException"),
        ("Firehose_20150804.PutRecords", b"{}", "UnknownOperationException"),
        (None, b"{}", "UnknownOperationException"),
    ],
)
def test_malformed_requests_are_answered_before_the_parser(
    target: str | None, body: bytes, code: str
) -> None:
    chain, response = _call(target, body)
    assert chain.stopped
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == code
    assert response.headers["Content-Type"] == "application/x-amz-json-1.1"
    document = json.loads(response.data)
    assert document["__type"] == code and document["message"]
    # the short path refuses the same bodies, so it never accepts them either
    assert fast_path._records(body) is None


def test_valid_requests_and_other_services_are_left_alone() -> None:
    body = _batch("s", [base64.b64encode(b"x").decode()])
    chain, response = _call("Firehose_20150804.PutRecordBatch", body)
    assert not chain.stopped and not response.data
    assert fast_path._records(body) == ("s", [b"x"])
    other = AUTH.replace("/firehose/", "/kinesis/")
    chain, response = _call("Kinesis_20131202.PutRecord", b"[]", auth=other)
    assert not chain.stopped and not response.data
