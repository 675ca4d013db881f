"""The engines that answer a statement: the DuckDB stand-in and the real Athena.

``duck`` (the offline DuckDB connection and bytes scanned), ``readers`` (the DuckDB view over a
Glue table's files), ``session`` (the stand-in: one statement in, a result out), ``athena``
(the production path on AWS, and the client of the sandbox's own Athena API), ``pricing`` (what
Athena would charge). Imports the dialect and catalog rooms, never the api or analysis rooms or
the CLI.
"""
