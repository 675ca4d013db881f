"""Athena's responses keep their connection: LocalStack's ``Connection: close`` finalizer runs,
then the plugin's takes the header off again for Athena requests only."""

from __future__ import annotations

import pytest
from localstack import config
from localstack.aws.api import RequestContext
from localstack.aws.handlers import legacy, run_custom_finalizers
from localstack.aws.spec import load_service
from localstack.http import Request, Response
from rolo.gateway.chain import HandlerChain

from sandbox.localstack_plugin import athena_keepalive


def finalize(headers: dict[str, str], service: str | None = None) -> Response:
    """LocalStack's finalizer and then the plugin's, as the gateway runs them."""
    context = RequestContext(Request("POST", "/", headers=headers, body=b"{}"))
    if service is not None:
        context.service = load_service(service)
    response = Response()
    chain = HandlerChain([], [], [])
    legacy.set_close_connection_header(chain, context, response)
    athena_keepalive.keep_connection(chain, context, response)
    return response


@pytest.fixture(autouse=True)
def hypercorn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "GATEWAY_SERVER", "hypercorn")  # the sandbox's server


def test_an_athena_response_keeps_the_connection() -> None:
    by_target = finalize({"X-Amz-Target": "AmazonAthena.GetQueryResults"})
    by_service = finalize({}, service="athena")
    assert "Connection" not in by_target.headers
    assert "Connection" not in by_service.headers


def test_other_services_keep_localstacks_close() -> None:
    assert finalize({"X-Amz-Target": "Firehose_20150804.PutRecordBatch"}).headers["Connection"] == (
        "close"
    )
    assert finalize({}, service="s3").headers["Connection"] == "close"


def test_a_client_asking_to_close_gets_its_close() -> None:
    headers = {"X-Amz-Target": "AmazonAthena.GetQueryExecution", "Connection": "close"}
    assert finalize(headers).headers["Connection"] == "close"


def test_install_appends_the_finalizer_once() -> None:
    before = list(run_custom_finalizers.handlers)
    try:
        athena_keepalive.install()
        athena_keepalive.install()
        assert run_custom_finalizers.handlers.count(athena_keepalive.keep_connection) == 1
    finally:
        run_custom_finalizers.handlers[:] = before
