"""Docker mode's decisions, with ``docker`` faked: Compose v2 or host mode (and why), the Compose
project of a state folder, a failed ``up`` that leaves nothing behind, ``logs`` of the right
project, the hand-back of the container's files. The real runs are in tests/docker/."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.infra import localstack
from sandbox.infra.errors import PlatformError
from sandbox.settings import DEFAULT_STATE_DIR, Settings


class FakeDocker:
    """Answers ``docker ...`` and ``docker-compose ...`` from (command prefix -> result)."""

    def __init__(self, answers: dict[str, tuple[int, str]], which: set[str]) -> None:
        self.answers, self.which = answers, which
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def run(self, args: list[str], **kwargs: Any) -> SimpleNamespace:
        self.calls.append((args, kwargs))
        line = " ".join(args)
        for prefix, (code, out) in self.answers.items():
            if line.startswith(prefix) or f" {prefix}" in line:
                return SimpleNamespace(returncode=code, stdout=out, stderr="")
        return SimpleNamespace(returncode=0, stdout="", stderr="")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
        monkeypatch.setattr(localstack.subprocess, "run", self.run)
        monkeypatch.setattr(
            localstack.shutil,
            "which",
            lambda name: f"/usr/bin/{name}" if name in self.which else None,
        )
        return self


ENGINE = {"docker info": (0, "20.10.24")}


@pytest.fixture
def quiet_docker(monkeypatch: pytest.MonkeyPatch) -> FakeDocker:
    """A docker that answers every command with success and no output."""
    return FakeDocker({}, {"docker"}).install(monkeypatch)


def test_compose_v2_is_docker_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeDocker({**ENGINE, "docker compose version": (0, "2.26.1")}, {"docker"}).install(monkeypatch)
    assert localstack.docker_problem() is None
    assert localstack.choose_mode(Settings(mode="auto"), say=pytest.fail) == "docker"


def test_only_compose_v1_picks_host_mode_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {**ENGINE, "docker compose": (1, ""), "docker-compose version": (0, "1.29.2")}
    FakeDocker(answers, {"docker", "docker-compose"}).install(monkeypatch)
    said: list[str] = []
    assert localstack.choose_mode(Settings(mode="auto"), say=said.append) == "host"
    assert len(said) == 1
    assert "only Compose v1 is installed (docker-compose 1.29.2)" in said[0]
    assert "Compose v2" in said[0]


def test_forced_docker_mode_without_compose_v2_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = {**ENGINE, "docker compose": (1, ""), "docker-compose version": (0, "1.29.2")}
    FakeDocker(answers, {"docker", "docker-compose"}).install(monkeypatch)
    with pytest.raises(PlatformError, match=r"SANDBOX_MODE=docker, but only Compose v1.*plugin"):
        localstack.choose_mode(Settings(mode="docker"))


def test_no_engine_is_host_mode_in_auto_and_an_error_when_forced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    FakeDocker({"docker info": (1, "Cannot connect to the Docker daemon")}, {"docker"}).install(
        monkeypatch
    )
    said: list[str] = []
    assert localstack.choose_mode(Settings(mode="auto"), say=said.append) == "host"
    assert "no Docker engine answers" in said[0] and "Cannot connect" in said[0]
    with pytest.raises(PlatformError, match=r"no Docker engine answers.*start Docker"):
        localstack.choose_mode(Settings(mode="docker"))


def test_forced_host_mode_asks_docker_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDocker({}, {"docker"}).install(monkeypatch)
    assert localstack.choose_mode(Settings(mode="host"), say=pytest.fail) == "host"
    assert fake.calls == []


def test_each_state_folder_is_a_compose_project_of_its_own(tmp_path: Path) -> None:
    default = Settings(state_dir=DEFAULT_STATE_DIR)
    assert localstack.compose_project(default) == "aws-data-sandbox"  # the file's own name
    mine = localstack.compose_project(Settings(state_dir=tmp_path / "a"))
    other = localstack.compose_project(Settings(state_dir=tmp_path / "b"))
    assert mine != other and "aws-data-sandbox" not in (mine, other)
    env = localstack.compose_environment(
        Settings(state_dir=tmp_path / "a", port=4777, services=("s3", "sqs"))
    )
    assert env["COMPOSE_PROJECT_NAME"] == mine
    assert env["SANDBOX_PORT"] == "4777"
    assert env["SANDBOX_SERVICES"] == "s3,sqs"


def test_a_failed_docker_up_leaves_no_mode_and_keeps_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeDocker({}, {"docker"})

    def run(args: list[str], **kwargs: Any) -> SimpleNamespace:
        verb = args[args.index("-f") + 2]
        fake.calls.append((args, kwargs))
        if verb == "logs":
            kwargs["stdout"].write(b"localstack-1  | boom\n")
        return SimpleNamespace(returncode=1 if verb == "up" else 0, stdout="", stderr="")

    monkeypatch.setattr(localstack.subprocess, "run", run)
    settings = Settings(state_dir=tmp_path, port=1)  # nothing listens on port 1
    with pytest.raises(PlatformError, match=r"docker compose up` failed.*localstack.log"):
        localstack.start_docker(settings)
    assert not settings.state.mode_file.exists()
    verbs = [args[args.index("-f") + 2] for args, _ in fake.calls]
    assert verbs == ["up", "logs", "down"]
    assert "boom" in settings.state.log_file.read_text()
    assert settings.state.docker_dir.is_dir()  # made by the user, not by Docker as root
    for _, kwargs in fake.calls:
        assert kwargs["env"]["COMPOSE_PROJECT_NAME"] == localstack.compose_project(settings)


def test_logs_read_this_state_folders_project(tmp_path: Path, quiet_docker: FakeDocker) -> None:
    fake = quiet_docker
    settings = Settings(state_dir=tmp_path)
    localstack.docker_logs(settings, 7)
    (args, kwargs), *_ = fake.calls
    assert args[args.index("-f") + 2 :] == ["logs", "--no-color", "--tail", "7"]
    assert kwargs["env"]["COMPOSE_PROJECT_NAME"] == localstack.compose_project(settings)


def test_files_already_the_owners_need_no_hand_back(
    tmp_path: Path, quiet_docker: FakeDocker
) -> None:
    fake = quiet_docker
    settings = Settings(state_dir=tmp_path)
    assert localstack.give_back_state(settings) is False  # no docker/ folder yet
    (settings.state.docker_dir / "persist").mkdir(parents=True)
    (settings.state.docker_dir / "persist" / "index.json").write_text("{}")
    assert localstack.give_back_state(settings) is False
    assert fake.calls == []


def test_foreign_files_are_chowned_to_the_state_folders_owner(
    tmp_path: Path, quiet_docker: FakeDocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = quiet_docker
    settings = Settings(state_dir=tmp_path)
    settings.state.docker_dir.mkdir()
    monkeypatch.setattr(localstack, "_foreign_owned", lambda folder, owner: True)
    assert localstack.give_back_state(settings) is True
    (args, _), *_ = fake.calls
    st = tmp_path.stat()
    assert args[args.index("-f") + 2 :] == [
        *("run", "--rm", "--no-deps", "-T", "--entrypoint", "chown", "localstack"),
        *("-R", f"{st.st_uid}:{st.st_gid}", localstack.CONTAINER_STATE_DIR),
    ]
