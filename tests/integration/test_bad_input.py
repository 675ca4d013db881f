"""Bad input on the running sandbox: every case is an AWS-style error or an error-output record.

Never a crash (HTTP 500), never a silent drop: each record a PutRecordBatch accepted is found
again, in the lake or under the error prefix, and the stream's counters balance. The article's
streams are cloned (same processors, prefixes, conversion) into a bucket of this module's own,
so odd partition keys never reach the session's lake.

What AWS does, per case (Amazon Data Firehose developer guide / API reference):
- ``Record.Data`` has "Minimum length of 0" (API reference, Record): an empty record is
  accepted; it is not JSON, so with dynamic partitioning it goes to the error output.
- Records that are not JSON, whose query fails, or whose partition key is missing, null or not
  a scalar: error output, ``processing-failed`` ("Troubleshoot dynamic partitioning errors").
- Scalar numbers and booleans become the partition value's text (AWS does not document this
  case; the sandbox's reading, see ``sandbox/firehose/processors.py``).
- Partition values go into the key verbatim: S3 keys are any UTF-8 ("Naming Amazon S3 objects"),
  ``..`` and ``/`` are ordinary key characters, nothing is normalised.
- A prefix longer than 512 characters once evaluated: error output ("Custom prefixes").
- Record > 1,000 KiB, batch > 500 records or > 4 MiB: the call fails, nothing is accepted
  (API reference, PutRecordBatch).
- Schema: ``SchemaConfiguration.VersionId`` LATEST (the default) picks table updates up, so the
  schema read at delivery is the one used.
- Destination bucket gone: Firehose keeps retrying the S3 delivery ("Handle data delivery
  failures"); the sandbox keeps the records buffered and reports the failures.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox.infra import admin
from tests.conftest import SandboxHandle
from tests.integration import lake

pytestmark = pytest.mark.integration

# Fields of an ExtendedS3DestinationDescription that CreateDeliveryStream accepts back.
_CONFIG_FIELDS = {
    "RoleARN",
    "Prefix",
    "ErrorOutputPrefix",
    "BufferingHints",
    "CompressionFormat",
    "EncryptionConfiguration",
    "CloudWatchLoggingOptions",
    "ProcessingConfiguration",
    "DataFormatConversionConfiguration",
    "DynamicPartitioningConfiguration",
    "CustomTimeZone",
    "FileExtension",
}
TSTAMP = "2023-06-18 14:27:52.000000"


def _today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def _record(name: Any, **fields: Any) -> bytes:
    return json.dumps({"name": name, "tstamp": TSTAMP, "payload": "{}", **fields}).encode()


def _without_name(**fields: Any) -> bytes:
    return json.dumps({"tstamp": TSTAMP, "payload": "{}", **fields}).encode()


@pytest.fixture(scope="module")
def bucket(sandbox: SandboxHandle) -> str:
    name = f"bad-input-{uuid.uuid4().hex[:8]}"
    sandbox.client("s3").create_bucket(Bucket=name)
    return name


def _clone(sandbox: SandboxHandle, source: str, bucket: str, name: str) -> None:
    """A stream configured like ``source`` (an article stream) but writing to ``bucket``."""
    firehose = sandbox.client("firehose")
    description = firehose.describe_delivery_stream(DeliveryStreamName=source)
    destination = description["DeliveryStreamDescription"]["Destinations"][0]
    extended = destination["ExtendedS3DestinationDescription"]
    config = {k: v for k, v in extended.items() if k in _CONFIG_FIELDS}
    config["BucketARN"] = f"arn:aws:s3:::{bucket}"
    lake.create_stream(firehose, name, config)


def _put(sandbox: SandboxHandle, stream: str, records: list[bytes]) -> None:
    response = sandbox.client("firehose").put_record_batch(
        DeliveryStreamName=stream, Records=[{"Data": data} for data in records]
    )
    assert response["FailedPutCount"] == 0


def _balanced(counters: dict[str, int]) -> bool:
    landed = counters["delivered"] + counters["errored"] + counters["buffered"]
    return counters["accepted"] == landed


# --- the article's JSON stream, cloned --------------------------------------------------------

DELIVERED = {  # record -> partition value in the key
    "number name": (_record(123), "123"),
    "boolean name": (_record(True), "true"),
    "dot-dot name": (_record("../x"), "../x"),
    "slash name": (_record("a/b"), "a/b"),
    "space name": (_record("with space"), "with space"),
    "unicode name": (_record("café ☕ 事件"), "café ☕ 事件"),
    "control characters": (_record("tab\tnew\nline"), "tab\tnew\nline"),
}
FAILED = {  # record -> errorCode in the error output
    "not JSON": (b"this is not json", "DynamicPartitioning.MetadataExtractionFailed"),
    "JSON array": (b'["an", "array"]', "DynamicPartitioning.MetadataExtractionFailed"),
    "JSON string": (b'"just a string"', "DynamicPartitioning.MetadataExtractionFailed"),
    "JSON number": (b"42", "DynamicPartitioning.MetadataExtractionFailed"),
    "JSON null": (b"null", "DynamicPartitioning.MetadataExtractionFailed"),
    "missing name": (_without_name(), "DynamicPartitioning.MetadataExtractionFailed"),
    "null name": (_record(None), "DynamicPartitioning.MetadataExtractionFailed"),
    "empty name": (_record(""), "DynamicPartitioning.MetadataExtractionFailed"),
    "object name": (_record({"a": 1}), "DynamicPartitioning.MetadataExtractionFailed"),
    "array name": (_record(["a"]), "DynamicPartitioning.MetadataExtractionFailed"),
    "invalid UTF-8 value": (
        b'{"name": "\xff\xfe", "tstamp": "' + TSTAMP.encode() + b'"}',
        "DynamicPartitioning.MetadataExtractionFailed",
    ),
    "invalid UTF-8 bytes": (b"\xc3\x28\xa0\xa1", "DynamicPartitioning.MetadataExtractionFailed"),
    "empty record": (b"", "DynamicPartitioning.MetadataExtractionFailed"),
    "truncated JSON": (
        b'{"name": "account_created", "tst',
        "DynamicPartitioning.MetadataExtractionFailed",
    ),
    "bad timestamp for the query": (
        _record("account_created", tstamp="18/06/2023"),
        "DynamicPartitioning.MetadataExtractionFailed",
    ),
    "prefix over 512 characters": (_record("x" * 600), "DynamicPartitioning.PrefixTooLong"),
}


@pytest.fixture(scope="module")
def json_case(sandbox: SandboxHandle, bucket: str) -> dict[str, Any]:
    """Every case in one PutRecordBatch to the cloned JSON stream, then a flush."""
    stream = f"bad-json-{uuid.uuid4().hex[:8]}"
    _clone(sandbox, sandbox.outputs.json_stream, bucket, stream)
    records = [data for data, _ in DELIVERED.values()] + [data for data, _ in FAILED.values()]
    assert len(set(records)) == len(records)
    _put(sandbox, stream, records)
    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    s3 = sandbox.client("s3")
    keys = lake.listing(s3, bucket)
    data_keys = [k for k in keys if k.startswith("events_raw/json/")]
    error_keys = [k for k in keys if k.startswith("errors/json/")]
    return {
        "records": records,
        "counters": counters,
        "data_keys": data_keys,
        "delivered": {k: lake.lines(s3, bucket, [k]) for k in data_keys},
        "errors": lake.error_documents(s3, bucket, error_keys),
        "error_keys": error_keys,
    }


def test_every_bad_record_is_accepted_and_accounted_for(json_case: dict[str, Any]) -> None:
    counters = json_case["counters"]
    assert counters["accepted"] == len(json_case["records"])
    assert counters["buffered"] == 0 and _balanced(counters)
    assert counters["delivered"] == len(DELIVERED)
    assert counters["errored"] == len(FAILED)
    delivered = [line for lines in json_case["delivered"].values() for line in lines]
    errored = [lake.raw(d) for d in json_case["errors"]]
    # nothing lost, nothing duplicated: the two outputs together are exactly what was sent
    assert Counter(delivered) + Counter(errored) == Counter(json_case["records"])


@pytest.mark.parametrize("case", sorted(DELIVERED))
def test_scalar_and_unusual_partition_values_go_verbatim_into_the_key(
    json_case: dict[str, Any], case: str
) -> None:
    record, value = DELIVERED[case]
    prefix = f"events_raw/json/name={value}/d={_today()}/"
    holders = [k for k, lines in json_case["delivered"].items() if record in lines]
    assert len(holders) == 1, (case, holders)
    assert holders[0].startswith(prefix), holders[0]
    assert holders[0].endswith(".gz")
    # the rest of the key is the object name: the value cannot climb out of the prefix
    assert "/" not in holders[0][len(prefix) :]


@pytest.mark.parametrize("case", sorted(FAILED))
def test_malformed_records_go_to_the_error_output(json_case: dict[str, Any], case: str) -> None:
    record, code = FAILED[case]
    documents = [d for d in json_case["errors"] if lake.raw(d) == record]
    assert len(documents) == 1, case
    document = documents[0]
    assert document["errorCode"] == code
    assert document["errorMessage"]
    assert {"attemptsMade", "arrivalTimestamp", "attemptEndingTimestamp"} <= set(document)
    assert all(
        k.startswith(f"errors/json/d={_today()}/processing-failed/")
        for k in json_case["error_keys"]
    )


def test_an_empty_record_is_accepted_as_aws_does(sandbox: SandboxHandle, bucket: str) -> None:
    """``Record.Data`` has a minimum length of 0: PutRecord and PutRecordBatch accept b""."""
    stream = f"bad-empty-{uuid.uuid4().hex[:8]}"
    prefix = f"empty/{stream}/"
    lake.create_stream(sandbox.client("firehose"), stream, lake.plain_destination(bucket, prefix))
    firehose = sandbox.client("firehose")
    assert firehose.put_record(DeliveryStreamName=stream, Record={"Data": b""})["RecordId"]
    _put(sandbox, stream, [b"", b"a", b""])
    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    assert counters["accepted"] == 4 and counters["delivered"] == 4 and _balanced(counters)
    keys = lake.listing(sandbox.client("s3"), bucket, prefix)
    assert [lake.body(sandbox.client("s3"), bucket, k) for k in keys] == [b"a"]


def test_a_key_too_long_for_s3_goes_to_the_error_output_without_blocking_the_stream(
    sandbox: SandboxHandle, bucket: str
) -> None:
    stream = f"bad-long-{uuid.uuid4().hex[:8]}"
    _clone(sandbox, sandbox.outputs.json_stream, bucket, stream)
    long_name = _record("事件" * 200)  # 400 characters, 1,200 UTF-8 bytes
    good = _record("account_created", payload_md5=stream)
    _put(sandbox, stream, [long_name])
    admin.flush(sandbox.settings, stream)
    _put(sandbox, stream, [good])
    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    try:
        assert counters["buffered"] == 0, counters
        assert counters["delivered"] == 1 and counters["errored"] == 1, counters
    finally:
        # Stop the stuck stream from retrying for the rest of the session, as far as possible.
        sandbox.client("firehose").delete_delivery_stream(DeliveryStreamName=stream)


# --- the article's Parquet stream, cloned: timestamps the SerDe cannot parse ------------------


def test_timestamps_are_rejected_by_the_query_or_by_the_serde(
    sandbox: SandboxHandle, bucket: str
) -> None:
    stream = f"bad-parquet-{uuid.uuid4().hex[:8]}"
    _clone(sandbox, sandbox.outputs.parquet_stream, bucket, stream)
    good = _record("account_created", payload_md5="good")
    # the JQ query reads only the part before ".": the Hive SerDe then fails on the fraction
    serde = _record("account_created", tstamp="2023-06-18 14:27:52.12x", payload_md5="serde")
    iso = _record("account_created", tstamp="2023-06-18T14:27:52Z", payload_md5="iso")
    number = _record("account_created", tstamp=1687098472, payload_md5="number")
    _put(sandbox, stream, [good, serde, iso, number])
    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    assert counters["accepted"] == 4 and counters["buffered"] == 0 and _balanced(counters)
    s3 = sandbox.client("s3")
    keys = lake.listing(s3, bucket)
    data = [k for k in keys if k.startswith("events_raw/parquet/")]
    assert lake.parquet_column(s3, bucket, data, "payload_md5") == ["good"]
    conversion = [k for k in keys if "/format-conversion-failed/" in k]
    processing = [k for k in keys if k.startswith("errors/parquet/") and "/processing-failed/" in k]
    assert [lake.raw(d) for d in lake.error_documents(s3, bucket, conversion)] == [serde]
    assert sorted(lake.raw(d) for d in lake.error_documents(s3, bucket, processing)) == sorted(
        [iso, number]
    )
    for document in lake.error_documents(s3, bucket, conversion):
        assert document["lastErrorCode"].startswith("DataFormatConversion.")


# --- limits ------------------------------------------------------------------------------------


def test_record_size_limit_is_exact_and_a_rejected_call_accepts_nothing(
    sandbox: SandboxHandle, bucket: str
) -> None:
    stream = f"bad-size-{uuid.uuid4().hex[:8]}"
    prefix = f"size/{stream}/"
    firehose = sandbox.client("firehose")
    lake.create_stream(firehose, stream, lake.plain_destination(bucket, prefix))
    with pytest.raises(ClientError) as too_big:
        firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"x" * 1_024_001})
    assert too_big.value.response["Error"]["Code"] == "ValidationException"
    assert "1024000" in too_big.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as one_too_big:
        _put(sandbox, stream, [b"ok", b"y" * 1_024_001])
    assert one_too_big.value.response["Error"]["Code"] == "ValidationException"
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"z" * 1_024_000})
    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    assert counters["accepted"] == 1 and counters["delivered"] == 1
    (key,) = lake.listing(sandbox.client("s3"), bucket, prefix)
    assert lake.body(sandbox.client("s3"), bucket, key) == b"z" * 1_024_000


# --- changes under buffered records ------------------------------------------------------------


def test_a_glue_schema_change_applies_to_records_already_buffered(
    sandbox: SandboxHandle, bucket: str
) -> None:
    run = uuid.uuid4().hex[:8]
    glue, firehose, s3 = (sandbox.client(s) for s in ("glue", "firehose", "s3"))
    database, stream, prefix = f"bad_input_{run}", f"bad-schema-{run}", f"schema/{run}/"

    def table(columns: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "Name": "events",
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in columns],
                "Location": f"s3://{bucket}/{prefix}",
            },
        }

    glue.create_database(DatabaseInput={"Name": database})
    try:
        glue.create_table(
            DatabaseName=database, TableInput=table([("id", "string"), ("n", "string")])
        )
        lake.create_stream(
            firehose,
            stream,
            {
                **lake.plain_destination(bucket, prefix),
                "ErrorOutputPrefix": f"schema-errors/{run}/!{{firehose:error-output-type}}/",
                "DataFormatConversionConfiguration": {
                    "Enabled": True,
                    "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                    "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
                    "SchemaConfiguration": {
                        "DatabaseName": database,
                        "TableName": "events",
                        "RoleARN": lake.ROLE,
                        "Region": sandbox.settings.region,
                    },
                },
            },
        )
        fits = [b'{"id": "a", "n": "7"}', b'{"id": "c", "n": 3, "extra": "e"}']
        misfit = b'{"id": "b", "n": "seven"}'
        _put(sandbox, stream, [fits[0], misfit, fits[1]])
        # n becomes an int and a column is added while the three records are buffered
        glue.update_table(
            DatabaseName=database,
            TableInput=table([("id", "string"), ("n", "int"), ("extra", "string")]),
        )
        counters = admin.flush(sandbox.settings, stream)["streams"][stream]
        assert counters["delivered"] == 2 and counters["errored"] == 1 and _balanced(counters)
        (key,) = lake.listing(s3, bucket, prefix)
        parquet = pq.read_table(io.BytesIO(lake.body(s3, bucket, key)))
        assert parquet.schema.names == ["id", "n", "extra"]
        assert str(parquet.schema.field("n").type) == "int32"
        assert parquet.to_pylist() == [
            {"id": "a", "n": 7, "extra": None},
            {"id": "c", "n": 3, "extra": "e"},
        ]
        errors = lake.error_documents(
            s3, bucket, lake.listing(s3, bucket, f"schema-errors/{run}/format-conversion-failed/")
        )
        assert [lake.raw(d) for d in errors] == [misfit]
        assert errors[0]["lastErrorCode"] == "DataFormatConversion.MalformedData"
    finally:
        glue.delete_database(Name=database)


def test_deleting_a_stream_under_concurrent_producers_loses_nothing(
    sandbox: SandboxHandle, bucket: str
) -> None:
    """Every call that was accepted is delivered; every later call gets ResourceNotFound."""
    run = uuid.uuid4().hex[:8]
    stream = f"bad-delete-{run}"
    firehose = sandbox.client("firehose")
    lake.create_stream(
        firehose,
        stream,
        lake.dynamic_destination(bucket, f"delete/{run}/", f"delete-errors/{run}/"),
    )
    accepted: list[bytes] = []
    refused: list[str] = []
    lock = threading.Lock()
    started = threading.Barrier(5)

    def produce(producer: int) -> None:
        client = boto3.session.Session().client(
            "firehose",
            config=Config(retries={"max_attempts": 0}),
            **sandbox.settings.boto3_kwargs(),
        )
        started.wait()
        for call in range(10_000):
            batch = [
                json.dumps({"name": "ab"[i % 2], "uid": f"{producer}-{call}-{i}"}).encode()
                if i % 9
                else f"not json {producer}-{call}-{i}".encode()
                for i in range(100)
            ]
            try:
                client.put_record_batch(
                    DeliveryStreamName=stream, Records=[{"Data": d} for d in batch]
                )
            except ClientError as error:
                with lock:
                    refused.append(error.response["Error"]["Code"])
                return
            with lock:
                accepted.extend(batch)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    lake.wait_for(lambda: len(accepted) >= 2_000, timeout=30)
    firehose.delete_delivery_stream(DeliveryStreamName=stream)
    for thread in threads:
        thread.join(timeout=60)
    assert refused == ["ResourceNotFoundException"] * 4
    s3 = sandbox.client("s3")
    data = lake.lines(s3, bucket, lake.listing(s3, bucket, f"delete/{run}/"))
    errors = lake.error_documents(s3, bucket, lake.listing(s3, bucket, f"delete-errors/{run}/"))
    landed = Counter(data) + Counter(lake.raw(d) for d in errors)
    assert landed == Counter(accepted)
    assert len(accepted) >= 2_000


def test_a_deleted_bucket_keeps_records_buffered_until_it_exists_again(
    sandbox: SandboxHandle,
) -> None:
    run = uuid.uuid4().hex[:8]
    target, stream, prefix = f"bad-gone-{run}", f"bad-gone-{run}", "gone/"
    s3, firehose = sandbox.client("s3"), sandbox.client("firehose")
    s3.create_bucket(Bucket=target)
    lake.create_stream(firehose, stream, lake.plain_destination(target, prefix))
    first = [f"first-{i}\n".encode() for i in range(50)]
    _put(sandbox, stream, first)
    s3.delete_bucket(Bucket=target)

    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    assert counters["buffered"] == 50 and counters["delivered"] == 0, counters
    assert counters["delivery_failures"] >= 1
    second = [f"second-{i}\n".encode() for i in range(20)]
    _put(sandbox, stream, second)  # still accepted while the bucket is missing
    counters = admin.flush(sandbox.settings, stream)["streams"][stream]
    assert counters["buffered"] == 70 and _balanced(counters), counters

    s3.create_bucket(Bucket=target)

    def delivered() -> dict[str, int] | None:
        current = admin.stats(sandbox.settings)[stream]
        return current if current["buffered"] == 0 else None

    # no flush: the timer retries the failed delivery by itself, as Firehose does
    counters = lake.wait_for(delivered, timeout=15)
    assert counters and counters["delivered"] == 70 and _balanced(counters), counters
    bodies = sorted(lake.body(s3, target, k) for k in lake.listing(s3, target, prefix))
    assert bodies == sorted([b"".join(first), b"".join(second)])
    firehose.delete_delivery_stream(DeliveryStreamName=stream)
    lake.empty_bucket(s3, target)
    s3.delete_bucket(Bucket=target)
