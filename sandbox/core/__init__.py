"""The AWS/Hive vocabulary the Firehose stage, the query stage and the LocalStack plugin share.

Each concept is written once here and imported by every stage that needs it: ``gluetypes`` (Glue
column types, with visitors to Arrow, DuckDB and Athena's result types), ``javatime`` (Java
``DateTimeFormatter``/Joda patterns) and ``limits`` (service limits). Pure modules: no LocalStack
and no network imports, so each is tested directly.
"""
