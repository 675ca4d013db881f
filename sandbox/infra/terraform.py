"""Applying the production Terraform (``terraform/``) to the emulator with ``tflocal``.

The Terraform folder is never edited: ``tflocal`` runs in a working copy of it under the sandbox's
state folder (refreshed before every command), so its endpoint override file never lands in
``terraform/``. A ``tflocal`` killed mid-run (it only cleans up on SIGINT) would otherwise leave
``localstack_providers_override.tf`` behind, and every later ``tflocal`` refuses to run ("already
exists"); two sandboxes applying the same folder would collide the same way. State and
``.terraform`` live under the state folder too, and the provider comes from
the registry, or from a local filesystem mirror when one is configured or discovered (machines
without access to the Terraform registry). The mirror is an option, never a requirement.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sandbox.infra.errors import PlatformError
from sandbox.infra.outputs import save_outputs
from sandbox.settings import Settings

# Places where machine images keep a provider mirror (registry.terraform.io/hashicorp/aws/...).
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


def find_mirror(setting: str) -> Path | None:
    """The provider mirror to use: ``SANDBOX_TF_MIRROR`` (``Settings.tf_mirror``: a path, or
    ``none``), else, for ``auto``, one discovered in the usual places."""
    if setting == "none":
        return None
    if setting and setting != "auto":
        path = Path(setting).expanduser()
        if not (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            raise PlatformError(
                f"SANDBOX_TF_MIRROR={setting} holds no registry.terraform.io/hashicorp/aws; "
                "point it at a provider mirror or unset it."
            )
        return path
    for candidate in MIRROR_CANDIDATES:
        path = Path(candidate).expanduser()
        if (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return path
    return None


def plugin_cache_dir(settings: Settings) -> Path:
    """Providers are unpacked once per checkout and linked into each init (they are ~600 MB)."""
    path = settings.tf_plugin_cache
    path.mkdir(parents=True, exist_ok=True)
    return path


def cli_config(settings: Settings, mirror: Path | None) -> Path:
    """A Terraform CLI config file of our own (the machine's TF_CLI_CONFIG_FILE may not exist)."""
    path = settings.state.terraformrc
    path.parent.mkdir(parents=True, exist_ok=True)
    cache = f'plugin_cache_dir = "{plugin_cache_dir(settings)}"\n'
    if mirror is None:
        path.write_text(
            cache + "# no provider mirror: providers come from the Terraform registry\n"
        )
    else:
        path.write_text(
            cache + "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
            '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        )
    return path


# tflocal's default LS_PROVIDERS_FILE.
OVERRIDE_FILE = "localstack_providers_override.tf"
_NOT_COPIED = shutil.ignore_patterns(
    ".terraform", ".git", "*.tfstate", "*.tfstate.*", "*.tfplan", OVERRIDE_FILE
)


def stage_working_copy(source: Path, target: Path) -> Path:
    """Refresh ``target`` from ``source``: same configuration, no stale override or state.

    The dependency lock file that ``init`` may have written in ``target`` is kept unless the
    source has its own, so ``apply`` after ``init`` sees the providers ``init`` selected.
    """
    if not source.is_dir():
        raise PlatformError(f"Terraform folder {source} does not exist; set SANDBOX_TERRAFORM_DIR.")
    if target.exists():
        for entry in target.iterdir():
            if entry.name == ".terraform.lock.hcl":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    shutil.copytree(source, target, ignore=_NOT_COPIED, dirs_exist_ok=True)
    return target


def tflocal_path() -> str:
    candidate = Path(sys.executable).parent / "tflocal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("tflocal")
    if not found:
        raise PlatformError("tflocal is not installed; run `make install`.")
    return found


def require_terraform(settings: Settings) -> str:
    """The terraform executable (``TERRAFORM``, default ``terraform`` on PATH)."""
    found = shutil.which(settings.terraform)
    if not found:
        raise PlatformError(
            "terraform is not on PATH; install Terraform >= 1.5 "
            "(https://developer.hashicorp.com/terraform/install) and rerun."
        )
    return found


@dataclass(frozen=True)
class Plan:
    """What one ``tflocal plan -detailed-exitcode`` said."""

    returncode: int  # 0: no changes, 2: changes, 1: the plan failed
    output: str  # stdout and stderr

    @property
    def empty(self) -> bool:
        return self.returncode == 0

    @property
    def failed(self) -> bool:
        return self.returncode not in (0, 2)


class Terraform:
    """``tflocal`` against the sandbox endpoint, with state kept in the sandbox's state folder."""

    def __init__(self, settings: Settings) -> None:
        if not settings.is_local:
            raise PlatformError(
                f"Refusing to run tflocal against {settings.endpoint_url}: the sandbox only "
                "provisions a local emulator. Use plain `terraform` for real AWS."
            )
        self.settings = settings
        self.source = settings.terraform_dir
        self.dir = settings.state.terraform_config
        self.state = settings.state.tfstate

    def environment(self) -> dict[str, str]:
        terraform = require_terraform(self.settings)
        # The child gets this process's environment (PATH, proxies...), without any AWS_*.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "AWS_ENDPOINT_URL": self.settings.endpoint_url,
                "AWS_ACCESS_KEY_ID": self.settings.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.settings.secret_access_key,
                "AWS_DEFAULT_REGION": self.settings.region,
                "AWS_REGION": self.settings.region,
                # localhost.localstack.cloud does not resolve on offline machines.
                "S3_HOSTNAME": "localhost",
                "TF_CLI_CONFIG_FILE": str(
                    cli_config(self.settings, find_mirror(self.settings.tf_mirror))
                ),
                "TF_DATA_DIR": str(self.settings.state.terraform_data),
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
                "TF_CMD": terraform,
                # terraform-local is pinned; its "use lstk" banner on every command is noise here.
                "DISABLE_DEPRECATION_NOTICE": "1",
            }
        )
        return env

    def run(
        self, *args: str, capture: bool = False, check: bool = True
    ) -> subprocess.CompletedProcess:
        tflocal = tflocal_path()
        env = self.environment()
        stage_working_copy(self.source, self.dir)
        proc = subprocess.run(
            [tflocal, *args],
            cwd=self.dir,
            env=env,
            capture_output=capture,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] if capture else []
            raise PlatformError(
                f"`tflocal {' '.join(args[:1])}` failed"
                + (f": {detail[0]}" if detail else " (see above)")
                + "; fix the error, then rerun `make up`."
            )
        return proc

    def init(self) -> None:
        self.run("init", "-input=false", "-no-color", "-upgrade=false")

    def apply(self, extra: Sequence[str] = ()) -> None:
        self.run("apply", "-input=false", "-auto-approve", f"-state={self.state}", *extra)
        self.save_outputs()

    def plan(self) -> Plan:
        """Run ``plan`` once; the caller decides what a failed or non-empty plan means."""
        proc = self.run(
            "plan",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            f"-state={self.state}",
            capture=True,
            check=False,
        )
        return Plan(proc.returncode, proc.stdout + proc.stderr)

    def outputs(self) -> dict:
        proc = self.run("output", "-json", f"-state={self.state}", capture=True)
        return json.loads(proc.stdout or "{}")

    def save_outputs(self) -> dict:
        raw = self.outputs()
        save_outputs(self.settings, raw)
        return raw

    def forget_state(self) -> None:
        """Drop local state (the emulator it described is gone)."""
        for path in (self.state, self.settings.state.tfstate_backup):
            path.unlink(missing_ok=True)
