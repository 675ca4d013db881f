"""``sandbox up`` / ``down`` orchestration, with the emulator and tflocal replaced by recorders."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.infra import admin, lifecycle, localstack
from sandbox.infra.errors import PlatformError
from sandbox.infra.terraform import Terraform
from sandbox.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, port=4599)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What up/down did: emulator starts and stops, tflocal commands."""
    done: list[str] = []
    monkeypatch.setattr("sandbox.infra.lifecycle.require_terraform", lambda settings: "terraform")
    monkeypatch.setattr(Terraform, "init", lambda self, on_line=None: done.append("init"))
    monkeypatch.setattr(
        Terraform, "apply", lambda self, extra=(), **kwargs: done.append("apply") or 22
    )
    monkeypatch.setattr(Terraform, "forget_state", lambda self: done.append("forget"))
    monkeypatch.setattr(Terraform, "record_applied", lambda self: done.append("record"))
    monkeypatch.setattr(Terraform, "up_to_date", lambda self: False)
    monkeypatch.setattr(admin, "save_snapshot", lambda settings: {"saved": True})
    monkeypatch.setattr(localstack, "start", lambda settings: done.append("start") or "docker")
    monkeypatch.setattr(localstack, "stop", lambda settings: done.append("stop") or True)
    return done


def _emulator(monkeypatch: pytest.MonkeyPatch, *, running: bool, restore: dict[str, Any]) -> None:
    monkeypatch.setattr(localstack, "health", lambda settings, timeout=2.0: {} if running else None)
    monkeypatch.setattr(localstack, "read_pid", lambda settings: 4242 if running else None)
    monkeypatch.setattr(localstack, "recorded_mode", lambda settings: "host" if running else None)
    monkeypatch.setattr(admin, "persistence_status", lambda settings: restore)


def test_a_running_sandbox_is_only_reapplied(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _emulator(monkeypatch, running=True, restore={})
    seen: list[lifecycle.UpReport] = []
    report = lifecycle.up(settings, on_healthy=seen.append)
    assert calls == ["init", "apply", "record"]
    assert report.already_running and report.mode == "host" and report.restored is None
    assert seen == [report] and report.terraform_seconds is not None


def test_a_fresh_emulator_restores_the_saved_lake_before_terraform(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {"buckets": 2, "objects": 5, "tables": 2, "partitions": 3}
    _emulator(monkeypatch, running=False, restore={"restored": True, "restore": counts})
    restored: list[lifecycle.Restored] = []
    report = lifecycle.up(settings, on_restored=restored.append)
    assert calls == ["start", "init", "apply", "record"]
    assert report.restored == lifecycle.Restored(settings.state.snapshot_dir("docker"), **counts)
    assert restored == [report.restored]
    assert report.restored.folder == settings.state_dir / "docker" / "persist"


def test_an_empty_emulator_forgets_the_stale_terraform_state(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _emulator(monkeypatch, running=False, restore={"restored": True, "restore": {}})
    assert lifecycle.up(settings).restored is None
    assert calls == ["start", "forget", "init", "apply", "record"]


def _restored_as_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh emulator restores a lake, and terraform/ is what was applied against it."""
    counts = {"buckets": 1, "objects": 4, "tables": 2, "partitions": 6}
    _emulator(monkeypatch, running=False, restore={"restored": True, "restore": counts})
    monkeypatch.setattr(Terraform, "up_to_date", lambda self: True)


def test_a_restored_state_of_the_same_terraform_is_not_applied_again(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _restored_as_applied(monkeypatch)
    report = lifecycle.up(settings)
    assert calls == ["start"] and report.up_to_date and report.terraform_seconds is None
    calls.clear()
    assert lifecycle.up(settings, fresh=True).resources == 22
    assert calls == ["start", "init", "apply", "record"]


def test_an_empty_emulator_is_applied_whatever_the_record_says(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _emulator(monkeypatch, running=False, restore={"restored": True, "restore": {}})
    monkeypatch.setattr(Terraform, "up_to_date", lambda self: True)
    assert not lifecycle.up(settings).up_to_date
    assert calls == ["start", "forget", "init", "apply", "record"]


def test_an_apply_the_emulator_could_not_save_is_not_recorded(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _emulator(monkeypatch, running=True, restore={})

    def failed(settings: Settings) -> dict:
        raise PlatformError("disk full")

    monkeypatch.setattr(admin, "save_snapshot", failed)
    lifecycle.up(settings)
    assert calls == ["init", "apply"]


def test_a_failed_restore_says_how_to_discard_the_lake(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _emulator(monkeypatch, running=False, restore={"restored": True, "restore_error": "boom"})
    with pytest.raises(PlatformError, match="boom; `make clean` discards it"):
        lifecycle.up(settings)


def test_skip_terraform_starts_the_emulator_only(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _emulator(monkeypatch, running=False, restore={"restored": True})
    report = lifecycle.up(settings, skip_terraform=True)
    assert calls == ["start"] and report.terraform_seconds is None


def test_skip_terraform_still_waits_for_the_restore(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([{"restored": False}, {"restored": False}])
    counts = {"buckets": 1, "objects": 2, "tables": 0, "partitions": 0}
    _emulator(monkeypatch, running=False, restore={})
    monkeypatch.setattr(
        admin,
        "persistence_status",
        lambda settings: next(answers, {"restored": True, "restore": counts}),
    )
    monkeypatch.setattr(lifecycle.time, "sleep", lambda seconds: None)
    report = lifecycle.up(settings, skip_terraform=True)
    assert report.restored is not None and report.restored.objects == 2
    assert calls == ["start"]


def _down_with(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, before: dict[str, Any], final: Any
) -> lifecycle.DownReport:
    from sandbox import persistence

    monkeypatch.setattr(localstack, "health", lambda settings, timeout=2.0: {})
    monkeypatch.setattr(localstack, "recorded_mode", lambda settings: "host")
    monkeypatch.setattr(admin, "persistence_status", lambda settings: before)

    def stop(settings: Settings) -> bool:
        if final is not None:
            persistence.write_status(settings.state.persist_dir, final())
        return True

    monkeypatch.setattr(localstack, "stop", stop)
    return lifecycle.down(settings)


def test_down_is_quiet_when_the_final_save_succeeded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _down_with(
        monkeypatch, settings, {"enabled": True}, lambda: {"at": time.time(), "ok": True}
    )
    assert report.stopped and report.unsaved is None


def test_down_says_what_a_failed_final_save_did_not_keep(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = {"at": time.time() + 1, "ok": False, "error": "OSError: [Errno 28] No space left"}
    report = _down_with(monkeypatch, settings, {"enabled": True}, lambda: failed)
    assert report.unsaved is not None
    assert "not saved at shutdown: OSError: [Errno 28] No space left" in report.unsaved
    assert "Glue changes made since then are lost" in report.unsaved
    assert "S3 changes are kept in the journal" in report.unsaved


def test_down_fails_when_nothing_confirms_the_save(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {
        "enabled": True,
        "last_error": {"at": 1.0, "error": "OSError: disk full"},
        "journal": {"error": "OSError: disk full"},
    }
    report = _down_with(monkeypatch, settings, before, None)
    assert report.unsaved is not None
    assert "did not confirm its final save" in report.unsaved and "disk full" in report.unsaved
    assert "S3 and Glue changes made since then are lost" in report.unsaved
    result = CliRunner().invoke(main, ["down"], env={"SANDBOX_STATE_DIR": str(settings.state_dir)})
    assert result.exit_code == 1 and "not saved at shutdown" in result.output


def test_down_does_not_check_an_emulator_that_persists_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _down_with(monkeypatch, settings, {"enabled": False}, None).unsaved is None


def test_status_shows_a_failed_save() -> None:
    line, failed = lifecycle.persistence_line(
        {
            "enabled": True,
            "last_save": {"at": 1.0, "objects": 3, "partitions": 1},
            "last_error": {"at": 2.0, "error": "OSError: No space left on device"},
        }
    )
    assert failed and "the last save FAILED" in line and "No space left" in line
    line, failed = lifecycle.persistence_line(
        {"enabled": True, "last_save": {"at": 1.0, "objects": 3}, "journal": {"entries": 4}}
    )
    assert not failed and "4 S3 changes journaled" in line


def test_down_reports_whether_it_stopped_anything(
    settings: Settings, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lifecycle.down(settings).stopped
    monkeypatch.setattr(localstack, "stop", lambda settings: False)
    assert not lifecycle.down(settings).stopped


def test_the_cli_renders_the_up_report(
    tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = {"buckets": 1, "objects": 4, "tables": 2, "partitions": 6}
    _emulator(monkeypatch, running=False, restore={"restored": True, "restore": counts})
    result = CliRunner().invoke(main, ["up"], env={"SANDBOX_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"LocalStack {localstack.LOCALSTACK_VERSION} (docker mode) healthy")
    assert lines[1] == (
        f"Restored the lake from {tmp_path.resolve() / 'docker' / 'persist'}: 4 objects in 1 "
        "buckets, 2 tables, 6 partitions"
    )
    assert lines[2:4] == ["Terraform init...", "Terraform apply..."]
    assert lines[4].startswith("terraform/ applied with tflocal in ")
    assert "22 resources changed" in lines[4] and str(tmp_path / "terraform.log") in lines[4]


def test_the_cli_says_when_there_is_nothing_to_apply(
    tmp_path: Path, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _restored_as_applied(monkeypatch)
    result = CliRunner().invoke(main, ["up"], env={"SANDBOX_STATE_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "nothing to apply" in result.output.splitlines()[-1]
    assert "init" not in calls


@pytest.mark.parametrize(("code", "exit_code"), [(0, 0), (2, 1), (1, 1)])
def test_plan_runs_tflocal_plan_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, exit_code: int
) -> None:
    ran: list[tuple[str, ...]] = []

    def run(self: Terraform, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        ran.append(args)
        return subprocess.CompletedProcess(args, code, stdout="the plan\n", stderr="")

    monkeypatch.setattr(Terraform, "run", run)
    result = CliRunner().invoke(main, ["plan"], env={"SANDBOX_STATE_DIR": str(tmp_path)})
    assert [args[0] for args in ran] == ["plan"]
    assert result.exit_code == exit_code and "the plan" in result.output
    if code == 2:
        assert "the plan is not empty" in result.output


def test_an_exited_emulator_not_yet_reaped_counts_as_stopped() -> None:
    # `sandbox up` has exited, so init reaps LocalStack when it gets to it; `down` must not
    # wait for that (it was ~2 s of every `make down`).
    child = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{child.pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            break
        time.sleep(0.01)
    try:
        assert not localstack._pid_alive(child.pid)
    finally:
        child.wait()
    assert localstack._pid_alive(os.getpid())
