"""Sandbox-only HTTP routes on the LocalStack gateway (not part of any AWS API).

- ``POST /_sandbox/firehose/flush`` delivers every Firehose buffer now; a JSON body
  ``{"DeliveryStreamName": "..."}`` or ``?stream=`` limits it to one stream. Scripts and tests use
  it instead of sleeping through ``IntervalInSeconds``.
- ``GET /_sandbox/firehose/stats`` reports per stream: records accepted, delivered, sent to the
  error output and still buffered.
- ``GET /_sandbox/persistence`` tells whether the snapshot was restored, the last good save,
  the last failed one (``last_error``), the S3 journal, and ``ok`` (no failure outstanding);
  ``POST /_sandbox/persistence/save`` saves a snapshot now (HTTP 500 with ``error`` when it
  fails).

Each route reaches the Firehose provider and the snapshots through
:func:`sandbox.localstack_plugin.runtime.current`.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.localstack_plugin.runtime import current

# LocalStack's ROUTER is one per process: the routes are added to it once.
_registered = False


def _stream_from(request: Any) -> str | None:
    stream = request.args.get("stream")
    if stream:
        return str(stream)
    body = request.get_data() or b""
    if body.strip():
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if isinstance(payload, dict) and payload.get("DeliveryStreamName"):
            return str(payload["DeliveryStreamName"])
    return None


def flush_endpoint(request: Any, **_: Any) -> dict:
    runtime = current()
    stream = _stream_from(request)
    runtime.flush_firehose(stream)
    return {"flushed": stream or "*", "streams": runtime.firehose_stats()}


def stats_endpoint(request: Any, **_: Any) -> dict:
    return {"streams": current().firehose_stats()}


def persistence_endpoint(request: Any, **_: Any) -> dict:
    return current().snapshots.status()


def persistence_save_endpoint(request: Any, **_: Any) -> Any:
    try:
        report = current().snapshots.save()
    except Exception as exc:
        from localstack.http import Response

        return Response.for_json(
            {"saved": False, "error": f"{type(exc).__name__}: {exc}"}, status=500
        )
    return {"saved": report is not None, **(report.as_dict() if report else {})}


def register() -> None:
    global _registered
    if _registered:
        return
    from localstack.services.edge import ROUTER

    ROUTER.add("/_sandbox/firehose/flush", endpoint=flush_endpoint, methods=["POST"])
    ROUTER.add("/_sandbox/firehose/stats", endpoint=stats_endpoint, methods=["GET"])
    ROUTER.add("/_sandbox/persistence", endpoint=persistence_endpoint, methods=["GET"])
    ROUTER.add("/_sandbox/persistence/save", endpoint=persistence_save_endpoint, methods=["POST"])
    _registered = True
