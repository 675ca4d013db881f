"""How long a stop may take: the stop timeout setting, the Docker grace periods that follow it
(docker-compose.yml, `sandbox down`'s `docker compose stop --timeout`), and the Docker stop path
with `docker compose` faked (a real Docker run is measured in docs/reliability.md, section 3)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from sandbox.errors import SettingsError
from sandbox.infra import localstack
from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings, load

ROOT = Path(__file__).resolve().parents[3]
_VARIABLE = re.compile(r"\$\{(\w+):-([^}]*)\}")


def _interpolate(value: object, env: Mapping[str, str]) -> str:
    """Compose's ``${NAME:-default}``: the variable when set and not empty, else the default."""
    return _VARIABLE.sub(lambda m: env.get(m.group(1)) or m.group(2), str(value))


def _seconds(duration: str) -> float:
    """A Compose duration such as ``130s``, ``2m`` or ``1m30s``."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def _service() -> dict:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"]["localstack"]


# The settings -----------------------------------------------------------------------------


def test_stop_timeout_defaults_and_reads_its_variable() -> None:
    assert load({}).stop_timeout == Settings().stop_timeout == 120
    assert load({"SANDBOX_STOP_TIMEOUT": "300"}).stop_timeout == 300
    assert load({"SANDBOX_STOP_TIMEOUT": ""}).stop_timeout == 120


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "soon"])
def test_stop_timeout_must_be_whole_positive_seconds(value: str) -> None:
    # localstack-supervisor reads SHUTDOWN_TIMEOUT with int() and treats 0 as "wait forever".
    with pytest.raises(SettingsError, match="SANDBOX_STOP_TIMEOUT"):
        load({"SANDBOX_STOP_TIMEOUT": value})


# The compose file and the compose commands ------------------------------------------------


@pytest.mark.parametrize(
    "env", [{}, {"SANDBOX_STOP_TIMEOUT": "300"}, {"SANDBOX_STOP_TIMEOUT": "7"}]
)
def test_compose_grace_is_never_shorter_than_the_supervisors_timeout(env: dict) -> None:
    service = _service()
    supervisor = int(_interpolate(service["environment"]["SHUTDOWN_TIMEOUT"], env))
    grace = _seconds(_interpolate(service["stop_grace_period"], env))
    assert supervisor == load(env).stop_timeout  # the same setting as host mode's stop wait
    assert grace >= supervisor


def test_compose_defaults_are_the_settings_defaults() -> None:
    service = _service()
    default = Settings().stop_timeout
    assert _interpolate(service["environment"]["SHUTDOWN_TIMEOUT"], {}) == str(default)
    assert _seconds(_interpolate(service["stop_grace_period"], {})) >= default
    # Both are read from the variable, not written as literals.
    assert "${SANDBOX_STOP_TIMEOUT:-" in service["environment"]["SHUTDOWN_TIMEOUT"]
    assert "${SANDBOX_STOP_TIMEOUT:-" in service["stop_grace_period"]


def test_compose_environment_passes_the_stop_timeout(tmp_path: Path) -> None:
    env = localstack.compose_environment(Settings(state_dir=tmp_path, stop_timeout=222))
    assert env["SANDBOX_STOP_TIMEOUT"] == "222"


def test_sandbox_down_gives_docker_more_than_the_supervisor() -> None:
    args = localstack.compose_stop_args(Settings(stop_timeout=200))
    assert args[0] == "stop"
    timeout = int(args[args.index("--timeout") + 1])
    assert timeout == localstack.docker_stop_grace(Settings(stop_timeout=200))
    assert timeout > 200  # the supervisor's SIGKILL first, Docker's only as the backstop


# Host mode's stop wait ------------------------------------------------------------------


def test_host_stop_waits_the_stop_timeout_then_kills(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, stop_timeout=1)
    # A stand-in that ignores SIGTERM and looks like LocalStack to _is_localstack.
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "localstack.runtime.main"], start_new_session=True
    )
    try:
        time.sleep(0.5)  # let it install its handler
        settings.state.pid_file.write_text(str(proc.pid))
        started = time.monotonic()
        assert localstack.stop_host(settings) is True
        assert proc.wait(timeout=5) == -9
        assert 0.9 < time.monotonic() - started < 5
    finally:
        proc.kill()
        proc.wait()


# The Docker stop path, with docker compose faked ----------------------------------------


class FakeDocker:
    """Records the commands; answers ``ps`` with ``running``, ``inspect`` with ``exit_code``."""

    def __init__(self, running: list[str], exit_code: int = 0, failing: str | None = None):
        self.running, self.exit_code, self.failing = running, exit_code, failing
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str], **kwargs: Any) -> SimpleNamespace:
        self.calls.append(args)
        verb = args[1] if args[1] == "inspect" else args[args.index("-f") + 2]
        if verb == self.failing:
            return SimpleNamespace(returncode=1, stdout="")
        stdout = {
            "ps": "".join(f"{cid}\n" for cid in self.running),
            "inspect": "".join(f"{self.exit_code}\n" for _ in self.running),
        }.get(verb, "")
        return SimpleNamespace(returncode=0, stdout=stdout)

    def verbs(self) -> list[str]:
        return [a[1] if a[1] == "inspect" else a[a.index("-f") + 2] for a in self.calls]


def _docker_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeDocker) -> Settings:
    monkeypatch.setattr(localstack, "docker_engine_available", lambda: True)
    monkeypatch.setattr(localstack.subprocess, "run", fake)
    settings = Settings(state_dir=tmp_path, stop_timeout=90)
    settings.state.mode_file.write_text("docker")
    return settings


def test_docker_stop_passes_the_grace_and_reports_a_clean_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(running=["abc123"], exit_code=0)
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    assert localstack.stop(settings) is True
    assert fake.verbs() == ["ps", "stop", "inspect", "down"]
    stop = fake.calls[1]
    assert stop[stop.index("--timeout") + 1] == "100"
    assert not settings.state.mode_file.exists()


def test_docker_stop_with_nothing_running_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A failed Docker `up` left the mode file behind: `down` must not claim it stopped anything.
    fake = FakeDocker(running=[])
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    assert localstack.stop(settings) is False
    assert not settings.state.mode_file.exists()


@pytest.mark.parametrize("exit_code", [247, 137])  # the supervisor's SIGKILL, Docker's SIGKILL
def test_docker_stop_that_had_to_kill_localstack_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exit_code: int
) -> None:
    fake = FakeDocker(running=["abc123"], exit_code=exit_code)
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    with pytest.raises(PlatformError, match="SANDBOX_STOP_TIMEOUT=90s and was killed"):
        localstack.stop(settings)
    assert fake.verbs()[-1] == "down"  # the container is removed all the same
    assert not settings.state.mode_file.exists()


def test_docker_stop_failure_keeps_the_mode_for_another_try(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(running=["abc123"], failing="stop")
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    with pytest.raises(PlatformError, match="docker compose stop"):
        localstack.stop(settings)
    assert settings.state.mode_file.read_text() == "docker"


def test_docker_stop_without_an_engine_has_nothing_to_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(running=[])
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    monkeypatch.setattr(localstack, "docker_engine_available", lambda: False)
    assert localstack.stop(settings) is False
    assert fake.calls == []
    assert not settings.state.mode_file.exists()
