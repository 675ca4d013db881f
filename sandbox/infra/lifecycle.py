"""Bringing the sandbox up and down: ``sandbox up`` and ``sandbox down`` (``make up``/``down``).

``up`` refuses a non-local endpoint before it starts anything, starts LocalStack (or finds the
one it started earlier), waits (bounded) until the emulator has loaded its saved state (also
with ``--skip-terraform``), and applies terraform/ with tflocal -- unless the emulator holds the
state of the last successful apply and terraform/ is unchanged since (its fingerprint,
:meth:`~sandbox.infra.terraform.Terraform.up_to_date`; ``--fresh`` applies anyway). After an
apply the emulator saves a snapshot, then the fingerprint is recorded, so a recorded apply is
always in the saved state. ``down`` stops what ``up``
started, and nothing else, then checks the emulator's record of its final save
(``persist/status.json``): a save that failed, or that nothing confirms, is in the report
(``unsaved``), which the CLI turns into a non-zero exit. Both return a report that the CLI
renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import persistence
from sandbox.infra import admin, localstack
from sandbox.infra.errors import PlatformError
from sandbox.infra.terraform import Terraform, require_terraform
from sandbox.settings import Settings

RESTORE_TIMEOUT = 300.0  # seconds: a large saved lake takes a while to load
RESTORE_POLL = 0.1  # seconds between two looks at the restore (a small lake loads in ~1 s)
_COUNTS = ("buckets", "objects", "tables", "partitions")


@dataclass(frozen=True)
class Restored:
    """What the emulator loaded from its snapshot folder at start-up."""

    folder: Path
    buckets: int = 0
    objects: int = 0
    tables: int = 0
    partitions: int = 0


@dataclass
class UpReport:
    mode: str | None  # None: found running, but not recorded (started by an older sandbox)
    endpoint_url: str
    already_running: bool
    healthy_seconds: float  # from the start of ``up`` until the emulator was healthy
    restored: Restored | None = None  # None: nothing saved (or the emulator was already up)
    terraform_seconds: float | None = None  # None: terraform/ was not applied
    resources: int | None = None  # what the apply created, changed or destroyed
    up_to_date: bool = False  # terraform/ unchanged since its apply against this state
    total_seconds: float = 0.0


@dataclass(frozen=True)
class DownReport:
    stopped: bool
    seconds: float
    unsaved: str | None = None  # what was not saved at shutdown, and why (None: all saved)


def up(
    settings: Settings,
    *,
    skip_terraform: bool = False,
    fresh: bool = False,
    on_healthy: Callable[[UpReport], Any] | None = None,
    on_restored: Callable[[Restored], Any] | None = None,
    on_step: Callable[[str], Any] | None = None,
    on_line: Callable[[str], Any] | None = None,
    on_progress: Callable[[int, int], Any] | None = None,
    restore_timeout: float = RESTORE_TIMEOUT,
) -> UpReport:
    """Start (or find) the emulator and apply terraform/ unless it is up to date (``fresh``:
    apply anyway).

    ``on_healthy`` (with the report so far), ``on_restored`` and ``on_step`` (``init``,
    ``apply``) are called as each step starts or ends, ``on_progress(done, planned)`` as the
    apply goes, ``on_line`` with each line of tflocal's output (the log gets them anyway).
    """
    # Fail before starting anything: a refusal after LocalStack started would leave it running.
    terraform = None if skip_terraform else Terraform(settings)  # refuses a non-local endpoint
    if terraform is not None:
        require_terraform(settings)
    elif not settings.is_local:
        raise PlatformError(
            f"`sandbox up` starts a local emulator, but the endpoint is {settings.endpoint_url}; "
            "unset SANDBOX_ENDPOINT_URL."
        )
    started = time.monotonic()
    already = localstack.health(settings) is not None and (
        localstack.read_pid(settings) is not None or localstack.recorded_mode(settings) == "docker"
    )
    mode = localstack.recorded_mode(settings) if already else localstack.start(settings)
    report = UpReport(
        mode=mode,
        endpoint_url=settings.endpoint_url,
        already_running=already,
        healthy_seconds=time.monotonic() - started,
    )
    if on_healthy is not None:
        on_healthy(report)
    if not already:
        report.restored = wait_for_restore(settings, mode, timeout=restore_timeout)
        if report.restored is None:
            if terraform is not None:
                # The emulator started empty: state describing an earlier emulator is stale.
                terraform.forget_state()
        elif on_restored is not None:
            on_restored(report.restored)
    if terraform is not None:
        report.up_to_date = (already or report.restored is not None) and terraform.up_to_date()
        if fresh or not report.up_to_date:
            applying = time.monotonic()
            if on_step is not None:
                on_step("init")
            terraform.init(on_line=on_line)
            if on_step is not None:
                on_step("apply")
            report.resources = terraform.apply(on_line=on_line, on_progress=on_progress)
            _record_apply(settings, terraform)
            report.terraform_seconds = time.monotonic() - applying
    report.total_seconds = time.monotonic() - started
    return report


def _record_apply(settings: Settings, terraform: Terraform) -> None:
    """Snapshot the applied platform, then record the apply (a later ``up`` may skip it)."""
    try:
        saved = admin.save_snapshot(settings)
    except PlatformError:
        return  # not in a snapshot: the next `up` applies again
    if saved.get("saved"):
        terraform.record_applied()


def wait_for_restore(
    settings: Settings, mode: str | None, timeout: float = RESTORE_TIMEOUT
) -> Restored | None:
    """Wait (bounded) until the emulator has loaded its snapshot; what it restored, if anything."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = admin.persistence_status(settings)
        if status.get("restored"):
            if status.get("restore_error"):
                raise PlatformError(
                    f"Restoring the saved lake failed: {status['restore_error']}; "
                    "`make clean` discards it."
                )
            counts = dict(status.get("restore") or {})
            if not counts.get("buckets"):
                return None
            return Restored(
                folder=settings.state.snapshot_dir(mode),
                **{key: int(counts.get(key) or 0) for key in _COUNTS},
            )
        time.sleep(RESTORE_POLL)
    raise PlatformError("The emulator did not finish restoring the saved lake; see `make logs`.")


def down(settings: Settings) -> DownReport:
    """Stop what ``up`` started (LocalStack delivers its Firehose buffers and saves the lake),
    then check that the lake was saved."""
    started, wall = time.monotonic(), time.time()
    mode = localstack.recorded_mode(settings)
    before: dict[str, Any] | None = None
    if localstack.health(settings) is not None:
        try:
            before = admin.persistence_status(settings)
        except PlatformError:
            before = None  # an emulator without the sandbox plugin: nothing to check
    stopped = localstack.stop(settings)
    unsaved = None
    if stopped and before is not None and before.get("enabled"):
        final = persistence.read_status(settings.state.snapshot_dir(mode))
        unsaved = unsaved_message(before, final, since=wall)
    return DownReport(stopped=stopped, seconds=time.monotonic() - started, unsaved=unsaved)


def persistence_line(status: dict[str, Any]) -> tuple[str, bool]:
    """``sandbox status``'s line on the lake's snapshots, and whether a failure is outstanding."""
    if not status.get("enabled"):
        return "  snapshots  off (SANDBOX_PERSIST=0 or no state folder): nothing is saved", False
    last = status.get("last_save") or {}
    saved = (
        f"last saved {_when(last.get('at'))} ({last.get('objects', 0)} objects, "
        f"{last.get('partitions', 0)} partitions)"
    )
    problems = []
    if status.get("restore_error"):
        problems.append(f"restore failed: {status['restore_error']}")
    if status.get("last_error"):
        error = status["last_error"]
        problems.append(f"the last save FAILED at {_when(error.get('at'))}: {error.get('error')}")
    journal = status.get("journal") or {}
    if journal.get("error"):
        problems.append(f"the S3 journal FAILED: {journal['error']}")
    if problems:
        return f"  snapshots  {saved}; " + "; ".join(problems), True
    entries = journal.get("entries", 0)
    return f"  snapshots  {saved}; {entries} S3 changes journaled since", False


def _when(at: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(at))) if at else "never"


def unsaved_message(
    before: dict[str, Any], final: dict[str, Any] | None, *, since: float
) -> str | None:
    """What ``down`` says was not saved: ``before`` is the emulator's persistence status just
    before the stop, ``final`` its record of the save at shutdown (None: none); None when the
    final save succeeded after ``since``."""
    if final is not None and final.get("ok") and float(final.get("at") or 0) >= since:
        return None
    if final is not None and float(final.get("at") or 0) >= since:
        why = str(final.get("error") or "unknown error")
        journal_error = final.get("journal_error")
        last_at = final.get("last_save_at")
    else:
        previous = (before.get("last_error") or {}).get("error")
        why = "the emulator did not confirm its final save" + (
            f" (the last save before the stop failed: {previous})" if previous else ""
        )
        journal_error = (before.get("journal") or {}).get("error")
        last_at = (before.get("last_save") or {}).get("at")
    if journal_error:
        lost = (
            "S3 and Glue changes made since then are lost "
            f"(the S3 journal failed too: {journal_error})"
        )
    else:
        lost = (
            "Glue changes made since then are lost; S3 changes are kept in the journal and "
            "come back at the next `make up`"
        )
    return (
        f"The lake was not saved at shutdown: {why}. The last complete snapshot is from "
        f"{_when(last_at)}: {lost}. Free space in the state folder (or see `make logs`)."
    )
