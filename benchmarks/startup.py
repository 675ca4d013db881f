"""The ``startup`` stage of ``make bench``: start-up time, idle footprint and the dev loop
(issue 17), side by side with plain LocalStack 4.14 started by the bench in the same run.

Where each figure comes from (medians of ``--runs`` rounds; in each round plain LocalStack and the
sandbox start one after the other, so the machine's load drifts over both alike):

- *healthy*: from launching ``python -m localstack.runtime.main`` (``localstack.start_host``,
  with and without the sandbox's providers) until ``/_localstack/health`` lists the services
  ready (for the sandbox also Glue and Athena), on a state folder each kind started once before
  (untimed): the first start on a fresh folder builds LocalStack's service catalogue cache, ~5 s
  and ~250 MB that later starts load from the cache instead;
- *idle RSS*: the LocalStack process tree's resident memory (``/proc``) 10 s after healthy,
  nothing sent;
- *make up, apply from empty state*: ``sandbox up`` (what ``make up`` runs) on an empty state
  folder of an installed clone that ran ``make up`` once before (providers in the plugin cache;
  LocalStack's service catalogue, the ``init`` and tflocal's override in ``.sandbox/cache/``, but
  the override is made again: the bench's port is new); *make down*: ``sandbox down``
  right after it, with empty Firehose buffers; *make up, restored, nothing changed*: ``sandbox
  up`` again on that state (no apply);
- *RSS after ingest*: the restored sandbox's tree RSS 60 s after ``--sessions`` sessions were sent
  through both Terraform streams and flushed, next to the same instance's idle RSS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.report import median
from benchmarks.rss import tree_rss
from sandbox.emit.records import Records
from sandbox.infra import admin, localstack
from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings

IDLE_AFTER_S = 10.0
AFTER_INGEST_S = 60.0


def _settings(root: Path, name: str) -> Settings:
    from benchmarks.stages import bench_settings

    return bench_settings(root, name)


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_"))}
    env.update(
        {
            "SANDBOX_PORT": str(settings.port),
            "SANDBOX_STATE_DIR": str(settings.state_dir),
            "SANDBOX_MODE": "host",
        }
    )
    return env


def _cli(settings: Settings, *args: str) -> tuple[float, str]:
    """Run ``sandbox <args>`` as a user would; (wall seconds, stdout)."""
    sandbox_cli = Path(sys.executable).parent / "sandbox"
    started = time.perf_counter()
    proc = subprocess.run(
        [str(sandbox_cli), *args],
        env=_cli_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise PlatformError(f"`sandbox {' '.join(args)}` failed: {(proc.stderr or '')[-500:]}")
    return seconds, proc.stdout


def _start_and_idle(
    settings: Settings, *, sandbox_providers: bool, idle: float = IDLE_AFTER_S
) -> dict[str, float]:
    """Start LocalStack, time it to healthy, read its RSS ``idle`` seconds later, stop it."""
    started = time.perf_counter()
    pid = localstack.start_host(settings, sandbox_providers=sandbox_providers)
    healthy = time.perf_counter() - started
    try:
        time.sleep(idle)
        rss = tree_rss(pid)
    finally:
        localstack.stop_host(settings)
    return {"healthy_seconds": healthy, "idle_rss_bytes": rss}


def _dev_loop(settings: Settings) -> dict[str, Any]:
    """``sandbox up`` from empty state, ``down``, ``up`` restored; leaves the sandbox up."""
    up_empty, out_empty = _cli(settings, "up")
    down, _ = _cli(settings, "down")
    up_restored, out_restored = _cli(settings, "up")
    applied = re.search(r"applied with tflocal in ([\d.]+)s", out_empty)
    healthy = re.search(r"healthy at \S+ after ([\d.]+)s", out_restored)
    restore = admin.persistence_status(settings).get("restore_seconds") or {}
    return {
        "up_restored_healthy_seconds": float(healthy.group(1)) if healthy else None,
        "up_restored_restore_seconds": restore,
        "up_empty_seconds": up_empty,
        "terraform_seconds": float(applied.group(1)) if applied else None,
        "down_seconds": down,
        "up_restored_seconds": up_restored,
        "restored_applied": "nothing to apply" not in out_restored,
    }


def _after_ingest(settings: Settings, records: Records, concurrency: int) -> dict[str, Any]:
    """Idle RSS of the (restored) sandbox, then its RSS 60 s after an ingest and flush."""
    from benchmarks.stages import _send
    from sandbox.infra.outputs import read_outputs

    pid = localstack.read_pid(settings)
    if pid is None:
        raise PlatformError("the sandbox of the startup stage is not running")
    idle = tree_rss(pid)
    outputs = read_outputs(settings)
    _send(settings, [outputs.json_stream, outputs.parquet_stream], records, concurrency)
    admin.flush(settings)
    time.sleep(AFTER_INGEST_S)
    return {"idle_rss_bytes": idle, "after_ingest_rss_bytes": tree_rss(pid)}


def startup(
    root: Path, runs: int, records: Records | None, concurrency: int, echo: Any
) -> dict[str, Any]:
    """Plain LocalStack and the sandbox, ``runs`` rounds; the dev loop and the ingest once per
    round too (the ingest only in the last round, it takes a minute)."""
    plain_runs: list[dict[str, float]] = []
    sandbox_runs: list[dict[str, float]] = []
    loops: list[dict[str, Any]] = []
    ingest: dict[str, Any] = {}
    plain, sandbox = _settings(root, "startup-plain"), _settings(root, "startup-sandbox")
    _start_and_idle(plain, sandbox_providers=False, idle=0.0)  # warm: the catalogue cache
    _start_and_idle(sandbox, sandbox_providers=True, idle=0.0)
    for run in range(runs):
        plain_runs.append(_start_and_idle(plain, sandbox_providers=False))
        sandbox_runs.append(_start_and_idle(sandbox, sandbox_providers=True))
        loop_settings = _settings(root, "startup-loop")
        try:
            loops.append(_dev_loop(loop_settings))
            if run == runs - 1 and records is not None:
                ingest = _after_ingest(loop_settings, records, concurrency)
        finally:
            _cli(loop_settings, "down")
        echo(
            f"  startup round {run + 1}/{runs}: healthy plain "
            f"{plain_runs[-1]['healthy_seconds']:.1f}s / sandbox "
            f"{sandbox_runs[-1]['healthy_seconds']:.1f}s, idle RSS plain "
            f"{plain_runs[-1]['idle_rss_bytes'] / 1e6:.0f} MB / sandbox "
            f"{sandbox_runs[-1]['idle_rss_bytes'] / 1e6:.0f} MB; up (apply) "
            f"{loops[-1]['up_empty_seconds']:.1f}s, down {loops[-1]['down_seconds']:.1f}s, "
            f"up (restored) {loops[-1]['up_restored_seconds']:.1f}s"
        )

    def med(rows: list[dict[str, Any]], key: str) -> float | None:
        return median(r.get(key) for r in rows)

    return {
        "runs": runs,
        "plain_healthy_seconds": med(plain_runs, "healthy_seconds"),
        "sandbox_healthy_seconds": med(sandbox_runs, "healthy_seconds"),
        "plain_idle_rss_bytes": med(plain_runs, "idle_rss_bytes"),
        "sandbox_idle_rss_bytes": med(sandbox_runs, "idle_rss_bytes"),
        "up_empty_seconds": med(loops, "up_empty_seconds"),
        "terraform_seconds": med(loops, "terraform_seconds"),
        "down_seconds": med(loops, "down_seconds"),
        "up_restored_seconds": med(loops, "up_restored_seconds"),
        "up_restored_healthy_seconds": med(loops, "up_restored_healthy_seconds"),
        "restored_applied": any(loop["restored_applied"] for loop in loops),
        **{f"ingest_{k}": v for k, v in ingest.items()},
        "rounds": {"plain": plain_runs, "sandbox": sandbox_runs, "loop": loops},
    }


def targets(doc: dict[str, Any]) -> list[tuple[str, str, float | None, float | None, str]]:
    """(name, goal, measured, limit, unit) of issue 17's targets; None: not measured."""
    s = doc.get("startup") or {}
    mb = 1e6

    def scaled(key: str, by: float = 1.0) -> float | None:
        value = s.get(key)
        return None if value is None else value / by

    plain_healthy, plain_idle = s.get("plain_healthy_seconds"), scaled("plain_idle_rss_bytes", mb)
    idle = scaled("ingest_idle_rss_bytes", mb)
    return [
        ("make up, restored, nothing changed", "≤ 5 s", s.get("up_restored_seconds"), 5.0, "s"),
        ("make up, apply from empty state", "≤ 10 s", s.get("up_empty_seconds"), 10.0, "s"),
        (
            "healthy after start",
            "≤ plain LocalStack + 1 s",
            s.get("sandbox_healthy_seconds"),
            None if plain_healthy is None else plain_healthy + 1.0,
            "s",
        ),
        (
            "idle RSS 10 s after healthy",
            "≤ plain LocalStack + 50 MB",
            scaled("sandbox_idle_rss_bytes", mb),
            None if plain_idle is None else plain_idle + 50.0,
            "MB",
        ),
        (
            "RSS 60 s after ingest + flush",
            "≤ 1.5× idle",
            scaled("ingest_after_ingest_rss_bytes", mb),
            None if idle is None else idle * 1.5,
            "MB",
        ),
        ("make down, empty buffers", "≤ 3 s", s.get("down_seconds"), 3.0, "s"),
    ]


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} {unit}" if unit == "s" else f"{value:.0f} {unit}"


def verdicts(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The targets as the report's ``targets`` entries (name, goal, measured, verdict)."""
    found = []
    for name, goal, measured, limit, unit in targets(doc):
        verdict = (
            "-" if measured is None or limit is None else ("met" if measured <= limit else "MISSED")
        )
        found.append(
            {"name": name, "goal": goal, "measured": _show(measured, unit), "verdict": verdict}
        )
    return found


def markdown(doc: dict[str, Any]) -> str:
    """The stage's section of the report ("" when it did not run)."""
    from benchmarks.report import markdown_table

    s = doc.get("startup")
    if not s:
        return ""
    plain = {
        "healthy after start": _show(s.get("plain_healthy_seconds"), "s"),
        "idle RSS 10 s after healthy": _show((s.get("plain_idle_rss_bytes") or 0) / 1e6, "MB"),
    }
    table = markdown_table(
        ["measurement (issue 17)", "sandbox", "plain LocalStack 4.14", "target", "verdict"],
        [
            [t["name"], t["measured"], plain.get(t["name"], "-"), t["goal"], t["verdict"]]
            for t in verdicts(doc)
        ],
        right=(1, 2),
    )
    ingest = ""
    loops = (s.get("rounds") or {}).get("loop") or []
    if loops and s.get("up_restored_healthy_seconds") is not None:
        ingest += (
            f" `make up` restored: the emulator healthy after "
            f"{s['up_restored_healthy_seconds']:.1f} s, then the restore "
            f"{json.dumps(loops[-1].get('up_restored_restore_seconds') or {})} s (last round)."
        )
    if s.get("ingest_idle_rss_bytes"):
        ingest += (
            f" The ingest row: the restored sandbox idle at "
            f"{s['ingest_idle_rss_bytes'] / 1e6:.0f} MB before the ingest."
        )
    return (
        f"\nStart-up and the dev loop, median of {s.get('runs')} rounds (see "
        f"benchmarks/startup.py for where each figure comes from).{ingest}\n\n{table}\n"
    )
