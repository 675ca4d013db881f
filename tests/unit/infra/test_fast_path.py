"""The PutRecordBatch short path: what it takes, what it leaves to LocalStack, what it answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from localstack.aws.api import CommonServiceException, RequestContext
from localstack.aws.api.firehose import ResourceNotFoundException
from localstack.aws.protocol.serializer import create_serializer
from localstack.aws.spec import load_service
from localstack.http import Request, Response
from rolo.gateway.chain import HandlerChain

from sandbox.firehose import api
from sandbox.localstack_plugin import fast_path, runtime
from sandbox.settings import PluginSettings

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/firehose/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc"
)
RECORDS = [b'{"name": "a"}', b'{"name": "b"}\n', b"\x00\xffbinary"]


class FakeProvider:
    def __init__(self, encrypted: bool | None = True, error: Exception | None = None) -> None:
        self.encrypted = encrypted
        self.error = error
        self.calls: list[tuple[str, str, str, list[bytes]]] = []

    def accept_batch(self, context: RequestContext, name: str, data: list[bytes]) -> dict | None:
        if self.error is not None:
            raise self.error
        self.calls.append((context.account_id, context.region, name, data))
        if self.encrypted is None:
            return None
        return api.batch_response(self.encrypted, len(data))


def body(name: Any = "events_json", records: Any = None) -> bytes:
    records = RECORDS if records is None else records
    return json.dumps(
        {
            "DeliveryStreamName": name,
            "Records": [{"Data": base64.b64encode(r).decode()} for r in records],
        }
    ).encode()


def call(
    provider: FakeProvider | None,
    payload: bytes,
    headers: dict[str, str] | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[HandlerChain, RequestContext, Response]:
    all_headers = {
        "X-Amz-Target": "Firehose_20150804.PutRecordBatch",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": AUTH,
    }
    all_headers.update(headers or {})
    all_headers = {k: v for k, v in all_headers.items() if v is not None}
    context = RequestContext(request=Request("POST", "/", headers=all_headers, body=payload))
    chain = HandlerChain([], [], [], [])
    response = Response()
    assert monkeypatch is not None
    plugin = runtime.PluginRuntime(PluginSettings())
    plugin.firehose = provider  # type: ignore[assignment]
    monkeypatch.setattr(runtime, "_current", plugin)
    monkeypatch.setattr(
        "localstack.services.plugins.SERVICE_PLUGINS.is_running", lambda name: name == "firehose"
    )
    fast_path.handle_put_record_batch(chain, context, response)
    return chain, context, response


def test_a_plain_batch_is_accepted_and_answered_as_localstacks_serializer_would(monkeypatch):
    provider = FakeProvider(encrypted=True)
    chain, context, response = call(provider, body(), monkeypatch=monkeypatch)
    assert chain.stopped
    assert provider.calls == [("000000000000", "eu-west-1", "events_json", RECORDS)]
    document = json.loads(response.data)
    assert document["FailedPutCount"] == 0 and document["Encrypted"] is True
    assert len(document["RequestResponses"]) == len(RECORDS)
    # Byte for byte what the skeleton's serializer writes for the same answer.
    service = load_service("firehose")
    expected = create_serializer(service).serialize_to_response(
        document,
        service.operation_model("PutRecordBatch"),
        context.request.headers,
        context.request_id,
    )
    assert response.status_code == expected.status_code == 200
    assert response.data == expected.data
    for header in ("Content-Type", "Content-Length", "x-amzn-RequestId"):
        assert response.headers[header] == expected.headers[header]
    # The response handlers see the call as the skeleton would have left it.
    assert context.operation.name == "PutRecordBatch"
    assert context.service.service_name == "firehose"
    assert context.service_request["Records"] == [{"Data": r} for r in RECORDS]
    assert context.service_response == document


def test_another_content_type_uses_localstacks_serializer(monkeypatch):
    chain, context, response = call(
        FakeProvider(encrypted=False),
        body(),
        headers={"Content-Type": "application/json", "Accept": "application/cbor"},
        monkeypatch=monkeypatch,
    )
    assert chain.stopped
    service = load_service("firehose")
    expected = create_serializer(service).serialize_to_response(
        context.service_response,
        service.operation_model("PutRecordBatch"),
        context.request.headers,
        context.request_id,
    )
    assert response.headers["Content-Type"] == expected.headers["Content-Type"]
    assert response.headers["Content-Type"] != "application/x-amz-json-1.1"
    assert response.data == expected.data


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        (body(), {"X-Amz-Target": "Firehose_20150804.PutRecord"}),
        (body(), {"Authorization": None}),
        (body(), {"Authorization": AUTH.replace("/firehose/", "/s3/")}),
        (body(), {"Content-Encoding": "gzip"}),
        (b"not json", {}),
        (b"[]", {}),
        (body(name=None), {}),
        (body(records=[]), {}),
        (body(records=[b"x"] * 501), {}),
        (b'{"DeliveryStreamName": "s", "Records": [{}]}', {}),
        (b'{"DeliveryStreamName": "s", "Records": [{"Data": "!!!"}]}', {}),
        (b'{"DeliveryStreamName": "s", "Records": [{"Data": "eA==", "Other": 1}]}', {}),
        (b'{"DeliveryStreamName": "s", "Records": [{"Data": "eA=="}], "Extra": 1}', {}),
    ],
    ids=[
        "other operation",
        "no authorization",
        "other service",
        "encoded body",
        "not json",
        "not an object",
        "no stream name",
        "no records",
        "too many records",
        "record without data",
        "invalid base64",
        "extra record member",
        "extra member",
    ],
)
def test_anything_unusual_is_left_to_localstack(monkeypatch, payload, headers):
    provider = FakeProvider()
    chain, _, response = call(provider, payload, headers=headers, monkeypatch=monkeypatch)
    assert not chain.stopped
    assert provider.calls == []
    assert response.data == b""


@pytest.mark.parametrize(
    "error",
    [
        ResourceNotFoundException("Firehose nope under account 000000000000 not found."),
        CommonServiceException("ValidationException", "too big", status_code=400),
    ],
)
def test_a_provider_error_is_answered_by_the_normal_chain(monkeypatch, error):
    chain, _, response = call(FakeProvider(error=error), body(), monkeypatch=monkeypatch)
    assert not chain.stopped
    assert response.data == b""


def test_a_stream_the_sandbox_does_not_deliver_goes_to_localstacks_provider(monkeypatch):
    chain, _, _ = call(FakeProvider(encrypted=None), body(), monkeypatch=monkeypatch)
    assert not chain.stopped


def test_no_provider_means_no_short_path(monkeypatch):
    chain, _, _ = call(None, body(), monkeypatch=monkeypatch)
    assert not chain.stopped
    assert runtime.current().fast_path_counters["skipped:no provider"] == 1


def test_calls_taken_and_skipped_are_counted_on_the_runtime(monkeypatch):
    call(FakeProvider(), body(), monkeypatch=monkeypatch)
    counters = runtime.current().fast_path_counters
    assert counters["handled"] == 1
    call(FakeProvider(), b"not json", monkeypatch=monkeypatch)
    assert runtime.current().fast_path_counters["skipped:body"] == 1


@pytest.mark.parametrize("short_path_first", [True, False])
def test_the_short_path_goes_once_before_the_request_checks(
    monkeypatch: pytest.MonkeyPatch, short_path_first: bool
) -> None:
    from localstack.aws.handlers import preprocess_request

    from sandbox.localstack_plugin import firehose_requests

    ours = (fast_path.handle_put_record_batch, firehose_requests.handle)
    others = [h for h in preprocess_request.handlers if h not in ours]
    monkeypatch.setattr(preprocess_request, "handlers", others)
    installs = [fast_path.install, firehose_requests.install]
    for install in (installs if short_path_first else installs[::-1]) * 2:
        install()
    assert [h for h in preprocess_request.handlers if h in ours] == list(ours)
