"""pytest fixtures for testing a pipeline against the sandbox (the package's ``pytest11`` entry
point, so ``pip install`` of the sandbox is all a test suite needs).

``aws_sandbox`` (session): the sandbox ``make up`` started, if one answers at ``SANDBOX_PORT``
(reused, never stopped), else one of the session's own: LocalStack on a free loopback port with
a temporary state folder, ``terraform/`` applied with tflocal, stopped at the end (its log tail
printed when a test failed). Then boto3 clients bound to it (``sandbox_client("sqs")``,
``s3_client``, ``firehose_client``, ``glue_client``, ``athena_client``), ``firehose_flush()``,
``athena_query(sql)`` (through the sandbox's Athena API, typed rows), and per-test names:
``unique_name``, ``unique_prefix``, ``unique_bucket`` (created, emptied and deleted after).

Settings (``pyproject.toml``'s ``[tool.pytest.ini_options]``, or ``-o name=value``):
``sandbox_reuse`` (true: reuse a running sandbox; ``--sandbox-fresh`` overrides it),
``sandbox_mode`` (auto, host or docker for a started one; default ``SANDBOX_MODE``, else auto),
``sandbox_terraform`` (true: apply ``SANDBOX_TERRAFORM_DIR``, default ``terraform/``).
``SANDBOX_TEST_PORT`` fixes the started sandbox's port. Every test that uses the sandbox (any of
these fixtures) is marked ``sandbox``: ``pytest -m "not sandbox"`` runs the others alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the harness (boto3, the query stage) is imported when a fixture is used
    from sandbox.query.engine.session import Result
    from sandbox.testing.harness import Sandbox


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sandbox", "the AWS data sandbox (sandbox.testing)")
    group.addoption(
        "--sandbox-fresh",
        action="store_true",
        help="start a sandbox of the session's own even when one is running",
    )
    parser.addini("sandbox_reuse", "reuse a running sandbox (make up's)", type="bool", default=True)
    parser.addini("sandbox_mode", "auto, host or docker for a sandbox the session starts")
    parser.addini(
        "sandbox_terraform", "apply terraform/ to a started sandbox", type="bool", default=True
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sandbox: uses the AWS data sandbox (aws_sandbox fixture)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "aws_sandbox" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sandbox)


def _start_settings(config: pytest.Config) -> dict[str, Any]:
    from sandbox import settings as sandbox_settings

    mode = str(config.getini("sandbox_mode") or os.environ.get("SANDBOX_MODE") or "auto")
    port = os.environ.get("SANDBOX_TEST_PORT")
    return {
        "mode": mode,
        "port": int(port) if port else None,
        "apply": bool(config.getini("sandbox_terraform")),
        "terraform_dir": sandbox_settings.load().terraform_dir,
    }


@pytest.fixture(scope="session")
def aws_sandbox(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """The session's sandbox: the running one (``make up``'s) or one started for the session."""
    from sandbox import settings as sandbox_settings
    from sandbox.testing import harness

    config = request.config
    if config.getini("sandbox_reuse") and not config.getoption("sandbox_fresh"):
        found = harness.find_running(sandbox_settings.load())
        if found is not None:
            yield found
            return
    failures_before = request.session.testsfailed
    state_dir = tmp_path_factory.mktemp("sandbox-state")
    try:
        sandbox = harness.start(state_dir, **_start_settings(config))
    except BaseException:
        # start() stopped it again; a failed Docker start left the container's log there too.
        _print_log_tail(harness.Sandbox(sandbox_settings.Settings(state_dir=state_dir)))
        raise
    try:
        yield sandbox
    finally:
        failed = request.session.testsfailed > failures_before
        harness.stop(sandbox)
        if failed:
            _print_log_tail(sandbox)


def _print_log_tail(sandbox: Sandbox) -> None:
    tail = sandbox.log_tail()
    if tail and sys.__stderr__ is not None:
        where: Path | str = sandbox.settings.state.log_file
        if sandbox.mode == "docker":
            where = "docker compose logs"
        sys.__stderr__.write(f"\n===== LocalStack log tail ({where}) =====\n")
        sys.__stderr__.write(tail + "\n===== end of LocalStack log =====\n")


@pytest.fixture(scope="session")
def sandbox_client(aws_sandbox: Sandbox) -> Callable[..., Any]:
    """``sandbox_client("sqs")``: a boto3 client of any service on the sandbox."""
    return aws_sandbox.client


def _client_fixture(service: str) -> Any:
    def client(aws_sandbox: Sandbox) -> Any:
        return aws_sandbox.client(service)

    client.__doc__ = f"boto3's {service} client on the sandbox."
    return pytest.fixture(scope="session", name=f"{service}_client")(client)


s3_client = _client_fixture("s3")
firehose_client = _client_fixture("firehose")
glue_client = _client_fixture("glue")
athena_client = _client_fixture("athena")


@pytest.fixture
def firehose_flush(aws_sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """``firehose_flush()`` (or ``firehose_flush("events_json")``): deliver what the delivery
    streams buffer now, instead of waiting for their buffering interval."""
    return aws_sandbox.flush


@pytest.fixture
def athena_query(aws_sandbox: Sandbox) -> Callable[..., Result]:
    """``athena_query("SELECT ...")``: run a statement through the sandbox's Athena API (the
    platform's database and workgroup unless ``database=``/``workgroup=`` are given) and wait
    for it; ``.columns``, ``.rows`` (typed), ``.bytes_scanned``."""
    return aws_sandbox.query


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A name of this test's own (``<test-name>-<random>``) for buckets, streams, prefixes."""
    from sandbox.testing import harness

    return harness.unique_name(request.node.name)


@pytest.fixture
def unique_prefix(unique_name: str) -> str:
    """An S3 prefix of this test's own (``<unique_name>/``)."""
    return f"{unique_name}/"


@pytest.fixture
def unique_bucket(s3_client: Any, unique_name: str) -> Iterator[str]:
    """A bucket of this test's own, emptied and deleted after the test."""
    s3_client.create_bucket(Bucket=unique_name)
    yield unique_name
    paginator = s3_client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=unique_name):
        items = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if items:
            s3_client.delete_objects(
                Bucket=unique_name,
                Delete={"Objects": [{"Key": i["Key"], "VersionId": i["VersionId"]} for i in items]},
            )
    s3_client.delete_bucket(Bucket=unique_name)
