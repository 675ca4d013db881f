"""The sandbox: an offline twin of a serverless AWS data-collection platform.

Pipeline stages, one sub-package each:

- ``generate``  synthetic user sessions (the article's Markov chain) and their manifest;
- ``emit``      PutRecordBatch producer with AWS limits, retries and the AWS guard;
- ``firehose``  the delivery engine: buffering, prefixes, JQ partitioning, compression,
                Parquet conversion, error output (pure Python, no LocalStack imports);
- ``query``     the Athena stand-in on DuckDB, tables from the Glue catalogue;
- ``infra``     running LocalStack (host or Docker) and applying the Terraform;
- ``localstack_plugin``  the thin adapter that loads Glue, Athena and the engine into LocalStack.
"""

__version__ = "0.1.0"
