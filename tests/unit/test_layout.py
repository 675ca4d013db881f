"""The package's shape: what a newcomer (and the import system) relies on.

No module shadows a standard-library module (``sandbox/platform/`` did: ``sandbox up`` run from
inside ``sandbox/`` imported it instead of Python's ``platform`` and failed); the query rooms
depend one way; the pure cores import neither LocalStack nor a network client.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.unit.imports import absolute_imports

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [ROOT / "sandbox", ROOT / "benchmarks"]
# The query stage's rooms, lowest first: a room may import only itself and rooms before it.
QUERY_ROOMS = ["dialect", "catalog", "engine", "api", "analysis"]
PURE = ["sandbox/core", "sandbox/firehose"]
NETWORK_OR_EMULATOR = {"localstack", "moto", "boto3", "botocore", "requests", "urllib3", "socket"}


def _modules(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_or_package_shadows_the_standard_library() -> None:
    shadows = []
    for base in PACKAGES:
        for path in _modules(base):
            name = path.parent.name if path.name == "__init__.py" else path.stem
            if name in sys.stdlib_module_names:
                shadows.append(str(path.relative_to(ROOT)))
    assert shadows == []


@pytest.mark.parametrize("room", QUERY_ROOMS)
def test_query_rooms_depend_one_way(room: str) -> None:
    allowed = set(QUERY_ROOMS[: QUERY_ROOMS.index(room) + 1])
    upward = []
    for path in _modules(ROOT / "sandbox" / "query" / room):
        for name in absolute_imports(path):
            parts = name.split(".")
            if parts[:2] == ["sandbox", "query"] and len(parts) > 2:
                target = parts[2]
                if target in QUERY_ROOMS and target not in allowed:
                    upward.append(f"{path.relative_to(ROOT)} imports {name}")
                if target in ("cli", "render"):
                    upward.append(f"{path.relative_to(ROOT)} imports the shell: {name}")
    assert upward == []


@pytest.mark.parametrize("package", PURE)
def test_pure_cores_import_no_emulator_and_no_network(package: str) -> None:
    found = []
    for path in _modules(ROOT / package):
        for name in absolute_imports(path):
            if name.split(".")[0] in NETWORK_OR_EMULATOR:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert found == []


def test_product_tests_do_not_import_the_benchmarks() -> None:
    found = []
    for path in _modules(ROOT / "tests"):
        if "benchmarks" in path.relative_to(ROOT / "tests").parts[:1]:
            continue  # the benchmark tool's own tests
        if any(name.split(".")[0] == "benchmarks" for name in absolute_imports(path)):
            found.append(str(path.relative_to(ROOT)))
    assert found == []
