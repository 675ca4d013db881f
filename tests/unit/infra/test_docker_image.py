"""The Docker image installs what the plugin imports inside LocalStack.

``docker/localstack.Dockerfile`` installs the sandbox package with ``--no-deps`` into LocalStack's
own virtual environment and adds the plugin's libraries by name; a library the plugin starts to
import (directly, or through the stage modules it loads) but the image lacks makes a service fail
to load in Docker mode only, which no host-mode test sees. This test follows the plugin's imports.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.unit.imports import absolute_imports

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "docker" / "localstack.Dockerfile"
# What LocalStack 4.14.0's own virtual environment brings (the image's base; its pins are
# LocalStack's requirements-runtime.txt: dill 0.3.6 for its state pickler, for instance).
LOCALSTACK_VENV = {"localstack", "moto", "boto3", "botocore", "werkzeug", "rolo", "plux", "dill"}


def _module_files(dotted: str) -> list[Path]:
    """The files Python runs to import ``dotted``: each package's __init__, then the module."""
    parts, files = dotted.split("."), []
    for end in range(1, len(parts) + 1):
        base = ROOT.joinpath(*parts[:end])
        if (base / "__init__.py").exists():
            files.append(base / "__init__.py")
        elif base.with_suffix(".py").exists():
            files.append(base.with_suffix(".py"))
            break
    return files


def plugin_third_party_imports() -> set[str]:
    todo = sorted((ROOT / "sandbox" / "localstack_plugin").glob("*.py"))
    seen: set[Path] = set()
    found: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in absolute_imports(path):
            top = name.split(".")[0]
            if top == "sandbox":
                todo.extend(_module_files(name))
            elif top not in sys.stdlib_module_names:
                found.add(top)
    return found


def installed_by_the_image() -> set[str]:
    logical = DOCKERFILE.read_text().replace("\\\n", " ")  # join continued lines
    words = {w for line in logical.splitlines() if "pip install" in line for w in line.split()}
    return {w.replace("-", "_") for w in words if re.fullmatch(r"[A-Za-z][\w-]*", w)}


def test_every_library_the_plugin_imports_is_in_the_image() -> None:
    missing = plugin_third_party_imports() - LOCALSTACK_VENV - installed_by_the_image()
    assert missing == set()


def test_the_offline_duckdb_extensions_are_in_the_image() -> None:
    # Loaded by path from their wheels (no import statement names them): httpfs for S3, iceberg
    # (which needs avro) for Iceberg tables; pyiceberg's transforms need pyiceberg-core.
    installed = installed_by_the_image()
    for package in ("duckdb_extension_httpfs", "duckdb_extension_iceberg", "duckdb_extension_avro"):
        assert package in installed
    assert {"pyiceberg", "pyiceberg_core"} <= installed


def test_the_no_deps_install_does_not_print_pips_resolver_error() -> None:
    # With --no-deps, pip still checks the environment afterwards and prints "ERROR: pip's
    # dependency resolver ..." for the CLI-only dependencies the image leaves out on purpose.
    logical = DOCKERFILE.read_text().replace("\\\n", " ")
    for line in logical.splitlines():
        if "pip install" in line and "--no-deps" in line:
            assert "--no-warn-conflicts" in line, line
    assert "--no-deps" in logical
