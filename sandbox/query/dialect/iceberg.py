"""Athena's Iceberg-only statements, parsed: row-level DML, table maintenance, schema evolution.

Owns the recognition of (Athena user guide, "Query Apache Iceberg tables": "Update Iceberg
table data", "MERGE INTO", "Optimize Iceberg tables", "VACUUM", "Evolve Iceberg table schema"):

* ``DELETE FROM t [WHERE ...]``, ``UPDATE t SET c = e, ... [WHERE ...]`` and ``MERGE INTO t
  [AS a] USING s [AS b] ON ... WHEN MATCHED [AND ...] THEN UPDATE SET ... | DELETE ... WHEN NOT
  MATCHED [AND ...] THEN INSERT [(c, ...)] VALUES (...)`` -- parsed by sqlglot's Trino dialect
  (kept as trees, for the engine to rewrite into queries);
* ``OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE ...]`` and ``VACUUM t``;
* ``ALTER TABLE t DROP [COLUMN] c``, ``ALTER TABLE t CHANGE [COLUMN] a b type [COMMENT '...']``
  (rename and/or widen), ``ALTER TABLE t RENAME TO u`` (Iceberg tables only, as on Athena);
* the ``PARTITIONED BY (name, day(tstamp), bucket(16, id), truncate(4, s))`` clause of
  ``CREATE TABLE`` (Iceberg partition transforms: identity, year, month, day, hour, bucket,
  truncate; Athena user guide, "Creating Iceberg tables", partition transforms).

:func:`parse_iceberg` returns None for any other statement. Whether the target is an Iceberg
table is the engine's question (Athena fails these on Hive tables: NOT_SUPPORTED).

Not reproduced: ``MERGE`` with ``WHEN NOT MATCHED BY SOURCE`` (not Athena SQL), ``DELETE``
with ``USING``, ``OPTIMIZE ... REWRITE MANIFESTS``-style actions other than BIN_PACK (refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.query.dialect.statements import TableRef, _Parser, _tokenize
from sandbox.query.errors import QueryError, UnsupportedError

if TYPE_CHECKING:
    from sqlglot import exp

# Iceberg partition transforms Athena's CREATE TABLE takes, with their argument counts.
TRANSFORMS = {"year": 1, "month": 1, "day": 1, "hour": 1, "bucket": 2, "truncate": 2}


@dataclass(frozen=True)
class PartitionField:
    """One ``PARTITIONED BY`` item: ``transform`` is identity, year, ..., bucket or truncate."""

    column: str
    transform: str = "identity"
    width: int | None = None  # bucket count or truncate width


@dataclass(frozen=True)
class Delete:
    table: TableRef
    tree: Any  # sqlglot exp.Delete


@dataclass(frozen=True)
class Update:
    table: TableRef
    tree: Any  # sqlglot exp.Update


@dataclass(frozen=True)
class Merge:
    table: TableRef
    tree: Any  # sqlglot exp.Merge


@dataclass(frozen=True)
class Optimize:
    table: TableRef
    where: str | None = None  # the predicate's text, Athena SQL


@dataclass(frozen=True)
class Vacuum:
    table: TableRef


@dataclass(frozen=True)
class DropColumn:
    table: TableRef
    column: str


@dataclass(frozen=True)
class ChangeColumn:
    table: TableRef
    old: str
    new: str
    type: str  # a Glue type, normalised
    comment: str | None = None


@dataclass(frozen=True)
class RenameTable:
    table: TableRef
    new: TableRef


IcebergStatement = (
    Delete | Update | Merge | Optimize | Vacuum | DropColumn | ChangeColumn | RenameTable
)


def _ref(table: exp.Table) -> TableRef:
    catalog = table.catalog.lower()
    if catalog and catalog != "awsdatacatalog":
        raise UnsupportedError(f"catalog {table.catalog!r}", "only AwsDataCatalog")
    return TableRef(table.db.lower() or None, table.name.lower())


def _sqlglot(sql: str) -> exp.Expr:
    # sqlglot only when a row-level statement comes: the API's statement classification
    # imports this module, and LocalStack's start must not load the SQL engine.
    import sqlglot
    from sqlglot.errors import ParseError

    from sandbox.query.dialect.translate import AthenaSQL

    try:
        trees = [t for t in sqlglot.parse(sql, dialect=AthenaSQL) if t]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f"line {first.get('line')}:{first.get('col')}: " if first else ""
        message = str(first.get("description") or exc).splitlines()[0]
        raise QueryError(f"SYNTAX_ERROR: {where}{message}") from exc
    if len(trees) != 1:
        raise QueryError("Only one sql statement is allowed")
    return trees[0]


def parse_iceberg(sql: str) -> IcebergStatement | None:
    """The Iceberg statement in ``sql``, or None when it is none of them."""
    text = sql.strip().rstrip(";").rstrip()
    tokens = _tokenize(text)
    if not tokens or tokens[0].kind != "word":
        return None
    head = tokens[0].text.upper()
    if head in ("DELETE", "UPDATE", "MERGE"):
        from sqlglot import exp

        tree = _sqlglot(text)
        if isinstance(tree, exp.Delete):
            if tree.args.get("using"):
                raise UnsupportedError("DELETE ... USING")
            return Delete(_ref(tree.this), tree)
        if isinstance(tree, exp.Update):
            if tree.args.get("from_"):
                raise UnsupportedError("UPDATE ... FROM", "use MERGE INTO")
            return Update(_ref(tree.this), tree)
        if isinstance(tree, exp.Merge):
            return Merge(_ref(tree.this), tree)
        raise QueryError(f"SYNTAX_ERROR: line 1:1: cannot parse {head} statement")
    p = _Parser(tokens)
    if p.accept_word("OPTIMIZE"):
        table = p.table_ref()
        p.expect_word("REWRITE")
        p.expect_word("DATA")
        p.expect_word("USING")
        if not p.accept_word("BIN_PACK"):
            p.fail("expected BIN_PACK")
        where = None
        if p.accept_word("WHERE"):
            tok = p.peek()
            if tok is None:
                p.fail("expected a predicate")
                raise AssertionError  # unreachable
            where = text[tok.start :].strip()
            p.pos = len(p.tokens)
        p.end()
        return Optimize(table, where)
    if p.accept_word("VACUUM"):
        table = p.table_ref()
        p.end()
        return Vacuum(table)
    if p.accept_word("ALTER", "TABLE"):
        table = p.table_ref()
        if p.at_word("DROP") and not p.at_word("DROP", "PARTITION") and not p.at_word("DROP", "IF"):
            p.pos += 1
            p.accept_word("COLUMN")
            column = p.identifier()
            p.end()
            return DropColumn(table, column)
        if p.accept_word("CHANGE"):
            from sandbox.query.dialect.ddl import _DdlParser

            p.accept_word("COLUMN")
            old = p.identifier()
            new = p.identifier()
            rest = _DdlParser(text)
            rest.pos = p.pos
            kind = rest.column_type()
            comment = rest.string() if rest.accept_word("COMMENT") else None
            rest.end()
            return ChangeColumn(table, old, new, kind, comment)
        if p.accept_word("RENAME", "TO"):
            target = p.table_ref()
            p.end()
            return RenameTable(table, target)
    return None


def partition_fields(p: _Parser) -> tuple[PartitionField, ...]:
    """``(col, day(col), bucket(16, col), ...)`` after ``PARTITIONED BY``."""
    p.expect_punct("(")
    out: list[PartitionField] = []
    while True:
        name = p.identifier()
        if p.accept_punct("("):
            transform = name
            if transform not in TRANSFORMS:
                raise QueryError(
                    f"INVALID_TABLE_PROPERTY: Unknown partition transform: {transform}"
                )
            width = None
            if TRANSFORMS[transform] == 2:
                tok = p.peek()
                if tok is None or tok.kind != "num" or not tok.text.isdigit():
                    p.fail(f"expected the {transform} width")
                    raise AssertionError  # unreachable
                p.pos += 1
                width = int(tok.text)
                p.expect_punct(",")
            column = p.identifier()
            p.expect_punct(")")
            out.append(PartitionField(column, transform, width))
        else:
            out.append(PartitionField(name))
        if not p.accept_punct(","):
            break
    p.expect_punct(")")
    return tuple(out)


def ctas_partitioning(items: list[str]) -> tuple[PartitionField, ...]:
    """CTAS's ``partitioning = ARRAY['name', 'day(tstamp)']`` as partition fields."""
    out: list[PartitionField] = []
    for item in items:
        p = _Parser(_tokenize("(" + item + ")"))
        fields = partition_fields(p)
        p.end()
        out.extend(fields)
    return tuple(out)
