"""Glue (Hive) column types: one parser, one tree of type nodes, one visitor per consumer.

Owns the type strings a Glue table declares (``StorageDescriptor.Columns[].Type``) and what
each stage makes of them, the way apache/iceberg-python keeps one ``types.py`` and converts it
with visitors:

- :func:`parse_glue_type` turns a string into a tree of :data:`GlueType` nodes (primitives,
  ``decimal(p,s)``, ``char(n)``/``varchar(n)``, ``array<>``, ``map<,>``, ``struct<>``), or
  raises :class:`GlueTypeError`; ``str(node)`` is the canonical Glue spelling (lower case, no
  spaces), which parses back to the same tree;
- :func:`to_arrow`: the Arrow type the Firehose record format conversion writes;
- :func:`to_duckdb`: the DuckDB type SQL of the query stage's views and casts;
- :func:`to_athena`: the ``ColumnInfo`` Type/Precision/Scale/CaseSensitive Athena's
  ``GetQueryResults`` reports for a column of that type;
- :func:`parse_duckdb_type`: the other way in, a DuckDB result column's type as a tree, so a
  query's result is typed (and formatted) for Athena's API the same way as a table's column.

The grammar follows Hive's ``TypeInfoUtils`` (which Firehose's SerDes and Athena's Hive connector
parse Glue types with) and "Data types in Amazon Athena" (Athena user guide):

- type names are case-insensitive; ``integer`` and ``double precision`` are Hive's DDL aliases
  of ``int`` and ``double`` (Hive LanguageManual Types, since Hive 2.2.0). ``real`` is refused:
  it is Athena's DML (Trino) name, DDL and the Glue catalogue say ``float``, and Hive's type
  registry has no ``real``;
- ``decimal`` is ``decimal(10,0)``, ``decimal(p)`` is ``decimal(p,0)`` (the user guide's
  example ``decimal(15)``); precision is 1..38 and scale 0..precision, as Hive's
  ``HiveDecimalUtils.validateParameter`` enforces ("Decimal precision out of allowed range
  [1,38]", "Decimal scale must be less than or equal to precision");
- ``char`` and ``varchar`` need a length (Hive: "char type is specified without length");
- a struct field is ``name:type``; a name is one run of letters, digits, ``_``, ``.`` or ``$``
  (Hive's and Trino's name characters);
- whitespace between tokens is ignored, including inside parentheses (``decimal( 10 )``).

Not reproduced: ``uniontype``, ``void``, the ``interval`` types and ``timestamp with local time
zone`` (refused); Hive's length ranges for ``char`` (1..255) and ``varchar`` (1..65535), which
both stages accepted unchecked before and still do; Hive's tokenizer, which keeps spaces inside
names (``struct<a b:int>`` is a field ``a b`` there, refused here) and is case-sensitive.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "PRIMITIVES",
    "ArrayType",
    "AthenaColumnType",
    "CharType",
    "DecimalType",
    "GlueType",
    "GlueTypeError",
    "GlueTypeVisitor",
    "MapType",
    "Primitive",
    "StructField",
    "StructType",
    "parse_duckdb_type",
    "parse_glue_type",
    "to_arrow",
    "to_athena",
    "to_duckdb",
    "visit",
]


class GlueTypeError(ValueError):
    """A Glue column type string that is malformed or names a type the sandbox cannot map."""


PRIMITIVES = frozenset(
    {
        "string",
        "boolean",
        "tinyint",
        "smallint",
        "int",
        "bigint",
        "float",
        "double",
        "date",
        "timestamp",
        "binary",
    }
)
_ALIASES = {"integer": "int"}  # "double precision" is two tokens, handled by the parser
MAX_DECIMAL_PRECISION = 38
DEFAULT_DECIMAL = (10, 0)  # Hive's HiveDecimal.USER_DEFAULT_PRECISION / USER_DEFAULT_SCALE


# --- the tree ------------------------------------------------------------------------------


class _Node:
    """The canonical Glue string (lower case, no spaces): ``str(node)`` parses back to ``node``."""

    __slots__ = ()

    def __str__(self) -> str:
        return visit(self, _TO_GLUE)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Primitive(_Node):
    name: str  # one of PRIMITIVES


@dataclass(frozen=True, slots=True)
class DecimalType(_Node):
    """``decimal`` alone is Hive's default, ``decimal(10,0)``."""

    precision: int = DEFAULT_DECIMAL[0]
    scale: int = DEFAULT_DECIMAL[1]
    name: ClassVar[str] = "decimal"


@dataclass(frozen=True, slots=True)
class CharType(_Node):
    name: str  # "char" or "varchar"
    length: int


@dataclass(frozen=True, slots=True)
class ArrayType(_Node):
    element: GlueType
    name: ClassVar[str] = "array"


@dataclass(frozen=True, slots=True)
class MapType(_Node):
    key: GlueType
    value: GlueType
    name: ClassVar[str] = "map"


@dataclass(frozen=True, slots=True)
class StructField:
    name: str  # as declared (case kept)
    type: GlueType

    def __str__(self) -> str:
        return f"{self.name}:{self.type}"


@dataclass(frozen=True, slots=True)
class StructType(_Node):
    fields: tuple[StructField, ...]
    name: ClassVar[str] = "struct"


GlueType = Primitive | DecimalType | CharType | ArrayType | MapType | StructType


# --- the parser ----------------------------------------------------------------------------

_TOKEN = re.compile(r"[\w$.]+|\S")
_WORD = re.compile(r"[\w$.]+")
_MAP_ERRORS = {",": "invalid map type", ">": "invalid map type"}  # one parameter too few/many


def parse_glue_type(text: str) -> GlueType:
    """The tree of a Glue type string such as ``array<struct<a:int,b:decimal(10,2)>>``."""
    return _Parser(text).parse()


class _Parser:
    """Recursive descent over tokens (words and single punctuation characters)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
        self.i = 0
        # a text that ends before its types do is named whole, as the Firehose always did
        self.cut_off = any(text.count(o) > text.count(c) for o, c in ("<>", "()"))

    def parse(self) -> GlueType:
        node = self.type_()
        if self.i != len(self.tokens):
            raise self.error("unsupported Glue type", 0)
        return node

    # tokens

    def peek(self) -> str:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        self.i += 1
        return token

    def span(self, index: int) -> str:
        """The type expression that starts at token ``index``, as written (for messages)."""
        if index == 0:
            return self.text
        start = self.tokens[index][1] if index < len(self.tokens) else len(self.text)
        depth, end = 0, start
        while end < len(self.text):
            ch = self.text[end]
            if ch in "<(":
                depth += 1
            elif ch in ">)":
                if depth == 0:
                    break
                depth -= 1
            elif ch == "," and depth == 0:
                break
            end += 1
        return self.text[start:end].strip()

    def error(self, what: str, index: int) -> GlueTypeError:
        if self.cut_off or self.i > len(self.tokens):
            return GlueTypeError(f"unsupported Glue type {self.text!r}")
        return GlueTypeError(f"{what} {self.span(index)!r}")

    # grammar

    def type_(self) -> GlueType:
        start = self.i
        token = self.take()
        name = token.lower()
        if name == "array":
            self.expect("<", start)
            element = self.type_()
            self.expect(">", start)
            return ArrayType(element)
        if name == "map":
            return self.map_(start)
        if name == "struct":
            return self.struct_(start)
        if name == "decimal":
            return self.decimal_(start)
        if name in ("char", "varchar"):
            if self.peek() != "(":
                raise self.error("unsupported Glue type", start)
            self.take()
            length = self.take()
            if not length.isdigit() or self.take() != ")":
                raise self.error("unsupported Glue type", start)
            return CharType(name, int(length))
        if name == "double" and self.peek().lower() == "precision":
            self.take()
        name = _ALIASES.get(name, name)
        if name not in PRIMITIVES or self.peek() == "(":
            raise self.error("unsupported Glue type", start)
        return Primitive(name)

    def expect(self, char: str, start: int, what: str = "unsupported Glue type") -> None:
        if self.take() != char:
            raise self.error(what, start)

    def map_(self, start: int) -> MapType:
        self.expect("<", start)
        if self.peek() == ">":
            raise self.error("invalid map type", start)
        key = self.type_()
        if (separator := self.take()) != ",":
            raise self.error(_MAP_ERRORS.get(separator, "unsupported Glue type"), start)
        value = self.type_()
        if (closing := self.take()) != ">":
            raise self.error(_MAP_ERRORS.get(closing, "unsupported Glue type"), start)
        return MapType(key, value)

    def struct_(self, start: int) -> StructType:
        self.expect("<", start)
        fields: list[StructField] = []
        while True:
            field_start = self.i
            name = self.take()
            if not _WORD.fullmatch(name) or self.peek() != ":":
                if self.cut_off or self.i > len(self.tokens):
                    raise self.error("unsupported Glue type", start)
                raise GlueTypeError(
                    f"invalid struct field {self.span(field_start)!r} in {self.span(start)!r}"
                )
            self.take()
            fields.append(StructField(name, self.type_()))
            separator = self.take()
            if separator == ">":
                return StructType(tuple(fields))
            if separator != ",":
                raise self.error("unsupported Glue type", start)

    def decimal_(self, start: int) -> DecimalType:
        if self.peek() != "(":
            return DecimalType()
        self.take()
        numbers: list[str] = [self.take()]
        while self.peek() == ",":
            self.take()
            numbers.append(self.take())
        if self.take() != ")" or len(numbers) > 2 or not all(n.isdigit() for n in numbers):
            raise self.error("invalid decimal type", start)
        precision, scale = int(numbers[0]), int(numbers[1]) if len(numbers) == 2 else 0
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or scale > precision:
            raise self.error("invalid decimal type", start)
        return DecimalType(precision, scale)


# --- visitors ------------------------------------------------------------------------------


class GlueTypeVisitor[T](ABC):
    """Post-order: nested types are visited first and their results handed to the parent."""

    @abstractmethod
    def primitive(self, node: Primitive) -> T: ...

    @abstractmethod
    def decimal(self, node: DecimalType) -> T: ...

    @abstractmethod
    def char(self, node: CharType) -> T: ...

    @abstractmethod
    def array(self, node: ArrayType, element: T) -> T: ...

    @abstractmethod
    def map(self, node: MapType, key: T, value: T) -> T: ...

    @abstractmethod
    def struct(self, node: StructType, fields: list[T]) -> T: ...


def visit[T](node: GlueType, visitor: GlueTypeVisitor[T]) -> T:
    match node:
        case Primitive():
            return visitor.primitive(node)
        case DecimalType():
            return visitor.decimal(node)
        case CharType():
            return visitor.char(node)
        case ArrayType():
            return visitor.array(node, visit(node.element, visitor))
        case MapType():
            return visitor.map(node, visit(node.key, visitor), visit(node.value, visitor))
        case StructType():
            return visitor.struct(node, [visit(f.type, visitor) for f in node.fields])


class _ToGlue(GlueTypeVisitor[str]):
    def primitive(self, node: Primitive) -> str:
        return node.name

    def decimal(self, node: DecimalType) -> str:
        return f"decimal({node.precision},{node.scale})"

    def char(self, node: CharType) -> str:
        return f"{node.name}({node.length})"

    def array(self, node: ArrayType, element: str) -> str:
        return f"array<{element}>"

    def map(self, node: MapType, key: str, value: str) -> str:
        return f"map<{key},{value}>"

    def struct(self, node: StructType, fields: list[str]) -> str:
        names = (f.name for f in node.fields)
        return "struct<" + ",".join(f"{n}:{t}" for n, t in zip(names, fields, strict=True)) + ">"


_TO_GLUE = _ToGlue()


class _ToArrow(GlueTypeVisitor["pa.DataType"]):
    def __init__(self) -> None:
        import pyarrow as pa  # only the Firehose stage writes Arrow; the query stage never asks

        self.pa = pa
        self.simple: dict[str, pa.DataType] = {
            "string": pa.string(),
            "boolean": pa.bool_(),
            "tinyint": pa.int8(),
            "smallint": pa.int16(),
            "int": pa.int32(),
            "bigint": pa.int64(),
            "float": pa.float32(),
            "double": pa.float64(),
            "date": pa.date32(),
            "timestamp": pa.timestamp("us"),
            "binary": pa.binary(),
        }

    def primitive(self, node: Primitive) -> pa.DataType:
        return self.simple[node.name]

    def decimal(self, node: DecimalType) -> pa.DataType:
        return self.pa.decimal128(node.precision, node.scale)

    def char(self, node: CharType) -> pa.DataType:
        return self.pa.string()  # Parquet has no length-bounded string

    def array(self, node: ArrayType, element: pa.DataType) -> pa.DataType:
        return self.pa.list_(element)

    def map(self, node: MapType, key: pa.DataType, value: pa.DataType) -> pa.DataType:
        return self.pa.map_(key, value)

    def struct(self, node: StructType, fields: list[pa.DataType]) -> pa.DataType:
        return self.pa.struct([(f.name, t) for f, t in zip(node.fields, fields, strict=True)])


def to_arrow(node: GlueType) -> pa.DataType:
    """The Arrow type a Glue type is written as (timestamps in microseconds, as Hive's)."""
    return visit(node, _ToArrow())


_DUCKDB = {
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
}


class _ToDuckDB(GlueTypeVisitor[str]):
    # Not reproduced: char's padding and the length bound of char/varchar (DuckDB's VARCHAR is
    # unbounded), Athena's millisecond timestamps (DuckDB keeps microseconds).
    def primitive(self, node: Primitive) -> str:
        return _DUCKDB[node.name]

    def decimal(self, node: DecimalType) -> str:
        return f"DECIMAL({node.precision}, {node.scale})"

    def char(self, node: CharType) -> str:
        return "VARCHAR"

    def array(self, node: ArrayType, element: str) -> str:
        return f"{element}[]"

    def map(self, node: MapType, key: str, value: str) -> str:
        return f"MAP({key}, {value})"

    def struct(self, node: StructType, fields: list[str]) -> str:
        members = (
            '"' + f.name.replace('"', '""') + '" ' + t
            for f, t in zip(node.fields, fields, strict=True)
        )
        return f"STRUCT({', '.join(members)})"


def to_duckdb(node: GlueType) -> str:
    """The DuckDB type SQL: ``map<string,int>`` -> ``MAP(VARCHAR, INTEGER)``."""
    return visit(node, _ToDuckDB())


@dataclass(frozen=True, slots=True)
class AthenaColumnType:
    """What ``GetQueryResults`` reports for a column's type in ``ResultSetMetadata.ColumnInfo``."""

    type: str
    precision: int
    scale: int = 0
    case_sensitive: bool = False

    def column_info(self, name: str) -> dict[str, Any]:
        """A ``ColumnInfo`` entry for a result column of this type (Athena API reference)."""
        # CatalogName/SchemaName/TableName as Athena fills them for a SELECT (AWS CLI reference,
        # "get-query-results" example); Nullable "always shows as UNKNOWN" (API ColumnInfo).
        return {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": name,
            "Label": name,
            "Type": self.type,
            "Precision": self.precision,
            "Scale": self.scale,
            "Nullable": "UNKNOWN",
            "CaseSensitive": self.case_sensitive,
        }


# Type names and precisions as Athena engine v3 reports them: PyAthena's test_complex, which runs
# against Athena (tests/pyathena/test_cursor.py: boolean 0, tinyint 3, smallint 5, integer 10,
# bigint 19, float 17, double 17, varchar 2147483647 or its length, timestamp 3, date 0,
# varbinary 1073741824, array/map/row 0, decimal its precision and scale); CaseSensitive true
# for character types only (AWS CLI "get-query-results" example: varchar true, integer and
# date false).
_VARCHAR_MAX = 2147483647
_ATHENA = {
    "string": AthenaColumnType("varchar", _VARCHAR_MAX, case_sensitive=True),
    "boolean": AthenaColumnType("boolean", 0),
    "tinyint": AthenaColumnType("tinyint", 3),
    "smallint": AthenaColumnType("smallint", 5),
    "int": AthenaColumnType("integer", 10),
    "bigint": AthenaColumnType("bigint", 19),
    "float": AthenaColumnType("float", 17),
    "double": AthenaColumnType("double", 17),
    "date": AthenaColumnType("date", 0),
    "timestamp": AthenaColumnType("timestamp", 3),
    "binary": AthenaColumnType("varbinary", 1073741824),
}


class _ToAthena(GlueTypeVisitor[AthenaColumnType]):
    def primitive(self, node: Primitive) -> AthenaColumnType:
        return _ATHENA[node.name]

    def decimal(self, node: DecimalType) -> AthenaColumnType:
        return AthenaColumnType("decimal", node.precision, node.scale)

    def char(self, node: CharType) -> AthenaColumnType:
        return AthenaColumnType(node.name, node.length, case_sensitive=True)

    def array(self, node: ArrayType, element: AthenaColumnType) -> AthenaColumnType:
        return AthenaColumnType("array", 0)

    def map(
        self, node: MapType, key: AthenaColumnType, value: AthenaColumnType
    ) -> AthenaColumnType:
        return AthenaColumnType("map", 0)

    def struct(self, node: StructType, fields: list[AthenaColumnType]) -> AthenaColumnType:
        return AthenaColumnType("row", 0)


def to_athena(node: GlueType) -> AthenaColumnType:
    """Athena's result type for a column of this Glue type: ``int`` -> ``integer``, 10, 0."""
    return visit(node, _ToAthena())


# --- DuckDB types back to the tree ---------------------------------------------------------

# DuckDB's names for the tree's primitives (``duckdb_types()``), after its aliases: each name
# :func:`to_duckdb` writes, and the types only DuckDB has. The unsigned and 128-bit integers
# become the narrowest signed type that holds them, except HUGEINT, which is what DuckDB's sum()
# of integers returns where Trino's returns bigint.
_FROM_DUCKDB = {duck: glue for glue, duck in _DUCKDB.items()} | {
    "ENUM": "string",
    "UTINYINT": "smallint",
    "USMALLINT": "int",
    "UINTEGER": "bigint",
    "UBIGINT": "bigint",
    "HUGEINT": "bigint",
    "UHUGEINT": "bigint",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
}
_DUCK_TOKEN = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|[A-Za-z_][\w$]*|\d+|\S')


def parse_duckdb_type(text: str, *, lenient: bool = False) -> GlueType:
    """The tree of a DuckDB result type such as ``STRUCT(a INTEGER, b VARCHAR[])``.

    Types Glue cannot declare (``TIMESTAMP WITH TIME ZONE``, ``TIME``, ``JSON``, ``UUID``,
    ``INTERVAL``, ``NULL``, ``UNION``...) raise :class:`GlueTypeError`, or with ``lenient``
    become ``string`` (what a client sees of them inside an array, map or row).
    """
    return _DuckParser(text, lenient).parse()


class _DuckParser:
    def __init__(self, text: str, lenient: bool) -> None:
        self.text = text
        self.lenient = lenient
        self.tokens = _DUCK_TOKEN.findall(text)
        self.i = 0

    def error(self) -> GlueTypeError:
        return GlueTypeError(f"DuckDB type {self.text!r} has no Glue type")

    def peek(self) -> str:
        return self.tokens[self.i] if self.i < len(self.tokens) else ""

    def take(self) -> str:
        token = self.peek()
        if not token:
            raise self.error()
        self.i += 1
        return token

    def expect(self, token: str) -> None:
        if self.take() != token:
            raise self.error()

    def parse(self) -> GlueType:
        node = self.type_()
        if self.i != len(self.tokens):
            raise self.error()
        return node

    def type_(self) -> GlueType:
        node = self.base()
        while self.peek() == "[":  # LIST (``T[]``) and ARRAY (``T[3]``)
            self.take()
            if self.peek().isdigit():
                self.take()
            self.expect("]")
            node = ArrayType(node)
        return node

    def base(self) -> GlueType:
        name = self.take().upper()
        if name == "STRUCT":
            return self.struct_()
        if name == "MAP":
            self.expect("(")
            key = self.type_()
            self.expect(",")
            value = self.type_()
            self.expect(")")
            return MapType(key, value)
        if name in ("LIST", "ARRAY") and self.peek() == "(":
            self.take()
            element = self.type_()
            self.expect(")")
            return ArrayType(element)
        if name in ("DECIMAL", "NUMERIC"):
            return self.decimal_()
        if name == "ENUM":
            self.skip_parentheses()
        if name == "TIMESTAMP" and self.peek().upper() == "WITH":
            for word in ("WITH", "TIME", "ZONE"):
                if self.take().upper() != word:
                    raise self.error()
            name = "TIMESTAMPTZ"
        if name == "TIME" and self.peek().upper() == "WITH":
            for word in ("WITH", "TIME", "ZONE"):
                if self.take().upper() != word:
                    raise self.error()
        primitive = _FROM_DUCKDB.get(name)
        if primitive is None:
            if self.peek() == "(":
                self.skip_parentheses()
            if not self.lenient:
                raise self.error()
            primitive = "string"
        return Primitive(primitive)

    def skip_parentheses(self) -> None:
        self.expect("(")
        depth = 1
        while depth:
            token = self.take()
            depth += {"(": 1, ")": -1}.get(token, 0)

    def decimal_(self) -> DecimalType:
        if self.peek() != "(":
            return DecimalType(18, 3)  # DuckDB's DECIMAL without parameters
        self.take()
        precision = self.take()
        scale = "0"
        if self.peek() == ",":
            self.take()
            scale = self.take()
        self.expect(")")
        if not (precision.isdigit() and scale.isdigit()):
            raise self.error()
        return DecimalType(int(precision), int(scale))

    def struct_(self) -> StructType:
        self.expect("(")
        fields: list[StructField] = []
        while True:
            name = self.take()
            if name.startswith('"'):
                name = name[1:-1].replace('""', '"')
            fields.append(StructField(name, self.type_()))
            separator = self.take()
            if separator == ")":
                return StructType(tuple(fields))
            if separator != ",":
                raise self.error()
