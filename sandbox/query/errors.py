"""The errors the query stage raises for problems a user can act on.

Every message is one line: what went wrong and, where there is one, what to do. The CLI turns
:class:`QueryError` into exit status 1 without a traceback.
"""

from __future__ import annotations

from sandbox.errors import SandboxError


class QueryError(SandboxError):
    """A query failed: bad SQL, a missing table, a DuckDB error, an Athena failure."""


class UnsupportedError(QueryError):
    """The SQL uses a construct the DuckDB stand-in cannot answer the way Athena would.

    Raised instead of returning an answer that could differ from Athena's; the message names
    the construct.
    """

    def __init__(self, construct: str, hint: str = "") -> None:
        self.construct = construct
        message = f"not supported by the sandbox's Athena stand-in: {construct}"
        super().__init__(f"{message} ({hint})" if hint else message)
