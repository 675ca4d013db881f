"""Server-side encryption settings: the KeyARN rules, Kinesis sources, Start/Stop."""

from __future__ import annotations

import pytest

from sandbox.firehose import encryption
from sandbox.firehose.errors import InvalidArgumentError

KEY = "arn:aws:kms:us-east-1:000000000000:key/k"


def test_no_input_at_creation_is_disabled() -> None:
    assert encryption.encryption_at_creation("DirectPut", None) == {"Status": "DISABLED"}
    assert encryption.encryption_at_creation("DirectPut", {}) == {"Status": "DISABLED"}
    # Without an input, a Kinesis source is fine too: there is nothing to refuse.
    assert encryption.encryption_at_creation("KinesisStreamAsSource", None)["Status"] == "DISABLED"


def test_key_type_defaults_to_an_aws_owned_key() -> None:
    assert encryption.encryption_at_creation("DirectPut", {"KeyType": None}) == {
        "KeyType": "AWS_OWNED_CMK",
        "Status": "ENABLED",
    }


def test_a_customer_managed_key_needs_its_arn() -> None:
    configured = {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY}
    assert encryption.encryption_configuration(configured, "ENABLED") == {
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "KeyARN": KEY,
        "Status": "ENABLED",
    }
    with pytest.raises(InvalidArgumentError, match="KeyARN is required"):
        encryption.encryption_configuration({"KeyType": "CUSTOMER_MANAGED_CMK"}, "ENABLED")


def test_an_aws_owned_key_takes_no_arn() -> None:
    with pytest.raises(InvalidArgumentError, match="KeyARN must not be specified") as raised:
        encryption.encryption_started("DirectPut", {"KeyType": "AWS_OWNED_CMK", "KeyARN": KEY})
    assert raised.value.code == "InvalidArgumentException"


@pytest.mark.parametrize("rule", [encryption.encryption_at_creation, encryption.encryption_started])
def test_a_kinesis_source_cannot_be_encrypted_by_firehose(rule) -> None:
    with pytest.raises(InvalidArgumentError, match="source is a Kinesis data stream"):
        rule("KinesisStreamAsSource", {"KeyType": "AWS_OWNED_CMK"})


def test_stopping_keeps_the_key() -> None:
    current = {"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY, "Status": "ENABLED", "X": 1}
    assert encryption.encryption_stopped(current) == {
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "KeyARN": KEY,
        "Status": "DISABLED",
    }
    assert encryption.encryption_stopped(None) == {"Status": "DISABLED"}


def test_records_are_reported_encrypted_only_while_enabled() -> None:
    enabled = {"DeliveryStreamEncryptionConfiguration": {"Status": "ENABLED"}}
    disabled = {"DeliveryStreamEncryptionConfiguration": {"Status": "DISABLED"}}
    assert encryption.is_encrypted(enabled)
    assert not encryption.is_encrypted(disabled)
    assert not encryption.is_encrypted({})
