"""A sandbox for a test session: found running, or started in a state folder of its own.

Owns :class:`Sandbox` (the settings of one running sandbox, its Terraform and outputs, boto3
clients on its endpoint, Firehose flush, an Athena query), :func:`start` (LocalStack on a free
loopback port with its own state folder, then ``terraform/`` applied with tflocal, the same
code ``make up`` runs), :func:`find_running` (the sandbox ``make up`` started, if it answers),
:func:`stop` (only what :func:`start` started), the emulator's log tail, and names unique per
test. Everything goes through the endpoint, as the user's pipeline does; nothing here can reach
AWS (a non-local endpoint is refused).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.infra import admin, localstack
from sandbox.infra.errors import PlatformError
from sandbox.infra.outputs import Outputs, OutputsMissingError, read_outputs
from sandbox.infra.terraform import Terraform
from sandbox.query.engine.athena import AthenaEngine
from sandbox.query.engine.session import Result
from sandbox.settings import Settings

LOG_TAIL_LINES = 200


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandbox:
    """One running sandbox: its settings, the platform's Terraform outputs (None when
    ``terraform/`` was not applied), the Terraform that applied them, and whether this session
    started it (then :func:`stop` stops it)."""

    settings: Settings
    outputs: Outputs | None = None
    terraform: Terraform | None = None
    owned: bool = False
    mode: str | None = field(default=None)

    @property
    def endpoint_url(self) -> str:
        return self.settings.endpoint_url

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client of ``service`` on the sandbox (dummy credentials, its region)."""
        return self.settings.client(service, **kwargs)

    def env(self) -> dict[str, str]:
        """Environment for the ``sandbox`` command line against this sandbox: this process's,
        without any AWS_* or SANDBOX_* variable, plus the port, state folder and mode (host
        unless the sandbox is known to run in Docker)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_"))}
        env.update(
            {
                "SANDBOX_PORT": str(self.settings.port),
                "SANDBOX_STATE_DIR": str(self.settings.state_dir),
                "SANDBOX_MODE": self.mode or "host",
            }
        )
        return env

    def aws_env(self) -> dict[str, str]:
        """Environment for a program of the user's (boto3, the AWS CLI, awswrangler...) to talk
        to the sandbox only: ``AWS_ENDPOINT_URL``, dummy credentials, the region; no profile."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": self.settings.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.settings.secret_access_key,
                "AWS_DEFAULT_REGION": self.settings.region,
                "AWS_REGION": self.settings.region,
            }
        )
        return env

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run the ``sandbox`` command line against this sandbox (see :func:`run_cli`)."""
        return run_cli(self.env(), *args, timeout=timeout)

    def require_outputs(self) -> Outputs:
        if self.outputs is None:
            raise OutputsMissingError(
                "This sandbox has no Terraform outputs (terraform/ was not applied)."
            )
        return self.outputs

    def flush(self, stream: str | None = None) -> dict[str, Any]:
        """Deliver every buffered Firehose record now (one stream, or all); per-stream counts."""
        return dict(admin.flush(self.settings, stream).get("streams", {}))

    def athena(self, *, database: str | None = None, workgroup: str | None = None) -> AthenaEngine:
        """An Athena client of the sandbox (the platform's database and workgroup by default)."""
        outputs = self.outputs
        database = database or (outputs.database if outputs else "default")
        workgroup = workgroup or (outputs.workgroup if outputs else "primary")
        return AthenaEngine.for_sandbox(self.settings, workgroup=workgroup, database=database)

    def query(
        self, sql: str, *, database: str | None = None, workgroup: str | None = None
    ) -> Result:
        """Run one statement through the sandbox's Athena API and wait for it: columns, rows
        typed by Athena's column types, bytes scanned (a QueryError if it failed)."""
        return self.athena(database=database, workgroup=workgroup).execute(sql)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The emulator's last ``lines`` log lines (its log file, or the container's)."""
        if self.mode == "docker":
            proc = subprocess.run(
                localstack.compose_command("logs", "--no-color", "--tail", str(lines)),
                env=localstack.compose_environment(self.settings),
                capture_output=True,
                text=True,
                check=False,
            )
            return proc.stdout + proc.stderr
        path = self.settings.state.log_file
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``sandbox ARGS`` (this environment's) as a user would, in ``env``; its exit status
    and output, captured as text (not checked)."""
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(
    state_dir: Path,
    *,
    mode: str = "host",
    port: int | None = None,
    terraform_dir: Path | None = None,
    apply: bool = True,
    startup_timeout: float = 180.0,
) -> Sandbox:
    """Start a sandbox of its own: LocalStack (``mode``: host, docker or auto) on ``port`` (a
    free one by default) with its state in ``state_dir``, then ``terraform_dir`` (default
    ``terraform/``) applied with tflocal unless ``apply`` is false. Stopped again if any step
    fails."""
    base = Settings()
    settings = Settings(
        port=port or free_port(),
        state_dir=state_dir,
        mode=mode,
        startup_timeout=startup_timeout,
        terraform_dir=terraform_dir or base.terraform_dir,
    )
    sandbox = Sandbox(settings, owned=True)
    sandbox.mode = localstack.start(settings)
    try:
        if apply:
            sandbox.terraform = Terraform(settings)
            sandbox.terraform.init()
            sandbox.terraform.apply()
            sandbox.outputs = read_outputs(settings)
    except BaseException:
        stop(sandbox)
        raise
    return sandbox


def find_running(settings: Settings) -> Sandbox | None:
    """The sandbox running at ``settings``' endpoint (``make up``'s, by default), if one
    answers and it is the sandbox (its plugin's routes answer), with its outputs if provisioned."""
    if not settings.is_local or localstack.health(settings) is None:
        return None
    try:
        admin.persistence_status(settings)
    except PlatformError:
        return None  # some other LocalStack: not the sandbox
    try:
        outputs: Outputs | None = read_outputs(settings)
    except OutputsMissingError:
        outputs = None
    return Sandbox(settings, outputs=outputs, mode=localstack.recorded_mode(settings))


def stop(sandbox: Sandbox) -> bool:
    """Stop the sandbox if :func:`start` started it (a found one is left running)."""
    if not sandbox.owned:
        return False
    return localstack.stop(sandbox.settings)


def unique_name(hint: str, *, limit: int = 40) -> str:
    """A name no other test (or run) uses, valid as an S3 bucket, a Firehose stream, a Glue
    database (after ``-`` -> ``_``) or a prefix: lowercase letters, digits and ``-``, starting
    with a letter, ``hint`` shortened to fit ``limit`` with a random suffix."""
    slug = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-") or "test"
    if not slug[0].isalpha():
        slug = f"t-{slug}"
    suffix = uuid.uuid4().hex[:8]
    return f"{slug[: max(1, limit - len(suffix) - 1)].rstrip('-')}-{suffix}"
