"""The suite's areas: each module of ``tests.sql.cases`` and its cases, in report order."""

from __future__ import annotations

import importlib
import pkgutil

from tests.sql import cases as cases_package
from tests.sql.harness import Case


def areas() -> dict[str, list[Case]]:
    found: dict[str, list[Case]] = {}
    for info in sorted(pkgutil.iter_modules(cases_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{cases_package.__name__}.{info.name}")
        found[info.name] = list(module.CASES)
    return found
