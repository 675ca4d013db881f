"""The settings: read once from the environment, without side effects, and one state layout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox.errors import SettingsError
from sandbox.settings import (
    DEFAULT_STATE_DIR,
    PluginSettings,
    Settings,
    StateLayout,
    is_local_endpoint,
    load,
    load_plugin_settings,
)


def test_every_host_variable_is_a_field(tmp_path: Path) -> None:
    settings = load(
        {
            "SANDBOX_PORT": "4599",
            "SANDBOX_STATE_DIR": str(tmp_path),
            "SANDBOX_TF_MIRROR": "none",
            "SANDBOX_TF_PLUGIN_CACHE": str(tmp_path / "cache"),
            "TERRAFORM": "/opt/terraform",
            "MALLOC_ARENA_MAX": "4",
        }
    )
    assert settings.port == 4599 and settings.state_dir == tmp_path.resolve()
    assert settings.tf_mirror == "none" and settings.tf_plugin_cache == tmp_path / "cache"
    assert settings.terraform == "/opt/terraform" and settings.malloc_arena_max == "4"


def test_defaults() -> None:
    settings = load({})
    assert settings == Settings(state_dir=DEFAULT_STATE_DIR.resolve())
    assert settings.tf_plugin_cache == DEFAULT_STATE_DIR / "plugin-cache"  # shared by checkout
    assert settings.endpoint_url == "http://127.0.0.1:4566" and settings.is_local


def test_load_leaves_the_environment_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "production")
    before = dict(os.environ)
    load()
    assert dict(os.environ) == before


def test_a_bad_number_is_a_one_line_error() -> None:
    with pytest.raises(SettingsError, match="SANDBOX_PORT='abc' is not a number"):
        load({"SANDBOX_PORT": "abc"})


def test_a_profile_this_machine_does_not_know_does_not_break_local_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile elsewhere]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_PROFILE", "only-on-my-laptop")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "only-on-my-laptop")
    settings = load({"SANDBOX_PORT": "4599"})
    client = settings.client("s3")
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("test", "test")
    assert client.meta.endpoint_url == "http://127.0.0.1:4599"
    assert client.meta.region_name == settings.region
    assert settings.session().region_name == settings.region


def test_another_endpoint_keeps_the_users_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real")
    settings = Settings(endpoint_override="https://firehose.eu-west-1.amazonaws.com")
    client = settings.client("firehose")
    assert client._request_signer._credentials.access_key == "AKIAREAL"
    assert client.meta.endpoint_url == "https://firehose.eu-west-1.amazonaws.com"


def test_the_state_layout(tmp_path: Path) -> None:
    state = Settings(state_dir=tmp_path).state
    assert state == StateLayout(tmp_path)
    assert state.tfstate == tmp_path / "terraform.tfstate"
    assert state.seed_ledger == tmp_path / "data" / "seeded.json"
    assert state.events_file(gzip=True) == tmp_path / "data" / "events.jsonl.gz"
    assert state.snapshot_dir("host") == tmp_path / "persist"
    assert state.snapshot_dir("docker") == tmp_path / "docker" / "persist"  # the compose volume


def test_the_plugin_snapshots_where_the_host_looks(tmp_path: Path) -> None:
    plugin = load_plugin_settings({"SANDBOX_STATE_DIR": str(tmp_path)})
    assert plugin.snapshot_dir == Settings(state_dir=tmp_path).state.persist_dir
    assert PluginSettings().snapshot_dir is None


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:4566", True),
        ("http://127.42.0.9:4566", True),  # all of 127.0.0.0/8 is loopback
        ("http://[::1]:4566", True),
        ("http://localhost:4566", True),
        ("HTTP://LOCALHOST", True),
        ("localhost:4566", True),
        ("http://127.0.0.1.example.invalid", False),  # a DNS name, resolved anywhere
        ("http://127.evil.example", False),
        ("http://localhost.example.com", False),
        ("http://localhost.localstack.cloud:4566", False),  # DNS too
        ("http://10.0.0.1:4566", False),
        ("http://0.0.0.0:4566", False),
        ("https://firehose.us-east-1.amazonaws.com", False),
        ("http://[", False),
        ("", False),
        (None, False),
    ],
)
def test_local_means_a_loopback_literal_or_localhost(url: str | None, local: bool) -> None:
    assert is_local_endpoint(url) is local
    if url:
        assert Settings(endpoint_override=url).is_local is local
