"""Faithful Firehose delivery on the running sandbox, through boto3 and the Terraform streams.

Asserts the lake the article builds: exact keys, gzip'd newline-delimited JSON, Parquet typed by
the Glue schema, error output in AWS's format, AWS's limits, and that every record is accounted
for. Streams created here get unique names and write under unique prefixes.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

from sandbox.infra import admin
from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

NAMES = ("anonymous_visited", "account_created", "measurement_recorded")
KEY_TAIL = r"{stream}-1-\d{{4}}-\d{{2}}-\d{{2}}-\d{{2}}-\d{{2}}-\d{{2}}-[0-9a-f-]{{36}}{ext}"


def _event(i: int, name: str, run: str) -> bytes:
    payload = json.dumps({"session_id": f"{run}-{i}", "dvce_os": "Android 4.4"}, sort_keys=True)
    record = {
        "name": name,
        "tstamp": f"2023-06-{1 + i % 28:02d} 14:27:{i % 60:02d}.000000",
        "payload": payload,
        "payload_md5": f"{run}{i:024d}"[:32],
    }
    return json.dumps(record).encode()


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def _since(s3: Any, bucket: str, prefix: str, before: set[str]) -> list[str]:
    return [k for k in _keys(s3, bucket, prefix) if k not in before]


def _put(sandbox: SandboxHandle, stream: str, records: list[bytes]) -> dict:
    firehose = sandbox.client("firehose")
    return firehose.put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": data} for data in records]
    )


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


@pytest.fixture
def s3(sandbox: SandboxHandle) -> Any:
    return sandbox.client("s3")


def test_json_stream_builds_the_articles_lake(sandbox: SandboxHandle, s3: Any) -> None:
    run = uuid.uuid4().hex[:8]
    bucket, stream = sandbox.outputs.bucket, sandbox.outputs.json_stream
    before = set(_keys(s3, bucket, "events_raw/json/"))
    records = [_event(i, NAMES[i % 3], run) for i in range(30)]
    response = _put(sandbox, stream, records)
    assert response["FailedPutCount"] == 0
    assert response["Encrypted"] is True
    assert len(response["RequestResponses"]) == 30
    admin.flush(sandbox.settings, stream)

    new = _since(s3, bucket, "events_raw/json/", before)
    assert len(new) == 3, new
    seen: list[bytes] = []
    for key in new:
        match = re.fullmatch(
            r"events_raw/json/name=(\w+)/d=(\d{4}-\d{2}-\d{2})/"
            + KEY_TAIL.format(stream=stream, ext=r"\.gz"),
            key,
        )
        assert match, key
        assert match.group(2) == _today()
        obj = s3.get_object(Bucket=bucket, Key=key)
        assert obj.get("ServerSideEncryption") in ("AES256", "aws:kms")
        lines = gzip.decompress(obj["Body"].read()).split(b"\n")
        assert lines[-1] == b""  # AppendDelimiterToRecord: every record ends with a newline
        for line in lines[:-1]:
            assert json.loads(line)["name"] == match.group(1)
        seen += lines[:-1]
    assert sorted(seen) == sorted(records)


def test_parquet_stream_writes_the_glue_schema(sandbox: SandboxHandle, s3: Any) -> None:
    run = uuid.uuid4().hex[:8]
    bucket, stream = sandbox.outputs.bucket, sandbox.outputs.parquet_stream
    before = set(_keys(s3, bucket, "events_raw/parquet/"))
    records = [_event(i, NAMES[i % 3], run) for i in range(12)]
    assert _put(sandbox, stream, records)["FailedPutCount"] == 0
    admin.flush(sandbox.settings, stream)
    new = _since(s3, bucket, "events_raw/parquet/", before)
    assert len(new) == 3
    rows = 0
    for key in new:
        assert re.fullmatch(
            r"events_raw/parquet/name=\w+/d=\d{4}-\d{2}-\d{2}/"
            + KEY_TAIL.format(stream=stream, ext=r"\.parquet"),
            key,
        ), key
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        # columns of the Glue table, in order; partition keys live in the path only
        assert table.schema.names == ["tstamp", "payload", "payload_md5"]
        assert str(table.schema.field("tstamp").type).startswith("timestamp")
        assert str(table.schema.field("payload").type) == "string"
        rows += table.num_rows
    assert rows == 12


def _error_documents(s3: Any, bucket: str, keys: list[str]) -> list[dict]:
    documents = []
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if key.endswith(".gz"):
            body = gzip.decompress(body)
        documents += [json.loads(line) for line in body.splitlines() if line.strip()]
    return documents


def test_bad_records_go_to_the_error_output_in_awss_format(sandbox: SandboxHandle, s3: Any) -> None:
    run = uuid.uuid4().hex[:8]
    bucket, stream = sandbox.outputs.bucket, sandbox.outputs.json_stream
    before_errors = set(_keys(s3, bucket, "errors/json/"))
    bad = [b"not json at all", b'["an", "array"]', json.dumps({"tstamp": "x"}).encode()]
    good = [_event(0, "account_created", run)]
    counters_before = admin.stats(sandbox.settings).get(stream, {})
    assert _put(sandbox, stream, bad + good)["FailedPutCount"] == 0
    admin.flush(sandbox.settings, stream)

    new = _since(s3, bucket, "errors/json/", before_errors)
    assert new and all(k.startswith(f"errors/json/d={_today()}/processing-failed/") for k in new), (
        new
    )
    documents = _error_documents(s3, bucket, new)
    assert sorted(base64.b64decode(d["rawData"]) for d in documents) == sorted(bad)
    for document in documents:
        assert {"attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage"} <= set(document)
        assert document["errorCode"].startswith("DynamicPartitioning.")
    counters = admin.stats(sandbox.settings)[stream]
    assert counters["accepted"] - counters_before.get("accepted", 0) == 4
    assert counters["errored"] - counters_before.get("errored", 0) == 3
    landed = counters["delivered"] + counters["errored"] + counters["buffered"]
    assert counters["accepted"] == landed


def test_unconvertible_records_are_format_conversion_failures(
    sandbox: SandboxHandle, s3: Any
) -> None:
    bucket, stream = sandbox.outputs.bucket, sandbox.outputs.parquet_stream
    before = set(_keys(s3, bucket, "errors/parquet/"))
    # The JQ query only reads the part before "."; the Hive JSON SerDe must parse it all.
    bad = json.dumps(
        {
            "name": "account_created",
            "tstamp": "2023-06-01 10:00:00.not-a-fraction",
            "payload": "{}",
            "payload_md5": "x",
        }
    ).encode()
    assert _put(sandbox, stream, [bad])["FailedPutCount"] == 0
    admin.flush(sandbox.settings, stream)
    new = _since(s3, bucket, "errors/parquet/", before)
    assert new and all("/format-conversion-failed/" in k for k in new), new
    documents = _error_documents(s3, bucket, new)
    assert [base64.b64decode(d["rawData"]) for d in documents] == [bad]


def test_batch_limits_reject_the_whole_call(sandbox: SandboxHandle) -> None:
    stream = sandbox.outputs.json_stream
    accepted_before = admin.stats(sandbox.settings).get(stream, {}).get("accepted", 0)
    with pytest.raises(ClientError) as too_many:
        _put(sandbox, stream, [b"{}"] * 501)
    assert too_many.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as too_big:
        _put(sandbox, stream, [b"x" * 1_024_001])
    assert too_big.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as too_much:
        _put(sandbox, stream, [b"y" * 1_000_000] * 5)
    assert too_much.value.response["Error"]["Code"] == "InvalidArgumentException"
    accepted_after = admin.stats(sandbox.settings).get(stream, {}).get("accepted", 0)
    assert accepted_after == accepted_before


def _create_stream(sandbox: SandboxHandle, name: str, **destination: Any) -> None:
    config = {
        "RoleARN": "arn:aws:iam::000000000000:role/test",
        "BucketARN": f"arn:aws:s3:::{sandbox.outputs.bucket}",
        **destination,
    }
    sandbox.client("firehose").create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration=config,
    )


def test_buffers_are_delivered_on_interval_without_a_flush(sandbox: SandboxHandle, s3: Any) -> None:
    name = f"interval-{uuid.uuid4().hex[:8]}"
    prefix = f"tests/{name}/"
    _create_stream(
        sandbox,
        name,
        Prefix=prefix,
        BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 2},
    )
    _put(sandbox, name, [b'{"a": 1}', b'{"a": 2}'])
    deadline = time.monotonic() + 20
    keys: list[str] = []
    while time.monotonic() < deadline and not keys:
        time.sleep(0.5)
        keys = _keys(s3, sandbox.outputs.bucket, prefix)
    assert len(keys) == 1
    # no timestamp expression in the prefix: AWS appends yyyy/MM/dd/HH/
    assert re.fullmatch(
        re.escape(prefix) + r"\d{4}/\d{2}/\d{2}/\d{2}/" + KEY_TAIL.format(stream=name, ext=""),
        keys[0],
    ), keys[0]
    body = s3.get_object(Bucket=sandbox.outputs.bucket, Key=keys[0])["Body"].read()
    assert body == b'{"a": 1}{"a": 2}'  # no delimiter processor: records concatenated


def test_buffers_are_delivered_when_full(sandbox: SandboxHandle, s3: Any) -> None:
    name = f"size-{uuid.uuid4().hex[:8]}"
    prefix = f"tests/{name}/"
    _create_stream(
        sandbox, name, Prefix=prefix, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900}
    )
    _put(sandbox, name, [b"z" * 400_000] * 3)  # 1.2 MB > 1 MiB buffer
    keys = _keys(s3, sandbox.outputs.bucket, prefix)
    assert len(keys) == 1, "a full buffer is delivered without waiting for the interval"


def test_invalid_prefix_is_rejected_at_creation(sandbox: SandboxHandle) -> None:
    with pytest.raises(ClientError) as info:
        _create_stream(
            sandbox,
            f"invalid-{uuid.uuid4().hex[:8]}",
            Prefix="x/!{timestamp:yyyy}/",  # expressions need an ErrorOutputPrefix
        )
    assert info.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert "ErrorOutputPrefix" in info.value.response["Error"]["Message"]


def test_encryption_can_be_started_and_stopped(sandbox: SandboxHandle) -> None:
    name = f"sse-{uuid.uuid4().hex[:8]}"
    _create_stream(sandbox, name, Prefix=f"tests/{name}/")
    firehose = sandbox.client("firehose")

    def status() -> str:
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)
        return description["DeliveryStreamDescription"]["DeliveryStreamEncryptionConfiguration"][
            "Status"
        ]

    assert status() == "DISABLED"
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName=name,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
    )
    assert status() == "ENABLED"
    firehose.stop_delivery_stream_encryption(DeliveryStreamName=name)
    assert status() == "DISABLED"


def test_deleting_a_stream_delivers_what_it_buffered(sandbox: SandboxHandle, s3: Any) -> None:
    name = f"delete-{uuid.uuid4().hex[:8]}"
    prefix = f"tests/{name}/"
    _create_stream(
        sandbox, name, Prefix=prefix, BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 900}
    )
    _put(sandbox, name, [b'{"kept": true}'])
    sandbox.client("firehose").delete_delivery_stream(DeliveryStreamName=name)
    keys = _keys(s3, sandbox.outputs.bucket, prefix)
    assert len(keys) == 1


def test_delivery_errors_are_logged_to_the_streams_log_stream(sandbox: SandboxHandle) -> None:
    stream = sandbox.outputs.json_stream
    description = sandbox.client("firehose").describe_delivery_stream(DeliveryStreamName=stream)
    destination = description["DeliveryStreamDescription"]["Destinations"][0]
    options = destination["ExtendedS3DestinationDescription"]["CloudWatchLoggingOptions"]
    marker = f"not json {uuid.uuid4().hex}"
    assert _put(sandbox, stream, [marker.encode()])["FailedPutCount"] == 0
    admin.flush(sandbox.settings, stream)
    logs = sandbox.client("logs")
    events = logs.get_log_events(
        logGroupName=options["LogGroupName"], logStreamName=options["LogStreamName"]
    )["events"]
    documents = [json.loads(e["message"]) for e in events]
    assert any(
        d["deliveryStreamName"] == stream and d["errorCode"].startswith("DynamicPartitioning.")
        for d in documents
    ), documents
