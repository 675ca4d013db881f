"""The Athena short path (GetQueryExecution, GetQueryResults): what it takes, what it leaves to
LocalStack's chain, and that its answers are byte for byte what LocalStack's serialiser writes
for what the provider's skeleton would have returned."""

from __future__ import annotations

import json
from typing import Any

import pytest
from localstack.aws.api import RequestContext
from localstack.aws.protocol.serializer import create_serializer
from localstack.aws.spec import load_service
from localstack.http import Request, Response
from rolo.gateway.chain import HandlerChain

from sandbox.localstack_plugin import athena_fast_path, runtime
from sandbox.query.api.results import ResultsPage
from sandbox.query.api.service import AthenaService
from sandbox.settings import PluginSettings
from tests.unit.query.api.test_service import FakeResult, make, run

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/athena/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc"
)
NUMBERS = FakeResult(
    ["n", "text"],
    [(i, None if i % 7 == 0 else f'row {i} "quoted" é') for i in range(2500)],
    ["INTEGER", "VARCHAR"],
)


class FakeProvider:
    def __init__(self, service: Any) -> None:
        self._service = service
        self.asked: list[tuple[str, str]] = []

    def service(self, account: str, region: str) -> Any:
        self.asked.append((account, region))
        return self._service


class PagedService:
    """The service answering GetQueryResults with its page (``query_results_page``, which the
    short path prefers) as well as with the API document."""

    def __init__(self, service: AthenaService) -> None:
        self.service = service

    def get_query_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.service.get_query_execution(request)

    def get_query_results(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.service.get_query_results(request)

    def query_results_page(self, request: dict[str, Any]) -> ResultsPage:
        document = self.service.get_query_results(request)
        result_set = document["ResultSet"]
        return ResultsPage(
            update_count=document["UpdateCount"],
            column_info=result_set["ResultSetMetadata"]["ColumnInfo"],
            rows=[[cell.get("VarCharValue") for cell in row["Data"]] for row in result_set["Rows"]],
            next_token=document.get("NextToken"),
        )


@pytest.fixture(params=["document", "page"])
def service(request: pytest.FixtureRequest) -> Any:
    """The service, answering GetQueryResults with its document or also with its page."""
    service, _, _ = make(**{"SELECT numbers": NUMBERS})
    yield service if request.param == "document" else PagedService(service)
    service.shutdown()


def underlying(service: Any) -> AthenaService:
    return service.service if isinstance(service, PagedService) else service


@pytest.fixture(autouse=True)
def plugin(monkeypatch: pytest.MonkeyPatch) -> runtime.PluginRuntime:
    """A runtime of the test's own, with the Athena service running."""
    fresh = runtime.PluginRuntime(PluginSettings())
    monkeypatch.setattr(runtime, "_current", fresh)
    monkeypatch.setattr(
        "localstack.services.plugins.SERVICE_PLUGINS.is_running", lambda name: name == "athena"
    )
    return fresh


def call(
    monkeypatch: pytest.MonkeyPatch,
    provider: FakeProvider | None,
    operation: str,
    payload: Any,
    headers: dict[str, str | None] | None = None,
) -> tuple[HandlerChain, RequestContext, Response]:
    """The short path's answer to one request (``provider`` the runtime's Athena)."""
    runtime.current().athena = provider  # type: ignore[assignment]
    sent = {
        "X-Amz-Target": f"AmazonAthena.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": AUTH,
        **(headers or {}),
    }
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    context = RequestContext(
        request=Request(
            "POST", "/", headers={k: v for k, v in sent.items() if v is not None}, body=body
        )
    )
    chain, response = HandlerChain([], [], [], []), Response()
    athena_fast_path.handle(chain, context, response)
    return chain, context, response


def serialised(operation: str, result: Any, context: RequestContext) -> Response:
    """What the skeleton's serialiser writes for ``result``."""
    service = load_service("athena")
    return create_serializer(service).serialize_to_response(
        result, service.operation_model(operation), context.request.headers, context.request_id
    )


def assert_same_as_the_serialiser(operation: str, context: RequestContext, response: Any) -> None:
    expected = serialised(operation, context.service_response, context)
    assert response.status_code == expected.status_code == 200
    assert response.data == expected.data
    for header in ("Content-Type", "Content-Length", "x-amzn-RequestId"):
        assert response.headers[header] == expected.headers[header]


def test_every_page_is_byte_for_byte_what_the_serialiser_writes(monkeypatch, service):
    provider = FakeProvider(service)
    query_id = run(underlying(service), "SELECT numbers")["QueryExecutionId"]
    token, pages = None, 0
    while True:
        request: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
        if token:
            request["NextToken"] = token
        chain, context, response = call(monkeypatch, provider, "GetQueryResults", request)
        assert chain.stopped
        assert_same_as_the_serialiser("GetQueryResults", context, response)
        # The same answer the provider's skeleton gets from the service.
        assert context.service_response == service.get_query_results(dict(request))
        assert context.operation.name == "GetQueryResults"
        assert context.service_request == request
        pages += 1
        token = json.loads(response.data).get("NextToken")
        if not token:
            break
    assert pages == 3  # 2,500 rows and the header
    assert provider.asked[0] == ("000000000000", "eu-west-1")
    counters = runtime.current().fast_path_counters
    assert counters["athena:handled:GetQueryResults"] == pages


def test_a_page_the_json_shortcut_cannot_prove_goes_through_the_serialiser(monkeypatch, service):
    # "{k=1, j=null}": the text null sends the page to LocalStack's serialiser, same bytes.
    query_id = run(underlying(service), "SELECT typed")["QueryExecutionId"]
    page = service.get_query_results({"QueryExecutionId": query_id})
    assert athena_fast_path.plain_results(page) is None
    chain, context, response = call(
        monkeypatch, FakeProvider(service), "GetQueryResults", {"QueryExecutionId": query_id}
    )
    assert chain.stopped
    assert_same_as_the_serialiser("GetQueryResults", context, response)


@pytest.mark.parametrize(
    "result",
    [
        {"UpdateCount": 0, "ResultSet": {"Rows": [{"Data": [{"VarCharValue": None}]}]}},
        {"ResultSet": {"Rows": [], "ResultSetMetadata": {"ColumnInfo": [{"Name": None}]}}},
        {"ResultSet": {"ResultSetMetadata": {"ColumnInfo": [{"Name": "x", "Other": 1}]}}},
        {"ResultSet": {"Rows": [], "Extra": 1}},
        {"UpdateCount": 0, "Unknown": "x"},
    ],
    ids=["None cell", "None column member", "unknown column member", "extra set", "extra top"],
)
def test_plain_results_refuses_what_the_serialiser_would_change(result):
    assert athena_fast_path.plain_results(result) is None
    assert serialised("GetQueryResults", result, RequestContext(Request("POST", "/"))).data != (
        json.dumps(result).encode()
    )


def test_get_query_execution_is_the_serialisers_answer(monkeypatch, service):
    query_id = run(underlying(service), "SELECT numbers")["QueryExecutionId"]
    request = {"QueryExecutionId": query_id}
    provider = FakeProvider(service)
    chain, context, response = call(monkeypatch, provider, "GetQueryExecution", request)
    assert chain.stopped
    assert context.service_response == service.get_query_execution(request)
    assert_same_as_the_serialiser("GetQueryExecution", context, response)
    document = json.loads(response.data)["QueryExecution"]
    assert document["Status"]["State"] == "SUCCEEDED"
    assert isinstance(document["Status"]["SubmissionDateTime"], float)  # epoch seconds


@pytest.mark.parametrize(
    ("operation", "payload"),
    [
        ("GetQueryExecution", {"QueryExecutionId": "no-such-id"}),
        ("GetQueryResults", {"QueryExecutionId": "no-such-id"}),
        ("GetQueryResults", {"QueryExecutionId": "{id}", "MaxResults": 5000}),
        ("GetQueryResults", {"QueryExecutionId": "{id}", "NextToken": "not a token"}),
    ],
    ids=["unknown id", "unknown id (results)", "MaxResults too big", "bad token"],
)
def test_athenas_errors_are_left_to_the_normal_chain(monkeypatch, service, operation, payload):
    query_id = run(underlying(service), "SELECT numbers")["QueryExecutionId"]
    payload = {k: v.format(id=query_id) if isinstance(v, str) else v for k, v in payload.items()}
    chain, _, response = call(monkeypatch, FakeProvider(service), operation, payload)
    assert not chain.stopped
    assert response.data == b""
    assert runtime.current().fast_path_counters["athena:skipped:service error"] == 1


@pytest.mark.parametrize(
    ("payload", "headers"),
    [
        ({"QueryExecutionId": "q"}, {"X-Amz-Target": "AmazonAthena.StartQueryExecution"}),
        ({"QueryExecutionId": "q"}, {"Authorization": None}),
        ({"QueryExecutionId": "q"}, {"Authorization": AUTH.replace("/athena/", "/s3/")}),
        ({"QueryExecutionId": "q"}, {"Content-Encoding": "gzip"}),
        ({"QueryExecutionId": "q"}, {"Content-Type": "application/json"}),
        ({"QueryExecutionId": "q"}, {"Accept": "application/x-amz-json-1.1"}),
        ({"QueryExecutionId": "q"}, {"Accept": "application/cbor"}),
        (b"not json", {}),
        (b"[]", {}),
        ({"QueryExecutionId": 5}, {}),
        ({"QueryExecutionId": "q", "MaxResults": "10"}, {}),
        ({"QueryExecutionId": "q", "MaxResults": True}, {}),
        ({"QueryExecutionId": "q", "Extra": 1}, {}),
    ],
    ids=[
        "other operation",
        "no authorization",
        "other service",
        "encoded body",
        "other content type",
        "explicit accept",
        "cbor",
        "not json",
        "not an object",
        "id not a string",
        "MaxResults a string",
        "MaxResults a boolean",
        "extra member",
    ],
)
def test_anything_unusual_is_left_to_localstack(monkeypatch, service, payload, headers):
    provider = FakeProvider(service)
    chain, _, response = call(monkeypatch, provider, "GetQueryResults", payload, headers)
    assert not chain.stopped
    assert provider.asked == []
    assert response.data == b""


def test_no_provider_means_no_short_path(monkeypatch):
    chain, _, _ = call(monkeypatch, None, "GetQueryExecution", {"QueryExecutionId": "q"})
    assert not chain.stopped
    assert runtime.current().fast_path_counters["athena:skipped:no provider"] == 1


@pytest.mark.parametrize(
    "page",
    [
        ResultsPage(None, [], [["a"]]),  # type: ignore[arg-type]
        ResultsPage(0, [{"Name": None}], []),
        ResultsPage(0, [{"Name": "x", "Other": 1}], []),
        ResultsPage(0, [{"Name": "x", "Precision": 1.5}], []),
        ResultsPage(0, [], [["a", 5]]),  # type: ignore[list-item]
        ResultsPage(0, [], [], next_token=5),  # type: ignore[arg-type]
    ],
    ids=["None count", "None column member", "unknown member", "float", "number cell", "token"],
)
def test_a_page_the_shortcut_cannot_prove_is_serialised(monkeypatch, page):
    assert athena_fast_path.plain_page(page) is None

    class Refused:
        def query_results_page(self, request: dict[str, Any]) -> ResultsPage:
            return page

    chain, context, response = call(
        monkeypatch, FakeProvider(Refused()), "GetQueryResults", {"QueryExecutionId": "q"}
    )
    assert chain.stopped
    assert context.service_response == page.api()
    assert_same_as_the_serialiser("GetQueryResults", context, response)


def test_a_pages_document_is_built_only_when_read():
    page = ResultsPage(0, [], [["1", None]], next_token="t")
    document = athena_fast_path.PageDocument(page)
    assert bool(document) and len(document) == 3 and document._document is None
    assert document == page.api() and dict(document) == page.api()
    assert len(athena_fast_path.PageDocument(ResultsPage(0, [], []))) == 2
