"""A fake Firehose client: records every PutRecordBatch call and plays scripted failures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

Action = Callable[[list[bytes]], Any]


def client_error(code: str, status: int = 400, operation: str = "PutRecordBatch") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def fail_entries(*indexes: int, code: str = "ServiceUnavailableException") -> Action:
    """A partial failure: the entries at ``indexes`` of this call fail."""

    def action(data: list[bytes]) -> dict:
        responses = [
            {"ErrorCode": code, "ErrorMessage": "slow down"}
            if i in indexes
            else {"RecordId": f"id-{i}"}
            for i in range(len(data))
        ]
        return {"FailedPutCount": len(indexes), "Encrypted": False, "RequestResponses": responses}

    return action


def fail_records(*records: bytes, code: str = "InternalFailure") -> Action:
    """A partial failure for the given record contents, wherever they are in the call."""
    bad = set(records)

    def action(data: list[bytes]) -> dict:
        return fail_entries(*(i for i, d in enumerate(data) if d in bad), code=code)(data)

    return action


def raise_(exc: BaseException) -> Action:
    def action(_data: list[bytes]) -> Any:
        raise exc

    return action


class FakeFirehose:
    def __init__(self, streams: tuple[str, ...] = ("s",), script: list[Action] | None = None):
        self.streams = streams
        self.script = list(script or [])
        self.calls: list[tuple[str, list[bytes]]] = []
        self.describes: list[str] = []
        self.lock = threading.Lock()

    def describe_delivery_stream(self, DeliveryStreamName: str) -> dict:
        self.describes.append(DeliveryStreamName)
        if DeliveryStreamName not in self.streams:
            raise client_error("ResourceNotFoundException", operation="DescribeDeliveryStream")
        return {"DeliveryStreamDescription": {"DeliveryStreamStatus": "ACTIVE"}}

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict]) -> dict:
        data = [r["Data"] for r in Records]
        with self.lock:
            self.calls.append((DeliveryStreamName, data))
            action = self.script.pop(0) if self.script else None
        if DeliveryStreamName not in self.streams:
            raise client_error("ResourceNotFoundException")
        if action is not None:
            return action(data)
        return {
            "FailedPutCount": 0,
            "Encrypted": False,
            "RequestResponses": [{"RecordId": f"id-{i}"} for i in range(len(data))],
        }

    def sent(self, stream: str | None = None) -> list[bytes]:
        return [d for s, batch in self.calls if stream in (None, s) for d in batch]


@pytest.fixture
def fake() -> FakeFirehose:
    return FakeFirehose()


@pytest.fixture
def helpers():
    """The module's helpers, for tests (conftest modules are not importable by name)."""

    class H:
        FakeFirehose = FakeFirehose
        client_error = staticmethod(client_error)
        fail_entries = staticmethod(fail_entries)
        fail_records = staticmethod(fail_records)
        raise_ = staticmethod(raise_)

    return H
