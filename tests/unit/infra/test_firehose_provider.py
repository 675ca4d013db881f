"""The Firehose provider as a thin adapter: it owns its engines and jq workers, translates the
stage's errors, and is reached through the plugin's runtime."""

from __future__ import annotations

import logging

import pytest
from localstack.aws.api import CommonServiceException
from localstack.aws.api.firehose import (
    ConcurrentModificationException,
    InvalidArgumentException,
    ResourceNotFoundException,
)

from sandbox.firehose.errors import (
    ConcurrentModificationError,
    FirehoseError,
    InvalidArgumentError,
    ResourceNotFoundError,
    ValidationError,
)
from sandbox.localstack_plugin import runtime
from sandbox.localstack_plugin.delivery import DeliveryEngines
from sandbox.localstack_plugin.firehose import SandboxFirehoseProvider, aws_error
from sandbox.settings import PluginSettings


@pytest.mark.parametrize(
    ("error", "exception"),
    [
        (InvalidArgumentError("bad"), InvalidArgumentException),
        (ConcurrentModificationError("stale"), ConcurrentModificationException),
        (ResourceNotFoundError("gone"), ResourceNotFoundException),
    ],
)
def test_stage_errors_become_localstacks_exception_classes(error, exception) -> None:
    translated = aws_error(error)
    assert type(translated) is exception
    assert translated.code == error.code and translated.message == error.message
    assert translated.status_code == 400


@pytest.mark.parametrize(
    "error", [ValidationError("1 validation error detected: x"), FirehoseError("?", code="Odd")]
)
def test_other_codes_keep_their_code(error) -> None:
    translated = aws_error(error)
    assert type(translated) is CommonServiceException
    assert (translated.code, translated.message) == (error.code, error.message)
    assert translated.status_code == 400


def test_the_provider_owns_its_workers_and_injects_them_into_its_engines() -> None:
    provider = SandboxFirehoseProvider(PluginSettings(jq_workers=2))
    try:
        assert provider.jq_workers is not None and provider.jq_workers.size == 2
        engine = provider.engines.engine_for("000000000000", "eu-west-1")
        assert engine._jq_workers is provider.jq_workers
        assert provider.engines.engine_for("000000000000", "eu-west-1") is engine
        assert provider.engines.engine_for("111111111111", "eu-west-1") is not engine
    finally:
        provider.engines.shutdown()
        provider.jq_workers.close()


def test_no_workers_means_jq_in_process() -> None:
    provider = SandboxFirehoseProvider(PluginSettings(jq_workers=0))
    assert provider.jq_workers is None
    other = SandboxFirehoseProvider(PluginSettings(jq_workers=0))
    assert other.engines is not provider.engines  # nothing shared between providers


def test_the_runtime_reaches_the_registered_provider() -> None:
    plugin = runtime.PluginRuntime(PluginSettings(jq_workers=0))
    assert plugin.firehose_stats() == {}
    plugin.flush_firehose()  # nothing registered: nothing to do
    plugin.shutdown_firehose()
    engines = DeliveryEngines()
    provider = SandboxFirehoseProvider(plugin.settings, engines=engines)
    plugin.register_firehose(provider)
    assert plugin.firehose is provider
    engines.engine_for("000000000000", "us-east-1")
    engines.engine_for("123456789012", "us-east-1")
    assert plugin.firehose_stats() == {}
    plugin.shutdown_firehose()
    assert engines._stop.is_set()


def test_a_failing_flush_at_shutdown_is_logged_not_raised(caplog) -> None:
    class Broken(DeliveryEngines):
        def shutdown(self) -> None:
            raise RuntimeError("boom")

    plugin = runtime.PluginRuntime(PluginSettings(jq_workers=0))
    plugin.register_firehose(SandboxFirehoseProvider(plugin.settings, engines=Broken()))
    with caplog.at_level(logging.ERROR):
        plugin.shutdown_firehose()
    assert "Flushing Firehose buffers at shutdown failed" in caplog.text


def test_settings_are_read_once_per_runtime(monkeypatch) -> None:
    previous = runtime.install(None)
    try:
        monkeypatch.setenv("SANDBOX_JQ_WORKERS", "3")
        first = runtime.current()
        monkeypatch.setenv("SANDBOX_JQ_WORKERS", "5")
        assert runtime.current() is first
        assert first.settings.jq_workers == 3
        mine = runtime.PluginRuntime(PluginSettings(fast_path=False))
        runtime.install(mine)
        assert runtime.current() is mine
    finally:
        runtime.install(previous)
