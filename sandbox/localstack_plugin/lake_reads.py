"""A read-only object endpoint, in LocalStack's process, for the query engine's own reads.

Owns the HTTP endpoint DuckDB's httpfs reads the lake through when a query runs inside
LocalStack (the ``athena:sandbox`` provider's sessions). Every object a query scans is a HEAD
and one or more ranged GETs; through LocalStack's gateway each passes hypercorn's event loop,
h11, the handler chain and the response serialiser: ~5 ms of Python holding the GIL per request
at the request threads' priority, which under query load took ingestion's share of the GIL and
the cores (``docs/performance.md``, "Mixed load"). Here the same two requests are served by the
S3 provider's own methods, one thread per connection, at the query workers' niceness:

- ``GET`` and ``HEAD`` of ``/<bucket>/<key>`` (path style, as the engine's secret asks), with
  ``Range``. LocalStack's ``S3Provider.get_object`` / ``head_object`` run with a context for the
  account the sandbox's credentials map to: the same bucket and key lookup, delete markers,
  storage-class, SSE-C and KMS checks, range parsing and errors as through the gateway; only the
  HTTP parsing, the handler chain and the serialiser are skipped. The response carries the
  status, ``Content-Length``, ``Content-Range``, ``ETag``, ``Last-Modified``, ``Accept-Ranges``
  and content headers the gateway sends, and S3's XML error document; so DuckDB's requests, and
  the bytes its HTTP log bills (:func:`sandbox.query.engine.duck.scan_from_log`), are the ones it
  makes against the gateway (``tests/integration/test_athena_clients.py`` compares the CLI's
  in-process engine, which reads through the gateway, with the API, byte counts included).
- Loopback only, on a free port, started with the first Athena session. A request must be signed
  with the endpoint's random access key id (the engine's DuckDB secret holds it): other programs
  on the machine keep using the gateway, where every request is journaled, logged and counted.

Not served (answered ``501 NotImplemented`` in S3's error shape): any other method, query
parameters (listings, versions, parts), conditional headers and SSE-C keys. DuckDB sends none of
them for the engine's reads (it lists nothing: keys are literal, see ``duck.LOCKDOWN``).
"""

from __future__ import annotations

import logging
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from sandbox.query.engine.duck import ReadEndpoint

LOG = logging.getLogger(__name__)

__all__ = ["LakeReads", "start"]

# The provider's output member -> the response header the gateway's serialiser writes for it.
HEADERS = {
    "AcceptRanges": "Accept-Ranges",
    "ContentLength": "Content-Length",
    "ContentRange": "Content-Range",
    "ETag": "ETag",
    "LastModified": "Last-Modified",
    "ContentType": "Content-Type",
    "ContentEncoding": "Content-Encoding",
    "ContentLanguage": "Content-Language",
    "ContentDisposition": "Content-Disposition",
    "CacheControl": "Cache-Control",
    "Expires": "Expires",
    "StorageClass": "x-amz-storage-class",
    "ServerSideEncryption": "x-amz-server-side-encryption",
    "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id",
    "BucketKeyEnabled": "x-amz-server-side-encryption-bucket-key-enabled",
    "VersionId": "x-amz-version-id",
}
# Requests this endpoint does not serve: they would need the gateway's full parsing.
UNSERVED_HEADERS = (
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-MD5",
    "x-amz-checksum-mode",
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Connections are kept (DuckDB's httpfs pools them); each has its own thread.
    request_queue_size = 64

    def __init__(self, reads: LakeReads) -> None:
        self.reads = reads
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        from sandbox.query.api.service import lower_priority

        lower_priority(self.reads.niceness)
        super().process_request_thread(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes: without TCP_NODELAY each small ranged GET (a
    # Parquet footer, a column chunk) waited out Nagle's algorithm and the client's delayed ACK
    # (~40 ms), which made every Parquet query ~100 ms slower than through the gateway.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _unserved(self) -> None:
        self._error(501, "NotImplemented", "the engine's read endpoint serves GET and HEAD only")

    do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _unserved

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("lake read: " + format, *args)

    def _serve(self, *, head: bool) -> None:
        reads = self.server.reads
        if f"Credential={reads.access_key_id}/" not in self.headers.get("Authorization", ""):
            self._error(403, "InvalidAccessKeyId", "not the engine's access key", head=head)
            return
        parts = urlsplit(self.path)
        bucket, _, key = unquote(parts.path.lstrip("/")).partition("/")
        unserved = any(header in self.headers for header in UNSERVED_HEADERS)
        if parts.query or not bucket or not key or unserved:
            self._error(
                501, "NotImplemented", "not served by the engine's read endpoint", head=head
            )
            return
        request: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if self.headers.get("Range"):
            request["Range"] = self.headers["Range"]
        try:
            response = reads.call("head_object" if head else "get_object", request)
        except Exception as exc:  # the provider's ServiceException, or a bug: S3's shape
            status = int(getattr(exc, "status_code", 500) or 500)
            code = str(getattr(exc, "code", "") or "InternalError")
            message = str(getattr(exc, "message", "") or exc)
            if status >= 500:
                LOG.exception("lake read of s3://%s/%s failed", bucket, key)
            self._error(status, code, message, head=head)
            return
        body = response.pop("Body", None)
        try:
            self.send_response(int(response.get("StatusCode") or 200))
            for member, header in HEADERS.items():
                value = response.get(member)
                if value is not None:
                    self.send_header(header, str(value).lower() if value is True else str(value))
            for name, value in (response.get("Metadata") or {}).items():
                self.send_header(f"x-amz-meta-{name}", str(value))
            self.end_headers()
            if body is not None and not head:
                for chunk in body:
                    self.wfile.write(chunk)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()  # the storage's read lock

    def _error(self, status: int, code: str, message: str, *, head: bool = False) -> None:
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(document)))
        self.end_headers()
        if not head:
            self.wfile.write(document)


class LakeReads:
    """The endpoint: the S3 provider's reads behind a loopback HTTP server."""

    def __init__(self, provider: Any, account_id: str, region: str, niceness: int = 0) -> None:
        self.provider = provider
        self.account_id = account_id
        self.region = region
        self.niceness = niceness
        # Shaped like an access key id; opens this endpoint only.
        self.access_key_id = "LKRD" + secrets.token_hex(8).upper()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-lake-reads", daemon=True
        )
        self._thread.start()

    @property
    def endpoint(self) -> ReadEndpoint:
        port = int(self._server.server_address[1])
        return ReadEndpoint(f"http://127.0.0.1:{port}", self.access_key_id)

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """The provider's ``operation`` for the sandbox's account, as the gateway would call it."""
        from localstack.aws.api import RequestContext

        context = RequestContext(None)  # type: ignore[arg-type]
        context.account_id = self.account_id
        context.region = self.region
        return dict(getattr(self.provider, operation)(context, request))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start(provider: Any, access_key_id: str, region: str, niceness: int) -> LakeReads:
    """The endpoint over ``provider`` for the account LocalStack gives ``access_key_id``."""
    from localstack.aws.accounts import get_account_id_from_access_key_id

    return LakeReads(provider, get_account_id_from_access_key_id(access_key_id), region, niceness)
