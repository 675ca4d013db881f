"""The commands' shared plumbing: settings read once per command, one kind of friendly error."""

from __future__ import annotations

import click
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ProfileNotFound
from click.testing import CliRunner

from sandbox import settings as settings_module
from sandbox.cli_support import friendly, pass_settings
from sandbox.emit.errors import EmitError
from sandbox.errors import SandboxError
from sandbox.infra.errors import PlatformError
from sandbox.infra.outputs import OutputsMissingError
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


@pytest.mark.parametrize("error", [PlatformError, QueryError, EmitError, OutputsMissingError])
def test_every_stage_error_has_the_one_root(error: type[Exception]) -> None:
    assert issubclass(error, SandboxError)


def _command(error: Exception) -> click.Command:
    @click.command()
    @friendly
    @pass_settings
    def command(settings: Settings) -> None:
        raise error

    return command


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (QueryError("bad SQL; fix it"), "bad SQL; fix it"),
        (
            ClientError({"Error": {"Code": "NoSuchBucket", "Message": "gone"}}, "ListObjectsV2"),
            "NoSuchBucket: gone",
        ),
        (EndpointConnectionError(endpoint_url="http://x"), "http://127.0.0.1:4599; run `make up`"),
        (ProfileNotFound(profile="laptop"), "The config profile (laptop) could not be found"),
    ],
)
def test_expected_errors_are_one_line(error: Exception, message: str) -> None:
    result = CliRunner().invoke(_command(error), [], env={"SANDBOX_PORT": "4599"})
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert message in result.output


def test_an_unusable_setting_is_a_one_line_error() -> None:
    result = CliRunner().invoke(_command(RuntimeError()), [], env={"SANDBOX_PORT": "http"})
    assert result.exit_code == 1 and "SANDBOX_PORT='http' is not a number" in result.output


def test_the_settings_are_read_once_per_command(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[Settings] = []
    real = settings_module.load

    def load() -> Settings:
        loads.append(real())
        return loads[-1]

    monkeypatch.setattr(settings_module, "load", load)

    @click.group()
    def group() -> None:
        pass

    @group.command()
    @pass_settings
    def outer(settings: Settings) -> None:
        click.get_current_context().invoke(inner)
        assert settings is loads[0]

    @group.command()
    @pass_settings
    def inner(settings: Settings) -> None:
        assert settings is loads[0]

    result = CliRunner().invoke(group, ["outer"])
    assert result.exit_code == 0, result.output
    assert len(loads) == 1
