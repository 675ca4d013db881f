"""PutRecordBatch through the sandbox's short path: taken for SDK calls, same AWS answers.

The Firehose delivery tests exercise the records' fate; these check the path itself on the
running sandbox: an SDK batch is answered by the short path (the LocalStack log says so) and
lands, while malformed or invalid calls still get LocalStack's and AWS's errors.
"""

from __future__ import annotations

import base64
import http.client
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.infra import admin
from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/firehose/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
)


def _raw(sandbox: SandboxHandle, body: bytes) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection(
        sandbox.settings.host, sandbox.settings.port, timeout=30
    )
    try:
        connection.request(
            "POST",
            "/",
            body=body,
            headers={
                "X-Amz-Target": "Firehose_20150804.PutRecordBatch",
                "Content-Type": "application/x-amz-json-1.1",
                "Authorization": AUTH,
                "X-Amz-Date": "20260101T000000Z",
            },
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def _body(stream: str, records: list[bytes]) -> bytes:
    return json.dumps(
        {
            "DeliveryStreamName": stream,
            "Records": [{"Data": base64.b64encode(r).decode()} for r in records],
        }
    ).encode()


def test_an_sdk_batch_takes_the_short_path_and_is_delivered(sandbox: SandboxHandle) -> None:
    stream = sandbox.outputs.json_stream
    run = uuid.uuid4().hex
    records = [
        json.dumps({"name": f"fast_{run}", "tstamp": "2023-06-01 00:00:00.000000", "i": i}).encode()
        for i in range(20)
    ]
    before = admin.stats(sandbox.settings).get(stream, {})
    response = sandbox.client("firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": r} for r in records]
    )
    assert response["FailedPutCount"] == 0
    assert response["Encrypted"] is True
    ids = [entry["RecordId"] for entry in response["RequestResponses"]]
    assert len(ids) == len(set(ids)) == 20
    admin.flush(sandbox.settings, stream)
    after = admin.stats(sandbox.settings)[stream]
    assert after["delivered"] - before.get("delivered", 0) == 20
    log = sandbox.settings.state.log_file.read_text(errors="replace")
    assert "Firehose PutRecordBatch takes the sandbox's short path" in log


def test_a_raw_batch_gets_the_sdk_answer_shape(sandbox: SandboxHandle) -> None:
    stream = sandbox.outputs.json_stream
    record = b'{"name": "fast_path_raw", "tstamp": "2023-06-01 00:00:00.000000"}'
    status, headers, document = _raw(sandbox, _body(stream, [record]))
    # Deliver it now: other tests count the objects their own flush writes.
    admin.flush(sandbox.settings, stream)
    assert status == 200
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert headers.get("x-amzn-RequestId") or headers.get("X-Amzn-Requestid")
    assert set(document) == {"FailedPutCount", "Encrypted", "RequestResponses"}
    assert len(document["RequestResponses"][0]["RecordId"]) == 48


@pytest.mark.parametrize(
    ("records", "code"),
    [
        ([b"x"] * 501, "ValidationException"),
        ([], "ValidationException"),
        ([b"x" * 1_024_001], "ValidationException"),
    ],
    ids=["501 records", "no records", "record over 1,000 KiB"],
)
def test_invalid_batches_keep_awss_errors(sandbox: SandboxHandle, records, code) -> None:
    status, _headers, document = _raw(sandbox, _body(sandbox.outputs.json_stream, records))
    assert status == 400
    assert document["__type"] == code


def test_an_unknown_stream_keeps_resource_not_found(sandbox: SandboxHandle) -> None:
    with pytest.raises(ClientError) as raised:
        sandbox.client("firehose").put_record_batch(
            DeliveryStreamName=f"missing-{uuid.uuid4().hex[:8]}", Records=[{"Data": b"{}"}]
        )
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
