"""The sandbox's Firehose delivery engine: AWS Firehose's S3 delivery, in plain Python.

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
- ``engine``: buffers, delivery, retries, accounting; ``jq_worker``: jq in helper processes.

Each module's docstring lists what it does not reproduce yet.
"""

from sandbox.firehose.config import StreamConfig, parse_destination, validate_destination
from sandbox.firehose.engine import DeliveryEngine, S3Object
from sandbox.firehose.errors import FirehoseError, InvalidArgumentError, ValidationError
from sandbox.firehose.limits import validate_batch, validate_record

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
