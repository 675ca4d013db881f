"""The ``glue:sandbox`` provider's own operations, on top of moto's Glue backend.

Owns: ``CreateTable`` with ``OpenTableFormatInput.IcebergInput`` (AWS Glue creates the Iceberg
table's first ``metadata.json`` at the table's location and registers it with
``table_type=ICEBERG`` and ``metadata_location``; moto ignores the input). The translation is
:mod:`sandbox.iceberg.glue_input`'s; this adapter writes the metadata file through LocalStack's
internal S3 client (in process, no HTTP to itself) and hands the amended request to moto.

Every other operation is moto's (see :mod:`~sandbox.localstack_plugin.moto_dispatch`).
Not reproduced: what :mod:`sandbox.iceberg.glue_input` lists.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from localstack.aws.api import CommonServiceException

__all__ = ["overrides"]


def create_table(context: Any, request: Any) -> Any:
    from localstack.services.moto import call_moto, call_moto_with_request

    from sandbox.iceberg.glue_input import GlueInputError, iceberg_creation, is_iceberg_create

    if not is_iceberg_create(request):
        return call_moto(context)
    try:
        creation = iceberg_creation(request)
    except GlueInputError as error:
        raise CommonServiceException(error.code, str(error), status_code=400) from error
    amended = {k: v for k, v in dict(request).items() if k != "OpenTableFormatInput"}
    amended["TableInput"] = creation.table_input
    # The table first (moto answers AlreadyExists, EntityNotFound for the database...), then
    # its metadata file: a refused request leaves nothing behind.
    result = call_moto_with_request(context, amended)  # type: ignore[arg-type]
    from localstack.aws.connect import connect_to

    parts = urlsplit(creation.metadata_location)
    s3 = connect_to(aws_access_key_id=context.account_id, region_name=context.region).s3
    s3.put_object(
        Bucket=parts.netloc,
        Key=parts.path.lstrip("/"),
        Body=creation.metadata_json,
        ContentType="application/json",
    )
    return result


def overrides() -> dict[str, Any]:
    """The operations this provider answers itself (the rest go to moto)."""
    return {"CreateTable": create_table}
