"""Athena's write and catalogue statements, parsed: CTAS, INSERT INTO, UNLOAD, Hive DDL, views.

Owns the recognition of (Athena user guide, "SQL reference": "CREATE TABLE AS", "INSERT INTO",
"UNLOAD", "CREATE DATABASE", "DROP DATABASE", "CREATE TABLE", "DROP TABLE", "ALTER TABLE ADD
COLUMNS", "ALTER TABLE REPLACE COLUMNS", "ALTER TABLE SET TBLPROPERTIES", "ALTER TABLE SET
LOCATION", "ALTER TABLE RENAME TO", "CREATE VIEW", "DROP VIEW", "SHOW VIEWS", "SHOW CREATE
TABLE", "SHOW CREATE VIEW"):

* ``CREATE TABLE [IF NOT EXISTS] t [WITH (property = value, ...)] AS query [WITH [NO] DATA]``
* ``INSERT INTO t [(c, ...)] query``
* ``UNLOAD (query) TO 's3://...' WITH (property = value, ...)``
* ``CREATE {DATABASE|SCHEMA} [IF NOT EXISTS] db [COMMENT '...'] [LOCATION '...'] [WITH
  DBPROPERTIES ('k'='v', ...)]``, ``DROP {DATABASE|SCHEMA} [IF EXISTS] db [RESTRICT|CASCADE]``
* ``CREATE EXTERNAL TABLE [IF NOT EXISTS] t (col type [COMMENT '...'], ...) [COMMENT '...']
  [PARTITIONED BY (col type, ...)] [ROW FORMAT SERDE '...' [WITH SERDEPROPERTIES (...)] | ROW
  FORMAT DELIMITED [FIELDS TERMINATED BY 'c' [ESCAPED BY 'c']] [COLLECTION ITEMS TERMINATED BY
  'c'] [MAP KEYS TERMINATED BY 'c'] [LINES TERMINATED BY 'c'] [NULL DEFINED AS 'c']] [STORED AS
  format | STORED AS INPUTFORMAT '...' OUTPUTFORMAT '...'] [LOCATION '...'] [TBLPROPERTIES
  (...)]``; ``DROP TABLE [IF EXISTS] t``
* ``ALTER TABLE t {ADD|REPLACE} COLUMNS (col type, ...)``, ``ALTER TABLE t SET TBLPROPERTIES
  (...)``, ``ALTER TABLE t SET LOCATION '...'``
* ``CREATE [OR REPLACE] VIEW v AS query``, ``DROP VIEW [IF EXISTS] v``, ``SHOW VIEWS [IN db]
  [LIKE 'pattern']``, ``SHOW CREATE TABLE t``, ``SHOW CREATE VIEW v``

:func:`parse_ddl` returns None for any other statement (queries, the partition DDL and SHOW
statements of :mod:`~sandbox.query.dialect.statements`, DuckDB's own statements), so that module
keeps answering or refusing them. The query inside CTAS, INSERT, UNLOAD and views is the text as
written, for the query path to parse with sqlglot. Column types are Hive type names, normalised
by the Glue type parser.

``CREATE TABLE t (cols) [PARTITIONED BY (name, day(ts), ...)] [LOCATION '...'] TBLPROPERTIES
('table_type'='ICEBERG', ...)`` (no ``EXTERNAL``) is an Iceberg table
(:class:`CreateIcebergTable`, transforms parsed by :mod:`sandbox.query.dialect.iceberg`).

Refused, naming the construct (NOT_SUPPORTED): ``CREATE TABLE`` without ``EXTERNAL``, without
``AS`` and without ``table_type='ICEBERG'`` (Athena creates only Iceberg tables that way),
``CLUSTERED BY`` / ``SORTED BY``
buckets, ``SKEWED BY``, ``CREATE TABLE ... LIKE``, ``ALTER TABLE ... CHANGE COLUMN`` / ``SET
SERDEPROPERTIES`` / ``SET FILEFORMAT``, ``ALTER TABLE ... RENAME TO`` (Athena renames only
Iceberg tables: :mod:`~sandbox.query.dialect.iceberg` takes those first), ``ALTER DATABASE``,
``INSERT OVERWRITE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.core.gluetypes import GlueTypeError, parse_glue_type
from sandbox.query.dialect.iceberg import PartitionField, partition_fields
from sandbox.query.dialect.statements import TableRef, _Parser, _tokenize
from sandbox.query.errors import QueryError, UnsupportedError

Value = str | int | float | bool | list[Any]


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str  # a Glue type, normalised (``array<string>``, ``decimal(10,2)``)
    comment: str = ""


@dataclass(frozen=True)
class CreateTableAs:
    table: TableRef
    properties: dict[str, Value]
    query: str
    with_data: bool = True
    if_not_exists: bool = False


@dataclass(frozen=True)
class InsertInto:
    table: TableRef
    columns: tuple[str, ...] | None
    query: str


@dataclass(frozen=True)
class Unload:
    query: str
    location: str
    properties: dict[str, Value]


@dataclass(frozen=True)
class CreateDatabase:
    name: str
    if_not_exists: bool = False
    comment: str | None = None
    location: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DropDatabase:
    name: str
    if_exists: bool = False
    cascade: bool = False


@dataclass(frozen=True)
class CreateTable:
    table: TableRef
    columns: tuple[ColumnDef, ...]
    if_not_exists: bool = False
    partition_keys: tuple[ColumnDef, ...] = ()
    comment: str | None = None
    serde: str | None = None
    serde_properties: dict[str, str] = field(default_factory=dict)
    stored_as: str | None = None
    input_format: str | None = None
    output_format: str | None = None
    location: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateIcebergTable:
    """``CREATE TABLE t (cols) [PARTITIONED BY (transforms)] LOCATION '...' TBLPROPERTIES
    ('table_type'='ICEBERG', ...)`` (Athena user guide, "Create Iceberg tables")."""

    table: TableRef
    columns: tuple[ColumnDef, ...]
    partitioning: tuple[PartitionField, ...] = ()
    if_not_exists: bool = False
    comment: str | None = None
    location: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DropTable:
    table: TableRef
    if_exists: bool = False


@dataclass(frozen=True)
class AlterColumns:
    table: TableRef
    columns: tuple[ColumnDef, ...]
    replace: bool = False


@dataclass(frozen=True)
class AlterTableSet:
    """``ALTER TABLE t SET TBLPROPERTIES (...)`` or ``ALTER TABLE t SET LOCATION '...'``."""

    table: TableRef
    properties: dict[str, str] = field(default_factory=dict)
    location: str | None = None


@dataclass(frozen=True)
class CreateView:
    table: TableRef
    query: str
    or_replace: bool = False


@dataclass(frozen=True)
class DropView:
    table: TableRef
    if_exists: bool = False


@dataclass(frozen=True)
class ShowViews:
    database: str | None
    pattern: str | None


@dataclass(frozen=True)
class ShowCreate:
    table: TableRef
    kind: str  # TABLE or VIEW


Statement = (
    CreateTableAs
    | InsertInto
    | Unload
    | CreateDatabase
    | DropDatabase
    | CreateTable
    | CreateIcebergTable
    | DropTable
    | AlterColumns
    | AlterTableSet
    | CreateView
    | DropView
    | ShowViews
    | ShowCreate
)
# Hive's STORED AS names Athena accepts (Athena user guide, "CREATE TABLE", STORED AS).
STORED_AS = {"PARQUET", "ORC", "TEXTFILE", "JSON", "JSONFILE", "AVRO", "SEQUENCEFILE", "RCFILE"}


class _DdlParser(_Parser):
    def __init__(self, sql: str) -> None:
        super().__init__(_tokenize(sql))
        self.sql = sql

    def rest(self) -> str:
        """The text from the current token to the end (a query), which must not be empty."""
        tok = self.peek()
        if tok is None:
            self.fail("expected a query")
            raise AssertionError  # unreachable
        self.pos = len(self.tokens)
        return self.sql[tok.start :].strip()

    def at_other(self, char: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind in ("other", "punct") and tok.text == char

    def string_map(self) -> dict[str, str]:
        """``('k'='v', ...)``."""
        self.expect_punct("(")
        out: dict[str, str] = {}
        while True:
            key = self.string()
            self.expect_punct("=")
            out[key] = self.string()
            if not self.accept_punct(","):
                break
        self.expect_punct(")")
        return out

    def value(self) -> Any:
        """A property value: 'text', a number, TRUE/FALSE, or ARRAY['a', ...]."""
        tok = self.peek()
        if tok is None:
            self.fail("expected a value")
            raise AssertionError  # unreachable
        if tok.kind == "str":
            self.pos += 1
            return tok.text
        if tok.kind == "num":
            self.pos += 1
            return float(tok.text) if "." in tok.text else int(tok.text)
        if self.accept_word("TRUE"):
            return True
        if self.accept_word("FALSE"):
            return False
        if self.accept_word("ARRAY"):
            if not self.at_other("["):
                self.fail("expected '['")
            self.pos += 1
            items: list[Any] = []
            while not self.at_other("]"):
                items.append(self.value())
                if not self.accept_punct(","):
                    break
            if not self.at_other("]"):
                self.fail("expected ']'")
            self.pos += 1
            return items
        self.fail("expected a value")
        raise AssertionError  # unreachable

    def properties(self) -> dict[str, Any]:
        """``(name = value, ...)`` of CTAS and UNLOAD; names are case-sensitive in Athena
        (``format`` must be lower case), kept as written."""
        self.expect_punct("(")
        out: dict[str, Any] = {}
        while True:
            tok = self.peek()
            if tok is None or tok.kind not in ("word", "ident", "dq"):
                self.fail("expected a property name")
                raise AssertionError  # unreachable
            self.pos += 1
            self.expect_punct("=")
            out[tok.text] = self.value()
            if not self.accept_punct(","):
                break
        self.expect_punct(")")
        return out

    def column_type(self) -> str:
        """A Hive type up to the next ``,``/``)``/COMMENT at depth 0, normalised."""
        start = self.peek()
        if start is None:
            self.fail("expected a column type")
            raise AssertionError  # unreachable
        depth = 0
        while (tok := self.peek()) is not None:
            if tok.text in ("<", "("):
                depth += 1
            elif tok.text in (">", ")"):
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (tok.text == "," or self.at_word("COMMENT")):
                break
            self.pos += 1
        end = self.peek()
        text = self.sql[start.start : end.start if end else len(self.sql)].strip()
        try:
            return str(parse_glue_type(text))
        except GlueTypeError as exc:
            raise QueryError(f"SYNTAX_ERROR: unknown column type {text!r}: {exc}") from exc

    def columns(self) -> tuple[ColumnDef, ...]:
        self.expect_punct("(")
        out: list[ColumnDef] = []
        while True:
            name = self.identifier()
            kind = self.column_type()
            comment = self.string() if self.accept_word("COMMENT") else ""
            out.append(ColumnDef(name, kind, comment))
            if not self.accept_punct(","):
                break
        self.expect_punct(")")
        return tuple(out)

    def pattern(self) -> str | None:
        self.accept_word("LIKE")
        tok = self.peek()
        if tok is not None and tok.kind == "str":
            self.pos += 1
            return tok.text
        return None


def parse_ddl(sql: str) -> Statement | None:
    """The write or catalogue statement in ``sql``, or None when it is none of them."""
    p = _DdlParser(sql.strip().rstrip(";").rstrip())
    if not p.tokens or p.tokens[0].kind != "word":
        return None
    result: Statement | None
    if p.accept_word("CREATE"):
        result = _create(p)
    elif p.accept_word("DROP"):
        result = _drop(p)
    elif p.accept_word("INSERT"):
        if p.accept_word("OVERWRITE"):
            raise UnsupportedError("INSERT OVERWRITE", "Athena has INSERT INTO only")
        p.expect_word("INTO")
        table = p.table_ref()
        columns = None
        # A column list, unless the parenthesis opens the query itself: (SELECT ...)
        if p.at_other("(") and not _is_query(p, 1):
            p.expect_punct("(")
            names = [p.identifier()]
            while p.accept_punct(","):
                names.append(p.identifier())
            p.expect_punct(")")
            columns = tuple(names)
        result = InsertInto(table, columns, p.rest())
    elif p.accept_word("UNLOAD"):
        p.expect_punct("(")
        depth, start = 1, p.peek()
        while (tok := p.peek()) is not None:
            if tok.kind == "punct" and tok.text == "(":
                depth += 1
            elif tok.kind == "punct" and tok.text == ")":
                depth -= 1
                if depth == 0:
                    break
            p.pos += 1
        end = p.peek()
        if start is None or end is None:
            p.fail("expected ')'")
            raise AssertionError  # unreachable
        query = p.sql[start.start : end.start].strip()
        p.pos += 1
        p.expect_word("TO")
        location = p.string()
        p.expect_word("WITH")
        result = Unload(query, location, p.properties())
    elif p.accept_word("ALTER"):
        result = _alter(p)
    elif p.accept_word("SHOW", "VIEWS"):
        database = p.identifier() if p.accept_word("IN") or p.accept_word("FROM") else None
        result = ShowViews(database, p.pattern())
    elif p.accept_word("SHOW", "CREATE"):
        kind = "VIEW" if p.accept_word("VIEW") else "TABLE"
        if kind == "TABLE":
            p.expect_word("TABLE")
        result = ShowCreate(p.table_ref(), kind)
    else:
        return None
    if result is not None:
        p.end()
    return result


_QUERY_WORDS = ("SELECT", "WITH", "VALUES", "TABLE")


def _is_query(p: _Parser, offset: int) -> bool:
    tok = p.peek(offset)
    return tok is not None and tok.kind == "word" and tok.text.upper() in _QUERY_WORDS


def _create(p: _DdlParser) -> Statement | None:
    if p.accept_word("DATABASE") or p.accept_word("SCHEMA"):
        if_not_exists = p.accept_word("IF", "NOT", "EXISTS")
        name = p.identifier()
        comment = location = None
        properties: dict[str, str] = {}
        while p.peek() is not None:
            if p.accept_word("COMMENT"):
                comment = p.string()
            elif p.accept_word("LOCATION"):
                location = p.string()
            elif p.accept_word("WITH", "DBPROPERTIES"):
                properties = p.string_map()
            else:
                p.fail("unexpected text")
        return CreateDatabase(name, if_not_exists, comment, location, properties)
    or_replace = p.accept_word("OR", "REPLACE")
    if p.accept_word("VIEW"):
        table = p.table_ref()
        p.expect_word("AS")
        return CreateView(table, p.rest(), or_replace)
    if or_replace:
        p.fail("expected VIEW")
    external = p.accept_word("EXTERNAL")
    if not p.accept_word("TABLE"):
        return None  # CREATE SECRET, CREATE FUNCTION...: statements.py answers them
    if_not_exists = p.accept_word("IF", "NOT", "EXISTS")
    table = p.table_ref()
    if p.accept_word("LIKE"):
        raise UnsupportedError("CREATE TABLE ... LIKE")
    if not external and (p.at_word("WITH") or p.at_word("AS")):
        ctas: dict[str, Value] = p.properties() if p.accept_word("WITH") else {}
        p.expect_word("AS")
        query = p.rest()
        with_data = True
        upper = query.upper().split()
        if upper[-3:] == ["WITH", "NO", "DATA"]:
            with_data, query = False, query[: query.upper().rfind("WITH")].rstrip()
        elif upper[-2:] == ["WITH", "DATA"]:
            query = query[: query.upper().rfind("WITH")].rstrip()
        if query.startswith("(") and query.endswith(")"):
            query = query[1:-1].strip()
        return CreateTableAs(table, ctas, query, with_data, if_not_exists)
    if not external:
        return _iceberg_table(p, table, if_not_exists)
    return _external_table(p, table, if_not_exists)


def _iceberg_table(p: _DdlParser, table: TableRef, if_not_exists: bool) -> CreateIcebergTable:
    """CREATE TABLE without EXTERNAL: Athena creates only Iceberg tables that way."""
    columns = p.columns() if p.at_other("(") else ()
    values: dict[str, Any] = {"properties": {}}
    while p.peek() is not None:
        if p.accept_word("COMMENT"):
            values["comment"] = p.string()
        elif p.accept_word("PARTITIONED", "BY"):
            values["partitioning"] = partition_fields(p)
        elif p.accept_word("LOCATION"):
            values["location"] = p.string()
        elif p.accept_word("TBLPROPERTIES"):
            values["properties"] = p.string_map()
        elif p.at_word("ROW") or p.at_word("STORED"):
            raise UnsupportedError(
                "CREATE TABLE without EXTERNAL", "ROW FORMAT/STORED AS need CREATE EXTERNAL TABLE"
            )
        else:
            p.fail("unexpected text")
    if str(values["properties"].get("table_type", "")).upper() != "ICEBERG":
        raise UnsupportedError(
            "CREATE TABLE without EXTERNAL",
            "Athena creates such tables only as Iceberg tables (TBLPROPERTIES "
            "('table_type'='ICEBERG')); use CREATE EXTERNAL TABLE",
        )
    return CreateIcebergTable(table, columns, if_not_exists=if_not_exists, **values)


def _external_table(p: _DdlParser, table: TableRef, if_not_exists: bool) -> CreateTable:
    columns = p.columns() if p.at_other("(") else ()
    values: dict[str, Any] = {"serde_properties": {}, "properties": {}}
    while p.peek() is not None:
        if p.accept_word("COMMENT"):
            values["comment"] = p.string()
        elif p.accept_word("PARTITIONED", "BY"):
            values["partition_keys"] = p.columns()
        elif p.at_word("CLUSTERED") or p.at_word("SORTED") or p.at_word("SKEWED"):
            raise UnsupportedError(f"CREATE EXTERNAL TABLE ... {p.peek().text.upper()} BY")  # type: ignore[union-attr]
        elif p.accept_word("ROW", "FORMAT", "SERDE"):
            values["serde"] = p.string()
            if p.accept_word("WITH", "SERDEPROPERTIES"):
                values["serde_properties"] = p.string_map()
        elif p.accept_word("ROW", "FORMAT", "DELIMITED"):
            values["serde"] = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
            values["serde_properties"] = _delimited(p)
        elif p.accept_word("STORED", "AS"):
            if p.accept_word("INPUTFORMAT"):
                values["input_format"] = p.string()
                p.expect_word("OUTPUTFORMAT")
                values["output_format"] = p.string()
            else:
                name = p.identifier().upper()
                if name not in STORED_AS:
                    raise QueryError(f"SYNTAX_ERROR: unknown file format STORED AS {name}")
                values["stored_as"] = name
        elif p.accept_word("LOCATION"):
            values["location"] = p.string()
        elif p.accept_word("TBLPROPERTIES"):
            values["properties"] = p.string_map()
        else:
            p.fail("unexpected text")
    return CreateTable(table, columns, if_not_exists, **values)


def _delimited(p: _DdlParser) -> dict[str, str]:
    """ROW FORMAT DELIMITED's clauses as LazySimpleSerDe's parameters (Hive's names)."""
    out: dict[str, str] = {}
    clauses = [
        (("FIELDS", "TERMINATED", "BY"), "field.delim"),
        (("ESCAPED", "BY"), "escape.delim"),
        (("COLLECTION", "ITEMS", "TERMINATED", "BY"), "collection.delim"),
        (("MAP", "KEYS", "TERMINATED", "BY"), "mapkey.delim"),
        (("LINES", "TERMINATED", "BY"), "line.delim"),
        (("NULL", "DEFINED", "AS"), "serialization.null.format"),
    ]
    progress = True
    while progress:
        progress = False
        for words, name in clauses:
            if p.accept_word(*words):
                out[name] = _escape_char(p.string())
                progress = True
    if "field.delim" in out:
        out["serialization.format"] = out["field.delim"]
    return out


def _escape_char(text: str) -> str:
    """Hive's delimiter spellings: ``'\\t'``, ``'\\001'`` (octal) as the character itself."""
    if len(text) >= 2 and text[0] == "\\":
        if text[1:].isdigit():
            return chr(int(text[1:], 8))
        return {"t": "\t", "n": "\n", "r": "\r"}.get(text[1:], text[1:])
    return text


def _drop(p: _DdlParser) -> Statement | None:
    if p.accept_word("DATABASE") or p.accept_word("SCHEMA"):
        if_exists = p.accept_word("IF", "EXISTS")
        name = p.identifier()
        cascade = p.accept_word("CASCADE")
        if not cascade:
            p.accept_word("RESTRICT")
        return DropDatabase(name, if_exists, cascade)
    if p.accept_word("TABLE"):
        if_exists = p.accept_word("IF", "EXISTS")
        return DropTable(p.table_ref(), if_exists)
    if p.accept_word("VIEW"):
        if_exists = p.accept_word("IF", "EXISTS")
        return DropView(p.table_ref(), if_exists)
    return None


def _alter(p: _DdlParser) -> Statement | None:
    if p.accept_word("DATABASE") or p.accept_word("SCHEMA"):
        raise UnsupportedError("ALTER DATABASE")
    if not p.accept_word("TABLE"):
        return None
    table = p.table_ref()
    if p.at_word("ADD", "COLUMNS"):
        p.pos += 2
        return AlterColumns(table, p.columns())
    if p.at_word("REPLACE", "COLUMNS"):
        p.pos += 2
        return AlterColumns(table, p.columns(), replace=True)
    if p.accept_word("SET", "TBLPROPERTIES"):
        return AlterTableSet(table, properties=p.string_map())
    if p.accept_word("SET", "LOCATION"):
        return AlterTableSet(table, location=p.string())
    if p.at_word("RENAME", "TO"):
        # Athena user guide, "Unsupported DDL": RENAME TO works on Iceberg tables only.
        raise UnsupportedError(
            "ALTER TABLE ... RENAME TO", "Athena does not rename Hive tables (Unsupported DDL)"
        )
    if p.at_word("ADD") or p.at_word("DROP"):
        return None  # ADD/DROP PARTITION: statements.py
    tok = p.peek()
    words = " ".join(t.text.upper() for t in p.tokens[p.pos : p.pos + 2] if t.kind == "word")
    raise UnsupportedError(f"ALTER TABLE ... {words or (tok.text if tok else '')}".strip())
