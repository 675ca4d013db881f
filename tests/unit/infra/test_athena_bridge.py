"""Athena's requests cross the ASGI-to-WSGI bridge in one hop and get what rolo's adapter sends;
every other request is left to rolo's adapter."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from rolo.asgi import ASGIAdapter
from werkzeug import Request, Response

from sandbox.localstack_plugin import athena_bridge


@Request.application  # type: ignore[arg-type]
def echo(request: Request) -> Response:
    """A WSGI application answering with what it was sent, its body in pieces."""
    body = request.get_data()
    target = request.headers.get("X-Amz-Target", "")
    response = Response([b"got ", body, b" for ", target.encode()], status=201)
    response.headers["x-amzn-RequestId"] = "r-1"
    response.headers["Content-Type"] = "application/x-amz-json-1.1"
    return response


def scope(target: str | None, name: bytes = b"X-Amz-Target") -> dict[str, Any]:
    headers = [(b"Host", b"localhost"), (b"Content-Type", b"application/x-amz-json-1.1")]
    if target is not None:
        headers.append((name, target.encode()))
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 4566),
    }


def serve(handle: Any, request_scope: dict[str, Any], body: list[bytes]) -> list[dict[str, Any]]:
    """What ``handle(adapter, scope, receive, send)`` sends for a body received in pieces."""
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        events = [{"type": "http.request", "body": b, "more_body": True} for b in body]
        events.append({"type": "http.request", "body": b"", "more_body": False})

        async def receive() -> dict[str, Any]:
            return events.pop(0)

        async def send(event: dict[str, Any]) -> None:
            sent.append(event)

        send.__self__ = type("Protocol", (), {"closed": False})()  # type: ignore[attr-defined]
        adapter = ASGIAdapter(echo, event_loop=asyncio.get_running_loop(), executor=pool)
        await handle(adapter, request_scope, receive, send)

    with ThreadPoolExecutor(2) as pool:
        asyncio.run(run())
    return sent


def answer(sent: list[dict[str, Any]]) -> tuple[int, dict[bytes, bytes], bytes]:
    """(status, headers, body) of the events up to the end of the body (rolo's adapter sends a
    piece that comes after the Content-Length's worth with ``more_body`` again, which hypercorn
    drops: the response is complete)."""
    start = sent[0]
    assert start["type"] == "http.response.start"
    end = next(
        i for i, e in enumerate(sent) if e["type"] == "http.response.body" and not e["more_body"]
    )
    body = b"".join(e["body"] for e in sent[1 : end + 1])
    return start["status"], dict(start["headers"]), body


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("AmazonAthena.GetQueryResults", b"X-Amz-Target"),
        ("amazonathena.StartQueryExecution", b"x-amz-target"),
        ("Firehose_20150804.PutRecordBatch", b"X-Amz-Target"),
        ("Firehose_20150804.PutRecord", b"X-Amz-Target"),
    ],
)
def test_an_athena_call_gets_what_rolos_adapter_sends_in_one_hop(target, name):
    original = ASGIAdapter.handle_http
    hops: list[Any] = []

    async def bridged(adapter: Any, *args: Any) -> None:
        loop = adapter.event_loop
        counted = loop.run_in_executor

        def run_in_executor(executor: Any, fn: Any, *fn_args: Any) -> Any:
            hops.append(fn)
            return counted(executor, fn, *fn_args)

        loop.run_in_executor = run_in_executor  # type: ignore[method-assign]
        assert await athena_bridge.handle_http(adapter, *args)

    expected = answer(serve(original, scope(target, name), [b'{"Quer', b'y": 1}']))
    got = answer(serve(bridged, scope(target, name), [b'{"Quer', b'y": 1}']))
    assert got == expected
    assert got[0] == 201 and got[2] == b'got {"Query": 1} for ' + target.encode()
    assert got[1][b"Content-Length"] == str(len(got[2])).encode()
    assert hops == [athena_bridge.run_wsgi]  # the request thread, once


@pytest.mark.parametrize(
    "target",
    [None, "Firehose_20150804.DescribeDeliveryStream", "AmazonAthenaX", "S3.Athena"],
)
def test_other_requests_are_left_to_rolo(target):
    received: list[Any] = []

    async def run() -> bool:
        async def receive() -> dict[str, Any]:
            received.append(1)
            return {"type": "http.request", "body": b"", "more_body": False}

        return await athena_bridge.handle_http(None, scope(target), receive, None)

    assert asyncio.run(run()) is False
    assert received == []


def test_install_wraps_rolos_adapter_once(monkeypatch):
    monkeypatch.setattr(ASGIAdapter, "handle_http", ASGIAdapter.handle_http)
    original = ASGIAdapter.handle_http
    athena_bridge.install()
    wrapped = ASGIAdapter.handle_http
    athena_bridge.install()
    assert ASGIAdapter.handle_http is wrapped is not original
    # A request that is not Athena's still gets rolo's own answer through the wrapper.
    status, _, body = answer(serve(ASGIAdapter.handle_http, scope(None), [b"x"]))
    assert (status, body) == (201, b"got x for ")
