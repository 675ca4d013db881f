"""The tflocal runner: provider mirror discovery, CLI config, the real-AWS refusal."""

from __future__ import annotations

import json
import os
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


def _configured(tmp_path: Path) -> Settings:
    source = tmp_path / "terraform"
    source.mkdir()
    (source / "main.tf").write_text("# main\n")
    (source / "terraform.tfvars").write_text('name = "a"\n')
    return Settings(state_dir=tmp_path / "state", terraform_dir=source, port=4599)


def test_the_fingerprint_follows_files_variables_and_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _configured(tmp_path)
    monkeypatch.delenv("TF_VAR_name", raising=False)
    first = terraform.fingerprint(settings)
    # what tflocal and Terraform leave in the folder is not part of it
    (settings.terraform_dir / "terraform.tfstate").write_text("{}")
    (settings.terraform_dir / ".terraform").mkdir()
    (settings.terraform_dir / ".terraform" / "x").write_text("x")
    assert terraform.fingerprint(settings) == first
    (settings.terraform_dir / "terraform.tfvars").write_text('name = "b"\n')
    second = terraform.fingerprint(settings)
    assert second != first
    monkeypatch.setenv("TF_VAR_name", "c")
    assert terraform.fingerprint(settings) != second
    monkeypatch.delenv("TF_VAR_name")
    other_region = Settings(
        state_dir=settings.state_dir, terraform_dir=settings.terraform_dir, region="eu-west-1"
    )
    assert terraform.fingerprint(other_region) != second


def test_an_apply_is_up_to_date_until_terraform_changes(tmp_path: Path) -> None:
    settings = _configured(tmp_path)
    runner = terraform.Terraform(settings)
    assert not runner.up_to_date()
    settings.state.root.mkdir(parents=True)
    runner.state.write_text("{}")
    settings.state.outputs_file.write_text("{}")
    runner.record_applied()
    assert runner.up_to_date()
    (settings.terraform_dir / "main.tf").write_text("# edited\n")
    assert not runner.up_to_date()
    runner.record_applied()
    runner.forget_state()  # the emulator it described is gone
    assert not runner.up_to_date() and not settings.state.terraform_applied.exists()


def _resource(type_: str, name: str, mode: str = "managed") -> dict:
    return {"mode": mode, "type": type_, "name": name, "instances": []}


def test_a_resource_the_restart_does_not_restore_makes_the_apply_run(tmp_path: Path) -> None:
    """A user's Kinesis stream is not in the restored emulator: skipping the apply would lose
    it."""
    settings = _configured(tmp_path)
    runner = terraform.Terraform(settings)
    settings.state.root.mkdir(parents=True)
    platform = [
        _resource("aws_s3_bucket", "lake"),
        _resource("aws_s3_bucket_policy", "lake"),
        _resource("aws_glue_catalog_table", "events"),
        _resource("aws_kinesis_firehose_delivery_stream", "json"),
        _resource("aws_iam_role_policy", "firehose"),
        _resource("aws_cloudwatch_log_stream", "s3"),
        _resource("aws_athena_workgroup", "primary"),
        _resource("aws_sqs_queue", "jobs"),
        _resource("aws_ssm_parameter", "dsn"),
        _resource("aws_security_group", "lake"),
        _resource("aws_vpc", "default", mode="data"),  # read, never restored: no matter
        # Only in the state: terraform/glue.tf's Iceberg table (a provisioner made it in Glue).
        _resource("terraform_data", "events_iceberg"),
        _resource("random_id", "suffix"),
    ]
    runner.state.write_text(json.dumps({"version": 4, "resources": platform}))
    settings.state.outputs_file.write_text("{}")
    runner.record_applied()
    assert runner.unrestored_resources() == [] and runner.up_to_date()
    stream = _resource("aws_kinesis_stream", "clicks")
    runner.state.write_text(json.dumps({"version": 4, "resources": [*platform, stream]}))
    assert runner.unrestored_resources() == ["aws_kinesis_stream.clicks"]
    assert not runner.up_to_date()


def test_the_restored_resource_types_are_the_services_the_plugin_saves() -> None:
    from sandbox.localstack_plugin import service_state

    assert set(terraform.RESTORED_RESOURCE_PREFIXES) == {"s3", "glue", *service_state.SERVICES}


def test_apply_progress_counts_the_resources_its_output_reports() -> None:
    seen: list[tuple[int, int]] = []
    progress = terraform.ApplyProgress(lambda done, planned: seen.append((done, planned)))
    for line in (
        "aws_s3_bucket.this: Refreshing state...",
        "Plan: 2 to add, 1 to change, 0 to destroy.",
        "aws_s3_bucket.this: Creating...",
        "aws_s3_bucket.this: Creation complete after 0s [id=b]",
        "aws_iam_role.r: Modifications complete after 1s [id=r]",
        'aws_glue_catalog_table.t["x"]: Creation complete after 0s [id=t]',
    ):
        progress.feed(line)
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)] and progress.done == 3


def _fake(path: Path, script: str) -> Path:
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def test_every_terraform_run_is_logged_and_a_failure_names_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _configured(tmp_path)
    fake = _fake(
        tmp_path / "terraform-bin", 'echo "running $1"\necho "Error: bad thing" >&2\nexit 3\n'
    )
    monkeypatch.setattr(terraform, "require_terraform", lambda settings: str(fake))
    monkeypatch.setattr(terraform.Terraform, "provider_override", lambda self, env: "# o\n")
    seen: list[str] = []
    with pytest.raises(PlatformError, match="Error: bad thing") as failure:
        terraform.Terraform(settings).run("apply", on_line=seen.append)
    assert str(settings.state.terraform_log) in str(failure.value)
    assert seen == ["running apply", "Error: bad thing"]
    log = settings.state.terraform_log.read_text()
    assert "terraform apply" in log and "running apply" in log and "=== exit 3" in log
    # Terraform ran in the working copy, with the override beside the configuration.
    assert (settings.state.terraform_config / terraform.OVERRIDE_FILE).read_text() == "# o\n"


def _fake_terraform_version(tmp_path: Path) -> Path:
    """A stand-in for `terraform` that answers tflocal's `terraform version -json`."""
    return _fake(tmp_path / "tf-version", 'echo \'{"terraform_version": "1.11.4"}\'\n')


def test_the_override_is_tflocals_without_endpoints_and_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real tflocal writes it (DRY_RUN); a provider alias keeps its block, and no block
    keeps an ``endpoints`` list (AWS_ENDPOINT_URL points every service at the sandbox)."""
    settings = _configured(tmp_path)
    settings = Settings(
        state_dir=settings.state_dir,
        terraform_dir=settings.terraform_dir,
        port=4599,
        cache_dir=tmp_path / "cache",
    )
    (settings.terraform_dir / "main.tf").write_text(
        'provider "aws" {\n  alias  = "replica"\n  region = "eu-west-1"\n}\n'
    )
    monkeypatch.setattr(
        terraform, "require_terraform", lambda s: str(_fake_terraform_version(tmp_path))
    )
    runner = terraform.Terraform(settings)
    env = runner.environment()
    terraform.stage_working_copy(runner.source, runner.dir)
    text = runner.provider_override(env)
    assert text.count('provider "aws"') == 2 and 'alias = "replica"' in text
    assert "endpoints" not in text and "http://" not in text
    assert "s3_use_path_style = true" in text and 'access_key                  = "test"' in text
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4599"
    assert not [k for k in env if k.startswith("AWS_ENDPOINT_URL_")]
    # Cached: no second tflocal run (tflocal made unrunnable proves it).
    monkeypatch.setattr(terraform, "tflocal_path", lambda: str(tmp_path / "no-tflocal"))
    assert runner.provider_override(env) == text
    # It names no endpoint: a sandbox on another port uses it too.
    other = terraform.Terraform(
        Settings(
            state_dir=tmp_path / "other",
            terraform_dir=settings.terraform_dir,
            port=4600,
            cache_dir=settings.cache_dir,
        )
    )
    terraform.stage_working_copy(other.source, other.dir)
    assert other.provider_override(other.environment()) == text
    # Another configuration is another override.
    (settings.terraform_dir / "extra.tf").write_text("# more\n")
    terraform.stage_working_copy(other.source, other.dir)
    with pytest.raises(PlatformError, match="tflocal could not write"):
        other.provider_override(other.environment())


def test_strip_endpoints_leaves_everything_else() -> None:
    override = (
        'provider "aws" {\n  access_key = "test"\n  region = "us-east-1"\n  endpoints {\n'
        '    s3 = "http://localhost:4566"\n    sts = "http://localhost:4566"\n }\n}\n'
        'terraform {\n  backend "s3" {\n    endpoint = "http://localhost:4566"\n  }\n}\n'
    )
    assert terraform.strip_endpoints(override) == (
        'provider "aws" {\n  access_key = "test"\n  region = "us-east-1"\n}\n'
        'terraform {\n  backend "s3" {\n    endpoint = "http://localhost:4566"\n  }\n}\n'
    )


def test_a_fresh_state_folder_reuses_an_earlier_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``init`` runs once per configuration: the next state folder gets a copy of its
    TF_DATA_DIR (provider links) and lock file; a changed configuration runs it again."""
    fake = _fake(
        tmp_path / "terraform-bin",
        'echo init >> "$COUNT"\nmkdir -p "$TF_DATA_DIR/providers"\n'
        'ln -s /opt/provider "$TF_DATA_DIR/providers/aws"\necho "# lock" > .terraform.lock.hcl\n',
    )
    monkeypatch.setenv("COUNT", str(tmp_path / "count"))
    monkeypatch.setattr(terraform, "require_terraform", lambda settings: str(fake))
    monkeypatch.setattr(terraform.Terraform, "provider_override", lambda self, env: "# o\n")
    source = _configured(tmp_path).terraform_dir

    def runner(name: str) -> terraform.Terraform:
        return terraform.Terraform(
            Settings(
                state_dir=tmp_path / name,
                terraform_dir=source,
                cache_dir=tmp_path / "cache",
                tf_mirror="none",
                tf_plugin_cache=tmp_path / "plugins",
            )
        )

    first = runner("a")
    assert first.init() is True
    assert first.init() is False  # same folder: the marker
    second = runner("b")
    assert second.init() is False
    data = second.settings.state.terraform_data
    assert (data / "providers" / "aws").is_symlink()
    assert os.readlink(data / "providers" / "aws") == "/opt/provider"
    assert (second.dir / ".terraform.lock.hcl").read_text() == "# lock\n"
    assert second.init() is False
    (source / "main.tf").write_text("# changed\n")
    assert runner("c").init() is True
    assert (tmp_path / "count").read_text().splitlines() == ["init", "init"]


def test_outputs_are_read_from_the_state_as_terraform_output_prints_them(tmp_path: Path) -> None:
    settings = _configured(tmp_path)
    runner = terraform.Terraform(settings)
    settings.state.root.mkdir(parents=True)
    state = {
        "version": 4,
        "outputs": {
            "bucket_name": {"value": "sandbox-events", "type": "string"},
            "secret": {"value": "x", "type": "string", "sensitive": True},
        },
    }
    runner.state.write_text(json.dumps(state))
    assert runner.outputs() == {
        "bucket_name": {"sensitive": False, "type": "string", "value": "sandbox-events"},
        "secret": {"sensitive": True, "type": "string", "value": "x"},
    }
    runner.state.write_text("{")
    with pytest.raises(PlatformError, match="unreadable"):
        runner.outputs()
