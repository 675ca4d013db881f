"""The article's analysis on top of an engine: the query pack and the bucket statistics.

``pack`` (named Athena SQL files in ``queries/``, run on both tables and checked against the
seed manifest) and ``stats`` (the per-prefix bucket summary and the monthly cost table). The top
room: it may import every other room; nothing in the query stage imports it.
"""
