"""The one error type the platform commands raise for problems a user can fix."""


class PlatformError(RuntimeError):
    """A one-line, actionable message (what is wrong and what to do); the CLI exits 1 with it."""
