"""Stage 2, emit: a PutRecordBatch producer that sends a JSON Lines file to Firehose streams.

- :mod:`~sandbox.emit.batching`: AWS limits and the batch planner (pure);
- :mod:`~sandbox.emit.records`: the file -> records, bytes unchanged, bad/oversize lines;
- :mod:`~sandbox.emit.producer`: batches to one or more streams, retries of failed entries,
  concurrency;
- :mod:`~sandbox.emit.emitter`: :func:`emit_file`: the AWS guard, clients, preflight, progress;
- :mod:`~sandbox.emit.cli`: the ``emit`` click command.

Not reproduced from real producers: no KPL-style aggregation (Firehose has none), no rate
limiting to account quotas; delivery is at-least-once (a timed-out call is re-sent).
"""

from sandbox.emit.emitter import check_endpoint, client_factory, emit_file, resolve_streams
from sandbox.emit.errors import (
    AwsGuardError,
    BadLineError,
    EmitError,
    EmulatorDownError,
    StreamNotFoundError,
)
from sandbox.emit.producer import (
    EmitReport,
    RetryPolicy,
    put_batch,
    send_records,
    send_to_streams,
)
from sandbox.emit.records import OnBadLine, read_records

__all__ = [
    "AwsGuardError",
    "BadLineError",
    "EmitError",
    "EmitReport",
    "EmulatorDownError",
    "OnBadLine",
    "RetryPolicy",
    "StreamNotFoundError",
    "check_endpoint",
    "client_factory",
    "emit_file",
    "put_batch",
    "read_records",
    "resolve_streams",
    "send_records",
    "send_to_streams",
]
