"""Client side of the sandbox-only routes: Firehose flush and counters, persistence status."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings


def _call(settings: Settings, path: str, method: str, body: dict | None = None) -> dict:
    if not settings.is_local:
        raise PlatformError("The /_sandbox routes exist only on the local emulator.")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{settings.endpoint_url}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = _error_of(exc)
        if detail:
            raise PlatformError(f"{method} {path} failed: {detail}") from exc
        raise PlatformError(
            f"{method} {path} answered HTTP {exc.code}; is the sandbox plugin loaded? "
            "(`make down && make up`)"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise PlatformError(f"No emulator at {settings.endpoint_url}; run `make up`.") from exc


def _error_of(exc: urllib.error.HTTPError) -> str | None:
    """The ``error`` a sandbox route put in its JSON answer, if any."""
    try:
        doc = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return None
    return str(doc["error"]) if isinstance(doc, dict) and doc.get("error") else None


def flush(settings: Settings, stream: str | None = None) -> dict:
    """Deliver every buffered record now (one stream, or all)."""
    return _call(
        settings,
        "/_sandbox/firehose/flush",
        "POST",
        {"DeliveryStreamName": stream} if stream else {},
    )


def stats(settings: Settings) -> dict[str, dict]:
    """Per stream: accepted, delivered, errored, buffered records (and objects, bytes)."""
    return dict(_call(settings, "/_sandbox/firehose/stats", "GET").get("streams", {}))


def persistence_status(settings: Settings) -> dict:
    """Whether the emulator restored its snapshot, its last save and last failure (``ok``)."""
    return _call(settings, "/_sandbox/persistence", "GET")


def save_snapshot(settings: Settings) -> dict:
    return _call(settings, "/_sandbox/persistence/save", "POST", {})
