"""Persistence inside LocalStack: restore the snapshot at start, save it periodically and at stop.

Uses :mod:`sandbox.persistence` with LocalStack's internal S3 and Glue clients. The snapshot lives
in ``<SANDBOX_STATE_DIR>/persist`` (host mode: the project's ``.sandbox/``; Docker mode: a
volume); ``SANDBOX_PERSIST=0`` or no state folder turns it off (both read once, in
:class:`~sandbox.settings.PluginSettings`). A SIGKILL loses what changed since the last periodic
save (``SANDBOX_PERSIST_INTERVAL`` seconds, default 10) plus the Firehose buffers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sandbox import persistence
from sandbox.settings import PluginSettings

LOG = logging.getLogger(__name__)


def _clients(region: str) -> tuple[Any, Any]:
    from localstack.aws.connect import connect_to

    factory = connect_to(region_name=region)
    return factory.s3, factory.glue


class Snapshots:
    """The lake's snapshot for one LocalStack process: restored once, then saved."""

    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings
        self._status: dict[str, Any] = {"enabled": False, "restored": False}
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def enabled(self) -> bool:
        return self.settings.persist_enabled

    def status(self) -> dict[str, Any]:
        return dict(self._status)

    def save(self) -> persistence.SnapshotReport | None:
        snapshot_dir = self.settings.snapshot_dir
        if not self.enabled or snapshot_dir is None or not self._status.get("restored"):
            return None
        s3, glue = _clients(self.settings.region)
        with self._lock:
            report = persistence.export_snapshot(s3, glue, snapshot_dir)
        self._status["last_save"] = {"at": time.time(), **report.as_dict()}
        return report

    def _periodic(self) -> None:
        while not self._stop.wait(self.settings.persist_interval):
            try:
                self.save()
            except Exception:
                LOG.exception("Periodic snapshot of the lake failed; the previous one is kept")

    def restore(self) -> None:
        self._status["enabled"] = self.enabled
        snapshot_dir = self.settings.snapshot_dir
        if not self.enabled or snapshot_dir is None:
            self._status["restored"] = True
            return
        try:
            s3, glue = _clients(self.settings.region)
            report = persistence.import_snapshot(s3, glue, snapshot_dir, self.settings.region)
            self._status["restore"] = report.as_dict()
            LOG.info("Sandbox snapshot restored: %s", report.as_dict())
        except Exception as exc:
            LOG.exception("Restoring the sandbox snapshot failed")
            self._status["restore_error"] = str(exc)
        finally:
            self._status["restored"] = True
        threading.Thread(target=self._periodic, name="sandbox-persist", daemon=True).start()

    def final_save(self) -> None:
        self._stop.set()
        try:
            report = self.save()
            if report is not None:
                LOG.info("Sandbox snapshot saved: %s", report.as_dict())
        except Exception:
            LOG.exception("Saving the sandbox snapshot at shutdown failed")
