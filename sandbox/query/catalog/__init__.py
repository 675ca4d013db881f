"""The Glue catalogue as Athena sees it: tables, partitions, projection and where files live.

``glue`` (the table model and the GetTable/GetPartitions adapter), ``s3layout`` (locations,
Hive ``k=v/`` paths, hidden objects), ``projection`` (partition projection), ``tables`` (which
files a query reads), ``partitions`` (MSCK REPAIR, ADD/DROP PARTITION, SHOW PARTITIONS).
Imports only the dialect room.
"""
