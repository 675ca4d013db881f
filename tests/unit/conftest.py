"""Fixtures shared by the unit tests of several stages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.moto_aws import s3_and_glue


@pytest.fixture
def s3_glue() -> Iterator[tuple[Any, Any]]:
    """Clients of a fresh in-process S3 and Glue (moto), for the test's length."""
    with s3_and_glue() as clients:
        yield clients
