"""The article's analysis on top of an engine: the query pack and the bucket statistics.

``pack`` (named Athena SQL files in ``queries/``, run on both tables and checked against the
seed manifest), ``analyze`` (``sandbox analyze``: the pack end to end, an ``AnalysisReport``)
and ``stats`` (the per-prefix bucket summary and the monthly cost table). The top
room: it may import every other room; nothing in the query stage imports it.
"""
