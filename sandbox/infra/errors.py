"""The error type the platform commands raise for problems a user can fix."""

from sandbox.errors import SandboxError


class PlatformError(SandboxError):
    """A one-line, actionable message (what is wrong and what to do); the CLI exits 1 with it."""
