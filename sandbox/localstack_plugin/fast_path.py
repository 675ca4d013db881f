"""A short path through LocalStack's gateway for Firehose ``PutRecordBatch``, the hot call of
``make seed``.

LocalStack answers every request with one generic chain: it parses the body by walking
botocore's shape for each of the up to 500 records, routes the operation through the service
skeleton, and serialises the response by walking the output shape again. For a 500-record
PutRecordBatch that is about 6 us per record on top of the delivery engine's own work
(``docs/performance.md``). This handler, appended to LocalStack's ``preprocess_request``
composite (the extension point LocalStack's own S3 provider uses for its CORS handler), answers
the plain, well-formed calls directly and leaves everything else to the normal chain:

- It takes a request only when it is exactly what an AWS SDK sends for a stream the sandbox
  delivers: ``POST``, ``X-Amz-Target: Firehose_20150804.PutRecordBatch``, an AWS SigV4
  ``Authorization`` header whose credential scope names ``firehose``, a JSON object body with
  only ``DeliveryStreamName`` (a string) and ``Records`` (1 to 500 objects, each with only a
  ``Data`` member holding canonical base64), a ``DeliveryStreamName`` the API's pattern and
  length allow, and the Firehose service running. The name and blob rules are the stage's own
  (:mod:`sandbox.firehose.request_validation`): a call that breaks one is left to the chain,
  where :mod:`~sandbox.localstack_plugin.firehose_requests` answers it with AWS's 400.
- The records go through the provider's public entry point,
  ``SandboxFirehoseProvider.accept_batch`` (the same AWS limit checks, the same engine, the
  same answer), found through :func:`sandbox.localstack_plugin.runtime.current`. Anything the
  provider rejects (unknown stream, a stream without an extended S3 destination, limits)
  raises before a record is accepted; the request then continues down the normal chain, which
  answers it exactly as before, with AWS's error code and message.
- The response is what LocalStack's JSON serialiser writes for this operation (same body
  bytes, ``Content-Type``, ``x-amzn-RequestId``); for requests that negotiate another content
  type, LocalStack's serialiser itself is used. ``context.service``, ``operation``,
  ``service_request`` and ``service_response`` are set as the skeleton would, so the response
  handlers (request log, metrics) see the same call.

``SANDBOX_FIREHOSE_FAST_PATH=0`` in LocalStack's environment (read once, in
:class:`~sandbox.settings.PluginSettings`) leaves it out (the integration tests compare both
paths); the counts of calls taken and skipped are the runtime's ``fast_path_counters``. Not
covered: PutRecord (one record per call, nothing to gain).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from sandbox.core.limits import MAX_BATCH_RECORDS
from sandbox.firehose.request_validation import (
    SerializationError,
    decode_blob,
    stream_name_violations,
)
from sandbox.localstack_plugin.gateway import add_preprocess_handler
from sandbox.localstack_plugin.runtime import current

LOG = logging.getLogger(__name__)

TARGET = "Firehose_20150804.PutRecordBatch"
JSON_1_1 = "application/x-amz-json-1.1"


def install() -> None:
    """Add the short path to LocalStack's ``preprocess_request`` handlers (idempotent)."""
    from sandbox.localstack_plugin import firehose_requests

    # Before the request checks, which would parse every batch a second time.
    add_preprocess_handler(handle_put_record_batch, before=firehose_requests.handle)


def _skip(counters: Counter[str], reason: str) -> None:
    counters[f"skipped:{reason}"] += 1


def _records(body: bytes) -> tuple[str, list[bytes]] | None:
    """The stream name and the decoded records of a plain, well-formed request body."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(document, dict) or document.keys() != {"DeliveryStreamName", "Records"}:
        return None
    name, records = document["DeliveryStreamName"], document["Records"]
    if not isinstance(name, str) or not isinstance(records, list):
        return None
    if not 1 <= len(records) <= MAX_BATCH_RECORDS:  # more: the chain answers AWS's error
        return None
    if stream_name_violations(name):
        return None
    data = []
    try:
        for record in records:
            # Only {"Data": "<base64>"}; anything else (more members, no Data) goes the long way.
            if type(record) is not dict or len(record) != 1:
                return None
            value = record.get("Data")
            if type(value) is not str:
                return None
            data.append(decode_blob(value))
    except SerializationError:
        return None
    return name, data


def handle_put_record_batch(chain: Any, context: Any, response: Any) -> None:
    """The ``preprocess_request`` handler; returns without touching anything when not taken."""
    request = context.request
    headers = request.headers
    if request.method != "POST" or headers.get("X-Amz-Target") != TARGET:
        return
    runtime = current()
    counters = runtime.fast_path_counters
    provider = runtime.firehose
    if provider is None:
        return _skip(counters, "no provider")
    authorization = headers.get("Authorization") or ""
    if not authorization.startswith("AWS4-HMAC-SHA256 ") or "/firehose/aws4_request" not in (
        authorization
    ):
        return _skip(counters, "authorization")
    if (headers.get("Content-Encoding") or "identity") != "identity":
        return _skip(counters, "content-encoding")

    from localstack.aws.accounts import get_account_id_from_access_key_id
    from localstack.aws.handlers import add_region_from_header, rewrite_region
    from localstack.services.plugins import SERVICE_PLUGINS
    from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

    if not SERVICE_PLUGINS.is_running("firehose"):
        return _skip(counters, "service not running")
    parsed = _records(request.get_data())
    if parsed is None:
        return _skip(counters, "body")
    name, data = parsed

    # What the chain's region and account handlers would set (they run again, harmlessly, if
    # the request continues down the normal chain).
    add_region_from_header(chain, context, response)
    rewrite_region(chain, context, response)
    access_key = extract_access_key_id_from_auth_header(headers)
    if not access_key:
        return _skip(counters, "access key")
    context.account_id = get_account_id_from_access_key_id(access_key)

    from localstack.aws.api import ServiceException

    try:
        result = provider.accept_batch(context, name, data)
    except ServiceException:
        # Nothing was accepted: the normal chain answers with the provider's AWS error.
        return _skip(counters, "provider error")
    if result is None:  # not a stream the sandbox delivers: LocalStack's own provider
        return _skip(counters, "not extended S3")

    from localstack.aws.spec import load_service

    service = load_service("firehose")
    operation = service.operation_model("PutRecordBatch")
    context.service = service
    context.operation = operation
    context.service_request = {
        "DeliveryStreamName": name,
        "Records": [{"Data": record} for record in data],
    }
    context.service_response = result
    accept = headers.get("Accept")
    if headers.get("Content-Type") == JSON_1_1 and accept in (None, "*/*"):
        # Byte for byte what JSONResponseSerializer writes for this output shape.
        response.set_response(json.dumps(result).encode())
        response.status_code = 200
        response.headers["Content-Type"] = JSON_1_1
        response.headers["x-amzn-RequestId"] = context.request_id
    else:
        from localstack.aws.protocol.serializer import create_serializer

        serialized = create_serializer(service).serialize_to_response(
            result, operation, headers, context.request_id
        )
        response.update_from(serialized)
    counters["handled"] += 1
    if counters["handled"] == 1:
        LOG.info("Firehose PutRecordBatch takes the sandbox's short path (%s)", __name__)
    chain.stop()
