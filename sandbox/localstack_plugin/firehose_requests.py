"""Firehose requests checked before LocalStack's parser sees them: AWS's 400s, not 500s.

LocalStack 4.14.0's ``ServiceRequestParser`` raises on a body it cannot read (empty, not JSON,
``[]``), on an unknown or missing ``X-Amz-Target`` (a ``KeyError`` / ``OperationNotFoundError``
wrapped as ``UnknownParserError``), and ``ServiceExceptionSerializer`` turns every exception that
is not a ``ServiceException`` into ``InternalError``, HTTP 500. Its blob parser is
``base64.b64decode(node)`` without validation, so ``"***"`` becomes ``b""``; and it checks no
constraint of the model (required members, lengths, patterns), so a missing or 65-character
``DeliveryStreamName`` reaches the provider and comes back as ResourceNotFoundException.

:func:`handle` runs in LocalStack's ``preprocess_request`` composite (the extension point the
S3 provider uses for its CORS handler), before the service is even resolved. For a request to
Firehose (its ``X-Amz-Target`` prefix, or, without one, a SigV4 scope naming ``firehose``) it
runs the stage's pure rules, :func:`sandbox.firehose.request_validation.parse_request`, and
when they fail answers at once with AWS's status, ``__type``, message and
``x-amzn-ErrorType``, serialised by LocalStack's own JSON serialiser; nothing reaches the
provider. A valid request goes on down the normal chain unchanged (LocalStack parses it again;
the PutRecordBatch short path, :mod:`~sandbox.localstack_plugin.fast_path`, checks the same
rules itself and answers before this handler when it takes a call).

Not covered: bodies with a ``Content-Encoding`` (LocalStack decodes them later in the chain)
and CBOR bodies go to LocalStack's parser as before.
"""

from __future__ import annotations

import logging
from typing import Any

from sandbox.firehose.errors import FirehoseError
from sandbox.firehose.request_validation import TARGET_PREFIX, parse_request
from sandbox.localstack_plugin.gateway import add_preprocess_handler

LOG = logging.getLogger(__name__)
JSON_1_1 = "application/x-amz-json-1.1"


def install() -> None:
    """Add :func:`handle` to LocalStack's ``preprocess_request`` handlers (idempotent)."""
    add_preprocess_handler(handle)


def is_firehose(request: Any) -> bool:
    """Whether LocalStack would route ``request`` to Firehose (cheap checks first)."""
    target = request.headers.get("X-Amz-Target") or ""
    if target.partition(".")[0] == TARGET_PREFIX:
        return True
    if "/firehose/aws4_request" not in (request.headers.get("Authorization") or ""):
        return False
    if not target:
        return True
    # Signed for Firehose but naming another service's operation: LocalStack routes by the
    # target first; ask it (rare, so its cost does not matter).
    from localstack.aws.protocol.service_router import determine_aws_service_model

    model = determine_aws_service_model(request)
    return model is not None and model.service_name == "firehose"


def handle(chain: Any, context: Any, response: Any) -> None:
    """The ``preprocess_request`` handler: answers a malformed Firehose request, else returns."""
    request = context.request
    if request.method != "POST" or not is_firehose(request):
        return
    if (request.headers.get("Content-Encoding") or "identity") != "identity":
        return
    if (request.mimetype or "").startswith("application/x-amz-cbor"):
        return

    from localstack.aws.spec import load_service

    service = load_service("firehose")
    try:
        parse_request(request.headers.get("X-Amz-Target"), request.get_data(), service)
    except FirehoseError as error:
        _answer(chain, context, response, service, error)


def _answer(chain: Any, context: Any, response: Any, service: Any, error: FirehoseError) -> None:
    from localstack.aws.api import CommonServiceException
    from localstack.aws.protocol.serializer import create_serializer

    target = context.request.headers.get("X-Amz-Target") or ""
    name = target.partition(".")[2]
    known = name in service.operation_names
    # The serialiser needs an operation for the error's shape lookup; any will do for an
    # unknown one (LocalStack's ServiceExceptionSerializer does the same).
    operation = service.operation_model(name if known else service.operation_names[0])
    exception = CommonServiceException(error.code, error.message, status_code=400)
    context.service = service
    context.operation = operation if known else None
    context.service_exception = exception
    serialized = create_serializer(service).serialize_error_to_response(
        exception, operation, context.request.headers, context.request_id
    )
    response.update_from(serialized)
    if context.request.mimetype == JSON_1_1:
        # LocalStack's serialiser prefers application/json for "Accept: */*" (what most HTTP
        # clients send); AWS's JSON 1.1 protocol answers with its own type, body unchanged.
        response.headers["Content-Type"] = JSON_1_1
    LOG.debug("Firehose request refused before parsing: %s", error)
    chain.stop()
