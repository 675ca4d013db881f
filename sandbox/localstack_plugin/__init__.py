"""The sandbox's LocalStack plugin: thin adapters that load into LocalStack 4.14.0.

LocalStack discovers these through the entry points in ``pyproject.toml``:

- ``glue:sandbox`` and ``athena:sandbox`` serve the Glue Data Catalog and Athena's metadata APIs
  from the moto backends bundled with LocalStack (the free edition answers both with 501);
- ``firehose:sandbox`` subclasses LocalStack's Firehose provider and hands records to the
  sandbox's delivery engine (:mod:`sandbox.firehose`);
- hooks add the ``/_sandbox/...`` HTTP routes and flush every buffer on shutdown;
- ``runtime`` holds the process's plugin settings (read once) and the provider the hooks,
  routes and the PutRecordBatch short path reach.

Nothing in here reproduces AWS behaviour itself: that lives in the pure packages.
"""
