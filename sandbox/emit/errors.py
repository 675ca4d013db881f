"""Errors the emitter raises for problems a user can act on (one line each)."""

from __future__ import annotations

from sandbox.errors import SandboxError


class EmitError(SandboxError):
    """Base of the emitter's errors; the CLI prints the message and exits 1."""


class AwsGuardError(EmitError):
    """The endpoint is not local and sending to it was not explicitly allowed."""


class StreamNotFoundError(EmitError):
    """The delivery stream does not exist (the platform is not provisioned)."""


class EmulatorDownError(EmitError):
    """Nothing answers at the endpoint."""


class BadLineError(EmitError):
    """An input line is not a JSON object (with ``on_bad_line="fail"``)."""
