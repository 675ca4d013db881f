"""Start-up stays light: what every ``sandbox`` command and LocalStack's start import.

``sandbox up``/``down``/``status`` and the construction of the plugin's providers (LocalStack
builds them at start, ``EAGER_SERVICE_LOADING=1``) must not load DuckDB, sqlglot, numpy or
pyarrow (~1 s of CPU together); the first command, query or delivery that needs them does.
Each check runs in a fresh interpreter, since this test process has imported them already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from sandbox.cli import STAGE_COMMANDS, main

HEAVY = ("duckdb", "sqlglot", "numpy", "pyarrow")


def _loaded_after(code: str) -> list[str]:
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\nimport json, sys\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("command", ["up", "down", "status", "flush", "seed"])
def test_platform_commands_do_not_load_the_query_engine(command: str) -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from sandbox.cli import main\n"
        f"result = CliRunner().invoke(main, [{command!r}, '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
    )
    assert _loaded_after(code) == []


def test_constructing_the_plugins_providers_loads_no_engine() -> None:
    code = (
        "from sandbox.localstack_plugin.athena import SandboxAthena\n"
        "from sandbox.localstack_plugin.firehose import SandboxFirehoseProvider\n"
        "from sandbox.settings import PluginSettings\n"
        "SandboxAthena(PluginSettings())\n"
        "SandboxFirehoseProvider(PluginSettings(jq_workers=0))\n"
    )
    assert _loaded_after(code) == []


def test_the_first_engine_loads_what_it_needs() -> None:
    code = (
        "from sandbox.localstack_plugin.delivery import DeliveryEngines\n"
        "DeliveryEngines().engine_for('000000000000', 'us-east-1')\n"
    )
    assert "pyarrow" in _loaded_after(code)


@pytest.mark.parametrize("name", sorted(STAGE_COMMANDS))
def test_a_deferred_command_becomes_the_stage_command(name: str) -> None:
    with click.Context(main) as ctx:
        command = main.get_command(ctx, name)
    assert command is not None and command.name == name
    assert command.callback is not None and main.commands[name] is command


def test_lazy_package_names_resolve_and_unknown_ones_fail() -> None:
    import sandbox.firehose
    import sandbox.query
    from sandbox.firehose.engine import DeliveryEngine
    from sandbox.query.engine.session import Session

    assert sandbox.firehose.DeliveryEngine is DeliveryEngine
    assert sandbox.query.Session is Session
    for package in (sandbox.firehose, sandbox.query):
        with pytest.raises(AttributeError):
            package.Nope  # noqa: B018
