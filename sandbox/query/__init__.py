"""Query: the Athena stand-in on DuckDB, the article's analysis pack and the bucket statistics.

Tables come from the sandbox's Glue catalogue, data from its S3 bucket (read in place through
DuckDB's httpfs), SQL in Athena's dialect. Every query reports the bytes DuckDB fetched and what
Athena would charge for them. ``--engine athena`` sends the same SQL to real Athena instead.

Rooms, from SQL to answer, each importing only the rooms before it: ``dialect`` (Athena SQL
to DuckDB SQL), ``catalog`` (Glue tables, partitions, projection, S3 layout), ``engine`` (the
DuckDB stand-in, real Athena, pricing), ``analysis`` (the pack and the bucket statistics).
``render`` and ``cli`` are the shell around them.
"""

from sandbox.query.engine.session import Result, Session
from sandbox.query.errors import QueryError, UnsupportedError

__all__ = ["QueryError", "Result", "Session", "UnsupportedError"]
