"""Athena's API calls cross LocalStack's ASGI-to-WSGI bridge in one thread hop instead of seven.

LocalStack serves its gateway (a WSGI application: the whole handler chain) through rolo's
``ASGIAdapter`` on hypercorn's event loop. For every request the adapter hands the WSGI call to a
thread (one hop), and the WSGI side then goes back to the event loop and waits for it at each
step: reading the body (``RawHTTPRequestEventStreamAdapter.readinto``: twice, the body and its
end), starting the response (``WsgiStartResponse``), and after the call the loop fetches each
piece of the response iterable and closes it in the thread pool again
(``_AsyncGeneratorWrapper``): about seven crossings between the loop and a request thread, each
waking a thread and taking the GIL. With the two cores busy (a paging client, the loop, the
request thread) each crossing is where a call waits for a core.

For Athena's API (JSON 1.1, named by ``X-Amz-Target: AmazonAthena.*``; every answer is one JSON
document, never a stream), and for Firehose's PutRecord and PutRecordBatch (JSON 1.1 too, one
document each way; ingestion's every request: alone 26,200 -> 29,800 records/s, and 14,500 ->
18,100 while 4 clients run the pack, alternated runs in ``docs/performance.md``), this module
reads the request body on the event loop, runs the same WSGI application (LocalStack's whole
handler chain, with every request, response and finalizer handler, so the same status, headers
and body) in the same thread pool in one call that also collects the response body, and sends
the answer from the loop: one crossing. Every other request takes rolo's adapter as before.

What it does not reproduce: a response body produced piece by piece reaches the client only once
it is complete (Athena's never are streamed); a request body is read whole before the chain runs,
as ``Request.get_data`` does in the chain anyway.
"""

from __future__ import annotations

import io
from typing import Any

ATHENA_TARGET = b"amazonathena."
FIREHOSE_PUTS = (b"firehose_20150804.putrecord", b"firehose_20150804.putrecordbatch")


def is_athena_scope(scope: dict[str, Any]) -> bool:
    """Whether an ASGI HTTP scope is an Athena API call (``X-Amz-Target: AmazonAthena.*``) or a
    Firehose PutRecord / PutRecordBatch."""
    for name, value in scope.get("headers") or ():
        if len(name) == 12 and name.lower() == b"x-amz-target":
            target = value.lower()
            return target[:13] == ATHENA_TARGET or target in FIREHOSE_PUTS
    return False


def run_wsgi(app: Any, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Call a WSGI application and collect its whole answer: (status, headers, body)."""
    started: list[Any] = []
    parts: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [
            int(status[:3]),
            [(k.encode("latin1"), v.encode("latin1")) for k, v in headers],
        ]
        return parts.append

    iterable = app(environ, start_response)
    try:
        for part in iterable:
            if part:
                parts.append(part)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return started[0], started[1], b"".join(parts)


async def handle_http(adapter: Any, scope: Any, receive: Any, send: Any) -> bool:
    """Serve an Athena request in one hop; False (nothing received) when it is not one."""
    if not is_athena_scope(scope):
        return False
    from rolo.asgi import populate_wsgi_environment

    chunks = []
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            return True
        chunks.append(event.get("body", b""))
        if not event.get("more_body", False):
            break
    environ: dict[str, Any] = {}
    populate_wsgi_environment(environ, scope)
    environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
    environ["wsgi.input_terminated"] = True
    status, headers, body = await adapter.event_loop.run_in_executor(
        adapter.executor, run_wsgi, adapter.wsgi_app, environ
    )
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return True


def install() -> None:
    """Route Athena's requests through :func:`handle_http` in rolo's ``ASGIAdapter``
    (idempotent; the adapter instance LocalStack's server already holds is covered too)."""
    from rolo.asgi import ASGIAdapter

    original = ASGIAdapter.handle_http
    if getattr(original, "_sandbox_athena_bridge", False):
        return

    async def bridged(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if not await handle_http(self, scope, receive, send):
            await original(self, scope, receive, send)

    bridged._sandbox_athena_bridge = True  # type: ignore[attr-defined]
    ASGIAdapter.handle_http = bridged  # type: ignore[method-assign]
