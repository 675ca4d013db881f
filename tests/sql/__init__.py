"""The Athena SQL conformance suite: cases from the Trino docs and the Athena user guide."""
