"""One module per area; each holds ``CASES``, a list of :class:`tests.sql.harness.Case`."""
