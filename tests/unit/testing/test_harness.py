"""The test harness's pure parts: names unique per test, the environments it hands out, and
what it reuses (the plugin's fixtures run for real in examples/ and tests/integration/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.infra import admin, localstack
from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings
from sandbox.testing import harness

BUCKET = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")  # S3 bucket naming rules (a subset)


@pytest.mark.parametrize(
    "hint",
    ["test_events[json-1]", "Test::With Spaces_and_UPPER", "123", "", "x" * 200, "--__--"],
)
def test_unique_names_are_valid_bucket_names_and_never_repeat(hint: str) -> None:
    names = {harness.unique_name(hint) for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert BUCKET.match(name) and len(name) <= 40, name


def test_the_cli_environment_names_the_sandbox_and_drops_aws_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("SANDBOX_ENDPOINT_URL", "https://athena.example.com")
    sandbox = harness.Sandbox(Settings(port=4777, state_dir=tmp_path))
    env = sandbox.env()
    assert env["SANDBOX_PORT"] == "4777" and env["SANDBOX_STATE_DIR"] == str(tmp_path)
    assert env["SANDBOX_MODE"] == "host"
    assert not any(k.startswith("AWS_") for k in env)
    assert "SANDBOX_ENDPOINT_URL" not in env
    aws = sandbox.aws_env()
    assert aws["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4777"
    assert aws["AWS_ACCESS_KEY_ID"] == "test" and "AWS_PROFILE" not in aws


def test_nothing_running_is_not_reused(tmp_path: Path) -> None:
    assert harness.find_running(Settings(port=harness.free_port(), state_dir=tmp_path)) is None


def test_a_localstack_without_the_sandbox_plugin_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(localstack, "health", lambda settings: {"services": {}})

    def no_plugin(settings: Settings) -> dict:
        raise PlatformError("GET /_sandbox/persistence answered HTTP 404")

    monkeypatch.setattr(admin, "persistence_status", no_plugin)
    assert harness.find_running(Settings(state_dir=tmp_path)) is None


def test_a_found_sandbox_is_never_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localstack, "health", lambda settings: {"services": {}})
    monkeypatch.setattr(admin, "persistence_status", lambda settings: {"enabled": True})
    found = harness.find_running(Settings(state_dir=tmp_path))
    assert found is not None and found.outputs is None and not found.owned
    monkeypatch.setattr(localstack, "stop", pytest.fail)
    assert harness.stop(found) is False


def test_a_remote_endpoint_is_never_reused(tmp_path: Path) -> None:
    remote = Settings(state_dir=tmp_path, endpoint_override="https://s3.amazonaws.com")
    assert harness.find_running(remote) is None
