"""Testing your own pipeline against the sandbox: copy this file next to your code and adapt it.

No AWS account is needed. With the sandbox installed (``make install``), pytest loads its plugin
by itself: ``aws_sandbox`` is the sandbox ``make up`` started (reused, never stopped) or, when
none runs, one the test session starts on a free port with its own state and stops at the end.
Run it with ``.venv/bin/pytest examples/test_my_pipeline.py`` (the project's CI runs it with
the rest of ``make test``).

The "pipeline" here is a producer that sends app events to the platform's Firehose stream and a
report that reads them back with Athena. Each test works on names of its own (``unique_name``),
so tests never see each other's data, even on a shared, long-running sandbox.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


# --- your code (normally imported from your package) --------------------------------------
def send_events(firehose: Any, stream: str, events: list[dict[str, Any]]) -> int:
    """The producer: one PutRecordBatch of newline-free JSON records; returns the failed count."""
    records = [{"Data": json.dumps(event).encode()} for event in events]
    answer = firehose.put_record_batch(DeliveryStreamName=stream, Records=records)
    return int(answer["FailedPutCount"])


def app_event(name: str, session_id: str, **payload: Any) -> dict[str, Any]:
    """An event as the app sends it: name, timestamp, JSON payload and its MD5."""
    body = json.dumps({"session_id": session_id, **payload})
    return {
        "name": name,
        "tstamp": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "payload": body,
        "payload_md5": hashlib.md5(body.encode()).hexdigest(),
    }


def sessions_per_event(athena_query: Any, table: str, session_id: str) -> dict[str, int]:
    """The report: how many events of each name a session sent, through Athena."""
    result = athena_query(
        f"SELECT name, count(*) AS n FROM {table} "
        f"WHERE json_extract_scalar(payload, '$.session_id') = '{session_id}' GROUP BY name"
    )
    return {name: n for name, n in result.rows}


# --- the tests -----------------------------------------------------------------------------
def test_events_sent_to_firehose_are_counted_by_athena(
    aws_sandbox: Any, firehose_client: Any, firehose_flush: Any, athena_query: Any, unique_name: str
) -> None:
    outputs = aws_sandbox.outputs  # the platform's names, from terraform/'s outputs
    events = [
        app_event("anonymous_visited", unique_name),
        app_event("account_created", unique_name, account_id="ada@example.com"),
        app_event("measurement_recorded", unique_name, measurement=36.6),
        app_event("measurement_recorded", unique_name, measurement=37.2),
    ]
    assert send_events(firehose_client, outputs.json_stream, events) == 0

    firehose_flush()  # deliver now instead of after the stream's buffering interval
    athena_query(f"MSCK REPAIR TABLE {outputs.json_table}")  # register the new partitions

    assert sessions_per_event(athena_query, outputs.json_table, unique_name) == {
        "anonymous_visited": 1,
        "account_created": 1,
        "measurement_recorded": 2,
    }


def test_parquet_stream_converts_with_the_glue_schema(
    aws_sandbox: Any, firehose_client: Any, firehose_flush: Any, athena_query: Any, unique_name: str
) -> None:
    outputs = aws_sandbox.outputs
    events = [app_event("measurement_recorded", unique_name, measurement=m) for m in (1.5, 2.5)]
    assert send_events(firehose_client, outputs.parquet_stream, events) == 0
    firehose_flush(outputs.parquet_stream)
    athena_query(f"MSCK REPAIR TABLE {outputs.parquet_table}")

    total = athena_query(
        f"SELECT sum(CAST(json_extract_scalar(payload, '$.measurement') AS DOUBLE)) "
        f"FROM {outputs.parquet_table} "
        f"WHERE json_extract_scalar(payload, '$.session_id') = '{unique_name}'"
    )
    assert total.rows == [(4.0,)]


def test_an_export_job_writes_where_it_should(
    s3_client: Any, unique_bucket: str, unique_prefix: str
) -> None:
    """S3 alone: a bucket of this test's own (deleted afterwards) and a prefix of its own."""
    key = f"{unique_prefix}exports/report.csv"
    s3_client.put_object(Bucket=unique_bucket, Key=key, Body=b"name,n\naccount_created,1\n")

    listed = s3_client.list_objects_v2(Bucket=unique_bucket, Prefix=unique_prefix)
    assert [item["Key"] for item in listed["Contents"]] == [key]
