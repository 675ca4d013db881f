"""Query: the Athena stand-in on DuckDB, the article's analysis pack and the bucket statistics.

Tables come from the sandbox's Glue catalogue, data from its S3 bucket (read in place through
DuckDB's httpfs), SQL in Athena's dialect. Every query reports the bytes DuckDB fetched and what
Athena would charge for them. ``--engine athena`` sends the same SQL to real Athena instead.

Rooms, from SQL to answer, each importing only the rooms before it: ``dialect`` (Athena SQL
to DuckDB SQL), ``catalog`` (Glue tables, partitions, projection, S3 layout), ``engine`` (the
DuckDB stand-in, real Athena, pricing), ``analysis`` (the pack and the bucket statistics).
``render`` and ``cli`` are the shell around them.

The names below are loaded on first use (PEP 562): importing any room (the LocalStack plugin's
Athena provider imports ``api`` at start-up, every ``sandbox`` command imports ``cli``) must not
load the engine's DuckDB, sqlglot and numpy (~0.6 s) before a query needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.query.engine.session import Result, Session
    from sandbox.query.errors import QueryError, UnsupportedError

__all__ = ["QueryError", "Result", "Session", "UnsupportedError"]

_HOMES = {
    "Result": "sandbox.query.engine.session",
    "Session": "sandbox.query.engine.session",
    "QueryError": "sandbox.query.errors",
    "UnsupportedError": "sandbox.query.errors",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value
