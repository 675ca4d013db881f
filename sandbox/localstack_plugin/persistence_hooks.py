"""Persistence inside LocalStack: restore at start, journal S3, save snapshots, report failures.

Uses :mod:`sandbox.persistence` with LocalStack's internal S3 and Glue clients, one pair per
account and region that holds buckets (LocalStack's S3 stores) or Glue databases (moto's Glue
backends), and :mod:`~sandbox.localstack_plugin.service_state` for every other service's state
(Firehose streams, IAM, log groups, Athena workgroups, tags), saved and restored with the lake.
The snapshot and the S3 journal live in ``<SANDBOX_STATE_DIR>/persist`` (host mode:
the project's ``.sandbox/``; Docker mode: a volume); ``SANDBOX_PERSIST=0`` or no state folder
turns both off (read once, in :class:`~sandbox.settings.PluginSettings`).

At start: temporary files a crash left are removed, the snapshot is loaded and the journal
replayed, then, if the journal held entries, a snapshot is saved (which empties it); only then does
``GET /_sandbox/persistence`` say ``restored``. Snapshots are saved every
``SANDBOX_PERSIST_INTERVAL`` seconds and at shutdown; a failed one is logged, shown by the route
(``last_error``) and, at shutdown, recorded in ``persist/status.json`` for ``sandbox down``.
A SIGKILL loses no acknowledged S3 write (the journal) nor an accepted Firehose record (its
write-ahead log); it loses Glue and other services' changes since the last snapshot.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sandbox import persistence
from sandbox.localstack_plugin.service_state import ServiceSnapshots
from sandbox.settings import PluginSettings

LOG = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _clients(account: str, region: str) -> tuple[Any, Any]:
    from localstack.aws.connect import connect_to

    # A 12-digit access key is LocalStack's account id (what the Firehose delivery does too).
    factory = connect_to(aws_access_key_id=account, region_name=region)
    return factory.s3, factory.glue


@lru_cache(maxsize=64)
def _restore_clients(account: str, region: str) -> tuple[Any, Any]:
    """Like :func:`_clients`, but S3 writes through them are not journaled."""
    from localstack.aws.connect import connect_to

    from sandbox.localstack_plugin.s3 import unjournaled_config

    factory = connect_to(aws_access_key_id=account, region_name=region, config=unjournaled_config())
    return factory.s3, factory.glue


def _s3_accounts() -> list[str]:
    """Accounts that own buckets (LocalStack's S3 keeps buckets per account, any region)."""
    from localstack.services.s3.models import s3_stores

    accounts = []
    for account in sorted(dict.keys(s3_stores)):
        regions = dict.values(s3_stores[account])
        if any(store.buckets for store in regions):
            accounts.append(account)
    return accounts


def _glue_scopes() -> list[persistence.Scope]:
    """Accounts and regions whose Glue backend holds databases."""
    try:
        from moto.glue.models import glue_backends
    except ImportError:
        return []
    scopes = []
    for account, backends in sorted(dict.items(glue_backends)):
        for region, backend in sorted(dict.items(backends)):
            if getattr(backend, "databases", None):
                scopes.append(persistence.Scope(account, region))
    return scopes


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Snapshots:
    """The lake's snapshot and S3 journal for one LocalStack process."""

    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings
        self.journal: persistence.Journal | None = None
        self.services: ServiceSnapshots | None = None
        self._status: dict[str, Any] = {
            "enabled": False,
            "restored": False,
            "last_save": None,
            "last_error": None,
        }
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._restore_failed = False

    @property
    def enabled(self) -> bool:
        return self.settings.persist_enabled

    def status(self) -> dict[str, Any]:
        """What the route shows: restored or not, the last good save, the last failure."""
        status = dict(self._status)
        journal = self.journal
        if journal is not None:
            status["journal"] = {
                "entries": len(journal),
                "commits": journal.commits,
                "error": journal.last_error,
            }
        failures = [status.get("last_error"), status.get("restore_error")]
        if journal is not None and journal.last_error:
            failures.append({"error": f"S3 journal: {journal.last_error}"})
        status["ok"] = not any(failures)
        return status

    def save(self) -> persistence.SnapshotReport | None:
        """Save a snapshot now; None when persistence is off or the restore is not done.

        A failure is recorded (``last_error``), logged and raised; the previous snapshot stays.
        """
        snapshot_dir = self.settings.snapshot_dir
        if not self.enabled or snapshot_dir is None or not self._status.get("restored"):
            return None
        return self._save(snapshot_dir)

    def _save(self, snapshot_dir: Any) -> persistence.SnapshotReport:
        if self._restore_failed:
            raise RuntimeError(
                "not saving: the restore failed, so the saved lake is kept as it was "
                f"(see {snapshot_dir}; `make clean` discards it)"
            )
        try:
            with self._lock:
                report = persistence.export_lake(
                    _clients,
                    snapshot_dir,
                    s3_accounts=_s3_accounts(),
                    glue_scopes=_glue_scopes(),
                    journal=self.journal,
                    default_region=self.settings.region,
                )
                if self.services is not None:
                    report.services = self.services.save().services
        except Exception as exc:
            last = self._status.get("last_save") or {}
            self._status["last_error"] = {"at": time.time(), "error": _describe(exc)}
            LOG.error(
                "Snapshot of the lake failed (%s); the previous one (saved at %s) is kept",
                _describe(exc),
                time.ctime(last["at"]) if last.get("at") else "never",
            )
            raise
        self._status["last_save"] = {"at": time.time(), **report.as_dict()}
        self._status["last_error"] = None
        return report

    def _periodic(self) -> None:
        while not self._stop.wait(self.settings.persist_interval):
            with contextlib.suppress(Exception):  # recorded and logged by _save
                self.save()

    def restore(self, on_restored: Callable[[], Any] | None = None) -> None:
        """Clean up, load the snapshot and the services' state, replay the journal, save, then
        run ``on_restored`` (the Firehose engines' replay); all before ``restored``."""
        self._status["enabled"] = self.enabled
        snapshot_dir = self.settings.snapshot_dir
        if not self.enabled or snapshot_dir is None:
            if on_restored is not None:
                on_restored()
            self._status["restored"] = True
            return
        timings: dict[str, float] = {}  # where the restore's time went (`up` waits for it all)
        self._status["restore_seconds"] = timings
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name] = round(now - clock, 3)
            clock = now

        try:
            removed = persistence.clean_temporary_files(snapshot_dir)
            if removed:
                LOG.info(
                    "Removed %d temporary files a crash left in %s", len(removed), snapshot_dir
                )
            # Created now, rewritten in place later: a full disk can still take the outcome.
            persistence.write_status(snapshot_dir, {"at": time.time(), "ok": True, "started": 1})
            self.journal = persistence.Journal(snapshot_dir)
            report = persistence.import_lake(
                _restore_clients,
                snapshot_dir,
                default_account=persistence.DEFAULT_ACCOUNT,
                default_region=self.settings.region,
                journal=self.journal.entries(),
            )
            lap("lake")
            self.services = ServiceSnapshots(snapshot_dir)
            services = self.services.restore()
            report.services = services.services
            lap("services")
            if services.errors:
                raise RuntimeError("; ".join(services.errors))
            self._status["restore"] = report.as_dict()
            LOG.info("Sandbox snapshot restored: %s", report.as_dict())
        except Exception as exc:
            LOG.exception("Restoring the sandbox snapshot failed")
            self._status["restore_error"] = _describe(exc)
            self._restore_failed = True
        else:
            # The restored lake in one snapshot, which empties the journal; a failure is
            # recorded and logged by _save, and the journal keeps the changes. With nothing
            # journaled the snapshot on disk is what was restored: the first periodic save
            # comes soon enough (this one cost ~1 s of every `make up`).
            if len(self.journal):
                with contextlib.suppress(Exception):
                    self._save(snapshot_dir)
                lap("save")
        finally:
            if on_restored is not None:
                try:
                    on_restored()
                except Exception:
                    LOG.exception("Restoring the Firehose engines failed")
                lap("firehose")
            self._status["restored"] = True
            LOG.info("Sandbox restore took %s s", timings)
        threading.Thread(target=self._periodic, name="sandbox-persist", daemon=True).start()

    def final_save(self) -> None:
        """The save at shutdown; its outcome goes to ``persist/status.json`` for ``down``."""
        self._stop.set()
        snapshot_dir = self.settings.snapshot_dir
        if not self.enabled or snapshot_dir is None:
            return
        outcome: dict[str, Any] = {"at": time.time(), "ok": False}
        try:
            report = self.save()
            if report is not None:
                LOG.info("Sandbox snapshot saved: %s", report.as_dict())
                outcome.update(ok=True, objects=report.objects, partitions=report.partitions)
            else:
                outcome["error"] = "the saved lake was never restored, so it was not saved"
        except Exception as exc:
            LOG.exception("Saving the sandbox snapshot at shutdown failed")
            outcome["error"] = _describe(exc)
        last = self._status.get("last_save") or {}
        outcome["last_save_at"] = last.get("at")
        journal = self.journal
        outcome["journal_error"] = journal.last_error if journal is not None else None
        outcome["journal_entries"] = len(journal) if journal is not None else 0
        try:
            persistence.write_status(snapshot_dir, outcome)
        except OSError:
            LOG.exception("Could not record the outcome of the final save in %s", snapshot_dir)
