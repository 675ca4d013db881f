"""Static checks of the Docker path (no Docker engine runs on CI machines)."""

from __future__ import annotations

from pathlib import Path

import yaml

from sandbox.infra.localstack import LOCALSTACK_VERSION, PROVIDER_OVERRIDES, SERVICES

ROOT = Path(__file__).resolve().parents[3]


def _service() -> dict:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"]["localstack"]


def test_image_is_pinned_to_the_last_account_free_release() -> None:
    dockerfile = (ROOT / _service()["build"]["dockerfile"]).read_text()
    assert f"FROM localstack/localstack:{LOCALSTACK_VERSION}\n" in dockerfile
    assert _service()["image"].endswith(f":{LOCALSTACK_VERSION}")


def test_port_is_published_on_loopback_only() -> None:
    ports = _service()["ports"]
    assert ports, "the gateway port must be published"
    for port in ports:
        assert str(port).startswith("127.0.0.1:"), port


def test_only_the_platform_services_run_with_the_sandbox_providers() -> None:
    environment = _service()["environment"]
    # Settings.services by default; `sandbox up` passes the setting as SANDBOX_SERVICES.
    assert environment["SERVICES"] == f"${{SANDBOX_SERVICES:-{SERVICES}}}"
    for key, value in PROVIDER_OVERRIDES.items():
        assert environment[key] == value
    assert str(environment["MALLOC_ARENA_MAX"]) == "2"  # as in host mode


def test_healthcheck_probes_localstack_health() -> None:
    test = _service()["healthcheck"]["test"]
    assert any("/_localstack/health" in part for part in test)


def test_plugin_is_installed_into_localstacks_venv() -> None:
    dockerfile = (ROOT / _service()["build"]["dockerfile"]).read_text()
    assert "/opt/code/localstack/.venv/bin/pip install" in dockerfile
    assert "COPY sandbox " in dockerfile
