"""The SQL dialect: Athena (Trino, engine v3) statements in, DuckDB SQL out.

``translate`` (sqlglot's Trino dialect plus the sandbox's fixes and macros), ``statements``
(Hive-DDL utility statements sqlglot does not parse), ``datetime_formats`` (MySQL and Joda
pattern conversion), ``pruning`` (static partition filters from a WHERE clause). Pure: no Glue,
no S3, no DuckDB connection. The lowest room: it imports no other room of the query stage.
"""
