"""Engine-alone throughput: the ceiling the LocalStack HTTP path is measured against.

Owns: ``engine_throughput(n_records)``, which feeds synthetic article-shaped records
(``{"name", "tstamp", "payload", "payload_md5"}``, about 230 bytes) in PutRecordBatch-sized
batches of 500 through two streams configured like the article's Terraform, then flushes:

- JSON: dynamic partitioning with the article's JQ query, AppendDelimiterToRecord, GZIP;
- Parquet: the same partitioning, HiveJsonSerDe -> ParquetSerDe (GZIP), Glue columns
  ``tstamp timestamp, payload string, payload_md5 string``.

The sink only counts bytes, so the figure is the engine's own cost (jq, partitioning,
compression, conversion), single-threaded.

``streams_throughput`` is what ``make bench`` calls the engine-alone ceiling: one engine with
several streams (the Terraform streams' destinations), each batch put to every stream in turn,
as the emitter sends them over HTTP, then one flush.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any

from sandbox.firehose.engine import DeliveryEngine, S3Object

__all__ = [
    "ARTICLE_QUERY",
    "article_destinations",
    "article_records",
    "engine_throughput",
    "streams_throughput",
]

ARTICLE_QUERY = (
    '{event_name:.name, event_date:.tstamp | split(".")[0] | strptime("%Y-%m-%d %H:%M:%S") '
    '| strftime("%Y-%m")}'
)
ARTICLE_COLUMNS = [("tstamp", "timestamp"), ("payload", "string"), ("payload_md5", "string")]
_EVENTS = ("anonymous_visited", "account_created", "measurement_recorded")


def article_destinations(bucket: str = "sink") -> dict[str, dict[str, Any]]:
    """The article's two extended S3 destinations (JSON and Parquet), as boto3 dicts."""
    processing = {
        "Enabled": True,
        "Processors": [
            {
                "Type": "MetadataExtraction",
                "Parameters": [
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": ARTICLE_QUERY},
                ],
            },
            {"Type": "AppendDelimiterToRecord", "Parameters": []},
        ],
    }
    common = {
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "RoleARN": "arn:aws:iam::000000000000:role/firehose",
        "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": processing,
    }
    return {
        "json": {
            **common,
            "CompressionFormat": "GZIP",
            "Prefix": "events_raw/json/name=!{partitionKeyFromQuery:event_name}/"
            "d=!{timestamp:yyyy-MM-dd}/",
            "ErrorOutputPrefix": "errors/json/d=!{timestamp:yyyy-MM-dd}/"
            "!{firehose:error-output-type}/",
        },
        "parquet": {
            **common,
            "CompressionFormat": "UNCOMPRESSED",
            "Prefix": "events_raw/parquet/name=!{partitionKeyFromQuery:event_name}/"
            "d=!{timestamp:yyyy-MM-dd}/",
            "ErrorOutputPrefix": "errors/parquet/d=!{timestamp:yyyy-MM-dd}/"
            "!{firehose:error-output-type}/",
            "DataFormatConversionConfiguration": {
                "Enabled": True,
                "InputFormatConfiguration": {"Deserializer": {"HiveJsonSerDe": {}}},
                "OutputFormatConfiguration": {
                    "Serializer": {"ParquetSerDe": {"Compression": "GZIP"}}
                },
                "SchemaConfiguration": {
                    "DatabaseName": "data_platform",
                    "TableName": "events_parquet",
                    "RoleARN": "arn:aws:iam::000000000000:role/firehose",
                },
            },
        },
    }


def article_records(n_records: int, seed: int = 7) -> list[bytes]:
    """``n_records`` synthetic events shaped like the article's (about 230 bytes each)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    start = 1_609_459_200  # 2021-01-01
    out = []
    for i in range(n_records):
        tstamp = time.strftime(
            "%Y-%m-%d %H:%M:%S.000000", time.gmtime(start + rng.randrange(86400 * 940))
        )
        payload = json.dumps(
            {
                "dvce_os": f"Android {rng.randint(2, 4)}.{rng.randint(0, 4)}.{rng.randint(0, 5)}",
                "session_id": "".join(rng.choice(letters) for _ in range(20)),
            }
        )
        record = {
            "name": _EVENTS[rng.randrange(3)],
            "tstamp": tstamp,
            "payload": payload,
            "payload_md5": hashlib.md5(f"{i}{payload}".encode()).hexdigest(),
        }
        out.append(json.dumps(record).encode())
    return out


def _run(destination: dict[str, Any], records: list[bytes]) -> dict[str, float]:
    written = {"objects": 0, "bytes": 0}

    def sink(obj: S3Object) -> None:
        written["objects"] += 1
        written["bytes"] += len(obj.body)

    engine = DeliveryEngine(sink, lambda _schema: list(ARTICLE_COLUMNS))
    engine.configure_stream("bench", "1", destination)
    started = time.perf_counter()
    for i in range(0, len(records), 500):
        engine.put_records("bench", records[i : i + 500])
    engine.flush()
    elapsed = time.perf_counter() - started
    stats = engine.stats()["bench"]
    assert stats["accepted"] == stats["delivered"] + stats["errored"] + stats["buffered"]
    return {
        "seconds": round(elapsed, 3),
        "records_per_s": round(len(records) / elapsed),
        "mb_per_s": round(sum(map(len, records)) / elapsed / 1e6, 2),
        "objects": written["objects"],
        "bytes_written": written["bytes"],
        "delivered": stats["delivered"],
        "errored": stats["errored"],
    }


def streams_throughput(
    destinations: dict[str, dict[str, Any]],
    records: list[bytes],
    columns: list[tuple[str, str]] | None = None,
    batch: int = 500,
) -> dict[str, Any]:
    """Records/s of one engine fed every batch on every stream (no HTTP), flushed at the end."""
    written = {"objects": 0, "bytes": 0}

    def sink(obj: S3Object) -> None:
        written["objects"] += 1
        written["bytes"] += len(obj.body)

    schema = list(columns or ARTICLE_COLUMNS)
    engine = DeliveryEngine(sink, lambda _schema: schema)
    for name, destination in destinations.items():
        engine.configure_stream(name, "1", destination)
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        chunk = records[i : i + batch]
        for name in destinations:
            engine.put_records(name, chunk)
    engine.flush()
    elapsed = time.perf_counter() - started
    stats = engine.stats()
    total = len(records) * len(destinations)
    for counters in stats.values():
        assert counters["accepted"] == counters["delivered"] + counters["errored"]
    return {
        "records": total,
        "seconds": round(elapsed, 3),
        "records_per_s": round(total / elapsed),
        "mb_per_s": round(sum(map(len, records)) * len(destinations) / elapsed / 1e6, 2),
        "objects": written["objects"],
        "bytes_written": written["bytes"],
        "delivered": sum(c["delivered"] for c in stats.values()),
        "errored": sum(c["errored"] for c in stats.values()),
    }


def engine_throughput(n_records: int) -> dict[str, Any]:
    """Records/s through the article's JSON and Parquet streams, engine alone."""
    records = article_records(n_records)
    destinations = article_destinations()
    result: dict[str, Any] = {
        "records": n_records,
        "record_bytes_avg": round(sum(map(len, records)) / max(n_records, 1), 1),
    }
    for label, destination in destinations.items():
        result[label] = _run(destination, records)
    total = result["json"]["seconds"] + result["parquet"]["seconds"]
    result["both_streams_records_per_s"] = round(2 * n_records / total) if total else 0
    return result


if __name__ == "__main__":  # pragma: no cover - manual run: python -m benchmarks.engine
    print(json.dumps(engine_throughput(100_000), indent=2))
