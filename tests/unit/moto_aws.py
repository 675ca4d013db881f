"""moto's S3 and Glue in this process, with plain boto3 clients (the snapshot and journal tests;
the query tests have their own, reached through an endpoint: tests/unit/query/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

REGION = "us-east-1"


@contextmanager
def s3_and_glue() -> Iterator[tuple[Any, Any]]:
    """A fresh in-process S3 and Glue, and a client of each."""
    # moto-ext (bundled with LocalStack) whitelists services by default; Glue is not among them.
    with mock_aws(config={"core": {"service_whitelist": None}}):
        kwargs = {"region_name": REGION, "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        yield boto3.client("s3", **kwargs), boto3.client("glue", **kwargs)
