"""A pyiceberg Glue catalog bound to the sandbox's endpoint, and Glue's view of Iceberg tables.

AWS registers an Iceberg table in the Glue Data Catalog as an ``EXTERNAL_TABLE`` whose
``Parameters`` hold ``table_type=ICEBERG`` and ``metadata_location`` (the current
``*.metadata.json``), with ``previous_metadata_location`` after a commit; a commit swaps the
pointer with optimistic concurrency on the table's ``VersionId`` (Glue developer guide, "Working
with Apache Iceberg tables"; pyiceberg's ``GlueCatalog`` does exactly this). The catalog built
here talks only to the sandbox's own endpoint (loopback), with the account's dummy credentials,
so nothing reaches real AWS.

Does not own: reading tables (the query engine's DuckDB iceberg extension), Firehose's delivery
into them, or Glue's own API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pyiceberg.catalog.glue import GlueCatalog

DEFAULT_ACCOUNT = "000000000000"
TABLE_TYPE_PARAMETER = "table_type"
METADATA_LOCATION_PARAMETER = "metadata_location"
ICEBERG = "ICEBERG"

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "localhost.localstack.cloud"}


class NotSandboxEndpointError(ValueError):
    """The endpoint is not the sandbox's own loopback one: refused, nothing may reach AWS."""


def check_sandbox_endpoint(endpoint_url: str) -> str:
    """``endpoint_url`` if it is an http(s) URL on loopback (or a LocalStack container name)."""
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise NotSandboxEndpointError(f"not an endpoint URL: {endpoint_url!r}")
    if host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
        raise NotSandboxEndpointError(f"refusing a real AWS endpoint: {endpoint_url!r}")
    return endpoint_url.rstrip("/")


def glue_catalog(
    endpoint_url: str,
    region: str,
    account_id: str = DEFAULT_ACCOUNT,
    *,
    warehouse: str | None = None,
) -> GlueCatalog:
    """A pyiceberg ``GlueCatalog`` whose Glue and S3 calls go to the sandbox at ``endpoint_url``.

    LocalStack takes a 12-digit access key id as the account id, so ``account_id`` selects the
    account's Glue catalog and buckets. ``warehouse`` is the default location of new tables.
    """
    from pyiceberg.catalog.glue import GlueCatalog

    endpoint = check_sandbox_endpoint(endpoint_url)
    properties: dict[str, str] = {
        "glue.endpoint": endpoint,
        "glue.region": region,
        "glue.access-key-id": account_id,
        "glue.secret-access-key": "test",
        "s3.endpoint": endpoint,
        "s3.region": region,
        "s3.access-key-id": account_id,
        "s3.secret-access-key": "test",
        "s3.path-style-access": "true",
    }
    if warehouse:
        properties["warehouse"] = warehouse
    return GlueCatalog("AwsDataCatalog", **properties)


def is_iceberg(table: Mapping[str, Any]) -> bool:
    """Whether a Glue ``Table`` (as GetTable returns it) is an Iceberg table."""
    parameters = table.get("Parameters") or {}
    value = parameters.get(TABLE_TYPE_PARAMETER) or parameters.get(TABLE_TYPE_PARAMETER.upper())
    return str(value or "").upper() == ICEBERG


def metadata_location(table: Mapping[str, Any]) -> str | None:
    """The current ``*.metadata.json`` of a Glue Iceberg table, or None if it has none yet."""
    parameters = table.get("Parameters") or {}
    location = parameters.get(METADATA_LOCATION_PARAMETER)
    return str(location) if location else None
