"""Athena SQL in, DuckDB SQL out: sqlglot's Trino dialect plus the fixes this sandbox needs.

Owns the translation of one Athena (engine v3, Trino) statement to DuckDB: parsing (one
statement, a query; DuckDB's file, URL and engine functions refused), the allow-list check and
the rewrites of :mod:`sandbox.query.dialect.functions` (Trino's semantics where DuckDB differs;
every construct passed to DuckDB is one whose semantics the conformance suite ``tests/sql``
checks), table names bound to the Glue views, and the DuckDB macros the translated SQL calls
(:data:`MACROS`, created on every connection by ``duck.prepare_sql``, next to the UDFs of
``datetime_formats`` and ``udfs``). Fixed here, besides ``functions``:

==========================  ==================================================================
``json_extract_scalar``     NULL for arrays/objects and for malformed JSON (DuckDB's ``->>``
                            returns the array's text or fails); ``$["key"]`` paths
``json_extract``            NULL for malformed JSON; ``$["key"]`` paths
``date_parse``              MySQL specifiers converted here; ``%D %U %u %V %w %X %x`` and
                            ``%y`` (Trino's two-digit years are 2000-2099) refused
``date_format``             same conversion; ``%v`` (ISO week) fixed
``to_iso8601``              missing in DuckDB: a macro, date / timestamp / timestamptz forms
``parse_datetime``          Joda pattern converted (sqlglot passes it through unconverted), or
                            a Python UDF where DuckDB has no equivalent (``datetime_formats``)
``format_datetime``         same (missing in DuckDB)
``date_trunc``              on a DATE returns a DATE (DuckDB returns a TIMESTAMP)
``date_diff``               counts whole units elapsed (DuckDB's ``date_diff`` counts boundaries)
``DECIMAL '1.23456'``       a decimal(6,5), its digits as written (sqlglot: DuckDB's (18,3))
``a[i]``, ``m[k]``          one subscript, array or map once typed, failing out of range
standalone ``VALUES``       ``SELECT *`` over it, columns ``_col0``...
``WITH t(a, b) AS``         the names put on the query's outputs (sqlglot's qualifier drops them)
unnamed columns             named ``_col0``, ``_col1``, ... as Athena names them
==========================  ==================================================================

An unsupported construct raises :class:`~sandbox.query.errors.UnsupportedError` naming it; an
unknown function FUNCTION_NOT_FOUND, as Athena. Not reproduced: Athena's millisecond precision
of timestamps (DuckDB keeps microseconds), the time zone carried by a TIMESTAMP WITH TIME ZONE
(values are instants shown in UTC: constructs that would carry another zone are refused).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.trino import Trino
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.parsers.trino import TrinoParser
from sqlglot.schema import MappingSchema
from sqlglot.tokens import TokenType

from sandbox.query.dialect import functions
from sandbox.query.dialect.datetime_formats import (
    FORMAT_FUNCTION,
    PARSE_FUNCTION,
    compiled,
    duckdb_codes,
    mysql_to_duckdb,
)
from sandbox.query.errors import QueryError, UnsupportedError

# sqlglot logs "unsupported argument" warnings; this module raises or documents instead.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# DuckDB macros the translated SQL calls. Parameters are substituted at bind time, so constant
# arguments (paths, regex groups, formats) stay constant.
MACROS = (
    *functions.MACROS,
    # Trino: NULL for a non-scalar value, a missing path, JSON null or malformed input.
    "CREATE OR REPLACE MACRO athena_json_extract_scalar(j, p) AS CASE "
    "WHEN j IS NULL OR NOT json_valid(CAST(j AS VARCHAR)) THEN NULL "
    "WHEN json_type(CAST(j AS VARCHAR), p) IN ('OBJECT', 'ARRAY') THEN NULL "
    "ELSE json_extract_string(CAST(j AS VARCHAR), p) END",
    "CREATE OR REPLACE MACRO athena_json_extract(j, p) AS CASE "
    "WHEN j IS NULL OR NOT json_valid(CAST(j AS VARCHAR)) THEN NULL "
    "ELSE json_extract(CAST(j AS VARCHAR), p) END",
    # Trino: "Returns NULL if the pattern does not match" (DuckDB returns '').
    # to_iso8601: DATE -> 2023-06-18, TIMESTAMP -> 2023-06-18T14:27:52.123,
    # TIMESTAMP WITH TIME ZONE -> 2023-06-18T14:27:52.123Z (shown in UTC).
    "CREATE OR REPLACE MACRO athena_to_iso8601(x, fmt) AS CASE "
    "WHEN typeof(x) = 'DATE' THEN strftime(CAST(x AS DATE), '%Y-%m-%d') "
    "WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' "
    "THEN strftime(timezone('UTC', CAST(x AS TIMESTAMPTZ)), fmt) || 'Z' "
    "ELSE strftime(CAST(x AS TIMESTAMP), fmt) END",
    # Integer division when both operands are integers, for operands sqlglot could not type;
    # Trino fails on a zero divisor unless both are floating point.
    "CREATE OR REPLACE MACRO athena_divide(a, b) AS CASE "
    "WHEN typeof(a) IN ('TINYINT','SMALLINT','INTEGER','BIGINT','HUGEINT','UTINYINT',"
    "'USMALLINT','UINTEGER','UBIGINT') AND typeof(b) IN ('TINYINT','SMALLINT','INTEGER',"
    "'BIGINT','HUGEINT','UTINYINT','USMALLINT','UINTEGER','UBIGINT') "
    "THEN trunc(a / athena_nonzero(b)) "
    "WHEN typeof(a) LIKE 'DECIMAL%' OR typeof(b) LIKE 'DECIMAL%' THEN error('NOT_SUPPORTED: "
    "decimal division of values the sandbox could not type is not supported by the sandbox') "
    "ELSE a / b END",
)

_INTEGER_TYPES = {
    exp.DataType.Type.TINYINT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
}
_BRACKET_KEY = re.compile(r"""\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]""")


def _literal_string(node: exp.Expr, what: str) -> str:
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    raise UnsupportedError(f"{what} that is not a string literal")


def json_path(path: str) -> str:
    """Trino JSONPath (``$["a b"].c[0]``) in DuckDB's spelling (``$."a b".c[0]``)."""

    def repl(match: re.Match[str]) -> str:
        key = match.group(1) if match.group(1) is not None else match.group(2)
        return '."' + key.replace('"', '\\"') + '"'

    return _BRACKET_KEY.sub(repl, path)


def _path_arg(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Literal) and node.is_string:
        return exp.Literal.string(json_path(node.this))
    return node


_call = functions.call


def _nargs(name: str, args: list, low: int, high: int) -> None:
    if not low <= len(args) <= high:
        raise QueryError(
            f"FUNCTION_NOT_FOUND: {name} takes {low}-{high} arguments, not {len(args)}"
        )


def _json_extract_scalar(args: list) -> exp.Expr:
    _nargs("json_extract_scalar", args, 2, 2)
    return _call("athena_json_extract_scalar", args[0], _path_arg(args[1]))


def _json_extract(args: list) -> exp.Expr:
    _nargs("json_extract", args, 2, 2)
    return _call("athena_json_extract", args[0], _path_arg(args[1]))


def _date_parse(args: list) -> exp.Expr:
    _nargs("date_parse", args, 2, 2)
    fmt = mysql_to_duckdb(_literal_string(args[1], "date_parse format"), "date_parse")
    return _call("strptime", args[0], exp.Literal.string(fmt))


def _date_format(args: list) -> exp.Expr:
    _nargs("date_format", args, 2, 2)
    fmt = mysql_to_duckdb(_literal_string(args[1], "date_format format"), "date_format")
    return _call("strftime", args[0], exp.Literal.string(fmt))


def _parse_datetime(args: list) -> exp.Expr:
    _nargs("parse_datetime", args, 2, 2)
    pattern = _literal_string(args[1], "parse_datetime format")
    compiled(pattern, joda=True, parsing=True, what="parse_datetime format")
    fmt = duckdb_codes(pattern, joda=True, parsing=True)
    if fmt is None:  # DuckDB cannot express it: the shared Joda implementation, as a UDF
        return _call(
            PARSE_FUNCTION, args[0], exp.Literal.string(pattern), exp.Literal.string("joda")
        )
    parsed = _call("strptime", args[0], exp.Literal.string(fmt))
    # Trino returns TIMESTAMP WITH TIME ZONE (in the session zone, UTC on Athena).
    return exp.cast(parsed, exp.DataType.build("TIMESTAMPTZ", dialect="duckdb"))


def _format_datetime(args: list) -> exp.Expr:
    _nargs("format_datetime", args, 2, 2)
    pattern = _literal_string(args[1], "format_datetime format")
    compiled(pattern, joda=True, parsing=False, what="format_datetime format")
    fmt = duckdb_codes(pattern, joda=True)
    if fmt is None:
        value = exp.cast(args[0], exp.DataType.build("TIMESTAMPTZ", dialect="duckdb"))
        return _call(
            FORMAT_FUNCTION, value, exp.Literal.string(pattern), exp.Literal.string("joda")
        )
    return _call("strftime", args[0], exp.Literal.string(fmt))


def _fraction_format(node: exp.Expr) -> str:
    """to_iso8601 prints as many fraction digits as the timestamp's precision (default 3)."""
    precision = 3
    if isinstance(node, exp.Cast):
        size = node.to.find(exp.DataTypeParam)
        if size is not None and size.this.is_int:
            precision = int(size.this.name)
    return {0: "", 6: ".%f", 9: ".%n"}.get(precision, ".%g")


def _to_iso8601(args: list) -> exp.Expr:
    _nargs("to_iso8601", args, 1, 1)
    fmt = "%Y-%m-%dT%H:%M:%S" + _fraction_format(args[0])
    return _call("athena_to_iso8601", args[0], exp.Literal.string(fmt))


def _date_diff(args: list) -> exp.Expr:
    _nargs("date_diff", args, 3, 3)
    unit = exp.Literal.string(_literal_string(args[0], "date_diff unit").lower())
    return _call("date_sub", unit, args[1], args[2])


def _unsupported(name: str, hint: str = "") -> Callable[[list], exp.Expr]:
    def build(args: list) -> exp.Expr:
        raise UnsupportedError(f"function {name}", hint)

    return build


class AthenaParser(TrinoParser):
    FUNCTIONS: ClassVar[dict[str, Any]] = {
        **TrinoParser.FUNCTIONS,
        "JSON_EXTRACT_SCALAR": _json_extract_scalar,
        "JSON_EXTRACT": _json_extract,
        "DATE_PARSE": _date_parse,
        "DATE_FORMAT": _date_format,
        "PARSE_DATETIME": _parse_datetime,
        "FORMAT_DATETIME": _format_datetime,
        "TO_ISO8601": _to_iso8601,
        "DATE_DIFF": _date_diff,
        "TIMEZONE_HOUR": _unsupported("timezone_hour", "time-zone-carrying values"),
        "TIMEZONE_MINUTE": _unsupported("timezone_minute", "time-zone-carrying values"),
        **functions.BUILDERS,
    }
    # DECIMAL '1.23456' is a decimal(6,5), as Trino types it (sqlglot: a DECIMAL cast).
    TYPE_LITERAL_PARSERS: ClassVar[dict[Any, Any]] = {
        **TrinoParser.TYPE_LITERAL_PARSERS,
        exp.DataType.Type.DECIMAL: lambda self, this, data_type: exp.Cast(
            this=this,
            to=data_type
            if data_type.expressions or not (isinstance(this, exp.Literal) and this.is_string)
            else exp.DataType.build(functions.decimal_literal_type(this.this)),
        ),
    }

    def _parse_bracket(self, this: exp.Expr | None = None) -> exp.Expr | None:
        """``a[i]``/``m[k]`` as one pending subscript (array or map: decided once typed);
        sqlglot shifts array indexes and leaves out-of-range subscripts NULL."""
        if (
            this is None
            or not self._match(TokenType.L_BRACKET, advance=False)
            or self.ARRAY_CONSTRUCTORS.get(this.name.upper())
        ):
            return super()._parse_bracket(this)
        self._advance()
        key = self._parse_disjunction()
        if key is None or not self._match(TokenType.R_BRACKET):
            self.raise_error("Expected ]")
            return this
        return self._parse_bracket(functions.subscript(this, key))


class AthenaSQL(Trino):
    """Athena engine v3 DML: Trino's grammar with the function builders above."""

    Parser = AthenaParser


# DuckDB functions that read files or URLs, list them, run SQL text, or show the engine's state:
# not Athena's, and the reason the engine must never see them (Athena reads tables only).
_NOT_ATHENA_FUNCTIONS = {
    "glob",
    "query",
    "query_table",
    "csv_scan",
    "getenv",
    "getvariable",
    "current_setting",
    "which_secret",
    "enable_logging",
    "disable_logging",
    "truncate_duckdb_logs",
    "write_log",
    "load_aws_credentials",
    "st_read",
    "summary",
    "checkpoint",
    "force_checkpoint",
}
_NOT_ATHENA_PREFIXES = (
    "read_",
    "parquet_",
    "duckdb_",
    "pragma_",
    "iceberg_",
    "delta_",
    "sniff_",
    "json_execute",
    "http_",
)


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def refuse_non_athena(tree: exp.Expr) -> None:
    """FUNCTION_NOT_FOUND for DuckDB's file, URL and engine functions and any table function
    (Athena's only one is UNNEST), as Athena answers for functions it does not have."""
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            name = _function_name(table.this)
            raise QueryError(f"FUNCTION_NOT_FOUND: Table function '{name}' not registered")
        if not isinstance(table.this, exp.Identifier):
            raise QueryError(f"SYNTAX_ERROR: not a table name: {table.sql(dialect='trino')}")
    for func in tree.find_all(exp.Func):
        name = _function_name(func)
        if name in _NOT_ATHENA_FUNCTIONS or name.startswith(_NOT_ATHENA_PREFIXES):
            raise QueryError(f"FUNCTION_NOT_FOUND: Function '{name}' not registered")


def strip_statement(sql: str) -> str:
    """The statement without surrounding whitespace and trailing semicolons."""
    return sql.strip().rstrip(";").strip()


def parse(sql: str) -> exp.Expr:
    """Parse one Athena statement; QueryError (one line) on a syntax error."""
    try:
        trees = [t for t in sqlglot.parse(strip_statement(sql), dialect=AthenaSQL) if t]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f"line {first.get('line')}:{first.get('col')}: " if first else ""
        message = str(first.get("description") or exc).splitlines()[0]
        raise QueryError(f"SYNTAX_ERROR: {where}{message}") from exc
    if not trees:
        raise QueryError("SYNTAX_ERROR: empty statement")
    if len(trees) > 1:
        raise QueryError("Only one sql statement is allowed")
    tree = trees[0]
    if isinstance(tree, exp.Values):
        tree = _select_values(tree)
    if not isinstance(tree, exp.Query):
        raise UnsupportedError(f"statement {tree.key.upper()}", "only queries run on DuckDB")
    refuse_non_athena(tree)
    functions.check(tree)
    return tree


def _select_values(values: exp.Values) -> exp.Select:
    """A standalone ``VALUES`` as ``SELECT *`` over it, its columns named ``_col0``..."""
    first = values.expressions[0] if values.expressions else None
    width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
    alias = exp.TableAlias(
        this=exp.to_identifier("_values"),
        columns=[exp.to_identifier(f"_col{i}") for i in range(width)],
    )
    return exp.select("*").from_(exp.Subquery(this=values, alias=alias))


def _push_cte_columns(tree: exp.Expr) -> None:
    """``WITH t(a, b) AS (q)``: the names go onto q's outputs (sqlglot's qualifier drops a
    CTE's column list)."""
    for cte in tree.find_all(exp.CTE):
        alias = cte.args.get("alias")
        if alias is None or not alias.columns:
            continue
        names = [c.name for c in alias.columns]
        select = cte.this
        while isinstance(select, exp.SetOperation):
            select = select.this
        if not isinstance(select, exp.Select):
            raise UnsupportedError("a WITH column list on this query")
        projections = select.expressions
        source = select.args.get("from_")
        if len(projections) == 1 and isinstance(projections[0], exp.Star) and source is not None:
            values = source.this
            if isinstance(values, exp.Subquery) and isinstance(values.this, exp.Values):
                values = values
            if (
                not isinstance(values, exp.Values | exp.Subquery)
                or values.args.get("alias") is None
            ):
                raise UnsupportedError("a WITH column list on SELECT *")
            values.args["alias"].set("columns", [exp.to_identifier(n) for n in names])
        elif any(isinstance(p, exp.Star) for p in projections) or len(projections) != len(names):
            raise UnsupportedError("a WITH column list on SELECT *")
        else:
            select.set(
                "expressions",
                [
                    exp.alias_(p.unalias().copy(), n)
                    for p, n in zip(projections, names, strict=True)
                ],
            )
        alias.set("columns", None)


def cte_names(tree: exp.Expr) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def table_references(tree: exp.Expr, database: str) -> list[tuple[str, str]]:
    """The (database, table) pairs a query reads, CTE names excluded, in first-use order."""
    ctes = cte_names(tree)
    seen: dict[tuple[str, str], None] = {}
    for table in tree.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue
        catalog = table.catalog.lower()
        if catalog and catalog != "awsdatacatalog":
            raise UnsupportedError(f"catalog {table.catalog!r}", "only AwsDataCatalog")
        db = table.db.lower()
        if not db and table.name.lower() in ctes:
            continue
        seen[(db or database, table.name.lower())] = None
    return list(seen)


def _strip_catalogs(tree: exp.Expr, database: str) -> None:
    """Catalogs off, the database on every table that is not a CTE: DuckDB then resolves each
    name to the view made for that Glue table, never to a file (its replacement scans)."""
    ctes = cte_names(tree)
    for table in tree.find_all(exp.Table):
        if table.args.get("catalog") is not None:
            table.set("catalog", None)
        if not table.db and table.name.lower() not in ctes:
            table.set("db", exp.to_identifier(database))


def _is_integer(node: exp.Expr) -> bool:
    return node.type is not None and node.type.this in _INTEGER_TYPES


def _is_known(node: exp.Expr) -> bool:
    return node.type is not None and node.type.this not in (
        exp.DataType.Type.UNKNOWN,
        exp.DataType.Type.NULL,
    )


def _fix_typed(tree: exp.Expr) -> exp.Expr:
    """Rewrites that need operand types: Trino's semantics (``functions.rewrite``) and
    date_trunc on DATE."""
    tree = functions.rewrite(tree)

    def fix(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.TimestampTrunc | exp.DateTrunc):
            arg = node.this
            if arg.type is not None and arg.type.this == exp.DataType.Type.DATE:
                return exp.cast(node.copy(), exp.DataType.build("DATE"))
        return node

    return tree.transform(fix, copy=False)


def name_unnamed_columns(tree: exp.Expr) -> None:
    """Athena names an output that is not a plain column ``_col<position>``."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return
    for position, projection in enumerate(select.expressions):
        if not isinstance(projection, exp.Alias | exp.Column | exp.Star):
            projection.replace(exp.alias_(projection.copy(), f"_col{position}"))


def translate(
    sql: str | exp.Expr,
    *,
    database: str = "default",
    schema: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
) -> str:
    """DuckDB SQL for one Athena query.

    ``schema`` maps database -> table -> column -> DuckDB type (from Glue); with it, column
    types drive integer division and ``date_trunc`` on dates.
    """
    tree = parse(sql) if isinstance(sql, str) else sql.copy()
    _push_cte_columns(tree)
    _strip_catalogs(tree, database)
    name_unnamed_columns(tree)
    mapping = MappingSchema(
        {
            db: {t: dict(cols) for t, cols in tables.items()}
            for db, tables in (schema or {}).items()
        },
        dialect="duckdb",
    )
    try:
        tree = qualify(
            tree,
            schema=mapping,
            dialect=AthenaSQL,
            db=database,
            validate_qualify_columns=False,
            quote_identifiers=False,
            expand_stars=False,
            identify=False,
        )
    except (OptimizeError, ValueError, KeyError):
        # Unresolvable scopes: translate unqualified; untyped divisions go through the macro.
        tree = parse(sql) if isinstance(sql, str) else sql.copy()
        _push_cte_columns(tree)
        _strip_catalogs(tree, database)
        name_unnamed_columns(tree)
    with contextlib.suppress(OptimizeError, ValueError, KeyError):
        tree = annotate_types(functions.type_literals(tree), schema=mapping, dialect="duckdb")
    tree = _fix_typed(tree)
    return tree.sql(dialect="duckdb")
