"""The plugin's shutdown: the process ends without Python's finalisation only after a graceful
stop, and restored Firehose streams get an engine unless the write-ahead log configured one."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.localstack_plugin import hooks


def test_the_process_skips_finalisation_only_after_the_shutdown_hooks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exits: list[int] = []
    monkeypatch.setattr(hooks.os, "_exit", exits.append)
    monkeypatch.setattr(hooks, "_stopped", hooks.threading.Event())
    hooks._exit_without_finalising()
    assert exits == []  # a crash at start or a failed shutdown finalises as usual
    hooks._stopped.set()
    hooks._exit_without_finalising()
    assert exits == [0]


class _Engine:
    def __init__(self, known: list[str]) -> None:
        self.known = known
        self.configured: list[tuple[str, str]] = []

    def stream_names(self) -> list[str]:
        return self.known

    def configure_stream(self, name: str, version: str, destination: dict) -> None:
        self.configured.append((name, version))


def test_restored_streams_get_an_engine_unless_the_log_configured_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = _Engine(known=["from-the-log"])
    restored = [
        ("000000000000", "us-east-1", "from-the-log", "4", {}),
        ("000000000000", "us-east-1", "only-restored", "2", {}),
    ]
    monkeypatch.setattr(hooks, "_restored_streams", lambda: restored)

    class Engines:
        durable_horizon: Any = None

        def recover(self) -> None:
            pass

        def engine_for(self, account: str, region: str) -> _Engine:
            return engine

    class Runtime:
        class settings:
            firehose_wal_dir = None
            persist_enabled = False

        class firehose:
            engines = Engines()

    hooks.replay_firehose_log(Runtime())
    assert engine.configured == [("only-restored", "2")]
