"""Glue's CreateTable with IcebergInput (the pure translation) and the client-backed FileIO."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox.iceberg.fileio import ClientFileIO
from sandbox.iceberg.glue_input import GlueInputError, iceberg_creation, is_iceberg_create

COLUMNS = [
    {"Name": "name", "Type": "string"},
    {"Name": "tstamp", "Type": "timestamp"},
    {"Name": "amount", "Type": "decimal(10,2)"},
]


def request(**iceberg: Any) -> dict[str, Any]:
    return {
        "DatabaseName": "db",
        "TableInput": {
            "Name": "t",
            "StorageDescriptor": {"Location": "s3://bucket/t/", "Columns": COLUMNS},
        },
        "OpenTableFormatInput": {"IcebergInput": {"MetadataOperation": "CREATE", **iceberg}},
    }


def test_columns_become_the_iceberg_schema_and_glue_gets_the_pointer() -> None:
    assert is_iceberg_create(request())
    assert not is_iceberg_create({"TableInput": {}})
    made = iceberg_creation(request())
    metadata = json.loads(made.metadata_json)
    assert metadata["format-version"] == 2
    assert metadata["location"] == "s3://bucket/t"
    fields = metadata["schemas"][0]["fields"]
    assert [(f["name"], f["type"]) for f in fields] == [
        ("name", "string"),
        ("tstamp", "timestamp"),
        ("amount", "decimal(10, 2)"),
    ]
    assert made.metadata_location.startswith("s3://bucket/t/metadata/00000-")
    assert made.metadata_location.endswith(".metadata.json")
    parameters = made.table_input["Parameters"]
    assert parameters == {"table_type": "ICEBERG", "metadata_location": made.metadata_location}
    assert made.table_input["TableType"] == "EXTERNAL_TABLE"
    assert made.table_input["StorageDescriptor"]["Columns"] == COLUMNS  # as given


def test_create_iceberg_table_input_gives_schema_and_hidden_partitions() -> None:
    made = iceberg_creation(
        request(
            CreateIcebergTableInput={
                "Location": "s3://bucket/other",
                "Schema": {
                    "Fields": [
                        {"Id": 1, "Name": "name", "Type": "string", "Required": False},
                        {"Id": 2, "Name": "tstamp", "Type": "timestamp", "Required": False},
                    ]
                },
                "PartitionSpec": {
                    "Fields": [
                        {"SourceId": 1, "Transform": "identity", "Name": "name"},
                        {"SourceId": 2, "Transform": "day", "Name": "tstamp_day"},
                    ]
                },
            }
        )
    )
    spec = json.loads(made.metadata_json)["partition-specs"][0]["fields"]
    assert [(f["name"], f["transform"]) for f in spec] == [
        ("name", "identity"),
        ("tstamp_day", "day"),
    ]
    assert made.metadata_location.startswith("s3://bucket/other/metadata/")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PartitionKeys": [{"Name": "d", "Type": "string"}]}, "Cannot create partitions"),
        ({"StorageDescriptor": {"Location": "/local", "Columns": COLUMNS}}, "s3:// location"),
        ({"StorageDescriptor": {"Location": "s3://b/t/"}}, "needs columns"),
        (
            {
                "StorageDescriptor": {
                    "Location": "s3://b/t/",
                    "Columns": [{"Name": "a", "Type": "array<int>"}],
                }
            },
            "array<int> is not reproduced",
        ),
    ],
)
def test_what_glue_refuses(change: dict[str, Any], message: str) -> None:
    made = request()
    made["TableInput"].update(change)
    with pytest.raises(GlueInputError, match=message):
        iceberg_creation(made)


def test_only_create_and_versions_1_and_2() -> None:
    with pytest.raises(GlueInputError, match="CREATE"):
        iceberg_creation(request(MetadataOperation="UPDATE"))
    with pytest.raises(GlueInputError, match="version 3"):
        iceberg_creation(request(Version="3"))


class FakeS3:
    """The four S3 calls ClientFileIO makes, on a dict."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.heads = 0

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:
        self.objects[(Bucket, Key)] = Body

    def _get(self, bucket: str, key: str) -> bytes:
        if (bucket, key) not in self.objects:
            error = Exception("missing")
            error.response = {"Error": {"Code": "404"}}  # type: ignore[attr-defined]
            raise error
        return self.objects[(bucket, key)]

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        return {"Body": io.BytesIO(self._get(Bucket, Key))}

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.heads += 1
        return {"ContentLength": len(self._get(Bucket, Key))}

    def delete_object(self, Bucket: str, Key: str) -> None:
        self.objects.pop((Bucket, Key), None)


def test_the_file_io_writes_on_close_and_reads_back() -> None:
    s3 = FakeS3()
    file_io = ClientFileIO(s3)
    output = file_io.new_output("s3://b/data/f.parquet")
    assert not output.exists()
    with output.create() as stream, pq.ParquetWriter(stream, pa.schema([("a", pa.int64())])) as w:
        w.write_table(pa.table({"a": [1, 2, 3]}))
    assert len(output) == len(s3.objects[("b", "data/f.parquet")])
    heads = s3.heads
    assert len(output) > 0 and s3.heads == heads  # the size is known without a HEAD
    with file_io.new_input("s3://b/data/f.parquet").open() as stream:
        assert pq.read_table(stream).column("a").to_pylist() == [1, 2, 3]
    with pytest.raises(FileExistsError):
        output.create(overwrite=False)
    file_io.delete("s3://b/data/f.parquet")
    assert not file_io.new_input("s3://b/data/f.parquet").exists()
    with pytest.raises(FileNotFoundError):
        file_io.new_input("s3://b/data/f.parquet").open()
