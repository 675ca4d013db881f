"""Applying the production Terraform (``terraform/``) to the emulator with ``tflocal``.

The Terraform folder is never edited: Terraform runs in a working copy of it under the sandbox's
state folder (refreshed before every command), so the endpoint override file never lands in
``terraform/``. A ``tflocal`` killed mid-run (it only cleans up on SIGINT) would otherwise leave
``localstack_providers_override.tf`` behind, and every later ``tflocal`` refuses to run ("already
exists"); two sandboxes applying the same folder would collide the same way. State and
``.terraform`` live under the state folder too, and the provider comes from
the registry, or from a local filesystem mirror when one is configured or discovered (machines
without access to the Terraform registry). The mirror is an option, never a requirement.

The override is ``tflocal``'s (``DRY_RUN=1``: it writes the file and runs nothing), made once
per configuration and endpoint and kept in ``Settings.cache_dir``, then Terraform runs directly
(tflocal's own start, Python, python-hcl2 and a ``terraform version``, cost ~1 s of every
command). Its ``endpoints`` block is dropped: the AWS provider validates that block's ~400
attributes at every ``ConfigureProvider`` (measured: ~3 s of CPU each, twice per ``apply``, for 8
endpoints as for 107), and the provider reads the same endpoint from ``AWS_ENDPOINT_URL``, which
the environment sets for every service (the provider's "Custom Service Endpoint Configuration"
guide: provider endpoints, then ``AWS_ENDPOINT_URL_<SERVICE>``, then ``AWS_ENDPOINT_URL``; the
child gets no other ``AWS_*`` variable). A fresh state folder also reuses the ``TF_DATA_DIR`` an
earlier ``init`` of the same configuration made (its providers are links into the plugin cache).

Every run's full output goes to ``<state>/terraform.log`` (``on_line`` also gets each line, for
``make up VERBOSE=1``); ``apply`` reports its progress (resources done of those planned).
:func:`fingerprint` is what ``make up`` compares with the record of the last successful apply
against this state (``terraform-applied.json``) to skip an ``init``/``apply`` with nothing to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

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
_IGNORED = (".terraform", ".git", "*.tfstate", "*.tfstate.*", "*.tfplan", OVERRIDE_FILE)
_NOT_COPIED = shutil.ignore_patterns(*_IGNORED)


# Terraform resource types whose service the sandbox saves and restores: the lake (S3, Glue:
# sandbox.persistence) and sandbox.localstack_plugin.service_state.SERVICES (STS has no
# resources). tests/unit/infra checks the two agree. Not restored (an apply runs): Kinesis
# streams (kinesis-mock's state, in a folder LocalStack clears at start), Lambda, and every
# other service.
RESTORED_RESOURCE_PREFIXES = {
    "s3": ("aws_s3_bucket",),
    "glue": ("aws_glue_", "terraform_data"),  # terraform/'s terraform_data makes a Glue table
    "firehose": ("aws_kinesis_firehose_",),
    "iam": ("aws_iam_",),
    "logs": ("aws_cloudwatch_log_",),
    "athena": ("aws_athena_",),
    "sts": (),
    "kms": ("aws_kms_",),
    "sqs": ("aws_sqs_",),
    "sns": ("aws_sns_",),
    "ssm": ("aws_ssm_parameter",),
    "secretsmanager": ("aws_secretsmanager_",),
    "events": ("aws_cloudwatch_event_",),
    "cloudwatch": (
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_composite_alarm",
        "aws_cloudwatch_dashboard",
    ),
    # moto's EC2 backend: the VPC building blocks data-platform Terraform declares.
    "ec2": (
        "aws_vpc",
        "aws_default_",
        "aws_subnet",
        "aws_security_group",
        "aws_vpc_security_group_",
        "aws_route",
        "aws_main_route_table_association",
        "aws_internet_gateway",
        "aws_egress_only_internet_gateway",
        "aws_nat_gateway",
        "aws_eip",
        "aws_network_acl",
        "aws_network_interface",
        "aws_key_pair",
        "aws_launch_template",
        "aws_ebs_volume",
        "aws_ec2_tag",
    ),
}


# Resource types whose object lives in the Terraform state itself (or on this machine's disk),
# not in the emulator: a restart loses nothing of them. A provisioner of a ``terraform_data``
# (terraform/glue.tf's Iceberg table: ``aws glue create-table``) acts on the emulator once, at
# creation; what it made there is in a restored service like the rest.
STATE_ONLY_RESOURCE_PREFIXES = (
    "terraform_data",
    "null_resource",
    "random_",
    "time_",
    "tls_",
    "local_",
)


def unrestored_resources(state: dict[str, Any]) -> list[str]:
    """Managed resources of a Terraform state (format 4) that a restart does not restore."""
    prefixes = tuple(p for group in RESTORED_RESOURCE_PREFIXES.values() for p in group)
    prefixes += STATE_ONLY_RESOURCE_PREFIXES
    return [
        f"{item.get('type')}.{item.get('name')}"
        for item in state.get("resources") or []
        if item.get("mode") == "managed" and not str(item.get("type", "")).startswith(prefixes)
    ]


def fingerprint(settings: Settings) -> str:
    """What an apply depends on: every file of terraform/ that is copied for tflocal (``.tf``,
    ``.tfvars``, the lock file...), the ``TF_VAR_*`` variables and the region."""
    source = settings.terraform_dir
    digest = hashlib.sha256(f"region={settings.region}\n".encode())
    for name, value in sorted(os.environ.items()):
        if name.startswith("TF_VAR_"):
            digest.update(f"env {name}={value}\n".encode())
    if source.is_dir():
        ignored = shutil.ignore_patterns(*_IGNORED)
        for path in sorted(_files(source, ignored)):
            digest.update(f"file {path.relative_to(source)}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _files(folder: Path, ignored: Callable[[str, list[str]], set[str]]) -> list[Path]:
    names = [entry.name for entry in folder.iterdir()]
    skip = ignored(str(folder), names)
    found: list[Path] = []
    for name in names:
        if name in skip:
            continue
        path = folder / name
        found.extend(_files(path, ignored) if path.is_dir() else [path])
    return found


# tflocal's provider block (TF_PROVIDER_CONFIG) holds one ``endpoints { ... }`` block per provider.
_ENDPOINTS_BLOCK = re.compile(r'\n[ \t]*endpoints \{\n(?:[ \t]*\w+ = "[^"\n]*"\n)*[ \t]*\}')
OVERRIDE_FORMAT = 1  # bump when what is cached from tflocal's override changes


def strip_endpoints(override: str) -> str:
    """tflocal's override without its ``endpoints`` blocks (``AWS_ENDPOINT_URL`` points every
    service at the sandbox instead)."""
    return _ENDPOINTS_BLOCK.sub("", override)


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:32]


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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


def _tflocal_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("terraform-local")
    except PackageNotFoundError:
        return "unknown"


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
                # terraform/ runs the AWS CLI (the Iceberg table's Glue call): the venv's first.
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
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
                # No upgrade check against checkpoint-api.hashicorp.com (offline: a DNS wait).
                "CHECKPOINT_DISABLE": "1",
            }
        )
        return env

    def provider_override(self, env: dict[str, str]) -> str:
        """The override file's text: tflocal's for this configuration (and endpoint, if the
        text names it: an S3 backend's block), without its ``endpoints`` blocks; made once
        (``DRY_RUN=1 tflocal``) and cached in ``Settings.cache_dir``. Call with the working
        copy staged."""
        # Not the lock file: the provider's version only changes tflocal's endpoint list.
        key = _digest(
            OVERRIDE_FORMAT,
            fingerprint(self.settings),
            env["TF_CMD"],  # Terraform's version changes an S3 backend's block
            self.settings.access_key_id,
            _tflocal_version(),
        )
        folder = self.settings.cache_dir / "tflocal-override"
        portable = folder / f"{key}.tf"  # names no endpoint: good for any port
        specific = folder / f"{key}-{_digest(self.settings.endpoint_url)}.tf"
        for cached in (portable, specific):
            with contextlib.suppress(OSError):
                return cached.read_text()
        target = self.dir / OVERRIDE_FILE
        target.unlink(missing_ok=True)
        try:
            done = subprocess.run(
                [tflocal_path(), "plan"],
                cwd=self.dir,
                env={**env, "DRY_RUN": "1"},
                capture_output=True,
                text=True,
                check=False,
            )
            output = (done.stdout + done.stderr).strip()
        except OSError as exc:
            done, output = None, str(exc)
        if done is None or done.returncode != 0 or not target.exists():
            detail = output.splitlines()[-1:] or ["no output"]
            raise PlatformError(
                f"tflocal could not write its provider override: {detail[0]}; "
                "check `tflocal` (`make install`)."
            )
        text = strip_endpoints(target.read_text())
        port = f":{urlparse(self.settings.endpoint_url).port}"
        _write_atomically(specific if port in text else portable, text)
        return text

    def run(
        self,
        *args: str,
        capture: bool = False,
        check: bool = True,
        on_line: Callable[[str], Any] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run ``terraform <args>`` with the sandbox's provider override (what ``tflocal
        <args>`` runs); its output goes to the log (and to ``on_line``, line by line), and is
        returned when ``capture``."""
        env = self.environment()
        stage_working_copy(self.source, self.dir)
        (self.dir / OVERRIDE_FILE).write_text(self.provider_override(env))
        log_path = self.settings.state.terraform_log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        lines: list[str] = []
        command = [env["TF_CMD"], *args]
        with log_path.open("a") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} terraform {' '.join(args)}\n")
            log.flush()
            if capture:  # stdout alone is the answer (`output -json`)
                done = subprocess.run(
                    command, cwd=self.dir, env=env, capture_output=True, text=True, check=False
                )
                stdout, stderr, returncode = done.stdout, done.stderr, done.returncode
                lines = (done.stdout + done.stderr).splitlines(keepends=True)
                log.writelines(lines)
            else:
                proc = subprocess.Popen(
                    command,
                    cwd=self.dir,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                assert proc.stdout is not None
                for line in proc.stdout:
                    log.write(line)
                    lines.append(line)
                    if on_line is not None:
                        on_line(line.rstrip("\n"))
                stdout, stderr, returncode = "".join(lines), "", proc.wait()
            log.write(f"=== exit {returncode}\n")
        if check and returncode != 0:
            errors = [line for line in lines if "Error:" in line]
            detail = (errors or lines[-1:] or [""])[0].strip().lstrip("│ ").strip()
            raise PlatformError(
                f"`terraform {' '.join(args[:1])}` failed"
                + (f": {detail}" if detail else "")
                + f" (full output: {log_path}); fix the error, then rerun `make up`."
            )
        return subprocess.CompletedProcess(command, returncode, stdout=stdout, stderr=stderr)

    def init(self, on_line: Callable[[str], Any] | None = None) -> bool:
        """``init``, unless the last one succeeded for this very configuration and provider
        source (its providers are still in ``TF_DATA_DIR``), or an earlier state folder's did
        (its ``TF_DATA_DIR`` and lock file are copied); whether it ran."""
        data = self.settings.state.terraform_data
        marker = data / "sandbox-init.json"
        wanted = {
            "fingerprint": fingerprint(self.settings),
            "mirror": str(find_mirror(self.settings.tf_mirror)),
        }
        lock = self.dir / ".terraform.lock.hcl"
        with contextlib.suppress(OSError, ValueError):
            if json.loads(marker.read_text()) == wanted and lock.exists():
                return False
        marker.unlink(missing_ok=True)
        template = self._init_template(wanted)
        if (template / "done").exists():
            stage_working_copy(self.source, self.dir)
            if data.exists():
                shutil.rmtree(data)
            shutil.copytree(template / "data", data, symlinks=True)
            shutil.copy2(template / ".terraform.lock.hcl", lock)
            return False
        self.run("init", "-input=false", "-no-color", "-upgrade=false", on_line=on_line)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(wanted))
        self._save_init_template(template)
        return True

    def _init_template(self, wanted: dict[str, str]) -> Path:
        key = _digest(
            wanted["fingerprint"],
            wanted["mirror"],
            self.settings.tf_plugin_cache.resolve(),
            require_terraform(self.settings),
        )
        return self.settings.cache_dir / "terraform-init" / key

    def _save_init_template(self, template: Path) -> None:
        """Keep what ``init`` made for the next fresh state folder; not when a backend's
        state is among it (it names this endpoint)."""
        data = self.settings.state.terraform_data
        lock = self.dir / ".terraform.lock.hcl"
        if (data / "terraform.tfstate").exists() or not lock.exists() or template.exists():
            return
        tmp = template.with_name(f".{template.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            shutil.copytree(data, tmp / "data", symlinks=True)
            shutil.copy2(lock, tmp / ".terraform.lock.hcl")
            (tmp / "done").write_text("")
            os.replace(tmp, template)
        except OSError:  # another sandbox saved it meanwhile, or no space: init again next time
            shutil.rmtree(tmp, ignore_errors=True)

    def apply(
        self,
        extra: Sequence[str] = (),
        *,
        on_line: Callable[[str], Any] | None = None,
        on_progress: Callable[[int, int], Any] | None = None,
    ) -> int:
        """Apply; the number of resources it created, changed or destroyed."""
        progress = ApplyProgress(on_progress)

        def line(text: str) -> None:
            progress.feed(text)
            if on_line is not None:
                on_line(text)

        args = ["apply", "-input=false", "-no-color", "-auto-approve", f"-state={self.state}"]
        self.run(*args, *extra, on_line=line)
        self.save_outputs()
        return progress.done

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
        """What ``terraform output -json`` prints, read from the state file it reads (format
        4: ``outputs`` maps each name to its value and type): no second tflocal run, whose
        start (tflocal, Terraform, the state lock) cost ~2 s of every ``make up``."""
        try:
            state = json.loads(self.state.read_text())
        except (OSError, ValueError) as exc:
            raise PlatformError(f"Terraform state {self.state} is unreadable ({exc}).") from exc
        if state.get("version") != 4:
            proc = self.run("output", "-json", f"-state={self.state}", capture=True)
            return dict(json.loads(proc.stdout or "{}"))
        return {
            name: {
                "sensitive": bool(item.get("sensitive", False)),
                "type": item.get("type"),
                "value": item.get("value"),
            }
            for name, item in (state.get("outputs") or {}).items()
        }

    def save_outputs(self) -> dict:
        raw = self.outputs()
        save_outputs(self.settings, raw)
        return raw

    def forget_state(self) -> None:
        """Drop local state (the emulator it described is gone), and the record of its apply."""
        for path in (
            self.state,
            self.settings.state.tfstate_backup,
            self.settings.state.terraform_applied,
        ):
            path.unlink(missing_ok=True)

    def up_to_date(self) -> bool:
        """Whether terraform/ is what was last applied against this state (nothing to do).

        Also requires that every resource the state holds belongs to a service whose state the
        sandbox restores (:data:`RESTORED_RESOURCE_PREFIXES`): a user's SQS queue or VPC
        resource starts empty after a restart, so skipping the apply would leave it missing
        while Terraform believes it exists.
        """
        try:
            record = json.loads(self.settings.state.terraform_applied.read_text())
        except (OSError, ValueError):
            return False
        return (
            isinstance(record, dict)
            and record.get("fingerprint") == fingerprint(self.settings)
            and self.state.exists()
            and self.settings.state.outputs_file.exists()
            and not self.unrestored_resources()
        )

    def unrestored_resources(self) -> list[str]:
        """The state's managed resources (``type.name``) that a restart does not restore."""
        try:
            state = json.loads(self.state.read_text())
        except (OSError, ValueError):
            return ["(unreadable state)"]
        return unrestored_resources(state)

    def record_applied(self) -> None:
        """Remember that terraform/ as it is now was applied against this state."""
        path = self.settings.state.terraform_applied
        record = {"fingerprint": fingerprint(self.settings), "at": time.time()}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, path)


_PLANNED = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")
_FINISHED = re.compile(r": (Creation|Modifications|Destruction) complete after ")


class ApplyProgress:
    """Counts an apply's resources as its output reports them (``Plan: N to add...``, then
    one ``...complete after`` line per resource)."""

    def __init__(self, report: Callable[[int, int], Any] | None = None) -> None:
        self.report = report
        self.total = 0
        self.done = 0

    def feed(self, line: str) -> None:
        if planned := _PLANNED.search(line):
            self.total = sum(int(n) for n in planned.groups())
        elif _FINISHED.search(line):
            self.done += 1
        else:
            return
        if self.report is not None:
            self.report(self.done, max(self.total, self.done))
