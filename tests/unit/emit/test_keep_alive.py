"""Clients for the local emulator ask it to keep connections open; clients for AWS do not."""

from __future__ import annotations

from botocore.awsrequest import AWSRequest

from sandbox.emit.emitter import client_factory
from sandbox.settings import Settings


def prepared_headers(settings: Settings) -> dict[str, str]:
    """The headers of a PutRecordBatch request once the client's before-send handlers ran."""
    client = client_factory(settings)()
    request = AWSRequest(method="POST", url=settings.endpoint_url, headers={"X-Test": "1"})
    prepared = request.prepare()
    client.meta.events.emit("before-send.firehose.PutRecordBatch", request=prepared)
    return dict(prepared.headers)


def test_local_clients_ask_for_keep_alive() -> None:
    assert prepared_headers(Settings(port=45678))["Connection"] == "keep-alive"


def test_aws_clients_are_left_alone(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    settings = Settings(endpoint_override="https://firehose.eu-west-1.amazonaws.com")
    assert "Connection" not in prepared_headers(settings)
