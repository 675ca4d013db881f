"""The sandbox's Firehose delivery engine: AWS Firehose's S3 and Iceberg delivery, in plain Python.

Pure core, no LocalStack or network imports: the LocalStack adapter
(``sandbox.localstack_plugin``) validates API input with ``validate_destination`` /
``validate_batch``, hands accepted records to a ``DeliveryEngine`` and writes the
``S3Object``s it produces. One module per concern:

- ``config``: destination validation and AWS defaults;
- ``api``: stream versions, UpdateDestination's merge, PutRecord(Batch)'s answers;
- ``encryption``: server-side encryption settings and their rules;
- ``prefixes``: prefix expressions and object keys (Java ``DateTimeFormatter`` patterns are
  :mod:`sandbox.core.javatime`);
- ``processors``: MetadataExtraction (jq) and AppendDelimiterToRecord;
- ``compression``: GZIP, ZIP, Snappy, HADOOP_SNAPPY;
- ``conversion``: JSON -> Parquet/ORC typed by a Glue schema (types: :mod:`sandbox.core.gluetypes`);
- ``error_output``: the error documents; ``errors``: API exceptions; ``limits``: per-call
  checks (the numbers are :mod:`sandbox.core.limits`');
- ``engine``: buffers, delivery, retries, accounting; ``jq_worker``: jq in helper processes;
- ``iceberg``: the Iceberg destination's rules, routing, rows and commit plans;
  ``iceberg_writer``: its commits through pyiceberg (given a catalog; the plugin gives the
  sandbox's Glue).

Each module's docstring lists what it does not reproduce yet.

``DeliveryEngine`` and ``S3Object`` are loaded on first use (PEP 562): the engine brings
``conversion`` and with it pyarrow (~0.25 s), and the LocalStack provider, which imports the
validation names below while LocalStack starts, needs an engine only for a stream's records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.firehose.config import StreamConfig, parse_destination, validate_destination
from sandbox.firehose.errors import FirehoseError, InvalidArgumentError, ValidationError
from sandbox.firehose.limits import validate_batch, validate_record

if TYPE_CHECKING:
    from sandbox.firehose.engine import DeliveryEngine, S3Object

__all__ = [
    "DeliveryEngine",
    "FirehoseError",
    "InvalidArgumentError",
    "S3Object",
    "StreamConfig",
    "ValidationError",
    "parse_destination",
    "validate_batch",
    "validate_destination",
    "validate_record",
]


def __getattr__(name: str) -> Any:
    if name not in ("DeliveryEngine", "S3Object"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sandbox.firehose import engine

    globals()[name] = value = getattr(engine, name)
    return value
