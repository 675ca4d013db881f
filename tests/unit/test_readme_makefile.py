"""The README stays true: every command it names exists, and the Makefile is self-describing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sandbox.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def _targets() -> dict[str, str]:
    """Makefile targets with their `##` help text ('' when missing)."""
    targets = {}
    for line in MAKEFILE.splitlines():
        match = re.match(r"^([a-z][a-z0-9_-]*):(?!=)(.*)$", line)
        if match:
            help_text = match.group(2).split("##", 1)[1].strip() if "##" in line else ""
            targets[match.group(1)] = help_text
    return targets


def _phony() -> set[str]:
    match = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", MAKEFILE, re.MULTILINE)
    assert match, ".PHONY is missing"
    return set(match.group(1).replace("\\\n", " ").split())


def test_help_is_the_default_goal() -> None:
    assert ".DEFAULT_GOAL := help" in MAKEFILE


def test_every_target_is_described_and_phony() -> None:
    targets = _targets()
    undocumented = [name for name, text in targets.items() if not text]
    assert undocumented == []
    assert set(targets) <= _phony()


def test_every_make_command_in_the_readme_exists() -> None:
    named = set(re.findall(r"\bmake ([a-z][a-z0-9_-]*)", README))
    assert named, "the README names no make targets"
    missing = named - set(_targets())
    assert missing == set(), f"README names make targets that do not exist: {missing}"


def test_every_sandbox_command_in_the_readme_exists() -> None:
    # invocations: `.venv/bin/sandbox x` in code blocks, or `sandbox x` in backticks
    named = set(re.findall(r"bin/sandbox ([a-z][a-z0-9_-]*)", README))
    named |= set(re.findall(r"`sandbox ([a-z][a-z0-9_-]*)", README))
    assert named, "the README names no sandbox commands"
    commands = set(cli.commands)
    missing = {name for name in named if name not in commands}
    assert missing == set(), f"README names CLI commands that do not exist: {missing}"


def test_every_cli_command_the_makefile_calls_exists() -> None:
    called = set(re.findall(r"\$\(SANDBOX\) ([a-z][a-z0-9_-]*)", MAKEFILE))
    assert called - set(cli.commands) == set()


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick, re.DOTALL)
    assert block, "the quick start has no command block"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    commands = [c for c in commands if c]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^[^#\n]*make test\b", ci, re.MULTILINE)


# How a message or docstring names a command: quoted (`make up`, ``sandbox down``), after "run",
# in a help example ("Example: sandbox seed ..."), or chained ("sandbox up && sandbox seed").
_MENTION = re.compile(
    r"(?:`{1,2}|\brun\s+|Example:\s+|&&\s+|bin/)(make|sandbox) ([a-z][a-z0-9_-]*)"
)


def _string_literals() -> list[tuple[str, str]]:
    """(file:line, text) of every string literal (docstrings and f-string parts too)."""
    found = []
    for path in sorted((ROOT / "sandbox").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return found


def _missing_mentions(texts: list[tuple[str, str]]) -> list[str]:
    exists = {"make": set(_targets()), "sandbox": set(cli.commands)}
    return [
        f"{where}: {tool} {name}"
        for where, text in texts
        for tool, name in _MENTION.findall(text)
        if name not in exists[tool]
    ]


def test_every_command_a_message_names_exists() -> None:
    texts = _string_literals()
    assert _missing_mentions(texts) == []
    mentioned = {(tool, name) for _, text in texts for tool, name in _MENTION.findall(text)}
    assert ("make", "up") in mentioned and ("sandbox", "analyze") in mentioned  # it finds them


def test_a_message_naming_a_missing_command_is_caught() -> None:
    assert _missing_mentions([("x.py:1", "no such file; run `make generate` or pass --file")])


def test_every_command_the_readme_quotes_exists() -> None:
    assert _missing_mentions([("README.md", README)]) == []
