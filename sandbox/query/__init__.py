"""Query: the Athena stand-in on DuckDB, the article's analysis pack and the bucket statistics.

Tables come from the sandbox's Glue catalogue, data from its S3 bucket (read in place through
DuckDB's httpfs), SQL in Athena's dialect. Every query reports the bytes DuckDB fetched and what
Athena would charge for them. ``--engine athena`` sends the same SQL to real Athena instead.

Modules, from SQL to answer: ``statements`` (utility DDL), ``translate`` (Athena -> DuckDB),
``catalog`` (Glue), ``projection`` and ``pruning`` (which partitions), ``s3layout`` and
``tables`` (which files), ``gluetypes`` and ``readers`` (the DuckDB views), ``duck`` (connection
and bytes scanned), ``pricing``, ``session`` (the stand-in), ``athena`` (the real thing),
``pack`` (the analysis), ``stats`` (the bucket summary), ``render`` and ``cli``.
"""

from sandbox.query.engine.session import Result, Session
from sandbox.query.errors import QueryError, UnsupportedError

__all__ = ["QueryError", "Result", "Session", "UnsupportedError"]
