"""Athena's query API over the DuckDB stand-in: the pure core the LocalStack provider adapts.

``model`` (a query execution, its states and its API shape), ``errors`` (API exceptions and
the mapping of the engine's failures to ``AthenaError``), ``values`` (result types and values
as Athena prints them), ``results`` (the result files Athena writes: CSV, ``.txt``,
``.csv.metadata``), ``parameters`` (``?`` execution parameters and prepared statements),
``metadata`` (ListDatabases / ListTableMetadata ... from Glue), ``history`` (executions kept
across restarts), ``service`` (the operations, the worker pool, the state machine), ``factory``
(which engine a command runs on: the endpoint's API, this process, or real Athena). Imports the
engine and the rooms below it, never LocalStack: the provider in
``sandbox.localstack_plugin.athena`` injects the workgroups, the engine sessions and the S3
writer.
"""
