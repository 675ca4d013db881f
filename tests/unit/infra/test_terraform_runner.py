"""The tflocal runner: provider mirror discovery, CLI config, the real-AWS refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.infra import terraform
from sandbox.infra.errors import PlatformError
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


def test_tflocal_runs_in_a_working_copy_that_a_killed_run_cannot_poison(tmp_path: Path) -> None:
    source = tmp_path / "terraform"
    source.mkdir()
    (source / "main.tf").write_text("# main\n")
    (source / "gone.tf").write_text("# removed later\n")
    (source / "terraform.tfstate").write_text("{}")
    (source / ".terraform").mkdir()
    # What a tflocal killed by SIGTERM leaves behind in the user's folder.
    (source / terraform.OVERRIDE_FILE).write_text("# stale\n")
    work = tmp_path / "state" / "terraform-config"

    terraform.stage_working_copy(source, work)
    assert sorted(p.name for p in work.iterdir()) == ["gone.tf", "main.tf"]

    # init wrote a lock file and tflocal was killed again inside the copy.
    (work / ".terraform.lock.hcl").write_text("# lock\n")
    (work / terraform.OVERRIDE_FILE).write_text("# stale\n")
    (source / "gone.tf").unlink()
    (source / "main.tf").write_text("# edited\n")
    terraform.stage_working_copy(source, work)

    assert sorted(p.name for p in work.iterdir()) == [".terraform.lock.hcl", "main.tf"]
    assert (work / "main.tf").read_text() == "# edited\n"
    assert (source / terraform.OVERRIDE_FILE).exists()  # the user's folder is never edited


def test_a_missing_terraform_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="SANDBOX_TERRAFORM_DIR"):
        terraform.stage_working_copy(tmp_path / "nope", tmp_path / "work")
