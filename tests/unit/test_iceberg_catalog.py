"""The Iceberg catalog helpers: only the sandbox's endpoint, and Glue's Iceberg markers."""

from __future__ import annotations

import pytest

from sandbox.iceberg.catalog import (
    NotSandboxEndpointError,
    check_sandbox_endpoint,
    glue_catalog,
    is_iceberg,
    metadata_location,
)


def test_a_real_aws_endpoint_is_refused() -> None:
    with pytest.raises(NotSandboxEndpointError):
        check_sandbox_endpoint("https://glue.us-east-1.amazonaws.com")
    with pytest.raises(NotSandboxEndpointError):
        check_sandbox_endpoint("glue.us-east-1")


def test_the_catalog_talks_to_the_sandbox_with_the_accounts_dummy_key() -> None:
    catalog = glue_catalog("http://localhost:4566/", "eu-west-1", "111111111111")
    assert catalog.properties["glue.endpoint"] == "http://localhost:4566"
    assert catalog.properties["s3.endpoint"] == "http://localhost:4566"
    assert catalog.properties["glue.access-key-id"] == "111111111111"
    assert catalog.properties["glue.region"] == "eu-west-1"


def test_glue_tables_are_recognised_as_iceberg_by_their_parameters() -> None:
    table = {"Parameters": {"table_type": "iceberg", "metadata_location": "s3://b/m.json"}}
    assert is_iceberg(table) and metadata_location(table) == "s3://b/m.json"
    assert not is_iceberg({"Parameters": {"classification": "parquet"}})
    assert metadata_location({"Parameters": {}}) is None
