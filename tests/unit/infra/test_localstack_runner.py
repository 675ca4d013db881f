"""Host-mode runner: environment, refusal paths and what `stop` may touch."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sandbox.infra import localstack
from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings, load


def _settings(tmp_path: Path, port: int = 4566) -> Settings:
    return Settings(port=port, state_dir=tmp_path)


def test_environment_binds_loopback_and_keeps_state_in_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_PROFILE", "production")
    env = localstack.localstack_environment(_settings(tmp_path, 4599))
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4599"
    assert env["GATEWAY_SERVER"] == "hypercorn"
    assert env["OVERRIDE_IN_DOCKER"] == "0"
    assert env["DNS_ADDRESS"] == "0"
    for key in ("HOME", "XDG_CACHE_HOME", "FILESYSTEM_ROOT", "TMPDIR"):
        assert env[key].startswith(str(tmp_path))
    # the user's real credentials never reach the emulator
    assert env["AWS_ACCESS_KEY_ID"] == "test"
    assert "AWS_PROFILE" not in env
    assert env["PROVIDER_OVERRIDE_FIREHOSE"] == "sandbox"


def test_malloc_arenas_are_capped_unless_the_user_chose(tmp_path: Path) -> None:
    # Without the cap, LocalStack's peak RSS grew ~80 MB per 100k-session ingest (glibc arenas).
    state = {"SANDBOX_STATE_DIR": str(tmp_path)}
    capped = localstack.localstack_environment(load(state))
    assert capped["MALLOC_ARENA_MAX"] == "2"
    chosen = localstack.localstack_environment(load({**state, "MALLOC_ARENA_MAX": "8"}))
    assert chosen["MALLOC_ARENA_MAX"] == "8"


def test_baseline_environment_keeps_localstacks_own_providers(tmp_path: Path) -> None:
    env = localstack.localstack_environment(_settings(tmp_path), sandbox_providers=False)
    assert not any(key.startswith("PROVIDER_OVERRIDE_") for key in env)


def test_port_already_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(PlatformError, match=f"Port {port} .* already in use.*SANDBOX_PORT"):
            localstack.start_host(_settings(tmp_path, port))
    assert not _settings(tmp_path).state.pid_file.exists()


def test_stop_without_a_recorded_process_touches_nothing(tmp_path: Path) -> None:
    assert localstack.stop_host(_settings(tmp_path)) is False


def test_stop_ignores_a_pid_file_naming_another_program(tmp_path: Path) -> None:
    import os

    settings = _settings(tmp_path)
    settings.state.pid_file.write_text(str(os.getpid()))  # this pytest process, not LocalStack
    assert localstack.read_pid(settings) is None
    assert localstack.stop_host(settings) is False


def test_unknown_mode_is_rejected(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, mode="kubernetes")
    with pytest.raises(PlatformError, match="SANDBOX_MODE"):
        localstack.choose_mode(settings)


def test_a_fresh_state_folder_gets_the_catalogue_an_earlier_start_built(tmp_path: Path) -> None:
    """LocalStack's catalogue index and certificate are built once per checkout (~5 s), and
    copied where a fresh folder's LocalStack looks for them first; nothing else is shared."""
    shared = tmp_path / "cache"
    first = Settings(state_dir=tmp_path / "a", cache_dir=shared)
    own = first.state.localstack_dir / "fs" / "var" / "lib" / "localstack" / "cache"
    own.mkdir(parents=True)
    (own / "service-catalog-4_14_0-1_42_54.dill").write_bytes(b"index")
    (own / "server.test.pem").write_text("cert")
    (own / "machine.json").write_text("{}")  # this instance's own: never shared
    assert sorted(localstack.keep_cache(first)) == [
        "server.test.pem",
        "service-catalog-4_14_0-1_42_54.dill",
    ]
    assert localstack.keep_cache(first) == []  # kept once

    second = Settings(state_dir=tmp_path / "b", cache_dir=shared)
    assert sorted(localstack.seed_cache(second)) == [
        "server.test.pem",
        "service-catalog-4_14_0-1_42_54.dill",
    ]
    seeded = second.state.localstack_dir / "fs" / "var" / "lib" / "localstack" / "cache"
    assert (seeded / "service-catalog-4_14_0-1_42_54.dill").read_bytes() == b"index"
    assert not (seeded / "machine.json").exists()
    (seeded / "server.test.pem").write_text("its own")
    assert localstack.seed_cache(second) == []  # what a folder has is never overwritten
    assert (seeded / "server.test.pem").read_text() == "its own"


def test_the_sandbox_gets_allocators_that_give_memory_back_unless_the_user_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in localstack.ALLOCATOR_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    env = localstack.localstack_environment(_settings(tmp_path))
    assert env["PYTHONMALLOC"] == "mimalloc" and env["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    assert env["MIMALLOC_PURGE_DELAY"] == "0"
    # plain LocalStack (the bench's baseline) runs as shipped
    plain = localstack.localstack_environment(_settings(tmp_path), sandbox_providers=False)
    assert not set(localstack.ALLOCATOR_ENVIRONMENT) & set(plain)
    monkeypatch.setenv("PYTHONMALLOC", "pymalloc")
    assert localstack.localstack_environment(_settings(tmp_path))["PYTHONMALLOC"] == "pymalloc"
