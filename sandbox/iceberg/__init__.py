"""Apache Iceberg tables in the sandbox: the Glue catalog pyiceberg commits through.

Owns how the sandbox reaches its Iceberg tables (``catalog``): a pyiceberg ``GlueCatalog`` on the
sandbox's own endpoint with dummy credentials, and how a Glue table is recognised as Iceberg.
Firehose's Iceberg destination (``sandbox.firehose``) and Athena on Iceberg (``sandbox.query``)
both use it; neither writes Iceberg metadata by hand.
"""
