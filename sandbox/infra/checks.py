"""Prerequisite checks behind ``make check``: what is present, what is missing, what to do."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from dataclasses import dataclass

from sandbox.infra import localstack
from sandbox.infra.terraform import find_mirror
from sandbox.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _version(args: list[str]) -> str | None:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return (proc.stdout or proc.stderr).strip().splitlines()[0]


def run_checks(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    problem = localstack.docker_problem()
    docker = problem is None
    checks.append(
        Check(
            "docker engine + compose v2",
            docker,
            "available: `make up` uses Docker mode" if docker else f"{problem}: host mode is used",
            required=False,
        )
    )
    py_ok = sys.version_info >= (3, 13)
    checks.append(
        Check(
            "python >= 3.13 (host mode)",
            py_ok,
            sys.version.split()[0] if py_ok else f"{sys.version.split()[0]}: install python3.13",
            required=not docker,
        )
    )
    ls_ok = localstack.localstack_installed()
    checks.append(
        Check(
            f"localstack-core {localstack.LOCALSTACK_VERSION}",
            ls_ok,
            "installed" if ls_ok else "missing: run `make install`",
            required=not docker,
        )
    )
    terraform = shutil.which(settings.terraform)
    tf = _version([terraform, "version"]) if terraform else None
    checks.append(Check("terraform", tf is not None, tf or "missing: install Terraform >= 1.5"))
    tflocal = shutil.which("tflocal") or (
        str(localstack.Path(sys.executable).parent / "tflocal")
        if (localstack.Path(sys.executable).parent / "tflocal").exists()
        else None
    )
    checks.append(Check("tflocal", tflocal is not None, tflocal or "missing: run `make install`"))
    mirror = find_mirror(settings.tf_mirror)
    checks.append(
        Check(
            "terraform provider source",
            True,
            f"filesystem mirror {mirror}" if mirror else "Terraform registry (needs internet)",
            required=False,
        )
    )
    for module, label in (("jq", "jq (JQ queries)"), ("duckdb", "duckdb"), ("pyarrow", "pyarrow")):
        found = importlib.util.find_spec(module) is not None
        checks.append(Check(label, found, "installed" if found else "missing: `make install`"))
    httpfs = importlib.util.find_spec("duckdb_extension_httpfs") is not None
    checks.append(
        Check(
            "duckdb httpfs (offline)", httpfs, "installed" if httpfs else "missing: `make install`"
        )
    )
    running = localstack.health(settings) is not None
    busy = localstack.port_in_use(settings.host, settings.port)
    if running:
        detail = "LocalStack answers there (sandbox running)"
    elif busy:
        detail = "in use by something else: stop it or set SANDBOX_PORT"
    else:
        detail = "free"
    checks.append(Check(f"port {settings.host}:{settings.port}", running or not busy, detail))
    return checks
