"""What a source file imports, read from its syntax tree (the layout and Docker image tests)."""

from __future__ import annotations

import ast
from pathlib import Path


def absolute_imports(path: Path) -> set[str]:
    """The dotted names ``path`` imports absolutely: each ``import a.b``, and for
    ``from a.b import c`` both ``a.b`` and ``a.b.c`` (``c`` may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names
