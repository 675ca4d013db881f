"""moto's S3 and Glue in this process, with plain boto3 clients (the snapshot and journal tests;
the query tests have their own, reached through an endpoint: tests/unit/query/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from sandbox import persistence

REGION = "us-east-1"


@contextmanager
def s3_and_glue() -> Iterator[tuple[Any, Any]]:
    """A fresh in-process S3 and Glue, and a client of each."""
    # moto-ext (bundled with LocalStack) whitelists services by default; Glue is not among them.
    with mock_aws(config={"core": {"service_whitelist": None}}):
        kwargs = {"region_name": REGION, "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        yield boto3.client("s3", **kwargs), boto3.client("glue", **kwargs)


def fill_lake(s3: Any, objects: dict[str, bytes]) -> None:
    """Create the bucket ``lake`` holding ``objects`` (key -> body)."""
    s3.create_bucket(Bucket="lake")
    for key, body in objects.items():
        s3.put_object(Bucket="lake", Key=key, Body=body)


def save_lake(s3: Any, glue: Any, root: Path, objects: dict[str, bytes]) -> None:
    """The bucket ``lake`` holding ``objects``, saved as the snapshot in ``root``."""
    fill_lake(s3, objects)
    persistence.export_snapshot(s3, glue, root)
