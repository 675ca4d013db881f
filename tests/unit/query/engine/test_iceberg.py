"""The Iceberg engine's pure parts: names, scans, types, partition specs, properties, billing."""

from __future__ import annotations

import pytest
from pyiceberg import types

from sandbox.core.gluetypes import parse_glue_type
from sandbox.query.dialect.iceberg import PartitionField
from sandbox.query.engine import duck, iceberg
from sandbox.query.engine.iceberg_writes import iceberg_properties
from sandbox.query.errors import QueryError, UnsupportedError


def test_metadata_and_time_travel_names() -> None:
    assert iceberg.split_name("t$snapshots") == ("t", "snapshots")
    assert iceberg.split_name("t") == ("t", None)
    assert iceberg.scan_sql("s3://b/t/metadata/1.metadata.json") == (
        "SELECT * FROM iceberg_scan('s3://b/t/metadata/1.metadata.json')"
    )
    assert iceberg.scan_sql("s3://b/t/m.json", 42).endswith(", snapshot_from_id = 42)")
    assert iceberg.metadata_folder("s3://b/t/metadata/1.metadata.json") == "s3://b/t/metadata/"


def test_athena_types_become_iceberg_types() -> None:
    schema = iceberg.iceberg_schema(
        [
            ("id", parse_glue_type("bigint"), "the key"),
            ("ts", parse_glue_type("timestamp"), ""),
            ("price", parse_glue_type("decimal(10,2)"), ""),
            ("tags", parse_glue_type("array<varchar(10)>"), ""),
            ("attrs", parse_glue_type("map<string,int>"), ""),
            ("point", parse_glue_type("struct<x:double,y:double>"), ""),
        ]
    )
    kinds = {f.name: f.field_type for f in schema.fields}
    assert kinds["id"] == types.LongType()
    assert kinds["ts"] == types.TimestampType()
    assert kinds["price"] == types.DecimalType(10, 2)
    assert isinstance(kinds["tags"], types.ListType)
    assert kinds["tags"].element_type == types.StringType()
    assert isinstance(kinds["attrs"], types.MapType)
    assert isinstance(kinds["point"], types.StructType)
    assert schema.find_field("id").doc == "the key"
    # Iceberg has no 8- or 16-bit integers: Athena refuses them for Iceberg tables.
    with pytest.raises(QueryError, match="tinyint"):
        iceberg.iceberg_type(parse_glue_type("tinyint"))


def test_partition_specs_from_transforms() -> None:
    schema = iceberg.iceberg_schema(
        [("name", parse_glue_type("string"), ""), ("tstamp", parse_glue_type("timestamp"), "")]
    )
    spec = iceberg.partition_spec(schema, (PartitionField("name"), PartitionField("tstamp", "day")))
    assert [(f.name, str(f.transform)) for f in spec.fields] == [
        ("name", "identity"),
        ("tstamp_day", "day"),
    ]
    with pytest.raises(QueryError, match="COLUMN_NOT_FOUND"):
        iceberg.partition_spec(schema, (PartitionField("missing"),))
    with pytest.raises(QueryError, match="INVALID_TABLE_PROPERTY"):
        iceberg.partition_spec(schema, (PartitionField("name", "day"),))


def test_athena_properties_as_iceberg_properties() -> None:
    properties = iceberg_properties(
        {"table_type": "ICEBERG", "write_compression": "ZSTD", "vacuum_min_snapshots_to_keep": 3}
    )
    assert properties == {
        "write.format.default": "parquet",
        "write.parquet.compression-codec": "zstd",
        "vacuum_min_snapshots_to_keep": "3",
    }
    with pytest.raises(UnsupportedError, match="orc"):
        iceberg_properties({"format": "ORC"})


def test_iceberg_metadata_reads_are_not_billed() -> None:
    log = [
        ("GET", "http://127.0.0.1:4566/b/t/metadata/00001.metadata.json", "200", "900"),
        ("GET", "http://127.0.0.1:4566/b/t/metadata/snap-1.avro", "200", "400"),
        ("GET", "http://127.0.0.1:4566/b/t/data/name=a/f.parquet", "206", "1000"),
    ]
    assert duck.scan_from_log(log).bytes_scanned == 2300
    scan = duck.scan_from_log(log, ["s3://b/t/metadata/"])
    assert (scan.bytes_scanned, scan.objects_read) == (1000, 1)
