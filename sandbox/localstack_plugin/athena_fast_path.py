"""A short path through LocalStack's gateway for Athena's polling and paging calls,
``GetQueryExecution`` and ``GetQueryResults``.

Every Athena client polls GetQueryExecution until a query is final, then pages GetQueryResults
(1,000 rows a page at most). LocalStack's generic chain parses each request by walking botocore's
input shape, routes it through the service skeleton and serialises the answer by walking the
output shape again, cell by cell: for a 1,000-row page about 25 ms, four times what the
query service itself needs (``docs/performance.md``). This handler, added to LocalStack's
``preprocess_request`` composite (as the Firehose short path, :mod:`.fast_path`), answers the
plain calls directly and leaves everything else to the normal chain:

- It takes a request only when it is what an AWS SDK sends: ``POST``,
  ``X-Amz-Target: AmazonAthena.GetQueryExecution`` or ``.GetQueryResults``, a SigV4
  ``Authorization`` whose credential scope names ``athena``, no ``Content-Encoding``,
  ``Content-Type: application/x-amz-json-1.1`` and no ``Accept`` other than ``*/*``, a JSON
  object body with only the operation's members, each of the JSON type LocalStack's parser
  would hand on unchanged (strings; ``MaxResults`` an integer), and the Athena service running
  with the sandbox's provider.
- The request goes to the same :class:`~sandbox.query.api.service.AthenaService` method the
  provider's skeleton calls, with the same dict; for GetQueryResults, to the method that
  answers the page before it becomes the API document (``query_results_page``, a
  :class:`~sandbox.query.api.results.ResultsPage` of the stored text cells) when the service
  has it. When the service refuses it (an unknown id, a
  query not yet SUCCEEDED, a bad token: Athena's 400s) or anything else goes wrong, the request
  continues down the normal chain, which answers it exactly as before (both operations only
  read, so asking twice changes nothing).
- The response is byte for byte what LocalStack's JSON serialiser writes (same body,
  ``Content-Type``, ``x-amzn-RequestId``): a GetQueryResults page made only of the members the
  output shape knows, without ``None`` (what the service returns), is ``json.dumps`` of it, as
  the serialiser's walk would produce, written from the page's cells without building the
  document (:func:`plain_page`; :func:`plain_results` for a document); any other answer, and every
  GetQueryExecution (its timestamps need the serialiser's conversion), is serialised by
  LocalStack's serialiser, which is cheap for a small answer. ``context.service``,
  ``operation``, ``service_request`` and ``service_response`` are set as the skeleton would,
  for the response handlers (a page's document is built only if one of them reads it:
  :class:`PageDocument`).
- Athena's requests also cross the ASGI-to-WSGI bridge in one thread hop (:mod:`.athena_bridge`,
  installed with this handler), the handler chain unchanged.

The calls taken and skipped are counted in the runtime's ``fast_path_counters`` under
``athena:``. ``tests/unit/infra/test_athena_fast_path.py`` compares both paths in process and
``tests/integration/test_athena_api.py`` over HTTP (a request with ``Accept:
application/x-amz-json-1.1`` takes the normal chain).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from sandbox.localstack_plugin.gateway import add_preprocess_handler
from sandbox.localstack_plugin.runtime import current
from sandbox.query.api.results import ResultsPage, page_json

LOG = logging.getLogger(__name__)

JSON_1_1 = "application/x-amz-json-1.1"
# X-Amz-Target -> (operation, the service's method, the request members and their JSON types)
OPERATIONS: dict[str, tuple[str, str, dict[str, type]]] = {
    "AmazonAthena.GetQueryExecution": (
        "GetQueryExecution",
        "get_query_execution",
        {"QueryExecutionId": str},
    ),
    "AmazonAthena.GetQueryResults": (
        "GetQueryResults",
        "query_results_page",
        {"QueryExecutionId": str, "NextToken": str, "MaxResults": int, "QueryResultType": str},
    ),
}


def install() -> None:
    """Add the short path to LocalStack's ``preprocess_request`` handlers, and Athena's calls'
    one-hop crossing of the ASGI bridge (:mod:`.athena_bridge`) (idempotent)."""
    from sandbox.localstack_plugin import athena_bridge

    add_preprocess_handler(handle)
    athena_bridge.install()


def plain_request(body: bytes, members: dict[str, type]) -> dict[str, Any] | None:
    """The request of a body holding only ``members``, each of exactly its JSON type."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    for name, value in document.items():
        if name not in members or type(value) is not members[name]:
            return None
    return document


@cache
def _column_info_members() -> frozenset[str]:
    from localstack.aws.spec import load_service

    return frozenset(load_service("athena").shape_for("ColumnInfo").members)


def plain_results(result: dict[str, Any]) -> bytes | None:
    """``json.dumps`` of a GetQueryResults answer when that is what LocalStack's serialiser
    writes for it, else None.

    The serialiser copies strings, numbers and booleans as they are, drops ``None`` and members
    the output shape does not know, and converts only timestamps and blobs (none in this
    shape). So the two agree when every member is known and nothing is ``None``. The members of
    the top level, the ResultSet and each ColumnInfo are checked here; the rows are built by
    :meth:`AthenaService.get_query_results` as ``{"Data": [{} | {"VarCharValue": text}]}``
    only, so a ``None`` is all that could differ there, and it could only be written as a JSON
    ``null``: a body without the four letters ``null`` anywhere has none (a text holding them
    merely sends the answer to the serialiser).
    """
    if not result.keys() <= {"UpdateCount", "ResultSet", "NextToken"}:
        return None
    result_set = result.get("ResultSet", {})
    if type(result_set) is not dict or not result_set.keys() <= {"Rows", "ResultSetMetadata"}:
        return None
    metadata = result_set.get("ResultSetMetadata", {})
    if type(metadata) is not dict or not metadata.keys() <= {"ColumnInfo"}:
        return None
    known = _column_info_members()
    for info in metadata.get("ColumnInfo", []):
        if type(info) is not dict or not info.keys() <= known:
            return None
    body = json.dumps(result).encode()
    return None if b"null" in body else body


def plain_page(page: ResultsPage) -> bytes | None:
    """The body LocalStack's serialiser writes for a GetQueryResults page, written from its
    text cells (:func:`~sandbox.query.api.results.page_json`), or None when the two could differ.

    They agree when the page holds only what the serialiser copies unchanged: an ``int``
    UpdateCount, a ``str`` NextToken, ColumnInfo entries of known members whose values are
    strings, integers or booleans (no ``None``, which the serialiser drops), and cells that are
    ``str`` or ``None`` (a NULL: an empty ``Datum``, ``{}`` in both); ``page_json`` refuses any
    other cell with ``TypeError``."""
    if type(page.update_count) is not int:
        return None
    if page.next_token is not None and type(page.next_token) is not str:
        return None
    known = _column_info_members()
    for info in page.column_info:
        if type(info) is not dict or not info.keys() <= known:
            return None
        if not all(type(value) in (str, int, bool) for value in info.values()):
            return None
    try:
        return page_json(page).encode()
    except TypeError:
        return None


class PageDocument(Mapping[str, Any]):
    """A page's API document (``context.service_response``, what the skeleton would have set),
    built only if a response handler reads more than its size: LocalStack's handlers only test
    that it is there (``ServiceResponseParser``) or pass it to a log record that does not
    format it at INFO."""

    def __init__(self, page: ResultsPage) -> None:
        self.page = page
        self._document: dict[str, Any] | None = None

    @property
    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = self.page.api()
        return self._document

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return 2 if self.page.next_token is None else 3


def _signed_for_athena(headers: Any) -> bool:
    authorization = headers.get("Authorization") or ""
    return authorization.startswith("AWS4-HMAC-SHA256 ") and "/athena/aws4_request" in (
        authorization
    )


def _plain_headers(headers: Any) -> bool:
    return (
        (headers.get("Content-Encoding") or "identity") == "identity"
        and headers.get("Content-Type") == JSON_1_1
        and headers.get("Accept") in (None, "*/*")
    )


def handle(chain: Any, context: Any, response: Any) -> None:
    """The ``preprocess_request`` handler; returns without touching anything when not taken."""
    request = context.request
    headers = request.headers
    target = headers.get("X-Amz-Target")
    if request.method != "POST" or target not in OPERATIONS:
        return
    counters = current().fast_path_counters
    provider = current().athena
    if provider is None:
        counters["athena:skipped:no provider"] += 1
        return
    if not _signed_for_athena(headers) or not _plain_headers(headers):
        counters["athena:skipped:headers"] += 1
        return
    operation_name, method, members = OPERATIONS[target]
    parsed = plain_request(request.get_data(), members)
    if parsed is None:
        counters["athena:skipped:body"] += 1
        return

    from localstack.aws.accounts import get_account_id_from_access_key_id
    from localstack.aws.handlers import add_region_from_header, rewrite_region
    from localstack.services.plugins import SERVICE_PLUGINS
    from localstack.utils.aws.request_context import extract_access_key_id_from_auth_header

    if not SERVICE_PLUGINS.is_running("athena"):
        counters["athena:skipped:service not running"] += 1
        return
    access_key = extract_access_key_id_from_auth_header(headers)
    if not access_key:
        counters["athena:skipped:access key"] += 1
        return
    # What the chain's region and account handlers would set (they run again, harmlessly, if
    # the request continues down the normal chain).
    add_region_from_header(chain, context, response)
    rewrite_region(chain, context, response)
    context.account_id = get_account_id_from_access_key_id(access_key)
    try:
        service = provider.service(context.account_id, context.region)
        if not hasattr(service, method):  # a service without pages: its API document
            method = "get_query_results"
        result = getattr(service, method)(dict(parsed))
    except Exception:  # Athena's error (or any other): the normal chain answers it
        counters["athena:skipped:service error"] += 1
        return
    _answer(context, response, operation_name, parsed, result)
    counters[f"athena:handled:{operation_name}"] += 1
    if counters[f"athena:handled:{operation_name}"] == 1:
        LOG.info("Athena %s takes the sandbox's short path (%s)", operation_name, __name__)
    chain.stop()


def _answer(
    context: Any, response: Any, operation_name: str, request: dict[str, Any], result: Any
) -> None:
    from localstack.aws.spec import load_service

    service = load_service("athena")
    operation = service.operation_model(operation_name)
    context.service = service
    context.operation = operation
    context.service_request = request
    if isinstance(result, ResultsPage):
        context.service_response = PageDocument(result)
        body = plain_page(result)
        if body is None:
            result = context.service_response.document
    else:
        context.service_response = result
        body = plain_results(result) if operation_name == "GetQueryResults" else None
    if body is not None:
        response.set_response(body)
        response.status_code = 200
        response.headers["Content-Type"] = JSON_1_1
        response.headers["x-amzn-RequestId"] = context.request_id
        return
    from localstack.aws.protocol.serializer import create_serializer

    serialized = create_serializer(service).serialize_to_response(
        result, operation, context.request.headers, context.request_id
    )
    response.update_from(serialized)
