"""How long a stop may take: the stop timeout setting, the Docker grace periods that follow it
(docker-compose.yml, `sandbox down`'s `docker compose stop --timeout`), and the Docker stop path
with `docker compose` faked (a real Docker run is measured in docs/reliability.md, section 3)."""

from __future__ import annotations

import json
import re
import signal
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


def _container(exit_code: int = 0, shutdown_timeout: str | None = "90") -> dict:
    """The part of ``docker inspect``'s document that the stop path reads."""
    env = ["PATH=/usr/bin", "SERVICES=s3,firehose"]
    if shutdown_timeout is not None:
        env.append(f"SHUTDOWN_TIMEOUT={shutdown_timeout}")
    return {"State": {"ExitCode": exit_code}, "Config": {"Env": env}}


class FakeDocker:
    """Records the commands; answers ``ps`` with ``running``, ``inspect`` with ``exit_code``."""

    def __init__(
        self,
        running: list[str],
        exit_code: int = 0,
        failing: str | None = None,
        stop_seconds: float = 0.0,  # how long the fake `docker compose stop` takes
        shutdown_timeout: str = "90",  # the container's SHUTDOWN_TIMEOUT
    ):
        self.running, self.exit_code, self.failing = running, exit_code, failing
        self.stop_seconds, self.shutdown_timeout = stop_seconds, shutdown_timeout
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str], **kwargs: Any) -> SimpleNamespace:
        self.calls.append(args)
        verb = args[1] if args[1] == "inspect" else args[args.index("-f") + 2]
        if verb == self.failing:
            return SimpleNamespace(returncode=1, stdout="")
        if verb == "stop":
            time.sleep(self.stop_seconds)
        stdout = {
            "ps": "".join(f"{cid}\n" for cid in self.running),
            "inspect": json.dumps(
                [_container(self.exit_code, self.shutdown_timeout) for _ in self.running]
            ),
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


def test_a_kill_is_seen_in_the_exit_status_or_the_stop_time() -> None:
    # Docker's SIGKILL: 137. The supervisor's SIGKILL of LocalStack leaves status 0 (its handler
    # reaps the child first), but it comes exactly SHUTDOWN_TIMEOUT seconds after SIGTERM.
    assert localstack.was_killed(_container(exit_code=137), stop_seconds=3)
    assert localstack.was_killed(_container(shutdown_timeout="90"), stop_seconds=90.2)
    assert not localstack.was_killed(_container(shutdown_timeout="90"), stop_seconds=12)
    assert localstack.was_killed(_container(shutdown_timeout=None), stop_seconds=5.1)  # default 5
    assert not localstack.was_killed(_container(shutdown_timeout=None), stop_seconds=4)


def test_supervisor_exits_zero_after_it_killed_localstack(tmp_path: Path) -> None:
    """Why the stop time is the evidence: the image's own localstack-supervisor (this venv's
    copy, from the localstack-core 4.14.0 wheel) against a LocalStack that ignores SIGTERM."""
    supervisor = Path(sys.executable).with_name("localstack-supervisor")
    if not supervisor.exists():
        pytest.skip("localstack-core is not installed in this environment")
    ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    env = {
        "PATH": "/usr/bin:/bin",
        "SHUTDOWN_TIMEOUT": "1",
        "LOCALSTACK_SUPERVISOR_COMMAND": f"{sys.executable} -c '{ignore}'",
    }
    proc = subprocess.Popen([sys.executable, str(supervisor)], env=env, cwd=tmp_path)
    try:
        time.sleep(1.5)  # the supervisor and its child have installed their handlers
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert 0.9 < time.monotonic() - started < 5
    finally:
        proc.kill()
        proc.wait()


def test_docker_stop_that_docker_had_to_kill_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(running=["abc123"], exit_code=137)
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    with pytest.raises(PlatformError, match=r"was killed.*SANDBOX_STOP_TIMEOUT \(now 90\)"):
        localstack.stop(settings)
    assert fake.verbs()[-1] == "down"  # the container is removed all the same
    assert not settings.state.mode_file.exists()


def test_docker_stop_as_long_as_the_supervisors_timeout_was_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker(running=["abc123"], exit_code=0, stop_seconds=1.05, shutdown_timeout="1")
    settings = _docker_settings(tmp_path, monkeypatch, fake)
    with pytest.raises(PlatformError, match="was killed"):
        localstack.stop(settings)


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
