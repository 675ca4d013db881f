"""Persistence inside LocalStack: restore the snapshot at start, save it periodically and at stop.

Uses :mod:`sandbox.persistence` with LocalStack's internal S3 and Glue clients. The snapshot lives
in ``$SANDBOX_STATE_DIR/persist`` (host mode: the project's ``.sandbox/``; Docker mode: a volume).
``SANDBOX_PERSIST=0`` turns it off. A SIGKILL loses what changed since the last periodic save
(``SANDBOX_PERSIST_INTERVAL`` seconds, default 10) plus the Firehose buffers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from sandbox import persistence

LOG = logging.getLogger(__name__)

_status: dict[str, Any] = {"enabled": False, "restored": False}
_lock = threading.Lock()
_stop = threading.Event()


def enabled() -> bool:
    return os.environ.get("SANDBOX_PERSIST", "1") != "0" and bool(
        os.environ.get("SANDBOX_STATE_DIR")
    )


def snapshot_dir() -> Path:
    return Path(os.environ["SANDBOX_STATE_DIR"]) / "persist"


def _clients() -> tuple[Any, Any, str]:
    from localstack.aws.connect import connect_to

    region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    factory = connect_to(region_name=region)
    return factory.s3, factory.glue, region


def status() -> dict[str, Any]:
    return dict(_status)


def save() -> persistence.SnapshotReport | None:
    if not enabled() or not _status.get("restored"):
        return None
    s3, glue, _ = _clients()
    with _lock:
        report = persistence.export_snapshot(s3, glue, snapshot_dir())
    _status["last_save"] = {"at": time.time(), **report.as_dict()}
    return report


def _periodic() -> None:
    interval = float(os.environ.get("SANDBOX_PERSIST_INTERVAL", "10"))
    while not _stop.wait(interval):
        try:
            save()
        except Exception:
            LOG.exception("Periodic snapshot of the lake failed; the previous one is kept")


def restore() -> None:
    _status["enabled"] = enabled()
    if not enabled():
        _status["restored"] = True
        return
    try:
        s3, glue, region = _clients()
        report = persistence.import_snapshot(s3, glue, snapshot_dir(), region)
        _status["restore"] = report.as_dict()
        LOG.info("Sandbox snapshot restored: %s", report.as_dict())
    except Exception as exc:
        LOG.exception("Restoring the sandbox snapshot failed")
        _status["restore_error"] = str(exc)
    finally:
        _status["restored"] = True
    threading.Thread(target=_periodic, name="sandbox-persist", daemon=True).start()


def final_save() -> None:
    _stop.set()
    try:
        report = save()
        if report is not None:
            LOG.info("Sandbox snapshot saved: %s", report.as_dict())
    except Exception:
        LOG.exception("Saving the sandbox snapshot at shutdown failed")
