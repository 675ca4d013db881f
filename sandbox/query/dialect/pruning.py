"""Partition pruning from a query's WHERE clause, as Athena plans it.

Owns the extraction of static equality conditions on partition columns (``k = 'v'``,
``'v' = k``, ``k IN ('a', 'b')``, ANDed at the top of the WHERE of the SELECT that reads the
table) so that only matching partitions are listed and read, and so that ``injected``
projection columns get their values.

Not reproduced: pruning on ranges (``d >= '...'``), on expressions over partition columns, or
through joins and subqueries. DuckDB still skips non-matching Hive paths while scanning, so
those queries return the same rows; they may only list more of S3.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp


def _sources(select: exp.Select) -> list[exp.Table]:
    """Tables read directly by a SELECT (its FROM and JOINs, not subqueries)."""
    found: list[exp.Table] = []
    from_ = select.args.get("from_") or select.args.get("from")
    nodes = [from_.this] if from_ is not None else []
    nodes += [join.this for join in select.args.get("joins") or []]
    for node in nodes:
        if isinstance(node, exp.Table):
            found.append(node)
    return found


def _conjuncts(condition: exp.Expr) -> Iterable[exp.Expr]:
    if isinstance(condition, exp.And):
        yield from _conjuncts(condition.this)
        yield from _conjuncts(condition.expression)
    elif isinstance(condition, exp.Paren):
        yield from _conjuncts(condition.this)
    else:
        yield condition


def _literal(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and node.this.is_number:
        return "-" + node.this.this
    return None


def partition_filters(
    tree: exp.Expr, database: str, table: str, keys: Iterable[str]
) -> dict[str, set[str]]:
    """Allowed values per partition key of ``database.table`` (keys absent are unconstrained)."""
    keys = {key.lower() for key in keys}
    references = [
        (select, source)
        for select in tree.find_all(exp.Select)
        for source in _sources(select)
        if source.name.lower() == table.lower()
        and (source.db or database).lower() == database.lower()
    ]
    if len(references) != 1 or not keys:
        return {}
    select, source = references[0]
    alias = source.alias_or_name.lower()
    single_source = len(_sources(select)) == 1 and not select.args.get("joins")
    where = select.args.get("where")
    if where is None:
        return {}

    def key_of(node: exp.Expr) -> str | None:
        if not isinstance(node, exp.Column) or node.name.lower() not in keys:
            return None
        qualifier = node.table.lower()
        if qualifier == alias or (not qualifier and single_source):
            return node.name.lower()
        return None

    filters: dict[str, set[str]] = {}

    def narrow(key: str, values: set[str]) -> None:
        filters[key] = filters[key] & values if key in filters else values

    for condition in _conjuncts(where.this):
        if isinstance(condition, exp.EQ):
            sides = condition.this, condition.expression
            for column, other in (sides, sides[::-1]):
                key, value = key_of(column), _literal(other)
                if key and value is not None:
                    narrow(key, {value})
        elif isinstance(condition, exp.In) and not condition.args.get("query"):
            key = key_of(condition.this)
            values = [_literal(item) for item in condition.expressions]
            if key and values and all(v is not None for v in values):
                narrow(key, {v for v in values if v is not None})
    return filters
