"""Record format conversion: Glue types, SerDe rules, Parquet output, per-record failures."""

import datetime as dt
import decimal
import io
import json

import pyarrow.parquet as pq
import pytest

from sandbox.firehose.conversion import MALFORMED_DATA, PARSE_ERROR, Converter


def converter(deserializer: str = "HiveJsonSerDe", options=None, serializer=None) -> Converter:
    return Converter(
        {
            "InputFormatConfiguration": {"Deserializer": {deserializer: options or {}}},
            "OutputFormatConfiguration": {
                "Serializer": serializer or {"ParquetSerDe": {"Compression": "SNAPPY"}}
            },
            "SchemaConfiguration": {"DatabaseName": "db", "TableName": "t"},
        }
    )


def rows(result) -> list[dict]:
    return pq.read_table(io.BytesIO(result.body)).to_pylist()


def encode(*documents) -> list[bytes]:
    return [json.dumps(d).encode() for d in documents]


def test_article_schema_to_parquet_with_int96_timestamps() -> None:
    result = converter().convert(
        encode(
            {
                "name": "anonymous_visited",
                "tstamp": "2023-06-18 14:27:52.000000",
                "payload": "{}",
                "payload_md5": "abc",
            }
        ),
        [("tstamp", "timestamp"), ("payload", "string"), ("payload_md5", "string")],
    )
    assert result.converted == 1 and not result.failures
    assert rows(result) == [
        {"tstamp": dt.datetime(2023, 6, 18, 14, 27, 52), "payload": "{}", "payload_md5": "abc"}
    ]
    schema = pq.ParquetFile(io.BytesIO(result.body)).schema
    assert schema.column(0).physical_type == "INT96"
    assert "name" not in schema.names  # partition columns live in the path only


def test_scalar_types_and_nulls() -> None:
    columns = [
        ("i", "int"),
        ("b", "bigint"),
        ("d", "double"),
        ("f", "boolean"),
        ("m", "decimal(5,2)"),
        ("day", "date"),
        ("s", "string"),
        ("missing", "string"),
    ]
    result = converter().convert(
        encode({"i": 1, "b": 2**40, "d": 1.5, "f": True, "m": 1.235, "day": "2024-2-9", "s": 7}),
        columns,
    )
    assert rows(result) == [
        {
            "i": 1,
            "b": 2**40,
            "d": 1.5,
            "f": True,
            "m": decimal.Decimal("1.24"),
            "day": dt.date(2024, 2, 9),
            "s": "7",
            "missing": None,
        }
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-06-18 14:27:52", dt.datetime(2023, 6, 18, 14, 27, 52)),
        ("2023-6-8 1:2:3.5", dt.datetime(2023, 6, 8, 1, 2, 3, 500000)),
        ("2017-02-07T15:13:01.39256Z", dt.datetime(2017, 2, 7, 15, 13, 1, 392560)),
        (1518033528, dt.datetime(2018, 2, 7, 19, 58, 48)),
        (1518033528123, dt.datetime(2018, 2, 7, 19, 58, 48, 123000)),
        (1518033528.5, dt.datetime(2018, 2, 7, 19, 58, 48, 500000)),
    ],
)
def test_default_timestamp_formats(value, expected: dt.datetime) -> None:
    for serde in ("HiveJsonSerDe", "OpenXJsonSerDe"):
        result = converter(serde).convert(encode({"t": value}), [("t", "timestamp")])
        assert rows(result) == [{"t": expected}], serde


def test_hive_timestamp_formats_and_millis() -> None:
    hive = converter("HiveJsonSerDe", {"TimestampFormats": ["dd/MM/yyyy HH:mm", "millis"]})
    result = hive.convert(encode({"t": "18/06/2023 14:27"}, {"t": 1000}), [("t", "timestamp")])
    assert [r["t"] for r in rows(result)] == [
        dt.datetime(2023, 6, 18, 14, 27),
        dt.datetime(1970, 1, 1, 0, 0, 1),
    ]


def test_openx_is_lenient_where_hive_is_strict() -> None:
    columns = [("n", "int"), ("flag", "boolean")]
    records = encode({"n": "42", "flag": "true"})
    assert rows(converter("OpenXJsonSerDe").convert(records, columns)) == [{"n": 42, "flag": True}]
    result = converter("HiveJsonSerDe").convert(records, columns)
    assert result.body is None
    assert result.failures[0].code == MALFORMED_DATA
    assert "not numeric" in result.failures[0].message


def test_openx_key_matching_mappings_and_dots() -> None:
    columns = [("userid", "string"), ("ts", "string"), ("a_b", "int")]
    records = encode({"UserId": "u1", "event.time": "t", "a.b": 3})
    openx = converter(
        "OpenXJsonSerDe",
        {
            "ColumnToJsonKeyMappings": {"ts": "event_time"},
            "ConvertDotsInJsonKeysToUnderscores": True,
        },
    )
    assert rows(openx.convert(records, columns)) == [{"userid": "u1", "ts": "t", "a_b": 3}]
    strict = converter("OpenXJsonSerDe", {"CaseInsensitive": False})
    assert rows(strict.convert(records, [("userid", "string")])) == [{"userid": None}]


def test_complex_types() -> None:
    columns = [
        ("tags", "array<string>"),
        ("attrs", "map<string,int>"),
        ("geo", "struct<lat:double,Lon:double>"),
    ]
    records = encode({"tags": ["a", "b"], "attrs": {"x": 1}, "geo": {"LAT": 1.0, "lon": 2}})
    assert rows(converter().convert(records, columns)) == [
        {"tags": ["a", "b"], "attrs": [("x", 1)], "geo": {"lat": 1.0, "Lon": 2.0}}
    ]


@pytest.mark.parametrize(
    ("record", "code", "text"),
    [
        (b"{not json", PARSE_ERROR, "Encountered malformed JSON"),
        (b"", PARSE_ERROR, "Encountered malformed JSON"),
        (b"\xff", PARSE_ERROR, "Encountered malformed JSON"),
        (b"[1]", MALFORMED_DATA, "A JSON object is required"),
        (b'{"n": "abc"}', MALFORMED_DATA, "Data does not match the schema"),
        (b'{"n": 3000000000}', MALFORMED_DATA, "out of range"),
        (b'{"t": "yesterday"}', MALFORMED_DATA, 'For input string: "yesterday"'),
        (b'{"t": "2023-02-30 00:00:00"}', MALFORMED_DATA, "For input string"),
        (b'{"tags": "x"}', MALFORMED_DATA, "Start of Array expected"),
    ],
)
def test_failures_are_per_record(record: bytes, code: str, text: str) -> None:
    columns = [("n", "int"), ("t", "timestamp"), ("tags", "array<string>")]
    good = b'{"n": 1, "t": "2023-01-01 00:00:00", "tags": []}'
    result = converter("OpenXJsonSerDe").convert([good, record, good], columns)
    assert result.converted == 2
    assert [(f.index, f.code) for f in result.failures] == [(1, code)]
    assert text in result.failures[0].message
    assert len(rows(result)) == 2


@pytest.mark.parametrize(
    ("serializer", "codec"),
    [
        ({"ParquetSerDe": {}}, "SNAPPY"),
        ({"ParquetSerDe": {"Compression": "GZIP"}}, "GZIP"),
        ({"ParquetSerDe": {"Compression": "UNCOMPRESSED"}}, "UNCOMPRESSED"),
    ],
)
def test_parquet_compression(serializer: dict, codec: str) -> None:
    result = converter(serializer=serializer).convert(encode({"s": "x"}), [("s", "string")])
    metadata = pq.ParquetFile(io.BytesIO(result.body)).metadata
    assert metadata.row_group(0).column(0).compression == codec


def test_orc_output() -> None:
    from pyarrow import orc

    conv = converter(serializer={"OrcSerDe": {"Compression": "ZLIB"}})
    result = conv.convert(encode({"s": "x"}), [("s", "string")])
    assert conv.extension == ".orc"
    assert orc.read_table(io.BytesIO(result.body)).to_pylist() == [{"s": "x"}]


def test_data_catalog_table_block() -> None:
    assert converter().data_catalog_table("eu-west-1") == {
        "catalogId": None,
        "databaseName": "db",
        "tableName": "t",
        "region": "eu-west-1",
        "versionId": "LATEST",
        "roleArn": None,
    }
