"""The shared Glue type model: the parser, its tree and the Arrow, DuckDB and Athena visitors,
and the proof that the Firehose and query stages now accept and refuse the same type strings."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.core.gluetypes import (
    PRIMITIVES,
    ArrayType,
    AthenaColumnType,
    CharType,
    DecimalType,
    GlueType,
    GlueTypeError,
    MapType,
    Primitive,
    StructField,
    StructType,
    parse_glue_type,
    to_arrow,
    to_athena,
    to_duckdb,
)
from sandbox.firehose.conversion import Converter
from sandbox.query.catalog.glue import Column
from sandbox.query.errors import UnsupportedError


def duck(glue: str) -> str:
    return to_duckdb(parse_glue_type(glue))


# --- the three visitors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glue", "expected"),
    [
        ("string", "VARCHAR"),
        ("varchar(20)", "VARCHAR"),
        ("char(3)", "VARCHAR"),
        ("int", "INTEGER"),
        ("integer", "INTEGER"),
        ("bigint", "BIGINT"),
        ("smallint", "SMALLINT"),
        ("tinyint", "TINYINT"),
        ("double", "DOUBLE"),
        ("float", "FLOAT"),
        ("boolean", "BOOLEAN"),
        ("date", "DATE"),
        ("timestamp", "TIMESTAMP"),
        ("binary", "BLOB"),
        ("decimal(10,2)", "DECIMAL(10, 2)"),
        ("decimal", "DECIMAL(10, 0)"),
        ("DECIMAL(38, 9)", "DECIMAL(38, 9)"),
        ("array<string>", "VARCHAR[]"),
        ("map<string,int>", "MAP(VARCHAR, INTEGER)"),
        ("struct<a:int,b:array<double>>", 'STRUCT("a" INTEGER, "b" DOUBLE[])'),
        (
            "array<struct<k:string, v:map<string, bigint>>>",
            'STRUCT("k" VARCHAR, "v" MAP(VARCHAR, BIGINT))[]',
        ),
    ],
)
def test_glue_types_map_to_duckdb(glue: str, expected: str) -> None:
    assert duck(glue) == expected
    assert Column("c", glue).duck_type == expected


@pytest.mark.parametrize(
    ("glue", "arrow"),
    [
        ("string", pa.string()),
        ("char(2)", pa.string()),
        ("boolean", pa.bool_()),
        ("tinyint", pa.int8()),
        ("smallint", pa.int16()),
        ("integer", pa.int32()),
        ("bigint", pa.int64()),
        ("float", pa.float32()),
        ("double", pa.float64()),
        ("date", pa.date32()),
        ("timestamp", pa.timestamp("us")),
        ("binary", pa.binary()),
        ("decimal", pa.decimal128(10, 0)),
        ("map<string,array<int>>", pa.map_(pa.string(), pa.list_(pa.int32()))),
        ("struct<Ab:int>", pa.struct([("Ab", pa.int32())])),
        ("varchar(10)", pa.string()),
        ("int", pa.int32()),
        ("decimal(10,2)", pa.decimal128(10, 2)),
        ("array<string>", pa.list_(pa.string())),
        ("map<string,int>", pa.map_(pa.string(), pa.int32())),
        (
            "struct<a:int,b:array<string>>",
            pa.struct([("a", pa.int32()), ("b", pa.list_(pa.string()))]),
        ),
    ],
)
def test_glue_types_map_to_arrow(glue: str, arrow: pa.DataType) -> None:
    assert to_arrow(parse_glue_type(glue)) == arrow


@pytest.mark.parametrize(
    ("glue", "athena"),
    [
        ("boolean", AthenaColumnType("boolean", 0)),
        ("tinyint", AthenaColumnType("tinyint", 3)),
        ("smallint", AthenaColumnType("smallint", 5)),
        ("int", AthenaColumnType("integer", 10)),
        ("bigint", AthenaColumnType("bigint", 19)),
        ("float", AthenaColumnType("float", 17)),
        ("double", AthenaColumnType("double", 17)),
        ("string", AthenaColumnType("varchar", 2147483647, case_sensitive=True)),
        ("varchar(10)", AthenaColumnType("varchar", 10, case_sensitive=True)),
        ("char(4)", AthenaColumnType("char", 4, case_sensitive=True)),
        ("date", AthenaColumnType("date", 0)),
        ("timestamp", AthenaColumnType("timestamp", 3)),
        ("binary", AthenaColumnType("varbinary", 1073741824)),
        ("decimal(10,1)", AthenaColumnType("decimal", 10, 1)),
        ("array<int>", AthenaColumnType("array", 0)),
        ("map<string,int>", AthenaColumnType("map", 0)),
        ("struct<a:int>", AthenaColumnType("row", 0)),
    ],
)
def test_glue_types_map_to_athena_result_types(glue: str, athena: AthenaColumnType) -> None:
    assert to_athena(parse_glue_type(glue)) == athena


def test_athena_column_info_has_the_fields_get_query_results_returns() -> None:
    assert to_athena(parse_glue_type("int")).column_info("status") == {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": "status",
        "Label": "status",
        "Type": "integer",
        "Precision": 10,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": False,
    }


# --- refusals and their messages -----------------------------------------------------------


@pytest.mark.parametrize(
    "glue",
    [
        "uniontype<int,string>",
        "array<string",
        "int extra",
        "geometry",
        "",
        "char",
        "decimal(40,2)",
        "map<string>",
        "blob",
    ],
)
def test_unknown_types_are_named_by_the_query_stage(glue: str) -> None:
    with pytest.raises(GlueTypeError):
        parse_glue_type(glue)
    with pytest.raises(UnsupportedError, match="Glue column type") as raised:
        _ = Column("c", glue).duck_type
    assert repr(glue) in str(raised.value)


# The Firehose puts these messages in its format-conversion-failed documents ("Could not read the
# schema: ..."); they are the messages its own parser gave before the model was shared.
@pytest.mark.parametrize(
    ("glue", "message"),
    [
        ("blob", "unsupported Glue type 'blob'"),
        (" blob ", "unsupported Glue type ' blob '"),
        ("array<blob>", "unsupported Glue type 'blob'"),
        ("struct<a:int,b:blob(3)>", "unsupported Glue type 'blob(3)'"),
        ("array<string", "unsupported Glue type 'array<string'"),
        ("uniontype<int,string>", "unsupported Glue type 'uniontype<int,string>'"),
        ("decimal(40,2)", "invalid decimal type 'decimal(40,2)'"),
        ("array<decimal(0,0)>", "invalid decimal type 'decimal(0,0)'"),
        ("map<string>", "invalid map type 'map<string>'"),
        ("map<string,int,int>", "invalid map type 'map<string,int,int>'"),
        ("struct<a>", "invalid struct field 'a' in 'struct<a>'"),
        ("struct<:int>", "invalid struct field ':int' in 'struct<:int>'"),
        ("struct<>", "invalid struct field '' in 'struct<>'"),
    ],
)
def test_refusals_keep_the_firehose_messages(glue: str, message: str) -> None:
    with pytest.raises(GlueTypeError) as raised:
        parse_glue_type(glue)
    assert str(raised.value) == message


# --- the six former disagreements, decided once --------------------------------------------


@pytest.mark.parametrize(
    ("glue", "canonical"),
    [
        # Hive's DDL alias of DOUBLE (LanguageManual Types, Hive 2.2.0), like INTEGER for INT
        ("double precision", "double"),
        ("DOUBLE   Precision", "double"),
        # decimal(p) is decimal(p,0) ("Data types in Amazon Athena": decimal(15)); whitespace
        # between tokens, also inside parentheses, is ignored
        ("decimal( 10 )", "decimal(10,0)"),
        ("decimal ( 12 , 3 )", "decimal(12,3)"),
    ],
)
def test_former_disagreements_now_accepted_by_both_stages(glue: str, canonical: str) -> None:
    node = parse_glue_type(glue)
    assert str(node) == canonical
    assert Column("c", glue).duck_type == to_duckdb(node)
    assert firehose_accepts(glue)


@pytest.mark.parametrize(
    "glue",
    [
        "real",  # Athena's DML name; DDL and Glue say float, Hive's type registry has no real
        "decimal(40,2)",  # precision 1..38 (Hive's HiveDecimalUtils.validateParameter)
        "decimal(5,9)",  # scale <= precision (same)
        "struct<a b:int>",  # a field is name:type, a name one token
    ],
)
def test_former_disagreements_now_refused_by_both_stages(glue: str) -> None:
    with pytest.raises(GlueTypeError):
        parse_glue_type(glue)
    with pytest.raises(UnsupportedError):
        _ = Column("c", glue).duck_type
    assert not firehose_accepts(glue)


# --- property-based: one answer per string, and a lossless canonical form ------------------

_NAME_CHARS = st.sampled_from("abcxyzABC_019$.")
_field_names = st.text(_NAME_CHARS, min_size=1, max_size=6)


def _struct(children: st.SearchStrategy[GlueType]) -> st.SearchStrategy[GlueType]:
    fields = st.lists(
        st.tuples(_field_names, children),
        min_size=1,
        max_size=4,
        unique_by=lambda f: f[0].lower(),  # DuckDB refuses duplicate member names
    )
    return fields.map(lambda fs: StructType(tuple(StructField(n, t) for n, t in fs)))


def _decimals() -> st.SearchStrategy[GlueType]:
    return st.integers(1, 38).flatmap(lambda p: st.integers(0, p).map(lambda s: DecimalType(p, s)))


_leaves: st.SearchStrategy[GlueType] = st.one_of(
    st.sampled_from(sorted(PRIMITIVES)).map(Primitive),
    _decimals(),
    st.tuples(st.sampled_from(["char", "varchar"]), st.integers(1, 65535)).map(
        lambda t: CharType(*t)
    ),
)
glue_types: st.SearchStrategy[GlueType] = st.recursive(
    _leaves,
    lambda children: st.one_of(
        children.map(ArrayType),
        st.tuples(children, children).map(lambda kv: MapType(*kv)),
        _struct(children),
    ),
    max_leaves=8,
)


@st.composite
def spellings(draw: st.DrawFn, node: GlueType) -> str:
    """A way a user could write ``node``: any case for keywords, aliases, spaces between tokens."""
    space = st.sampled_from(["", "", " ", "  ", "\t", "\n "])

    def word(keyword: str) -> str:
        return "".join(draw(st.sampled_from([c.lower(), c.upper()])) for c in keyword)

    def render(n: GlueType) -> str:
        def s() -> str:
            return draw(space)

        match n:
            case Primitive(name="int"):
                return word(draw(st.sampled_from(["int", "integer"])))
            case Primitive(name="double"):
                return draw(st.sampled_from(["double", "double" + s() + " precision"]))
            case Primitive():
                return word(n.name)
            case DecimalType():
                if (n.precision, n.scale) == (10, 0) and draw(st.booleans()):
                    return word("decimal")
                if n.scale == 0 and draw(st.booleans()):
                    return f"{word('decimal')}{s()}({s()}{n.precision}{s()})"
                return f"{word('decimal')}{s()}({s()}{n.precision}{s()},{s()}{n.scale}{s()})"
            case CharType():
                return f"{word(n.name)}{s()}({s()}{n.length}{s()})"
            case ArrayType():
                return f"{word('array')}{s()}<{s()}{render(n.element)}{s()}>"
            case MapType():
                return f"{word('map')}{s()}<{s()}{render(n.key)}{s()},{s()}{render(n.value)}{s()}>"
            case StructType():
                members = f"{s()},{s()}".join(
                    f"{f.name}{s()}:{s()}{render(f.type)}" for f in n.fields
                )
                return f"{word('struct')}{s()}<{s()}{members}{s()}>"
        raise AssertionError(n)

    return draw(space) + render(node) + draw(space)


written_types = glue_types.flatmap(lambda node: st.tuples(st.just(node), spellings(node)))

# Strings near the grammar: spellings of valid types with a token inserted, deleted or swapped,
# plus the words and punctuation that type strings are made of in any order.
_TOKENS = [
    "int",
    "integer",
    "real",
    "double",
    "precision",
    "decimal",
    "char",
    "varchar",
    "string",
    "array",
    "map",
    "struct",
    "uniontype",
    "blob",
    "a",
    "b c",
    "0",
    "10",
    "38",
    "39",
    "<",
    ">",
    "(",
    ")",
    ",",
    ":",
    " ",
    "-",
    "`",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    _, text = draw(written_types)
    position = draw(st.integers(0, len(text)))
    token = draw(st.sampled_from(_TOKENS))
    match draw(st.sampled_from(["insert", "delete", "replace"])):
        case "insert":
            return text[:position] + token + text[position:]
        case "delete":
            return text[:position] + text[position + draw(st.integers(1, 3)) :]
        case _:
            return text[:position] + token + text[position + len(token) :]


candidate_strings = st.one_of(
    mutated(),
    st.lists(st.sampled_from(_TOKENS), max_size=8).map("".join),
    st.text(max_size=12),
)


def firehose_accepts(glue: str) -> bool:
    """Whether the Firehose conversion takes a table with a column of this type."""
    converter = Converter(
        {
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
            "SchemaConfiguration": {},
        }
    )
    try:
        converter.convert([b'{"c": null}'], [("c", glue)])
    except GlueTypeError:
        return False
    return True


def query_accepts(glue: str) -> bool:
    try:
        _ = Column("c", glue).duck_type
    except UnsupportedError:
        return False
    return True


def athena_accepts(glue: str) -> bool:
    try:
        to_athena(parse_glue_type(glue))
    except GlueTypeError:
        return False
    return True


_duck = duckdb.connect()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_types)
def test_every_valid_type_parses_to_its_tree_and_round_trips(written: tuple[GlueType, str]) -> None:
    node, text = written
    parsed = parse_glue_type(text)
    assert parsed == node
    assert parse_glue_type(str(parsed)) == parsed  # tree -> canonical Glue string -> tree
    assert str(parse_glue_type(str(parsed))) == str(parsed)
    # every consumer maps it, and DuckDB itself takes the type SQL the views will use
    assert isinstance(to_arrow(parsed), pa.DataType)
    assert to_athena(parsed).type
    sql = to_duckdb(parsed)
    assert Column("c", text).duck_type == sql
    _duck.execute(f"SELECT CAST(NULL AS {sql})")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(candidate_strings, written_types.map(lambda w: w[1])))
def test_every_string_is_accepted_by_all_stages_or_refused_by_all(glue: str) -> None:
    answers = {
        "firehose": firehose_accepts(glue),
        "query": query_accepts(glue),
        "athena": athena_accepts(glue),
    }
    assert len(set(answers.values())) == 1, answers
    if answers["query"]:
        node = parse_glue_type(glue)
        assert parse_glue_type(str(node)) == node
