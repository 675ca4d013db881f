"""The root of the errors the sandbox raises for problems a user can act on.

Every stage's error type (:class:`~sandbox.infra.errors.PlatformError`,
:class:`~sandbox.query.errors.QueryError`, :class:`~sandbox.emit.errors.EmitError`,
:class:`~sandbox.infra.outputs.OutputsMissingError`) subclasses :class:`SandboxError`; the CLI's
one ``friendly`` decorator (:mod:`sandbox.cli_support`) prints the message as one line and exits 1.
"""

from __future__ import annotations


class SandboxError(RuntimeError):
    """A one-line, actionable message: what is wrong and, where there is one, what to do."""


class SettingsError(SandboxError):
    """An environment variable holds a value the sandbox cannot use."""
