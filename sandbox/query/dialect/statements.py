"""Athena's Hive-DDL utility statements, parsed: the ones sqlglot does not handle.

Owns the recognition of ``MSCK REPAIR TABLE t``, ``ALTER TABLE t ADD [IF NOT EXISTS] PARTITION
(k='v', ...) [LOCATION '...'] ...``, ``ALTER TABLE t DROP [IF EXISTS] PARTITION (...), ...``,
``SHOW PARTITIONS t``, ``SHOW TABLES [IN db] ['regex']``, ``SHOW DATABASES|SCHEMAS [LIKE
'regex']``, ``SHOW COLUMNS {IN|FROM} t [{IN|FROM} db]`` and ``DESCRIBE [EXTENDED|FORMATTED] t``.
The write and catalogue statements (CTAS, INSERT INTO, UNLOAD, CREATE/DROP DATABASE|TABLE|VIEW,
ALTER TABLE ... COLUMNS|SET, SHOW VIEWS, SHOW CREATE TABLE|VIEW) are parsed by
:mod:`sandbox.query.dialect.ddl`, asked first; any other statement Athena knows (EXPLAIN,
PREPARE, ...; MERGE, UPDATE, DELETE, OPTIMIZE and VACUUM that
:mod:`sandbox.query.dialect.iceberg` has not taken) raises
:class:`~sandbox.query.errors.UnsupportedError` naming it.
DuckDB's own statements (SET, PRAGMA, COPY, ATTACH, INSTALL, LOAD, EXPORT, CREATE SECRET, ...)
are not Athena SQL and fail as Athena fails them, with a SYNTAX_ERROR naming the statement.
Table names may carry the ``awsdatacatalog`` catalog (``"awsdatacatalog"."db"."t"``).

Not reproduced: ``DESCRIBE t PARTITION (...)`` and column arguments, ``SHOW TBLPROPERTIES``,
``ALTER TABLE ... RENAME PARTITION``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.query.errors import QueryError, UnsupportedError


@dataclass(frozen=True)
class TableRef:
    database: str | None
    name: str


@dataclass(frozen=True)
class PartitionSpec:
    values: dict[str, str]
    location: str | None = None


@dataclass(frozen=True)
class MsckRepair:
    table: TableRef


@dataclass(frozen=True)
class AddPartitions:
    table: TableRef
    if_not_exists: bool
    specs: list[PartitionSpec] = field(default_factory=list)


@dataclass(frozen=True)
class DropPartitions:
    table: TableRef
    if_exists: bool
    specs: list[PartitionSpec] = field(default_factory=list)


@dataclass(frozen=True)
class ShowPartitions:
    table: TableRef


@dataclass(frozen=True)
class ShowTables:
    database: str | None
    pattern: str | None


@dataclass(frozen=True)
class ShowDatabases:
    pattern: str | None


@dataclass(frozen=True)
class ShowColumns:
    table: TableRef


@dataclass(frozen=True)
class Describe:
    table: TableRef


Utility = (
    MsckRepair
    | AddPartitions
    | DropPartitions
    | ShowPartitions
    | ShowTables
    | ShowDatabases
    | ShowColumns
    | Describe
)

_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/"""
    r"""|(?P<str>'(?:[^']|'')*')|(?P<dq>"(?:[^"]|"")*")|(?P<bq>`(?:[^`]|``)*`)"""
    r"""|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),=.])"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)
# Statements Athena accepts that the stand-in does not run.
_OTHER_STATEMENTS = {
    "CREATE",
    "DROP",
    "INSERT",
    "UNLOAD",
    "EXPLAIN",
    "MERGE",
    "UPDATE",
    "DELETE",
    "OPTIMIZE",
    "VACUUM",
    "PREPARE",
    "EXECUTE",
    "DEALLOCATE",
    "USE",
}
# DuckDB's own statements (and CALL, which Athena does not run): not Athena SQL, so Athena fails
# them as syntax errors, and none of them may reach the engine (they read or write files,
# change settings, load extensions or attach databases).
_NOT_ATHENA = {
    "SET",
    "RESET",
    "PRAGMA",
    "COPY",
    "ATTACH",
    "DETACH",
    "INSTALL",
    "LOAD",
    "FORCE",
    "EXPORT",
    "IMPORT",
    "CALL",
    "CHECKPOINT",
    "SUMMARIZE",
    "PIVOT",
    "UNPIVOT",
    "FROM",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "ABORT",
    "TRUNCATE",
}
# Objects only DuckDB creates or drops (CREATE SECRET points S3 reads at another endpoint).
_DUCKDB_OBJECTS = {"SECRET", "MACRO", "SEQUENCE", "TYPE"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # str | dq | ident | num | word | punct | other
    text: str
    start: int = 0  # where the token begins in the text parsed (for slicing a query out of it)


def _tokenize(sql: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(sql):
        match = _TOKEN.match(sql, pos)
        if match is None:  # only an unterminated quote or comment gets here
            raise QueryError(f"SYNTAX_ERROR: unterminated text near {sql[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup
        text = match.group(0)
        if kind is None:
            continue
        start = match.start()
        if kind == "str":
            tokens.append(_Tok("str", text[1:-1].replace("''", "'"), start))
        elif kind == "dq":
            # Hive DDL reads "..." as a string; as a name it is a quoted identifier.
            tokens.append(_Tok("dq", text[1:-1].replace('""', '"'), start))
        elif kind == "bq":
            tokens.append(_Tok("ident", text[1:-1].replace("``", "`"), start))
        else:
            tokens.append(_Tok(kind, text, start))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> _Tok | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at_word(self, *words: str) -> bool:
        for offset, word in enumerate(words):
            tok = self.peek(offset)
            if tok is None or tok.kind != "word" or tok.text.upper() != word:
                return False
        return True

    def accept_word(self, *words: str) -> bool:
        if self.at_word(*words):
            self.pos += len(words)
            return True
        return False

    def expect_word(self, word: str) -> None:
        if not self.accept_word(word):
            self.fail(f"expected {word}")

    def accept_punct(self, char: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == char:
            self.pos += 1
            return True
        return False

    def expect_punct(self, char: str) -> None:
        if not self.accept_punct(char):
            self.fail(f"expected '{char}'")

    def fail(self, message: str) -> None:
        tok = self.peek()
        near = f" near {tok.text!r}" if tok else " at end of statement"
        raise QueryError(f"SYNTAX_ERROR: {message}{near}")

    def identifier(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "ident", "dq"):
            self.fail("expected a name")
            raise AssertionError  # unreachable
        self.pos += 1
        return tok.text.lower()

    def table_ref(self) -> TableRef:
        """``t``, ``db.t`` or ``awsdatacatalog.db.t`` (the only catalog)."""
        parts = [self.identifier()]
        while len(parts) < 3 and self.accept_punct("."):
            parts.append(self.identifier())
        if len(parts) == 3:
            if parts[0] != "awsdatacatalog":
                raise UnsupportedError(f"catalog {parts[0]!r}", "only AwsDataCatalog")
            parts = parts[1:]
        if len(parts) == 2:
            return TableRef(parts[0], parts[1])
        return TableRef(None, parts[0])

    def string(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in ("str", "dq"):
            self.fail("expected a quoted string")
            raise AssertionError  # unreachable
        self.pos += 1
        return tok.text

    def value(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind == "punct":
            self.fail("expected a partition value")
            raise AssertionError  # unreachable
        self.pos += 1
        return tok.text

    def partition_specs(self, allow_location: bool) -> list[PartitionSpec]:
        specs: list[PartitionSpec] = []
        while self.accept_word("PARTITION"):
            self.expect_punct("(")
            values: dict[str, str] = {}
            while True:
                key = self.identifier()
                self.expect_punct("=")
                values[key] = self.value()
                if not self.accept_punct(","):
                    break
            self.expect_punct(")")
            location = None
            if allow_location and self.accept_word("LOCATION"):
                location = self.string()
            specs.append(PartitionSpec(values, location))
            self.accept_punct(",")
        if not specs:
            self.fail("expected PARTITION (...)")
        return specs

    def end(self) -> None:
        if self.peek() is not None:
            self.fail("unexpected text")


def _pattern(parser: _Parser) -> str | None:
    parser.accept_word("LIKE")
    tok = parser.peek()
    if tok is not None and tok.kind == "str":
        parser.pos += 1
        return tok.text
    return None


def parse_utility(sql: str) -> Utility | None:
    """The utility statement in ``sql``, or None when it is a query for sqlglot."""
    tokens = _tokenize(sql.strip().rstrip(";"))
    if not tokens or tokens[0].kind != "word":
        return None
    p = _Parser(tokens)
    head = tokens[0].text.upper()
    result: Utility
    if p.accept_word("MSCK"):
        p.expect_word("REPAIR")
        p.expect_word("TABLE")
        result = MsckRepair(p.table_ref())
    elif p.accept_word("ALTER", "TABLE"):
        table = p.table_ref()
        if p.accept_word("ADD"):
            if_not_exists = p.accept_word("IF", "NOT", "EXISTS")
            result = AddPartitions(table, if_not_exists, p.partition_specs(allow_location=True))
        elif p.accept_word("DROP"):
            if_exists = p.accept_word("IF", "EXISTS")
            result = DropPartitions(table, if_exists, p.partition_specs(allow_location=False))
        else:
            tok = p.peek()
            raise UnsupportedError(f"ALTER TABLE ... {tok.text.upper() if tok else ''}".strip())
    elif p.accept_word("SHOW", "PARTITIONS"):
        result = ShowPartitions(p.table_ref())
    elif p.accept_word("SHOW", "TABLES"):
        database = p.identifier() if p.accept_word("IN") or p.accept_word("FROM") else None
        result = ShowTables(database, _pattern(p))
    elif p.accept_word("SHOW", "DATABASES") or p.accept_word("SHOW", "SCHEMAS"):
        result = ShowDatabases(_pattern(p))
    elif p.accept_word("SHOW", "COLUMNS"):
        if not (p.accept_word("IN") or p.accept_word("FROM")):
            p.fail("expected IN or FROM")
        table = p.table_ref()
        if p.accept_word("IN") or p.accept_word("FROM"):
            table = TableRef(p.identifier(), table.name)
        result = ShowColumns(table)
    elif p.accept_word("DESCRIBE") or p.accept_word("DESC"):
        p.accept_word("EXTENDED") or p.accept_word("FORMATTED")
        result = Describe(p.table_ref())
    elif head == "SHOW":
        second = tokens[1].text.upper() if len(tokens) > 1 else ""
        raise UnsupportedError(f"statement SHOW {second}".strip())
    elif head in _NOT_ATHENA or _duckdb_object(tokens):
        construct = head
        if head in ("CREATE", "DROP"):
            construct = f"{head} {_duckdb_object(tokens)}"
        raise QueryError(
            f"SYNTAX_ERROR: line 1:1: mismatched input '{tokens[0].text}' ({construct} is "
            "DuckDB's statement, not Athena SQL)"
        )
    elif head in _OTHER_STATEMENTS:
        raise UnsupportedError(f"statement {head}", "the sandbox's tables come from Glue")
    else:
        return None
    p.end()
    return result


def _duckdb_object(tokens: list[_Tok]) -> str:
    """``SECRET`` for ``CREATE [OR REPLACE] [PERSISTENT|TEMP] SECRET ...`` and the like, else ''."""
    if tokens[0].text.upper() not in ("CREATE", "DROP"):
        return ""
    for tok in tokens[1:6]:
        if tok.kind != "word":
            break
        if tok.text.upper() in _DUCKDB_OBJECTS:
            return tok.text.upper()
    return ""


def show_tables_matcher(pattern: str | None) -> re.Pattern[str]:
    """Athena's SHOW TABLES pattern: ``*`` any characters, ``|`` alternatives."""
    if not pattern:
        return re.compile(".*")
    alternatives = [
        ".*".join(re.escape(part) for part in alt.strip().split("*")) for alt in pattern.split("|")
    ]
    return re.compile("|".join(f"(?:{alt})" for alt in alternatives), re.IGNORECASE)
