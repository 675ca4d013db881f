"""PutRecordBatch limits and destination validation, with AWS's error codes."""

import copy

import pytest

from sandbox.core.limits import MAX_RECORD_BYTES
from sandbox.firehose import (
    FirehoseError,
    InvalidArgumentError,
    ValidationError,
    parse_destination,
    validate_batch,
    validate_destination,
)
from sandbox.firehose.limits import validate_record
from tests.unit.firehose.article import article_destinations


def test_batch_limits() -> None:
    validate_batch([b"x"] * 500)
    with pytest.raises(ValidationError, match="less than or equal to 500"):
        validate_batch([b"x"] * 501)
    with pytest.raises(ValidationError, match=r"records\.2\.member\.data"):
        validate_batch([b"x", b"y" * (MAX_RECORD_BYTES + 1)])
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        validate_batch([])
    with pytest.raises(InvalidArgumentError, match="4 MB"):
        validate_batch([b"z" * 1_000_000] * 5)
    with pytest.raises(ValidationError) as raised:
        validate_batch([b"y" * (MAX_RECORD_BYTES + 1)] * 2)
    assert raised.value.code == "ValidationException"
    assert raised.value.message.startswith("2 validation errors detected: ")
    validate_record(b"y" * MAX_RECORD_BYTES)
    with pytest.raises(ValidationError):
        validate_record(b"y" * (MAX_RECORD_BYTES + 1))


def test_article_destinations_are_valid_and_defaults_apply() -> None:
    for destination in article_destinations().values():
        validate_destination(destination)
    json_config = parse_destination(article_destinations()["json"])
    assert json_config.bucket == "sink"
    assert json_config.size_bytes == 64 * 1024 * 1024
    assert json_config.interval_s == 60
    assert json_config.processors.append_delimiter
    plain = parse_destination({"BucketARN": "arn:aws:s3:::b"})
    assert (plain.size_bytes, plain.interval_s, plain.compression) == (5 << 20, 300, "UNCOMPRESSED")
    converting = copy.deepcopy(article_destinations()["parquet"])
    del converting["BufferingHints"]
    assert parse_destination(converting).size_bytes == 128 * 1024 * 1024


def _broken(stream: str, change) -> dict:
    destination = copy.deepcopy(article_destinations()[stream])
    change(destination)
    return destination


@pytest.mark.parametrize(
    ("destination", "error", "text"),
    [
        (_broken("json", lambda d: d.update(CompressionFormat="SNAPPY")), ValidationError, "enum"),
        (
            _broken("json", lambda d: d.update(BufferingHints={"SizeInMBs": 129})),
            ValidationError,
            "less than or equal to 128",
        ),
        (
            _broken("json", lambda d: d.update(BufferingHints={"SizeInMBs": 5})),
            InvalidArgumentError,
            "IntervalInSeconds",
        ),
        (_broken("json", lambda d: d.update(FileExtension="gz")), ValidationError, "fileExtension"),
        (
            _broken("json", lambda d: d.update(CustomTimeZone="Mars/Base")),
            InvalidArgumentError,
            "CustomTimeZone",
        ),
        (
            _broken("parquet", lambda d: d.update(CompressionFormat="GZIP")),
            InvalidArgumentError,
            "UNCOMPRESSED",
        ),
        (
            _broken(
                "parquet",
                lambda d: d.update(BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60}),
            ),
            InvalidArgumentError,
            "at least 64",
        ),
        (
            _broken(
                "parquet",
                lambda d: d["DataFormatConversionConfiguration"].pop("SchemaConfiguration"),
            ),
            InvalidArgumentError,
            "SchemaConfiguration",
        ),
        (
            _broken("json", lambda d: d.pop("DynamicPartitioningConfiguration")),
            InvalidArgumentError,
            "only when dynamic partitioning is enabled",
        ),
        (
            _broken("json", lambda d: d.pop("ErrorOutputPrefix")),
            InvalidArgumentError,
            "ErrorOutputPrefix cannot be null or empty",
        ),
        (
            _broken(
                "json",
                lambda d: d["ProcessingConfiguration"]["Processors"][0]["Parameters"][1].update(
                    ParameterValue="{a: .a"
                ),
            ),
            InvalidArgumentError,
            "not a valid JQ expression",
        ),
        (
            _broken(
                "json",
                lambda d: d["ProcessingConfiguration"]["Processors"][0]["Parameters"][0].update(
                    ParameterValue="JQ-1.5"
                ),
            ),
            InvalidArgumentError,
            "JQ-1.6",
        ),
        (
            _broken("json", lambda d: d["ProcessingConfiguration"].update(Enabled=False)),
            InvalidArgumentError,
            "no enabled MetadataExtraction",
        ),
        (
            _broken(
                "json",
                lambda d: d["ProcessingConfiguration"]["Processors"][1].update(
                    Type="AppendDelimiterToRecords"
                ),
            ),
            ValidationError,
            "AppendDelimiterToRecord]",
        ),
        (_broken("json", lambda d: d.update(BucketARN="sink")), InvalidArgumentError, "BucketARN"),
    ],
)
def test_invalid_destinations(destination: dict, error: type[FirehoseError], text: str) -> None:
    with pytest.raises(error) as raised:
        validate_destination(destination)
    assert text in raised.value.message


def test_the_checks_enforce_the_shared_limits() -> None:
    from sandbox.core import limits

    validate_batch([b"x"] * limits.MAX_BATCH_RECORDS)
    with pytest.raises(ValidationError):
        validate_batch([b"x"] * (limits.MAX_BATCH_RECORDS + 1))
    with pytest.raises(ValidationError, match=f"less than or equal to {limits.MAX_PREFIX_CHARS}"):
        validate_destination({**article_destinations()["json"], "Prefix": "p" * 1025})
