"""The engine's in-process read endpoint (sandbox.localstack_plugin.lake_reads): the HTTP side
over a provider that answers as LocalStack's S3Provider does, and DuckDB's httpfs reading
through it with the bytes billed from its HTTP log.

The provider here is a small stand-in with S3Provider's method signatures (the real provider
runs behind it in tests/integration/test_athena_clients.py, which compares the API's answers and
byte counts with the engine reading through the gateway)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.localstack_plugin.lake_reads import LakeReads
from sandbox.query.engine import duck
from sandbox.settings import Settings

BODY = b'{"a": 1}\n{"a": 2}\n{"a": 3}\n'


class NoSuchKey(Exception):
    code = "NoSuchKey"
    status_code = 404
    message = "The specified key does not exist."


class Provider:
    """get_object/head_object shaped like LocalStack's S3Provider's answers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], str]] = []

    def _object(self, context: Any, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((request["Key"], dict(request), context.account_id))
        if (request["Bucket"], request["Key"]) != ("lake", "data/part 1.json"):
            raise NoSuchKey()
        out: dict[str, Any] = {
            "AcceptRanges": "bytes",
            "ETag": '"abc"',
            "LastModified": "Wed, 02 Dec 2026 10:00:00 GMT",
            "ContentLength": str(len(BODY)),
            "ContentType": "application/json",
            "ServerSideEncryption": "aws:kms",
        }
        body = BODY
        if request.get("Range"):
            start, end = (int(x) for x in request["Range"].split("=")[1].split("-"))
            body = BODY[start : end + 1]
            out.update(
                StatusCode=206,
                ContentLength=str(len(body)),
                ContentRange=f"bytes {start}-{end}/{len(BODY)}",
            )
        out["Body"] = iter([body[:5], body[5:]])
        return out

    def get_object(self, context: Any, request: dict[str, Any]) -> dict[str, Any]:
        return self._object(context, request)

    def head_object(self, context: Any, request: dict[str, Any]) -> dict[str, Any]:
        out = self._object(context, request)
        out.pop("Body")
        return out


@pytest.fixture
def reads() -> Iterator[LakeReads]:
    endpoint = LakeReads(Provider(), "000000000000", "us-east-1")
    try:
        yield endpoint
    finally:
        endpoint.close()


def request(
    reads: LakeReads, method: str, path: str, *, signed: bool = True, **extra: str
) -> tuple[int, dict[str, str], bytes]:
    headers = dict(extra)
    port = int(reads.endpoint.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if signed:
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={reads.access_key_id}/20261202/us-east-1/s3/aws4_request"
        )
    conn.request(method, path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_a_get_is_the_providers_object_with_the_gateways_headers(reads: LakeReads) -> None:
    status, headers, body = request(reads, "GET", "/lake/data/part%201.json")
    assert status == 200 and body == BODY
    assert headers["content-length"] == str(len(BODY))
    assert headers["etag"] == '"abc"' and headers["accept-ranges"] == "bytes"
    assert headers["last-modified"] == "Wed, 02 Dec 2026 10:00:00 GMT"
    assert headers["x-amz-server-side-encryption"] == "aws:kms"
    key, _, account = reads.provider.calls[-1]
    assert key == "data/part 1.json" and account == "000000000000"


def test_a_range_is_206_with_its_content_range(reads: LakeReads) -> None:
    status, headers, body = request(reads, "GET", "/lake/data/part%201.json", Range="bytes=2-6")
    assert status == 206 and body == BODY[2:7]
    assert headers["content-range"] == f"bytes 2-6/{len(BODY)}"
    assert reads.provider.calls[-1][1]["Range"] == "bytes=2-6"


def test_head_has_the_size_and_no_body(reads: LakeReads) -> None:
    status, headers, body = request(reads, "HEAD", "/lake/data/part%201.json")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(BODY))


def test_the_providers_error_is_s3s_error_document(reads: LakeReads) -> None:
    status, _, body = request(reads, "GET", "/lake/missing.json")
    assert status == 404
    assert b"<Code>NoSuchKey</Code>" in body and b"does not exist" in body


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("PUT", "/lake/data/x.json", {}),
        ("DELETE", "/lake/data/part%201.json", {}),
        ("GET", "/lake/?list-type=2", {}),
        ("GET", "/lake/data/part%201.json?versionId=1", {}),
        ("GET", "/lake/data/part%201.json", {"If-None-Match": '"abc"'}),
        ("GET", "/lake", {}),
    ],
)
def test_what_the_engine_never_sends_is_not_served(
    reads: LakeReads, method: str, path: str, headers: dict[str, str]
) -> None:
    calls = len(reads.provider.calls)
    status, _, body = request(reads, method, path, signed=True, **headers)
    assert status == 501 and b"NotImplemented" in body
    assert len(reads.provider.calls) == calls  # the provider was never asked


@pytest.mark.parametrize("signed", [False, True])
def test_only_the_engines_key_opens_it(reads: LakeReads, signed: bool) -> None:
    if signed:  # signed, but with the sandbox's ordinary key: not this endpoint's
        status, _, _ = request(
            reads,
            "GET",
            "/lake/data/part%201.json",
            signed=False,
            Authorization="AWS4-HMAC-SHA256 Credential=test/20261202/us-east-1/s3/aws4_request",
        )
    else:
        status, _, _ = request(reads, "GET", "/lake/data/part%201.json", signed=False)
    assert status == 403 and reads.provider.calls == []


def test_duckdb_reads_through_it_and_bills_what_it_fetched(reads: LakeReads) -> None:
    con = duck.connect(Settings(), reads=reads.endpoint)
    try:
        duck.start_measuring(con)
        rows = con.execute(
            "SELECT a FROM read_json('s3://lake/data/part 1.json', columns={'a': 'INTEGER'}) "
            "ORDER BY a"
        ).fetchall()
        scan = duck.scan_from_log(duck.http_log(con))
    finally:
        con.close()
    assert rows == [(1,), (2,), (3,)]
    # Every whole-object GET DuckDB made is billed (it reads a small JSON file twice: the same
    # requests it makes through the gateway).
    assert scan.objects_read == 1 and scan.get_requests >= 1
    assert scan.bytes_scanned == scan.get_requests * len(BODY)
    assert {call[2] for call in reads.provider.calls} == {"000000000000"}
