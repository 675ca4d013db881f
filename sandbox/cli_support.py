"""What every click command shares: the command's one :class:`Settings`, and friendly errors.

``pass_settings`` hands a command the settings, read once per command and kept on click's root
context (``ctx.obj``), so the stage code it calls gets them as an argument. ``friendly`` turns the
errors a user can act on -- every :class:`~sandbox.errors.SandboxError`, and botocore's connection
and API errors -- into one-line ``ClickException``\\ s (exit 1, no traceback).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from sandbox import settings as settings_module
from sandbox.errors import SandboxError
from sandbox.settings import Settings


def current_settings() -> Settings:
    """The running command's settings: read from the environment on first use, then kept."""
    root = click.get_current_context().find_root()
    if not isinstance(root.obj, Settings):
        root.obj = settings_module.load()
    return root.obj


def pass_settings(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Call the command with its :class:`Settings` as the first argument."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(current_settings(), *args, **kwargs)

    return wrapper


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Expected errors become one-line ClickExceptions (exit 1, no traceback)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SandboxError as exc:
            raise click.ClickException(str(exc)) from exc
        except EndpointConnectionError as exc:
            where = _loaded_settings()
            url = where.endpoint_url if where else exc.kwargs.get("endpoint_url", "its endpoint")
            raise click.ClickException(f"cannot reach the sandbox at {url}; run `make up`") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise click.ClickException(
                f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
            ) from exc
        except BotoCoreError as exc:
            raise click.ClickException(str(exc).splitlines()[0]) from exc

    return wrapper


def _loaded_settings() -> Settings | None:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Settings) else None
