"""Bringing the sandbox up and down: ``sandbox up`` and ``sandbox down`` (``make up``/``down``).

``up`` refuses a non-local endpoint before it starts anything, starts LocalStack (or finds the
one it started earlier), waits (bounded) until the emulator has loaded its saved lake, and
applies terraform/ with tflocal; ``down`` stops what ``up`` started, and nothing else. Both return
a report that the CLI renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.infra import admin, localstack
from sandbox.infra.errors import PlatformError
from sandbox.infra.terraform import Terraform, require_terraform
from sandbox.settings import Settings

RESTORE_TIMEOUT = 300.0  # seconds: a large saved lake takes a while to load
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
    total_seconds: float = 0.0


@dataclass(frozen=True)
class DownReport:
    stopped: bool
    seconds: float


def up(
    settings: Settings,
    *,
    skip_terraform: bool = False,
    on_healthy: Callable[[UpReport], Any] | None = None,
    on_restored: Callable[[Restored], Any] | None = None,
    restore_timeout: float = RESTORE_TIMEOUT,
) -> UpReport:
    """Start (or find) the emulator and apply terraform/.

    ``on_healthy`` (with the report so far) and ``on_restored`` are called as soon as each step
    is done, so that a CLI can say so before tflocal's own output.
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
    if terraform is not None:
        if not already:
            report.restored = wait_for_restore(settings, mode, timeout=restore_timeout)
            if report.restored is None:
                # The emulator started empty: state describing an earlier emulator is stale.
                terraform.forget_state()
            elif on_restored is not None:
                on_restored(report.restored)
        applying = time.monotonic()
        terraform.init()
        terraform.apply()
        report.terraform_seconds = time.monotonic() - applying
    report.total_seconds = time.monotonic() - started
    return report


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
        time.sleep(0.5)
    raise PlatformError("The emulator did not finish restoring the saved lake; see `make logs`.")


def down(settings: Settings) -> DownReport:
    """Stop what ``up`` started (LocalStack delivers its Firehose buffers and saves the lake)."""
    started = time.monotonic()
    stopped = localstack.stop(settings)
    return DownReport(stopped=stopped, seconds=time.monotonic() - started)
