"""Partition values with any character, delivered by the article's streams and queried back; and
queries that try to reach another server through the engine.

The JSON and Parquet streams of ``terraform/`` are cloned onto a bucket of this module's own;
records whose ``name`` holds ``?``, ``#``, ``%``, NUL, ``+``, spaces, quotes, unicode... (and a
bounded batch of random values) are delivered, MSCK REPAIR registers the partitions, and a query
returns every record with its exact value, as Athena does. A loopback HTTP server of the test's
own receives no request from any query.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from collections import Counter
from typing import Any

import duckdb
import pytest

from sandbox.infra import admin
from sandbox.query import Session
from sandbox.query.engine import duck
from sandbox.query.errors import QueryError
from tests.conftest import SandboxHandle
from tests.integration import lake

pytestmark = pytest.mark.integration

TSTAMP = "2023-06-18 14:27:52.000000"
HOSTILE = [
    "a?b",
    "a#b",
    "a%b",
    "%41",
    "a%zzb",
    "a+b",
    "a b",
    "a*b",
    "a[b]",
    "a\\b",
    "a=b",
    "a'b",
    'a"b',
    "a;b--c",
    "{partitions}",
    "$x$",
    "tab\tand\nnewline",
    "nul\x00byte",
    "é✓😀 事件",
]
# A value with "/" makes more folders than keys: MSCK REPAIR does not register it (as Athena's).
ALPHABET = "ab?#%+ *[]\\='\";{}$&~:^\t\x00é✓😀"
CONFIG_FIELDS = {
    "RoleARN",
    "Prefix",
    "ErrorOutputPrefix",
    "BufferingHints",
    "CompressionFormat",
    "DynamicPartitioningConfiguration",
    "ProcessingConfiguration",
    "DataFormatConversionConfiguration",
    "EncryptionConfiguration",
    "CustomTimeZone",
    "FileExtension",
}


def _hive_unescape(text: str) -> str:
    return re.sub("%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def _random_values(seed: int, count: int = 12) -> list[str]:
    rng = random.Random(seed)
    values: set[str] = set()
    while len(values) < count:
        values.add("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))))
    return sorted(values)


def _record(name: str, i: int) -> bytes:
    return json.dumps(
        {"name": name, "tstamp": TSTAMP, "payload": f"p{i}", "payload_md5": f"m{i}"}
    ).encode()


def _clone_stream(sandbox: SandboxHandle, source: str, bucket: str, name: str) -> None:
    firehose = sandbox.client("firehose")
    description = firehose.describe_delivery_stream(DeliveryStreamName=source)
    extended = description["DeliveryStreamDescription"]["Destinations"][0][
        "ExtendedS3DestinationDescription"
    ]
    config = {k: v for k, v in extended.items() if k in CONFIG_FIELDS}
    config["BucketARN"] = f"arn:aws:s3:::{bucket}"
    lake.create_stream(firehose, name, config)


def _clone_table(sandbox: SandboxHandle, source: str, database: str, bucket: str) -> None:
    glue = sandbox.client("glue")
    table = glue.get_table(DatabaseName=sandbox.outputs.database, Name=source)["Table"]
    sd = dict(table["StorageDescriptor"])
    _, _, rest = sd["Location"].removeprefix("s3://").partition("/")
    sd["Location"] = f"s3://{bucket}/{rest}"
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": source,
            "TableType": table.get("TableType", "EXTERNAL_TABLE"),
            "Parameters": table.get("Parameters", {}),
            "PartitionKeys": table.get("PartitionKeys", []),
            "StorageDescriptor": sd,
        },
    )


@pytest.fixture(scope="module")
def delivered(sandbox: SandboxHandle) -> dict[str, Any]:
    """Both article streams, cloned onto a fresh bucket, fed every value, flushed."""
    suffix = uuid.uuid4().hex[:8]
    bucket, database = f"hostile-{suffix}", f"hostile_{suffix}"
    sandbox.client("s3").create_bucket(Bucket=bucket)
    sandbox.client("glue").create_database(DatabaseInput={"Name": database})
    seed = int.from_bytes(os.urandom(4), "big")
    values = HOSTILE + [v for v in _random_values(seed) if v not in HOSTILE]
    records = [_record(value, i) for i, value in enumerate(values)]
    outputs = sandbox.outputs
    streams = {}
    for kind, source, table in (
        ("json", outputs.json_stream, outputs.json_table),
        ("parquet", outputs.parquet_stream, outputs.parquet_table),
    ):
        stream = f"hostile-{kind}-{suffix}"
        _clone_stream(sandbox, source, bucket, stream)
        _clone_table(sandbox, table, database, bucket)
        response = sandbox.client("firehose").put_record_batch(
            DeliveryStreamName=stream, Records=[{"Data": r} for r in records]
        )
        assert response["FailedPutCount"] == 0
        counters = admin.flush(sandbox.settings, stream)["streams"][stream]
        assert counters["delivered"] == len(records), counters
        streams[kind] = table
    return {"database": database, "values": values, "seed": seed, "tables": streams}


@pytest.mark.parametrize("kind", ["json", "parquet"])
def test_every_partition_value_is_queried_back_exactly(
    sandbox: SandboxHandle, delivered: dict[str, Any], kind: str
) -> None:
    table, values = delivered["tables"][kind], delivered["values"]
    # MSCK REPAIR registers what Hive reads from the folder name (each %XX is one character)
    expected = Counter((_hive_unescape(value), f"p{i}") for i, value in enumerate(values))
    with Session(sandbox.settings, database=delivered["database"]) as session:
        session.execute(f"MSCK REPAIR TABLE {table}")
        rows = session.execute(f"SELECT name, payload FROM {table}").rows
        assert Counter(rows) == expected, f"random seed {delivered['seed']}"
        # a partition filter on such a value reads that partition only
        one = session.execute(f"SELECT payload FROM {table} WHERE name = 'a#b'")
        assert one.rows == [(f"p{values.index('a#b')}",)]
        two = session.execute(f"SELECT payload FROM {table} WHERE name = 'a?b'")
        assert two.rows == [(f"p{values.index('a?b')}",)]
        # the folder name=%41/ is the partition A, as Hive's MSCK REPAIR reads it
        assert session.execute(f"SELECT payload FROM {table} WHERE name = 'A'").rows == [
            (f"p{values.index('%41')}",)
        ]


def test_no_query_reaches_another_server(
    sandbox: SandboxHandle, delivered: dict[str, Any], trap: tuple[int, list[str]]
) -> None:
    port, hits = trap
    here = f"127.0.0.1:{port}"
    table = delivered["tables"]["json"]
    attacks = [
        f"SELECT * FROM read_json('http://{here}/x.json')",
        f"SELECT * FROM read_text('https://{here}/x')",
        f'SELECT * FROM "http://{here}/x.csv"',
        f"SELECT * FROM {table} WHERE payload IN (SELECT content FROM read_text('http://{here}/'))",
        f"SELECT * FROM read_parquet('s3://x/y?s3_endpoint={here}')",
        f"CREATE SECRET e (TYPE s3, ENDPOINT '{here}', URL_STYLE 'path', USE_SSL false)",
        f"SET s3_endpoint = '{here}'",
        f"COPY (SELECT 1) TO 's3://{here}/x.csv'",
        f"ATTACH 'http://{here}/x.db' AS x",
        "INSTALL httpfs FROM 'http://" + here + "'",
    ]
    with Session(sandbox.settings, database=delivered["database"]) as session:
        for sql in attacks:
            with pytest.raises(QueryError):
                session.execute(sql)
        assert session.execute(f"SELECT count(*) FROM {table}").rows[0][0] > 0
        # and below the translation, the connection itself refuses other hosts and schemes
        con = session.connection()
        for sql in [*attacks[:3], f"SET s3_endpoint = '{here}'"]:
            with pytest.raises(duckdb.Error):
                con.execute(sql.replace(f'"http://{here}/x.csv"', f"'http://{here}/x.csv'"))
        with pytest.raises(duckdb.Error):
            con.execute(f"SELECT * FROM read_blob('s3://nobucket/x?s3_endpoint={here}')")
        assert {m for m, _, _, _ in duck.http_log(con)} <= {"GET", "HEAD"}
    assert hits == []
