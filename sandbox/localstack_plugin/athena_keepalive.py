"""Persistent HTTP connections for Athena's API: the ``Connection: close`` LocalStack adds to
every response is taken off again for Athena requests.

LocalStack's finalizer ``set_close_connection_header`` (``localstack/aws/handlers/legacy.py``)
answers every request that does not ask for ``Connection: keep-alive`` with ``Connection:
close``, a workaround for keep-alive slowing boto clients down behind hypercorn
(localstack/localstack#6557, pgjones/hypercorn#64: "the problem goes away when using uvloop").
The slowdown was Nagle's algorithm meeting delayed ACKs on reused connections: asyncio sets
``TCP_NODELAY`` only on sockets whose ``proto`` is ``IPPROTO_TCP``, which hypercorn's listener
was not (uvloop sets it on every TCP socket; the same bug in uvicorn is Kludex/uvicorn#3149).
The hypercorn LocalStack 4.14 ships (0.18) sets ``TCP_NODELAY`` on its listening socket, which
accepted sockets inherit, and measured here a reused connection answers faster than a new
one (``docs/performance.md``, "Athena API"), so the workaround now only costs a TCP connect (and
for the server, an accept) per call; an Athena client polls and pages dozens of times a query.

Only Athena's responses keep the connection (the API this plugin serves and measures); every
other service keeps LocalStack's behaviour. What a kept connection changes for a client is the
usual HTTP/1.1 behaviour (RFC 9112, "Persistence"): hypercorn closes an idle connection after
its ``keep_alive_timeout`` (5 s); a client that sends on a connection the server has just
closed gets a connection error, which botocore retries (its retry handlers treat connection
errors as retryable for every operation; StartQueryExecution's ``ClientRequestToken`` is filled
by the SDK, so a retried start does not run the query twice). A request that itself says
``Connection: close`` still closes (h11 honours the request's header).
"""

from __future__ import annotations

from typing import Any

ATHENA_TARGET = "AmazonAthena."


def is_athena(context: Any) -> bool:
    """Whether the request is one of Athena's API calls (JSON 1.1: named by ``X-Amz-Target``)."""
    service = getattr(context, "service", None)
    if service is not None and getattr(service, "service_name", None) == "athena":
        return True
    target = context.request.headers.get("X-Amz-Target") or ""
    return target.startswith(ATHENA_TARGET)


def keep_connection(chain: Any, context: Any, response: Any) -> None:
    """The finalizer: drop LocalStack's ``Connection: close`` from an Athena response."""
    if response.headers.get("Connection", "").lower() != "close":
        return
    if (context.request.headers.get("Connection") or "").lower() == "close":
        return  # the client asked to close
    if is_athena(context):
        del response.headers["Connection"]


def install() -> None:
    """Run :func:`keep_connection` after LocalStack's finalizers (idempotent)."""
    from localstack.aws.handlers import run_custom_finalizers

    if keep_connection not in run_custom_finalizers.handlers:
        run_custom_finalizers.append(keep_connection)
