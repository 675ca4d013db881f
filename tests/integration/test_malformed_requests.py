"""Malformed Firehose requests on the running sandbox: AWS's 400s, never a 500, never data.

Each case is sent as raw HTTP (SigV4-signed by botocore, the headers an SDK sends) or through
boto3, to a stream that exists; the answer must be HTTP 400 with the JSON 1.1 error shape
(``{"__type": ..., "message": ...}`` and ``x-amzn-ErrorType``) and AWS's code, and the stream's
``accepted`` counter (``/_sandbox/firehose/stats``) must not move. Codes and messages are AWS's
(sources in ``sandbox/firehose/request_validation.py``): ``SerializationException`` for a body
that is not the operation's input (not JSON, ``[]``, invalid base64 in ``Data``, a number where
the name is a string), ``ValidationException`` for a broken constraint (``Data`` missing,
``DeliveryStreamName`` missing, longer than 64 characters or outside ``[a-zA-Z0-9_.-]+``),
``UnknownOperationException`` for a missing or unknown ``X-Amz-Target``.

PutRecordBatch calls that look plain to the short path (``fast_path``) are checked there; the
others go through the chain's check (``firehose_requests``): the test asserts both saw calls.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ParamValidationError

from sandbox.infra import admin
from tests.conftest import SandboxHandle
from tests.integration import lake

pytestmark = pytest.mark.integration

JSON_1_1 = "application/x-amz-json-1.1"
PREFIX = "Firehose_20150804."


@pytest.fixture(scope="module")
def stream(sandbox: SandboxHandle) -> str:
    name = f"malformed-{uuid.uuid4().hex[:8]}"
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=name)
    lake.create_stream(sandbox.client("firehose"), name, lake.plain_destination(name, "malformed/"))
    return name


def _send(
    sandbox: SandboxHandle, target: str | None, body: bytes, sign: bool = True
) -> requests.Response:
    """POST ``body`` to the endpoint as an SDK would, SigV4-signed for ``firehose``."""
    settings = sandbox.settings
    headers = {"Content-Type": JSON_1_1}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = AWSRequest(method="POST", url=settings.endpoint_url + "/", data=body, headers=headers)
    if sign:
        credentials = Credentials(settings.access_key_id, settings.secret_access_key)
        SigV4Auth(credentials, "firehose", settings.region).add_auth(request)
    return requests.post(
        settings.endpoint_url + "/", data=body, headers=dict(request.headers), timeout=60
    )


def _batch(name: Any, records: Any) -> bytes:
    document: dict[str, Any] = {"Records": records}
    if name is not None:
        document["DeliveryStreamName"] = name
    return json.dumps(document).encode()


def _accepted(sandbox: SandboxHandle, stream: str) -> int:
    return int(admin.stats(sandbox.settings).get(stream, {}).get("accepted", 0))


def _cases(stream: str) -> dict[str, tuple[str | None, bytes, str, str]]:
    """case -> (target, body, __type, start of the message)."""
    batch, single = PREFIX + "PutRecordBatch", PREFIX + "PutRecord"
    good = base64.b64encode(b"good").decode()
    return {
        "invalid base64 in Data": (
            batch,
            _batch(stream, [{"Data": good}, {"Data": "***"}]),
            "SerializationException",
            "'***' can not be converted to a Blob: Base64 encoded length is expected a "
            "multiple of 4 bytes but found: 3",
        ),
        "invalid base64 in PutRecord": (
            single,
            json.dumps({"DeliveryStreamName": stream, "Record": {"Data": "no*base64"}}).encode(),
            "SerializationException",
            "'no*base64' can not be converted to a Blob",
        ),
        "non-canonical base64": (
            batch,
            _batch(stream, [{"Data": "QR=="}]),
            "SerializationException",
            "'QR==' can not be converted to a Blob",
        ),
        "record without Data": (
            batch,
            _batch(stream, [{"Data": good}, {}]),
            "ValidationException",
            "1 validation error detected: Value null at 'records.2.member.data' failed to "
            "satisfy constraint: Member must not be null",
        ),
        "PutRecord without Data": (
            single,
            json.dumps({"DeliveryStreamName": stream, "Record": {}}).encode(),
            "ValidationException",
            "1 validation error detected: Value null at 'record.data'",
        ),
        "empty Records": (
            batch,
            _batch(stream, []),
            "ValidationException",
            "1 validation error detected: Value '[]' at 'records' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1",
        ),
        "missing DeliveryStreamName": (
            batch,
            _batch(None, [{"Data": good}]),
            "ValidationException",
            "1 validation error detected: Value null at 'deliveryStreamName' failed to "
            "satisfy constraint: Member must not be null",
        ),
        "numeric DeliveryStreamName": (
            batch,
            _batch(123, [{"Data": good}]),
            "SerializationException",
            "NUMBER_VALUE can not be converted to a String",
        ),
        "65-character DeliveryStreamName": (
            batch,
            _batch("a" * 65, [{"Data": good}]),
            "ValidationException",
            f"1 validation error detected: Value '{'a' * 65}' at 'deliveryStreamName' failed "
            "to satisfy constraint: Member must have length less than or equal to 64",
        ),
        "DeliveryStreamName outside the pattern": (
            PREFIX + "DescribeDeliveryStream",
            json.dumps({"DeliveryStreamName": "a b"}).encode(),
            "ValidationException",
            "1 validation error detected: Value 'a b' at 'deliveryStreamName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z0-9_.-]+",
        ),
        "empty body": (batch, b"", "SerializationException", ""),
        "truncated JSON": (
            batch,
            _batch(stream, [{"Data": good}])[:-7],
            "SerializationException",
            "",
        ),
        "JSON array body": (batch, b"[]", "SerializationException", "Start of list found"),
        "garbage 10 MB body": (
            batch,
            bytes(range(256)) * (10 * 1024 * 1024 // 256),
            "SerializationException",
            "",
        ),
        "unknown X-Amz-Target": (
            PREFIX + "PutRecords",
            _batch(stream, [{"Data": good}]),
            "UnknownOperationException",
            "X-Amz-Target 'Firehose_20150804.PutRecords' names no Firehose operation.",
        ),
        "missing X-Amz-Target": (
            None,
            _batch(stream, [{"Data": good}]),
            "UnknownOperationException",
            "",
        ),
    }


CASES = sorted(_cases("s"))


@pytest.mark.parametrize("case", CASES)
def test_malformed_requests_get_aws_400s_and_accept_nothing(
    sandbox: SandboxHandle, stream: str, case: str
) -> None:
    target, body, code, message = _cases(stream)[case]
    before = _accepted(sandbox, stream)
    response = _send(sandbox, target, body)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    document = response.json()
    assert document["__type"] == code
    assert isinstance(document["message"], str) and document["message"].startswith(message)
    assert response.headers["x-amzn-ErrorType"].startswith(code)
    assert response.headers["Content-Type"].startswith(JSON_1_1)
    assert _accepted(sandbox, stream) == before


def test_the_same_errors_reach_boto3(sandbox: SandboxHandle, stream: str) -> None:
    """What an SDK sees: a ClientError with AWS's code; nothing is accepted."""
    firehose = sandbox.client("firehose")
    before = _accepted(sandbox, stream)
    for name, code in (("a" * 65, "ValidationException"), ("a/b", "ValidationException")):
        with pytest.raises(ClientError) as raised:
            firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"x"}])
        assert raised.value.response["Error"]["Code"] == code
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as raised:
            firehose.put_record(DeliveryStreamName=name, Record={"Data": b"x"})
        assert raised.value.response["Error"]["Code"] == code
    # boto3 validates what it can before sending (missing Data, empty name): the client refuses
    with pytest.raises(ParamValidationError):
        firehose.put_record_batch(DeliveryStreamName=stream, Records=[{}])
    assert _accepted(sandbox, stream) == before
    # a valid call on the same stream is still accepted, through either path
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"ok"}])
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"ok"})
    assert _accepted(sandbox, stream) == before + 2


def test_unsigned_and_valid_requests_are_left_to_the_normal_chain(
    sandbox: SandboxHandle, stream: str
) -> None:
    """The check only refuses; a valid raw call is answered as before (200)."""
    good = base64.b64encode(b"raw").decode()
    before = _accepted(sandbox, stream)
    response = _send(sandbox, PREFIX + "PutRecordBatch", _batch(stream, [{"Data": good}] * 3))
    assert response.status_code == 200, response.text
    assert response.json()["FailedPutCount"] == 0
    response = _send(
        sandbox,
        PREFIX + "PutRecord",
        json.dumps({"DeliveryStreamName": stream, "Record": {"Data": ""}}).encode(),
    )
    assert response.status_code == 200, response.text
    assert _accepted(sandbox, stream) == before + 4
