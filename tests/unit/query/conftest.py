"""Fixtures for the query stage: moto's Glue and S3 in-process, an endpoint DuckDB can reach,
and a small lake in the layout the sandbox's Firehose writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.config import default_user_config

from sandbox import settings as settings_module
from sandbox.infra.outputs import save_outputs
from sandbox.settings import Settings
from tests.unit.query.lakes import DATABASE, OUTPUTS, REGION, Lake, MotoBridge, build_lake


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # moto-ext (the build LocalStack ships) allows a short list of services unless told otherwise.
    core = {**default_user_config.get("core", {}), "service_whitelist": None}
    with mock_aws(config={"core": core}):  # type: ignore[typeddict-item]
        yield


@pytest.fixture
def glue(aws: None) -> Any:
    return boto3.client("glue", region_name=REGION)


@pytest.fixture
def s3(aws: None) -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def endpoint(aws: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The sandbox settings, pointed at a local HTTP bridge to moto (a free port per test),
    with Terraform outputs naming this lake's resources."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), MotoBridge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SANDBOX_HOST", "127.0.0.1")
    monkeypatch.setenv("SANDBOX_PORT", str(server.server_address[1]))
    monkeypatch.setenv("SANDBOX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SANDBOX_TERRAFORM_DIR", str(tmp_path / "no-terraform"))
    monkeypatch.delenv("SANDBOX_ENDPOINT_URL", raising=False)
    settings = settings_module.load()
    save_outputs(settings, OUTPUTS)
    try:
        yield settings
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def lake(s3: Any, glue: Any) -> Lake:
    return build_lake(s3, glue)


@pytest.fixture
def session(endpoint: Settings, glue: Any, s3: Any, lake: Lake) -> Iterator[Any]:
    from sandbox.query.engine.session import Session

    with Session(endpoint, glue_client=glue, s3_client=s3, database=DATABASE) as current:
        yield current
