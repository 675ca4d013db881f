"""DuckDB views over a Glue table's files: the reader chosen by SerDe and classification.

Owns the SQL of the view that stands for one Athena table during one query:

* JSON (``org.openx.data.jsonserde.JsonSerDe``, ``org.apache.hive.hcatalog.data.JsonSerDe``,
  ``org.apache.hadoop.hive.serde2.JsonSerDe`` or ``classification=json``): ``read_json`` with
  ``columns={...}`` from the Glue schema, so no file is sampled to guess a schema and a
  partition filter reads only that partition's objects; gzip by the ``.gz`` extension as
  Hadoop's codecs do; JSON keys that are not columns (such as ``name``, also a partition key in
  this lake) are ignored, and the partition value wins. ``timestamp``/``date`` columns are read
  as text and parsed as the SerDe does (``yyyy-MM-dd HH:mm:ss[.fffffffff]``, ISO 8601, or the
  SerDe's ``timestamp.formats``); an unparsable value fails the query, as HIVE_BAD_DATA does.
  SerDe ``mapping.<column>`` properties rename keys; ``ignore.malformed.json`` skips bad lines.
* Parquet (``ParquetHiveSerDe``, ``MapredParquetInputFormat`` or ``classification=parquet``):
  ``read_parquet``, columns matched by name and cast to the Glue types.
* Delimited text (``LazySimpleSerDe``: ``ROW FORMAT DELIMITED``, ``STORED AS TEXTFILE``, CTAS
  ``format='TEXTFILE'``; ``OpenCSVSerde``, what dbt-athena's seeds use): ``read_csv`` with every
  column read as text and cast as Hive does (a value that does not convert is NULL). LazySimple:
  ``field.delim`` (else ``serialization.format``; a number is the byte's value, as Hive reads
  it; default \\001), ``escape.delim``, no quoting, ``serialization.null.format`` (default
  ``\\N``). OpenCSV: ``separatorChar``/``quoteChar``/``escapeChar`` (default ``,`` ``"``
  ``\\``), empty fields are empty strings. Both honour ``skip.header.line.count``; missing
  trailing fields are NULL, extra ones ignored.

Partition values come from Glue, not from object paths: partitions whose files sit under a
``k=v/`` path that spells exactly their values are read with ``hive_partitioning`` (typed by
``hive_types``, so ``d`` stays VARCHAR); any other partition (a value with ``?``, ``%``, ``=``,
``\\``, a control character..., which DuckDB's Hive parser would decode or split differently) is
read on its own with its values as constants.

Everything from Glue or S3 (names, keys, SerDe parameters, values) enters the SQL only through
:mod:`sandbox.query.dialect.quoting`, and each SELECT is concatenated from quoted parts. Object
URLs are ``s3://<bucket>/<key>`` with the key's characters as S3 holds them: the connection runs
with ``s3_url_compatibility_mode`` (see :mod:`~sandbox.query.engine.duck`), so DuckDB neither
globs nor reads query parameters from them and percent-encodes every byte itself; as DuckDB picks
a file's codec from its path up to a ``?``, such keys get theirs named (``.gz`` gzip, ``.zst``
zstd, else uncompressed).

Not reproduced: Avro, ORC, Ion, Grok and RegEx SerDes (refused with a message), nested types
in delimited text (refused), LazySimpleSerDe's ``collection.delim``/``mapkey.delim``, OpenX's
case-insensitive key matching, Parquet files lacking a declared column (Athena returns NULL,
DuckDB fails), and the OpenX SerDe's habit of returning only the first record of a line of
concatenated JSON objects: :data:`JSON_ANY` reads every record instead and the session warns
(or fails, with ``undelimited_json="error"``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.query.catalog.glue import Column, Table
from sandbox.query.catalog.tables import FileGroup
from sandbox.query.dialect.datetime_formats import TRY_PARSE_FUNCTION, compiled, duckdb_codes
from sandbox.query.dialect.quoting import identifier, literal, struct_key
from sandbox.query.errors import UnsupportedError

JSON_SERDES = {
    "org.openx.data.jsonserde.jsonserde",
    "org.apache.hive.hcatalog.data.jsonserde",
    "org.apache.hadoop.hive.serde2.jsonserde",
}
# DuckDB's read_json formats: one document per line (what the SerDes expect), or any sequence
# of documents, delimited or not (what Firehose writes without AppendDelimiterToRecord).
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.lazysimpleserde"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.opencsvserde"
JSON_LINES = "newline_delimited"
JSON_ANY = "unstructured"


def reader_kind(table: Table) -> str:
    """``json``, ``parquet``, ``text`` or ``csv``; UnsupportedError for other formats."""
    serde = table.serde.lower()
    if table.parameters.get("table_type", "").upper() in ("ICEBERG", "HUDI", "DELTA"):
        raise UnsupportedError(f"{table.parameters['table_type']} table {table.qualified_name}")
    if serde in JSON_SERDES or (not serde and table.classification == "json"):
        return "json"
    if "parquet" in serde or "parquet" in table.input_format.lower():
        return "parquet"
    if not serde and table.classification == "parquet":
        return "parquet"
    if serde == OPEN_CSV_SERDE:
        return "csv"
    if serde == LAZY_SIMPLE_SERDE and "textinputformat" in table.input_format.lower():
        return "text"
    raise UnsupportedError(
        f"table {table.qualified_name} with SerDe {table.serde or '-'} and classification "
        f"{table.classification or '-'}",
        "the sandbox reads JSON, Parquet and delimited text tables",
    )


def _list_literal(files: Sequence[str]) -> str:
    return "[" + ", ".join(literal(f) for f in files) + "]"


def _struct_literal(items: Sequence[tuple[str, str]]) -> str:
    return "{" + ", ".join(struct_key(k) + ": " + literal(v) for k, v in items) + "}"


def _timestamp_expr(column: Column, source: str, table: Table) -> str:
    formats = table.serde_parameters.get("timestamp.formats")
    if formats:
        patterns = [f.strip() for f in formats.split(",")]
        for pattern in patterns:
            compiled(pattern, joda=False, parsing=True, what="timestamp.formats pattern")
        codes = [duckdb_codes(p, joda=False, parsing=True) for p in patterns]
        if all(code is not None for code in codes):
            listed = "[" + ", ".join(literal(c or "") for c in codes) + "]"
            return f"coalesce(try_strptime({source}, {listed}), CAST({source} AS TIMESTAMP))"
        # In order, each by DuckDB where it can, else by the shared Java implementation.
        tries = [
            f"try_strptime({source}, {literal(code)})"
            if code is not None
            else f"{TRY_PARSE_FUNCTION}({source}, {literal(pattern)}, 'java')"
            for pattern, code in zip(patterns, codes, strict=True)
        ]
        return f"coalesce({', '.join(tries)}, CAST({source} AS TIMESTAMP))"
    return f"CAST({source} AS TIMESTAMP)"


def _select(selects: Sequence[str], reader: str, options: Sequence[str]) -> str:
    return "SELECT " + ", ".join(selects) + " FROM " + reader + "(" + ", ".join(options) + ")"


def _compression(url: str) -> str:
    """DuckDB picks a file's codec from its path, but stops reading the path at a ``?`` (a URL
    query to it): for such keys the codec is named here, by extension as Hadoop's codecs do."""
    if "?" not in url:
        return "auto"
    name = url.rsplit("/", 1)[-1].lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    return {"gz": "gzip", "zst": "zstd"}.get(extension, "uncompressed")


def _json_selects(
    table: Table, files: Sequence[str], hive: bool, json_format: str, extra: Sequence[str]
) -> list[str]:
    by_codec: dict[str, list[str]] = {}
    for file in files:
        by_codec.setdefault(_compression(file), []).append(file)
    return [
        _json_select(table, group, hive, json_format, extra, codec)
        for codec, group in by_codec.items()
    ]


def _json_select(
    table: Table,
    files: Sequence[str],
    hive: bool,
    json_format: str,
    extra: Sequence[str],
    codec: str = "auto",
) -> str:
    columns: list[tuple[str, str]] = []
    selects: list[str] = []
    for column in table.columns:
        key = table.serde_parameters.get(f"mapping.{column.name}", column.name)
        glue = column.glue_type.strip().lower()
        read_type = "VARCHAR" if glue in ("timestamp", "date") else column.duck_type
        columns.append((key, read_type))
        source = identifier(key)
        if glue == "timestamp":
            expr = _timestamp_expr(column, source, table)
        elif glue == "date":
            expr = f"CAST({source} AS DATE)"
        else:
            expr = source
        selects.append(f"{expr} AS {identifier(column.name)}")
    options = [
        _list_literal(files),
        f"format = {literal(json_format)}",
        f"columns = {_struct_literal(columns)}",
        "maximum_object_size = 268435456",
    ]
    if codec != "auto":
        options.append("compression = " + literal(codec))
    if str(table.serde_parameters.get("ignore.malformed.json", "")).lower() == "true":
        options.append("ignore_errors = true")
    options.extend(_hive_options(table, hive))
    return _select([*selects, *extra], "read_json", options)


def _hive_options(table: Table, hive: bool) -> list[str]:
    if not hive:
        return ["hive_partitioning = false"]
    types = [(key.name, key.duck_type) for key in table.partition_keys]
    return ["hive_partitioning = true", f"hive_types = {_struct_literal(types)}"]


def _parquet_select(table: Table, files: Sequence[str], hive: bool, extra: Sequence[str]) -> str:
    selects = []
    for column in table.columns:
        duck = column.duck_type
        source = identifier(column.name)
        nested = "(" in duck or duck.endswith("]")
        expr = source if nested else f"CAST({source} AS {duck})"
        selects.append(f"{expr} AS {identifier(column.name)}")
    options = [_list_literal(files), *_hive_options(table, hive)]
    return _select([*selects, *extra], "read_parquet", options)


def _hive_byte(text: str | None, default: str) -> str:
    """A LazySimpleSerDe separator as Hive reads it: a number is the byte's value."""
    if not text:
        return default
    try:
        return chr(int(text))
    except ValueError:
        return text[0]


def _text_selects(
    table: Table, files: Sequence[str], hive: bool, extra: Sequence[str], kind: str
) -> list[str]:
    by_codec: dict[str, list[str]] = {}
    for file in files:
        by_codec.setdefault(_compression(file), []).append(file)
    return [
        _text_select(table, group, hive, extra, kind, codec) for codec, group in by_codec.items()
    ]


def _text_select(
    table: Table,
    files: Sequence[str],
    hive: bool,
    extra: Sequence[str],
    kind: str,
    codec: str = "auto",
) -> str:
    params = table.serde_parameters
    selects = []
    for column in table.columns:
        duck = column.duck_type
        if ("(" in duck and not duck.startswith("DECIMAL")) or duck.endswith("]"):
            raise UnsupportedError(
                f"column {column.name} of type {column.glue_type} in delimited text table "
                f"{table.qualified_name}"
            )
        source = identifier(column.name)
        expr = source if duck == "VARCHAR" else f"TRY_CAST({source} AS {duck})"
        selects.append(f"{expr} AS {identifier(column.name)}")
    names = [(column.name, "VARCHAR") for column in table.columns]
    if kind == "csv":
        delimiter = params.get("separatorChar") or ","
        quote = params.get("quoteChar") or '"'
        escape = params.get("escapeChar") or "\\"
        null_options = ["force_not_null = [" + ", ".join(literal(n) for n, _ in names) + "]"]
    else:
        delimiter = _hive_byte(
            params.get("field.delim") or params.get("serialization.format"), "\x01"
        )
        quote = ""
        escape = params.get("escape.delim") or ""
        null_options = ["nullstr = " + literal(params.get("serialization.null.format", "\\N"))]
    options = [
        _list_literal(files),
        "delim = " + literal(delimiter[:1]),
        "quote = " + literal(quote[:1]),
        "escape = " + literal(escape[:1]),
        "header = false",
        "auto_detect = false",
        f"columns = {_struct_literal(names)}",
        "null_padding = true",
        "strict_mode = false",
        *null_options,
    ]
    skip = str(table.parameters.get("skip.header.line.count", "") or "").strip()
    if skip.isdigit() and int(skip) > 0:
        options.append(f"skip = {int(skip)}")
    if codec != "auto":
        options.append("compression = " + literal(codec))
    options.extend(_hive_options(table, hive))
    return _select([*selects, *extra], "read_csv", options)


def _empty_select(table: Table) -> str:
    selects = [
        f"CAST(NULL AS {column.duck_type}) AS {identifier(column.name)}"
        for column in table.all_columns()
    ]
    return "SELECT " + ", ".join(selects) + " LIMIT 0"


def _partition_columns(table: Table, hive: bool, values: Sequence[str] | None) -> list[str]:
    """The partition keys' select items: from the Hive paths, or the Glue values as constants."""
    if hive:
        return [identifier(key.name) for key in table.partition_keys]
    return [
        "CAST(" + literal(value) + " AS " + key.duck_type + ") AS " + identifier(key.name)
        for key, value in zip(table.partition_keys, values or (), strict=True)
    ]


def view_sql(table: Table, groups: Sequence[FileGroup], json_format: str = JSON_LINES) -> str:
    """The SELECT a view over ``table``'s files runs (columns, then partition keys)."""
    kind = reader_kind(table)
    parts = []
    for group in groups:
        if not group.files:
            continue
        hive = group.values is None and bool(table.partition_keys)
        extra = _partition_columns(table, hive, group.values) if table.partition_keys else []
        if kind == "json":
            parts.extend(_json_selects(table, group.files, hive, json_format, extra))
        elif kind in ("text", "csv"):
            parts.extend(_text_selects(table, group.files, hive, extra, kind))
        else:
            parts.append(_parquet_select(table, group.files, hive, extra))
    if not parts:
        return _empty_select(table)
    return "\nUNION ALL\n".join(parts)
