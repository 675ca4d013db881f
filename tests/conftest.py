"""Shared fixtures. Integration tests get the running sandbox from the ``sandbox`` fixture;
the engine's lock-down tests (unit and integration) a server nothing may reach, ``trap``.

``sandbox`` is the pytest plugin's ``aws_sandbox`` (``sandbox/testing/pytest_plugin.py``, the
fixtures users' own tests get), set up in pyproject.toml never to reuse a running sandbox and to
start host mode: the test session starts its own LocalStack on a free loopback port
(``SANDBOX_TEST_PORT`` fixes it) with its own state folder, applies ``terraform/`` with tflocal
through the project's code, and stops it at the end; a user's running sandbox on 4566 is never
touched. When an integration test failed, the LocalStack log tail is printed.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sandbox.infra.outputs import read_outputs
from sandbox.infra.terraform import Terraform
from sandbox.settings import Settings
from sandbox.testing.harness import Sandbox

ROOT = Path(__file__).resolve().parent.parent
SEED_SESSIONS, SEED_VALUE = 300, 7
# The session's sandbox, or a platform copy on it: settings, outputs, terraform, client(), env().
SandboxHandle = Sandbox


@pytest.fixture(scope="session")
def sandbox(aws_sandbox: Sandbox) -> Sandbox:
    return aws_sandbox


def apply_platform_copy(
    sandbox: SandboxHandle, folder: Path, name: str, extra_vars: str = ""
) -> SandboxHandle:
    """Apply a copy of terraform/ with its own names and state, on the session's emulator.

    Tests that need a lake nobody else writes to (exact counts) use such a copy: its own
    bucket, streams and Glue database, and a state folder whose Terraform outputs the
    ``sandbox`` CLI reads (``SANDBOX_STATE_DIR``).
    """
    terraform_dir = folder / "terraform"
    shutil.copytree(
        ROOT / "terraform",
        terraform_dir,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "localstack_providers_*"),
    )
    (terraform_dir / "copy.auto.tfvars").write_text(
        f'project = "{name}"\nfirehose_stream_name = "{name}"\n'
        f'glue_database_name = "{name}_db"\nforce_destroy = true\n' + extra_vars
    )
    settings = Settings(
        port=sandbox.settings.port, state_dir=folder / "state", terraform_dir=terraform_dir
    )
    terraform = Terraform(settings)
    terraform.init()
    terraform.apply()
    return SandboxHandle(settings, read_outputs(settings), terraform)


def run_cli(handle: SandboxHandle, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the ``sandbox`` command line as a user would, against ``handle``'s platform."""
    return handle.cli(*args, timeout=timeout)


@dataclass
class SeededLake:
    platform: SandboxHandle
    seed: subprocess.CompletedProcess
    data_file: Path


@pytest.fixture(scope="session")
def seeded_lake(sandbox: SandboxHandle, tmp_path_factory: pytest.TempPathFactory) -> SeededLake:
    """A platform copy filled by ``sandbox seed`` through its own Firehose streams."""
    name = f"lake{uuid.uuid4().hex[:6]}"
    platform = apply_platform_copy(sandbox, tmp_path_factory.mktemp("lake"), name)
    proc = run_cli(
        platform, "seed", "--sessions", str(SEED_SESSIONS), "--seed", str(SEED_VALUE), "-q"
    )
    return SeededLake(platform, proc, platform.settings.state.events_file())


class _Trap(BaseHTTPRequestHandler):
    """Answers any request with ``{}`` and records it (``METHOD /path``) in ``hits``."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_HEAD = do_PUT = do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server of the test's own, where every request is a leak: its port and the
    requests it received. Stopped after the test, or after 120 s at the latest."""
    hits: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Trap", (_Trap,), {"hits": hits}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = threading.Timer(120, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield server.server_address[1], hits
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()
