"""AWS service limits the stages share, each written once with the AWS page it comes from.

Owns the numbers only: the emitter plans its batches with them (``sandbox.emit.batching``), the
Firehose stage enforces them (``sandbox.firehose.limits``, ``config``, ``engine``) and the
LocalStack plugin's PutRecordBatch short path refuses what it must leave to the normal chain
(``sandbox.localstack_plugin.fast_path``). Sizes are bytes of the data before base64 encoding.

Not reproduced anywhere in the sandbox: the per-stream throughput quotas (records, requests and
MiB per second) and the number of delivery streams per account and Region.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ACTIVE_PARTITIONS",
    "MAX_ACTIVE_PARTITIONS",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_RECORDS",
    "MAX_BUFFER_INTERVAL_S",
    "MAX_BUFFER_SIZE_MB",
    "MAX_EVALUATED_PREFIX_CHARS",
    "MAX_PREFIX_CHARS",
    "MAX_RECORD_BYTES",
    "MAX_S3_KEY_BYTES",
    "MIN_BUFFER_INTERVAL_S",
    "MIN_BUFFER_SIZE_MB",
    "MIN_BUFFER_SIZE_MB_CONVERSION",
]

# Firehose API reference, "PutRecordBatch": "Each PutRecordBatch request supports up to 500
# records. Each record in the request can be as large as 1,000 KB (before base64 encoding), up
# to a limit of 4 MB for the entire request. These limits cannot be changed." (also Firehose
# developer guide, "Amazon Data Firehose Quota"). 1,000 KB is the service model's ``Data`` max
# length, 1,024,000 bytes; PutRecord's single record has the same limit.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_RECORD_BYTES = 1000 * 1024

# Firehose developer guide, "Amazon Data Firehose Quota": "When dynamic partitioning on a
# delivery stream is enabled, there is a default quota of 500 active partitions [...] request
# an increase of this quota up to 5000 active partitions per given delivery stream."
DEFAULT_ACTIVE_PARTITIONS = 500
MAX_ACTIVE_PARTITIONS = 5000

# Firehose developer guide, "Custom prefixes for Amazon S3 objects": "Neither Prefix nor
# ErrorOutputPrefix can be greater than 512 characters after they're evaluated."
MAX_EVALUATED_PREFIX_CHARS = 512
# Firehose API reference, "ExtendedS3DestinationConfiguration": Prefix and ErrorOutputPrefix
# have "Length Constraints: Minimum length of 0. Maximum length of 1024." (as written).
MAX_PREFIX_CHARS = 1024

# Firehose API reference, "BufferingHints": SizeInMBs "Valid Range: Minimum value of 1. Maximum
# value of 128.", IntervalInSeconds "Valid Range: Minimum value of 0. Maximum value of 900."
MIN_BUFFER_SIZE_MB = 1
MAX_BUFFER_SIZE_MB = 128
MIN_BUFFER_INTERVAL_S = 0
MAX_BUFFER_INTERVAL_S = 900
# Firehose developer guide, "Convert input data format in Amazon Data Firehose": with record
# format conversion "the minimum value [of the buffer size] is 64 MiB".
MIN_BUFFER_SIZE_MB_CONVERSION = 64

# Amazon S3 user guide, "Naming Amazon S3 objects": "The object key name is a sequence of
# Unicode characters with UTF-8 encoding of up to 1,024 bytes long."
MAX_S3_KEY_BYTES = 1024
