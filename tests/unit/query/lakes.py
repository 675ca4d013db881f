"""Test helpers for the query stage: an HTTP bridge to moto (so DuckDB's httpfs can read moto's
S3), and a small lake in the layout the sandbox's Firehose writes."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.awsrequest import AWSPreparedRequest, HeadersDict
from moto.core.models import botocore_stubber

REGION = "us-east-1"
DATABASE = "events_db"
BUCKET = "sandbox-lake"
OUTPUTS = {
    "bucket_name": BUCKET,
    "results_bucket_name": "sandbox-results",
    "json_stream_name": "events_json",
    "parquet_stream_name": "events_parquet",
    "glue_database_name": DATABASE,
    "json_table_name": "events_json",
    "parquet_table_name": "events_parquet",
    "athena_workgroup_name": "sandbox",
    "region": REGION,
    # The streams' prefixes as Terraform configures them (shortened): the lake layout.
    "json_prefix": "events_raw/json/name=!{partitionKeyFromQuery:event_name}/",
    "json_error_output_prefix": "errors/json/!{firehose:error-output-type}/",
    "parquet_prefix": "events_raw/parquet/name=!{partitionKeyFromQuery:event_name}/",
    "parquet_error_output_prefix": "errors/parquet/!{firehose:error-output-type}/",
}
SCHEMA = [
    {"Name": "tstamp", "Type": "timestamp"},
    {"Name": "payload", "Type": "string"},
    {"Name": "payload_md5", "Type": "string"},
]
KEYS = [{"Name": "name", "Type": "string"}, {"Name": "d", "Type": "string"}]
JSON_SD = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
}
PARQUET_SD = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}


class MotoBridge(BaseHTTPRequestHandler):
    """Serves moto's in-process backends over HTTP: DuckDB's httpfs (path-style S3) and any
    boto3 client pointed at the sandbox endpoint reach the same state as ``mock_aws``."""

    protocol_version = "HTTP/1.1"

    def _aws_url(self) -> str:
        scope = re.search(
            r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/", self.headers.get("Authorization", "")
        )
        region, service = scope.groups() if scope else (REGION, "s3")
        if service == "s3":
            return "https://s3.amazonaws.com" + self.path
        return f"https://{service}.{region}.amazonaws.com" + self.path

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = HeadersDict({k: v for k, v in self.headers.items() if k.lower() != "host"})
        request = AWSPreparedRequest(self.command, self._aws_url(), headers, body, False)
        status, response_headers, payload = botocore_stubber.process_request(request)
        data = payload.encode() if isinstance(payload, str) else (payload or b"")
        self.send_response(status)
        for key, value in response_headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, str(value))
        if self.command == "HEAD":
            size = response_headers.get("content-length") or response_headers.get("Content-Length")
            self.send_header("Content-Length", str(size if size is not None else len(data)))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Lake:
    bucket: str
    events: list[dict[str, Any]]
    keys: dict[str, list[str]] = field(default_factory=dict)  # "json"/"parquet" -> object keys

    def partitions(self) -> list[tuple[str, str]]:
        return sorted({(e["name"], e["d"]) for e in self.events})


def make_events(sessions: int = 12, seed: int = 7) -> list[dict[str, Any]]:
    """A deterministic miniature of the article's data set (visits, accounts, measurements)."""
    import random

    rng = random.Random(seed)
    start = dt.datetime(2023, 5, 30, 12, 0, 0)
    events: list[dict[str, Any]] = []
    for s in range(sessions):
        session_id = f"S{s:04d}"
        clock = start + dt.timedelta(days=s * 3)
        base = {"dvce_os": f"Android {4 + s % 3}.{s % 5}", "session_id": session_id}
        visits = 1 + s % 3
        names = ["anonymous_visited"] * visits
        if s % 4 != 3:
            names.append("account_created")
            if s % 2 == 0:
                names += ["measurement_recorded"] * (1 + s % 5)
        for name in names:
            clock += dt.timedelta(hours=rng.randint(1, 20), seconds=rng.randint(0, 59))
            payload = dict(base)
            if name != "anonymous_visited":
                payload["account_id"] = f"user{s}@example.com"
            if name == "measurement_recorded":
                payload["measurement"] = round(rng.gauss(70, 5), 3)
            text = json.dumps(payload, sort_keys=True)
            events.append(
                {
                    "name": name,
                    "tstamp": clock.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "payload": text,
                    "payload_md5": hashlib.md5(text.encode()).hexdigest(),
                    "d": "2026-11-25" if s % 2 else "2026-11-26",
                }
            )
    events += [dict(events[i]) for i in (0, 5, 9)]  # duplicates, as the article's generator
    return events


def _json_body(rows: list[dict[str, Any]], delimited: bool, gz: bool) -> bytes:
    records = [
        json.dumps({k: r[k] for k in ("name", "tstamp", "payload", "payload_md5")}) for r in rows
    ]
    text = ("\n".join(records) + "\n") if delimited else "".join(records)
    return gzip.compress(text.encode()) if gz else text.encode()


def _parquet_body(rows: list[dict[str, Any]]) -> bytes:
    table = pa.table(
        {
            "tstamp": pa.array(
                [dt.datetime.strptime(r["tstamp"], "%Y-%m-%d %H:%M:%S.%f") for r in rows],
                pa.timestamp("ms"),
            ),
            "payload": [r["payload"] for r in rows],
            "payload_md5": [r["payload_md5"] for r in rows],
        }
    )
    buffer = io.BytesIO()
    # As the sandbox's Firehose (and Hive's ParquetSerDe) writes: INT96 timestamps, no dictionary.
    pq.write_table(
        table,
        buffer,
        compression="snappy",
        use_dictionary=False,
        use_deprecated_int96_timestamps=True,
    )
    return buffer.getvalue()


def create_table(glue: Any, name: str, location: str, kind: str, **extra: Any) -> None:
    sd = dict(JSON_SD if kind == "json" else PARQUET_SD)
    table_input = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", "classification": kind, **extra.pop("parameters", {})},
        "PartitionKeys": extra.pop("keys", KEYS),
        "StorageDescriptor": {**sd, "Columns": SCHEMA, "Location": location},
    }
    glue.create_table(DatabaseName=extra.pop("database", DATABASE), TableInput=table_input)


def register(glue: Any, table: str, bucket: str, kind: str, parts: list[tuple[str, str]]) -> None:
    sd = dict(JSON_SD if kind == "json" else PARQUET_SD)
    glue.batch_create_partition(
        DatabaseName=DATABASE,
        TableName=table,
        PartitionInputList=[
            {
                "Values": [n, d],
                "StorageDescriptor": {
                    **sd,
                    "Columns": SCHEMA,
                    "Location": f"s3://{bucket}/events_raw/{kind}/name={n}/d={d}/",
                },
            }
            for n, d in parts
        ],
    )


def build_lake(
    s3: Any,
    glue: Any,
    events: list[dict[str, Any]] | None = None,
    *,
    bucket: str = BUCKET,
    register_partitions: bool = True,
    delimited: bool = True,
    files_per_partition: int = 2,
) -> Lake:
    events = events if events is not None else make_events()
    s3.create_bucket(Bucket=bucket)
    glue.create_database(DatabaseInput={"Name": DATABASE})
    lake = Lake(bucket, events, {"json": [], "parquet": []})
    by_partition: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in events:
        by_partition.setdefault((event["name"], event["d"]), []).append(event)
    for (name, d), rows in sorted(by_partition.items()):
        for i in range(files_per_partition):
            chunk = rows[i::files_per_partition]
            if not chunk:
                continue
            stem = f"name={name}/d={d}/events-1-2026-11-26-16-05-0{i}-{i:08d}"
            json_key = f"events_raw/json/{stem}.gz"
            parquet_key = f"events_raw/parquet/{stem}.parquet"
            s3.put_object(Bucket=bucket, Key=json_key, Body=_json_body(chunk, delimited, True))
            s3.put_object(Bucket=bucket, Key=parquet_key, Body=_parquet_body(chunk))
            lake.keys["json"].append(json_key)
            lake.keys["parquet"].append(parquet_key)
    create_table(glue, "events_json", f"s3://{bucket}/events_raw/json/", "json")
    create_table(glue, "events_parquet", f"s3://{bucket}/events_raw/parquet/", "parquet")
    if register_partitions:
        register(glue, "events_json", bucket, "json", lake.partitions())
        register(glue, "events_parquet", bucket, "parquet", lake.partitions())
    return lake
