"""The tflocal runner: provider mirror discovery, CLI config, the real-AWS refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.platform import terraform
from sandbox.platform.errors import PlatformError
from sandbox.settings import Settings


def _mirror(root: Path) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0").mkdir(parents=True)
    return root


def test_mirror_can_be_disabled_or_forced(tmp_path: Path) -> None:
    assert terraform.find_mirror("none") is None
    mirror = _mirror(tmp_path / "mirror")
    assert terraform.find_mirror(str(mirror)) == mirror


def test_a_forced_mirror_without_the_provider_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="SANDBOX_TF_MIRROR"):
        terraform.find_mirror(str(tmp_path))


def test_mirror_is_discovered_from_candidates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = _mirror(tmp_path / "plugins")
    monkeypatch.setattr(terraform, "MIRROR_CANDIDATES", (str(tmp_path / "none"), str(mirror)))
    assert terraform.find_mirror("auto") == mirror
    monkeypatch.setattr(terraform, "MIRROR_CANDIDATES", (str(tmp_path / "none"),))
    assert terraform.find_mirror("auto") is None  # falls back to the registry


def test_cli_config_points_terraform_at_the_mirror(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    text = terraform.cli_config(settings, tmp_path / "mirror").read_text()
    assert f'path    = "{tmp_path / "mirror"}"' in text
    assert "filesystem_mirror" in text and "direct" in text
    assert "provider_installation" not in terraform.cli_config(settings, None).read_text()


def test_refuses_to_provision_anything_but_a_local_endpoint(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, endpoint_override="https://sts.amazonaws.com")
    with pytest.raises(PlatformError, match="Refusing"):
        terraform.Terraform(settings)
