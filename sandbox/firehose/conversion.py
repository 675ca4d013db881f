"""Record format conversion: JSON records -> Parquet (or ORC) typed by a Glue schema.

Owns: ``DataFormatConversionConfiguration`` at delivery time ("Convert input data format in
Amazon Data Firehose"):

- input: ``OpenXJsonSerDe`` (case-insensitive keys by default, ``ColumnToJsonKeyMappings``,
  ``ConvertDotsInJsonKeysToUnderscores``; strings are coerced to numbers/booleans) or
  ``HiveJsonSerDe`` (a JSON string in a numeric column fails, ``TimestampFormats`` with Joda
  patterns and the special ``millis``, ``java.sql.Timestamp.valueOf`` by default);
- schema: the Glue columns handed over by ``schema_lookup`` (non-partition columns, so with
  dynamic partitioning the partition columns live in the path only), mapped to Arrow types:
  ``string char varchar boolean tinyint smallint int bigint float double decimal(p,s) date
  timestamp binary array<> map<> struct<>``;
- output: one Parquet file per object (``ParquetSerDe.Compression`` SNAPPY by default, GZIP,
  UNCOMPRESSED; ``PageSizeBytes``, ``EnableDictionaryCompression``, ``WriterVersion``),
  timestamps as INT96 like Hive's Parquet writer; ORC through ``pyarrow.orc``.

A record that is not JSON fails with ``DataFormatConversion.ParseError``; one whose values do
not fit the schema with ``DataFormatConversion.MalformedData``; both go to the error output
(``format-conversion-failed``) one by one while the rest of the batch converts. A record no
code path expects (nested too deep for the parser, a value Arrow refuses) fails the same way,
alone: a chunk that raises anything unexpected is converted again record by record, and only
the records that fail on their own go to the error output.

``NaN``, ``Infinity`` and ``-Infinity`` (not JSON, RFC 8259, but accepted by Python's parser):
the HiveJsonSerDe reads records with Jackson, whose ``ALLOW_NON_NUMERIC_NUMBERS`` feature is
off by default, so such a record fails as malformed JSON ("Non-standard token 'NaN': enable
JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow"); the OpenXJsonSerDe reads them with
its bundled org.json tokenizer, which keeps any unquoted token that is not ``true``, ``false``
or ``null`` as a string (``JSONObject.stringToValue``), so they are the strings ``"NaN"``...,
coerced like any other string (a ``double`` column parses them, as Java's
``Double.parseDouble`` does; an ``int`` column refuses them).

Timestamps accepted by default (both SerDes): ``yyyy-[M]M-[d]d[ HH:mm:ss[.f{1,9}]]`` with a
space or an ISO ``T`` (optionally ``Z``), and epoch numbers (seconds below 1e12, milliseconds
above, as observed on AWS). A timestamp is stored as the wall-clock value, zone-less.

Not reproduced: ``ParquetSerDe.BlockSizeBytes``/``MaxPaddingBytes`` and most ``OrcSerDe``
tuning (ignored), the exact Jackson texts AWS puts in error messages, ``uniontype``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.core import javatime
from sandbox.core.gluetypes import (
    ArrayType,
    CharType,
    DecimalType,
    GlueType,
    GlueTypeError,
    MapType,
    StructType,
    parse_glue_type,
    to_arrow,
)

__all__ = [
    "MALFORMED_DATA",
    "PARSE_ERROR",
    "ConversionFailure",
    "ConversionResult",
    "Converter",
]

CHUNK_RECORDS = 16_384
PARSE_ERROR = "DataFormatConversion.ParseError"
MALFORMED_DATA = "DataFormatConversion.MalformedData"
_EPOCH = dt.datetime(1970, 1, 1)
_MILLIS_FLOOR = 10**12


class _Malformed(ValueError):
    """A value does not fit its column (the message follows AWS's 'Data does not match')."""


_COERCION_ERRORS = (
    _Malformed,
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,  # json.dumps of a value nested too deep for a string column
    decimal.DecimalException,
)


def _hive_constant(token: str) -> Any:
    raise ValueError(
        f"Non-standard token '{token}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS "
        "to allow"
    )


def _openx_constant(token: str) -> Any:
    return token  # org.json keeps an unquoted token as a string


@dataclass(frozen=True, slots=True)
class ConversionFailure:
    index: int
    code: str
    message: str


@dataclass(slots=True)
class ConversionResult:
    body: bytes | None  # None when no record converted
    converted: int
    failures: list[ConversionFailure] = field(default_factory=list)


# --- value coercion ------------------------------------------------------------------------

_INT_RANGES = {
    "tinyint": (-(2**7), 2**7 - 1),
    "smallint": (-(2**15), 2**15 - 1),
    "int": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_TS_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?)?(Z)?"
)
_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def _for_input(value: object) -> _Malformed:
    return _Malformed(f'For input string: "{value}"')


def _epoch_to_datetime(
    number: float | decimal.Decimal, *, millis: bool | None = None
) -> dt.datetime:
    exact = decimal.Decimal(str(number))
    is_millis = abs(exact) >= _MILLIS_FLOOR if millis is None else millis
    micros = int(exact * (1000 if is_millis else 1_000_000))
    return _EPOCH + dt.timedelta(microseconds=micros)


def _parse_timestamp_text(text: str) -> dt.datetime:
    m = _TS_RE.fullmatch(text.strip())
    if m is None:
        if _NUMBER_RE.fullmatch(text.strip()):
            return _epoch_to_datetime(decimal.Decimal(text.strip()))
        raise _for_input(text)
    year, month, day, hour, minute, second, fraction, _z = m.groups()
    micros = int((fraction or "0").ljust(9, "0")[:6])
    try:
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micros,
        )
    except ValueError as error:
        raise _for_input(text) from error


class _JodaParser:
    """Parses a timestamp with a Joda pattern (HiveJsonSerDe ``TimestampFormats``) or ``millis``.

    The pattern language is :mod:`sandbox.core.javatime`'s Joda flavour (Firehose developer
    guide, ``HiveJsonSerDe``: "follow the pattern syntax of JodaTime's DateTimeFormat"); a text
    with an offset is stored as its UTC wall-clock value.
    """

    def __init__(self, pattern: str) -> None:
        self.millis = pattern == "millis"
        self.pattern = None if self.millis else javatime.compile_pattern(pattern, javatime.JODA)

    def parse(self, value: object) -> dt.datetime | None:
        if self.millis:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return _epoch_to_datetime(value, millis=True)
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                return _epoch_to_datetime(int(value.strip()), millis=True)
            return None
        if not isinstance(value, str) or self.pattern is None:
            return None
        try:
            moment = self.pattern.parse(value.strip())
        except ValueError:
            return None
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment


@dataclass(frozen=True)
class SerDeRules:
    lenient: bool  # OpenX coerces strings to numbers/booleans; Hive does not
    case_insensitive: bool
    timestamp_parsers: tuple[_JodaParser, ...] = ()


Coercer = Callable[[Any], Any]


def _coercer(glue: GlueType, rules: SerDeRules) -> Coercer:
    name = glue.name
    if name == "string" or isinstance(glue, CharType):

        def to_string(v: Any) -> Any:
            if type(v) is str:
                return v
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, int | float):
                return json.dumps(v)
            if rules.lenient:
                return json.dumps(v, separators=(",", ":"))
            raise _Malformed(
                "One or more fields have incorrect format. Exception when validating field (root)"
            )

        return to_string
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]

        def to_int(v: Any) -> Any:
            if type(v) is int:
                number = v
            elif (isinstance(v, float) and v.is_integer()) or (
                isinstance(v, str) and rules.lenient and re.fullmatch(r"\s*-?\d+\s*", v)
            ):
                number = int(v)
            elif isinstance(v, str) and not rules.lenient:
                raise _Malformed(
                    "Current token (VALUE_STRING) not numeric, can not use numeric value accessors"
                )
            else:
                raise _for_input(v)
            if not low <= number <= high:
                raise _Malformed(f"Value {number} is out of range for type {name}")
            return number

        return to_int
    if name in ("float", "double"):

        def to_float(v: Any) -> Any:
            if isinstance(v, bool):
                raise _for_input(v)
            if isinstance(v, int | float):
                return float(v)
            if isinstance(v, str) and rules.lenient:
                try:
                    return float(v.strip())
                except ValueError as error:
                    raise _for_input(v) from error
            if isinstance(v, str):
                raise _Malformed(
                    "Current token (VALUE_STRING) not numeric, can not use numeric value accessors"
                )
            raise _for_input(v)

        return to_float
    if name == "boolean":

        def to_bool(v: Any) -> Any:
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.lower() in ("true", "false") and rules.lenient:
                return v.lower() == "true"
            raise _for_input(v)

        return to_bool
    if isinstance(glue, DecimalType):
        precision, scale = glue.precision, glue.scale
        quantum = decimal.Decimal(1).scaleb(-scale)

        def to_decimal(v: Any) -> Any:
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                raise _for_input(v)
            if isinstance(v, str) and not rules.lenient:
                raise _Malformed(
                    "Current token (VALUE_STRING) not numeric, can not use numeric value accessors"
                )
            try:
                value = decimal.Decimal(str(v).strip()).quantize(
                    quantum, rounding=decimal.ROUND_HALF_UP
                )
            except decimal.InvalidOperation as error:
                raise _for_input(v) from error
            if len(value.as_tuple().digits) > precision and value != 0:
                raise _Malformed(f"Value {v} is out of range for type decimal({precision},{scale})")
            return value

        return to_decimal
    if name == "date":

        def to_date(v: Any) -> Any:
            if isinstance(v, str):
                m = _DATE_RE.fullmatch(v.strip())
                if m:
                    try:
                        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                    except ValueError as error:
                        raise _for_input(v) from error
            raise _for_input(v)

        return to_date
    if name == "timestamp":
        parsers = rules.timestamp_parsers

        def to_timestamp(v: Any) -> Any:
            for parser in parsers:
                parsed = parser.parse(v)
                if parsed is not None:
                    return parsed
            if isinstance(v, bool):
                raise _for_input(v)
            if isinstance(v, int | float):
                return _epoch_to_datetime(v)
            if isinstance(v, str):
                text = v
                if len(text) == 26 and text[10] == " " and text[19] == ".":
                    try:  # the common "yyyy-MM-dd HH:mm:ss.ffffff" shape, fast
                        return dt.datetime.fromisoformat(text)
                    except ValueError:
                        pass
                return _parse_timestamp_text(text)
            raise _for_input(v)

        return to_timestamp
    if name == "binary":

        def to_binary(v: Any) -> Any:
            if isinstance(v, str):
                return v.encode("utf-8")
            raise _for_input(v)

        return to_binary
    if isinstance(glue, ArrayType):
        element = _coercer(glue.element, rules)

        def to_array(v: Any) -> Any:
            if not isinstance(v, list):
                raise _Malformed("java.io.IOException: Start of Array expected")
            return [None if item is None else element(item) for item in v]

        return to_array
    if isinstance(glue, MapType):
        key_coercer = _coercer(glue.key, rules)
        value_coercer = _coercer(glue.value, rules)

        def to_map(v: Any) -> Any:
            if not isinstance(v, dict):
                raise _Malformed("java.io.IOException: Start of Object expected")
            return [
                (key_coercer(k), None if item is None else value_coercer(item))
                for k, item in v.items()
            ]

        return to_map
    if isinstance(glue, StructType):
        fields = [(f.name, f.name.lower(), _coercer(f.type, rules)) for f in glue.fields]

        def to_struct(v: Any) -> Any:
            if not isinstance(v, dict):
                raise _Malformed("java.io.IOException: Start of Object expected")
            lowered = {k.lower(): item for k, item in v.items()} if rules.case_insensitive else v
            out = {}
            for field_name, low, coerce in fields:
                item = v.get(field_name)
                if item is None and rules.case_insensitive:
                    item = lowered.get(low)
                out[field_name] = None if item is None else coerce(item)
            return out

        return to_struct
    raise GlueTypeError(name)


# --- the converter -------------------------------------------------------------------------


def _option(config: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    if not config:
        return default
    value = config.get(key)
    return default if value is None else value


class Converter:
    """Converts a buffer's JSON records with a stream's DataFormatConversionConfiguration."""

    def __init__(self, configuration: Mapping[str, Any]) -> None:
        deserializer = (configuration.get("InputFormatConfiguration") or {}).get(
            "Deserializer"
        ) or {}
        serializer = (configuration.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
        self.schema_configuration: dict[str, Any] = dict(
            configuration.get("SchemaConfiguration") or {}
        )
        openx = deserializer.get("OpenXJsonSerDe")
        hive = deserializer.get("HiveJsonSerDe")
        if hive is not None and openx is None:
            parsers = tuple(_JodaParser(p) for p in (_option(hive, "TimestampFormats", []) or []))
            self.rules = SerDeRules(lenient=False, case_insensitive=True, timestamp_parsers=parsers)
            self.key_mappings: dict[str, str] = {}
            self.dots_to_underscores = False
        else:
            self.rules = SerDeRules(
                lenient=True, case_insensitive=bool(_option(openx, "CaseInsensitive", True))
            )
            self.key_mappings = dict(_option(openx, "ColumnToJsonKeyMappings", {}) or {})
            self.dots_to_underscores = bool(
                _option(openx, "ConvertDotsInJsonKeysToUnderscores", False)
            )
        self._decoder = json.JSONDecoder(
            parse_constant=_openx_constant if self.rules.lenient else _hive_constant
        )
        self.parquet = serializer.get("ParquetSerDe")
        self.orc = serializer.get("OrcSerDe")
        self.extension = ".orc" if self.orc is not None and self.parquet is None else ".parquet"

    # The columns come from the Glue table at delivery time (a schema change applies to the
    # next delivery, as on AWS, which reads the table version it is configured with).
    def convert(
        self, records: Sequence[bytes], columns: Sequence[tuple[str, str]]
    ) -> ConversionResult:
        names = [name for name, _ in columns]
        types = [parse_glue_type(glue) for _, glue in columns]
        coercers = [_coercer(t, self.rules) for t in types]
        lookup = [
            (name, self.key_mappings.get(name, name), self.key_mappings.get(name, name).lower())
            for name in names
        ]
        schema = pa.schema([(n, to_arrow(t)) for n, t in zip(names, types, strict=True)])
        plan = list(zip(lookup, coercers, strict=True))
        failures: list[ConversionFailure] = []
        chunks: list[list[pa.Array]] = []
        converted = 0
        # A chunk at a time, so that a 128 MiB buffer never exists as Python objects at once
        # (Arrow holds the converted columns far more compactly).
        for offset in range(0, len(records), CHUNK_RECORDS):
            arrays, count = self._chunk_arrays(
                records[offset : offset + CHUNK_RECORDS], offset, plan, schema, failures
            )
            if count:
                chunks.append(arrays)
                converted += count
        if converted == 0:
            return ConversionResult(None, 0, failures)
        table = pa.Table.from_arrays(
            [pa.chunked_array([c[i] for c in chunks], f.type) for i, f in enumerate(schema)],
            schema=schema,
        )
        return ConversionResult(self._write(table), converted, failures)

    def _chunk_arrays(
        self,
        records: Sequence[bytes],
        offset: int,
        plan: list[tuple[tuple[str, str, str], Coercer]],
        schema: pa.Schema,
        failures: list[ConversionFailure],
    ) -> tuple[list[pa.Array], int]:
        """One chunk's Arrow columns; anything unexpected is retried record by record, so that
        one pathological record fails alone and never takes its chunk (or buffer) down."""
        found: list[ConversionFailure] = []
        try:
            values, count = self._convert_chunk(records, offset, plan, found)
            arrays = (
                [pa.array(c, type=f.type) for c, f in zip(values, schema, strict=True)]
                if count
                else []
            )
        except Exception as error:
            if len(records) == 1:
                failures.append(
                    ConversionFailure(
                        offset, MALFORMED_DATA, f"Data does not match the schema. {error}"
                    )
                )
                return [], 0
            pieces: list[list[pa.Array]] = []
            for i, record in enumerate(records):
                piece, one = self._chunk_arrays([record], offset + i, plan, schema, failures)
                if one:
                    pieces.append(piece)
            if not pieces:
                return [], 0
            columns = [pa.concat_arrays([p[k] for p in pieces]) for k in range(len(schema))]
            return columns, len(pieces)
        failures.extend(found)
        return arrays, count

    def _convert_chunk(
        self,
        records: Sequence[bytes],
        offset: int,
        plan: list[tuple[tuple[str, str, str], Coercer]],
        failures: list[ConversionFailure],
    ) -> tuple[list[list[Any]], int]:
        """The column values of the records that convert; the others are added to failures."""
        chunk_failures: list[ConversionFailure] = []
        documents, positions = self._parse(records, offset, chunk_failures)
        # Column by column (list comprehensions, a third of the per-record cost of a row loop);
        # a record fails with the message of its first failing column, as in a row-by-row pass.
        failed: dict[int, ConversionFailure] = {}
        lowered_docs: dict[int, dict[str, Any]] = {}
        values: list[list[Any]] = []
        for (_, key, low_key), coerce in plan:
            raw = [document.get(key) for document in documents]
            if self.rules.case_insensitive:
                for j in [j for j, value in enumerate(raw) if value is None]:
                    document = documents[j]
                    if key in document:
                        continue
                    lowered = lowered_docs.get(j)
                    if lowered is None:
                        lowered = lowered_docs[j] = {}
                        for k, v in document.items():
                            lowered.setdefault(k.lower(), v)
                    raw[j] = lowered.get(low_key)
            try:
                if failed:  # records that failed already are not coerced again
                    raise _Malformed("")
                column = [None if value is None else coerce(value) for value in raw]
            except _COERCION_ERRORS:
                column = []
                for j, value in enumerate(raw):
                    if j in failed:
                        column.append(None)
                        continue
                    try:
                        column.append(None if value is None else coerce(value))
                    except _COERCION_ERRORS as e:
                        column.append(None)
                        failed[j] = ConversionFailure(
                            positions[j], MALFORMED_DATA, f"Data does not match the schema. {e}"
                        )
            values.append(column)
        if failed:
            keep = [j for j in range(len(documents)) if j not in failed]
            values = [[column[j] for j in keep] for column in values]
            chunk_failures = sorted([*chunk_failures, *failed.values()], key=lambda f: f.index)
        failures.extend(chunk_failures)
        return values, len(documents) - len(failed)

    def _parse(
        self, records: Sequence[bytes], offset: int, failures: list[ConversionFailure]
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """The records that are JSON objects, and their indexes; the others become failures."""
        documents: list[dict[str, Any]] = []
        positions: list[int] = []
        decode = self._decoder.decode
        for index, record in enumerate(records, offset):
            try:
                # json.loads(bytes) decodes as UTF-8 (surrogatepass) whenever the text starts
                # with "{" and no NUL follows; doing it here skips its encoding sniffing.
                if record[:1] == b"{" and record[1:2] != b"\x00":
                    document = decode(record.decode("utf-8", "surrogatepass"))
                else:
                    document = json.loads(record, parse_constant=self._decoder.parse_constant)
            except (ValueError, UnicodeDecodeError, RecursionError) as error:
                failures.append(
                    ConversionFailure(index, PARSE_ERROR, f"Encountered malformed JSON. {error}")
                )
                continue
            if not isinstance(document, dict):
                failures.append(
                    ConversionFailure(
                        index,
                        MALFORMED_DATA,
                        "Data does not match the schema. A JSON object is required.",
                    )
                )
                continue
            if self.dots_to_underscores:
                document = {k.replace(".", "_"): v for k, v in document.items()}
            documents.append(document)
            positions.append(index)
        return documents, positions

    def _write(self, table: pa.Table) -> bytes:
        buffer = io.BytesIO()
        if self.orc is not None and self.parquet is None:
            from pyarrow import orc

            compression = {"NONE": "uncompressed", "ZLIB": "zlib", "SNAPPY": "snappy"}[
                _option(self.orc, "Compression", "SNAPPY")
            ]
            orc.write_table(table, buffer, compression=compression)
            return buffer.getvalue()
        compression = {"SNAPPY": "snappy", "GZIP": "gzip", "UNCOMPRESSED": "none"}[
            _option(self.parquet, "Compression", "SNAPPY")
        ]
        pq.write_table(
            table,
            buffer,
            compression=compression,
            # Hive's writer compresses GZIP pages with zlib's default level (6); Arrow's own
            # default is 9, three times slower for nearly the same size.
            compression_level=6 if compression == "gzip" else None,
            use_dictionary=bool(_option(self.parquet, "EnableDictionaryCompression", False)),
            data_page_size=int(_option(self.parquet, "PageSizeBytes", 1024 * 1024)),
            data_page_version="2.0"
            if _option(self.parquet, "WriterVersion", "V1") == "V2"
            else "1.0",
            # Hive's Parquet writer (the ParquetSerDe) stores timestamps as INT96.
            use_deprecated_int96_timestamps=True,
        )
        return buffer.getvalue()

    def data_catalog_table(self, region: str | None = None) -> dict[str, Any]:
        """The ``dataCatalogTable`` block of format-conversion-failed documents."""
        schema = self.schema_configuration
        return {
            "catalogId": schema.get("CatalogId"),
            "databaseName": schema.get("DatabaseName"),
            "tableName": schema.get("TableName"),
            "region": schema.get("Region") or region,
            "versionId": schema.get("VersionId") or "LATEST",
            "roleArn": schema.get("RoleARN"),
        }
