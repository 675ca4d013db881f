"""The Firehose API's rules around delivery: versions, UpdateDestination's merge, the answers."""

from __future__ import annotations

import copy

import pytest

from sandbox.firehose import api
from sandbox.firehose.config import dynamic_partitioning_enabled
from sandbox.firehose.errors import (
    ConcurrentModificationError,
    InvalidArgumentError,
    ValidationError,
)
from tests.unit.firehose.article import article_destinations


def plain_destination() -> dict:
    return {
        "BucketARN": "arn:aws:s3:::sink",
        "RoleARN": "arn:aws:iam::000000000000:role/r",
        "Prefix": "plain/",
        "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60},
        "CompressionFormat": "GZIP",
    }


def test_the_extended_s3_destination_is_found_in_a_description() -> None:
    extended = plain_destination()
    description = {
        "Destinations": [
            {"DestinationId": "d-1", "HttpEndpointDestinationDescription": {}},
            {"DestinationId": "d-2", "ExtendedS3DestinationDescription": extended},
        ]
    }
    found = api.extended_s3_destination(description)
    assert found is not None
    assert found[0]["DestinationId"] == "d-2" and found[1] is extended
    assert api.extended_s3_destination({"Destinations": [{"DestinationId": "d-1"}]}) is None
    assert api.extended_s3_destination({}) is None


def test_a_stale_version_is_a_concurrent_modification() -> None:
    api.check_version("s", "3", "3")
    with pytest.raises(ConcurrentModificationError) as raised:
        api.check_version("s", "3", "2")
    assert raised.value.code == "ConcurrentModificationException"
    assert raised.value.message == (
        "Cannot update firehose: s since the current version id: 3 and specified version id: "
        "2 do not match"
    )


def test_every_update_bumps_the_version_by_one() -> None:
    assert api.next_version("1") == "2"
    assert api.next_version("41") == "42"
    assert api.next_version(None) == "2"


def test_parameters_not_given_keep_their_current_values() -> None:
    current = plain_destination()
    before = copy.deepcopy(current)
    merged = api.merge_update(
        current, {"BufferingHints": {"IntervalInSeconds": 0}, "Prefix": "other/"}
    )
    assert merged["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 0}
    assert merged["Prefix"] == "other/"
    assert merged["CompressionFormat"] == "GZIP"
    assert current == before  # the current destination is not changed
    merged["BufferingHints"]["SizeInMBs"] = 99
    assert current["BufferingHints"]["SizeInMBs"] == 5  # nor shared with the result


def test_an_update_is_checked_as_a_creation_is() -> None:
    merged = api.updated_destination(plain_destination(), {"CompressionFormat": "Snappy"})
    assert merged["CompressionFormat"] == "Snappy"
    with pytest.raises(ValidationError, match="compressionFormat"):
        api.updated_destination(plain_destination(), {"CompressionFormat": "BZIP2"})


def test_dynamic_partitioning_can_only_be_enabled_at_creation() -> None:
    partitioned = article_destinations()["json"]
    assert dynamic_partitioning_enabled(partitioned)
    assert not dynamic_partitioning_enabled(plain_destination())
    update = {
        key: partitioned[key]
        for key in (
            "Prefix",
            "ErrorOutputPrefix",
            "DynamicPartitioningConfiguration",
            "ProcessingConfiguration",
        )
    }
    with pytest.raises(InvalidArgumentError, match="only be enabled when the delivery stream"):
        api.updated_destination(plain_destination(), update)
    # A stream created with it keeps it through an update of something else.
    kept = api.updated_destination(partitioned, {"BufferingHints": {"IntervalInSeconds": 120}})
    assert dynamic_partitioning_enabled(kept)


def test_the_dynamic_partitioning_rule_comes_before_the_other_checks() -> None:
    update = {
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "CompressionFormat": "BZIP2",
    }
    with pytest.raises(InvalidArgumentError, match="only be enabled when the delivery stream"):
        api.updated_destination(plain_destination(), update)


def test_answers_carry_one_fresh_record_id_per_record() -> None:
    answer = api.batch_response(True, 3)
    assert answer["FailedPutCount"] == 0 and answer["Encrypted"] is True
    ids = [entry["RecordId"] for entry in answer["RequestResponses"]]
    assert len(ids) == len(set(ids)) == 3
    assert all(len(i) == 48 and int(i, 16) >= 0 for i in ids)
    single = api.record_response(False)
    assert single["Encrypted"] is False and len(single["RecordId"]) == 48
    assert api.record_ids(0) == []
