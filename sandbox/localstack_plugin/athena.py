"""The ``athena:sandbox`` provider: Athena's query API on the sandbox endpoint, run by DuckDB.

A thin adapter around :class:`sandbox.query.api.service.AthenaService` (one per account and
region): it reads workgroups from moto's Athena backend (which keeps serving workgroups, named
queries, data catalogs and tags, plus :mod:`~sandbox.localstack_plugin.athena_ops`), gives each
worker thread an engine :class:`~sandbox.query.engine.session.Session` bound to this
LocalStack's own gateway (``GATEWAY_LISTEN``; the engine reads only the sandbox's S3 and Glue),
writes result files with LocalStack's internal S3 client, and turns the core's
:class:`~sandbox.query.api.errors.ApiError` into LocalStack's service exceptions. Metadata
operations (ListDatabases, ListTableMetadata...) read Glue through the internal client.

Query history and prepared statements are kept in ``<state folder>/athena/`` (one file per
account and region), result files are S3 objects (the lake's snapshots keep them).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from localstack.aws.api import CommonServiceException

from sandbox.query.api.errors import ApiError
from sandbox.query.api.history import History
from sandbox.query.api.metadata import CATALOG, Metadata, data_catalog
from sandbox.query.api.model import WorkGroup
from sandbox.settings import PluginSettings, Settings

if TYPE_CHECKING:
    from sandbox.localstack_plugin.lake_reads import LakeReads

    # The query service brings the engine's pyarrow: imported by the first Athena request
    # (``service``), not when LocalStack constructs the provider at start.
    from sandbox.query.api.service import AthenaService, SessionEngine
    from sandbox.query.engine.duck import ReadEndpoint

LOG = logging.getLogger(__name__)
# How far below LocalStack's request threads the query workers (and DuckDB's threads) run: on
# a busy machine ingestion keeps its share of the cores, queries take the rest
# (``docs/performance.md``, "Mixed load"); alone, a query runs as fast as before.
WORKER_NICENESS = 10
# How long StartQueryExecution waits for a statement to finish before it answers (the service's
# ``start_wait``): SELECT 1 takes ~15 ms inside the service, the analysis pack's queries 30-150 ms.
START_WAIT = 0.1
# How long GetQueryExecution of a running query waits for it to finish before it answers (the
# service's ``poll_wait``): the CLI's client polls every 20 ms at most, which under load made
# more requests than Firehose ingestion (``docs/performance.md``, "Mixed load").
POLL_WAIT = 0.05


def gateway_endpoint() -> tuple[str, int]:
    """(host, port) of this LocalStack's gateway, as its own clients should reach it."""
    from localstack import config

    listen = config.GATEWAY_LISTEN[0]
    host = listen.host if listen.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    return host, int(listen.port)


def send_in_process(client: Any) -> Any:
    """Make ``client`` hand its requests straight to this LocalStack's gateway, in this thread.

    Each request runs the whole handler chain exactly as one arriving over HTTP does (parsing,
    the S3 provider, the sandbox's durable journal, encryption, the response handlers); only
    the loopback socket, the HTTP server and its thread hop are skipped (about 10 ms per result
    file, twice per query). LocalStack's own ``IN_MEMORY_CLIENT`` does the same for every
    internal client, but presets the parsed request; this keeps LocalStack's parser. Without a
    running LocalStack (tests), the client is left as it is.
    """
    try:
        from localstack.runtime import get_current_runtime

        gateway = get_current_runtime().components.gateway
    except Exception:
        return client
    from botocore.awsrequest import AWSResponse
    from localstack.aws.client import _ResponseStream, create_http_request
    from localstack.http import Response

    def send(request: Any, **_: Any) -> AWSResponse:
        response = Response()
        gateway.process(create_http_request(request), response)
        return AWSResponse(
            request.url, response.status_code, response.headers, _ResponseStream(response)
        )

    event = f"before-send.{client.meta.service_model.service_name}.*"
    client.meta.events.register_first(event, send)
    return client


class S3ResultStore:
    """Result files through LocalStack's internal S3 client (in process: :func:`send_in_process`),
    with the query's encryption."""

    def __init__(self, region: str) -> None:
        from localstack.aws.connect import connect_to

        self.s3 = send_in_process(connect_to(region_name=region).s3)

    @staticmethod
    def _split(url: str) -> tuple[str, str]:
        parsed = urlparse(url)
        return parsed.netloc, parsed.path.lstrip("/")

    def put(self, url: str, body: bytes, content_type: str, encryption: dict | None) -> None:
        bucket, key = self._split(url)
        extra: dict[str, Any] = {}
        option = (encryption or {}).get("EncryptionOption")
        if option == "SSE_S3":
            extra["ServerSideEncryption"] = "AES256"
        elif option == "SSE_KMS":
            extra["ServerSideEncryption"] = "aws:kms"
            if (encryption or {}).get("KmsKey"):
                extra["SSEKMSKeyId"] = encryption["KmsKey"]  # type: ignore[index]
        try:
            self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra)
        except Exception as exc:
            if not extra or "KMS" not in str(exc).upper():
                raise
            # The emulator has no real keys: keep the bucket's default encryption instead.
            self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, url: str) -> bytes:
        bucket, key = self._split(url)
        return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


class SandboxAthena:
    """The provider's state: one query service per (account, region)."""

    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings
        self._services: dict[tuple[str, str], AthenaService] = {}
        self._lock = threading.Lock()
        # The engine's object reads (started with the first session; None: through the gateway).
        self._reads: LakeReads | None = None
        self._reads_started = False

    # -- wiring ----------------------------------------------------------------------------
    def service(self, account: str, region: str) -> AthenaService:
        key = (account, region)
        with self._lock:
            service = self._services.get(key)
            if service is None:
                from sandbox.query.api.service import AthenaService

                folder = self.settings.athena_dir
                path = None if folder is None else folder / f"history-{account}-{region}.jsonl"
                service = AthenaService(
                    workgroups=lambda name: self._workgroup(account, region, name),
                    sessions=lambda: self._session(region),
                    store=S3ResultStore(region),
                    history=History(path),
                    workers=self.settings.athena_workers,
                    niceness=WORKER_NICENESS,
                    start_wait=START_WAIT,
                    poll_wait=POLL_WAIT,
                    region=region,
                )
                self._services[key] = service
            return service

    @staticmethod
    def _workgroup(account: str, region: str, name: str) -> WorkGroup | None:
        from moto.athena.models import athena_backends

        group = athena_backends[account][region].work_groups.get(name)
        if group is None:
            return None
        return WorkGroup(group.name, str(group.state), dict(group.configuration or {}))

    def _lake_reads(self, settings: Settings) -> ReadEndpoint | None:
        """The in-process read endpoint for DuckDB (:mod:`.lake_reads`), started once; None
        (read through the gateway) when LocalStack's S3 is not the plugin's."""
        with self._lock:
            if not self._reads_started:
                self._reads_started = True
                from sandbox.localstack_plugin.runtime import current

                provider = current().s3
                if provider is not None:
                    from sandbox.localstack_plugin import lake_reads

                    self._reads = lake_reads.start(
                        provider, settings.access_key_id, settings.region, WORKER_NICENESS
                    )
            return self._reads.endpoint if self._reads is not None else None

    def _session(self, region: str) -> SessionEngine:
        from sandbox.query.api.service import SessionEngine
        from sandbox.query.engine.session import Session

        host, port = gateway_endpoint()
        settings = Settings(host=host, port=port, region=region)
        # The engine's own Glue and S3 calls (tables, partitions, listings) go straight into
        # the gateway in the worker's thread, at its priority, not through the HTTP server
        # that ingestion shares; DuckDB's reads of the objects go to the read endpoint.
        return SessionEngine(
            Session(
                settings,
                database="default",
                glue_client=send_in_process(settings.client("glue")),
                s3_client=send_in_process(settings.client("s3")),
                reads=self._lake_reads(settings),
            )
        )

    @staticmethod
    def _metadata(context: Any) -> Metadata:
        from localstack.aws.connect import connect_to

        return Metadata(connect_to(region_name=context.region).glue, context.account_id)

    def shutdown(self) -> None:
        with self._lock:
            services, self._services = list(self._services.values()), {}
        for service in services:
            service.shutdown()
        with self._lock:
            reads, self._reads = self._reads, None
        if reads is not None:
            reads.close()

    # -- handlers --------------------------------------------------------------------------
    def _query_op(self, method: str) -> Any:
        def handler(context: Any, request: Any) -> Any:
            service = self.service(context.account_id, context.region)
            return _call(getattr(service, method), dict(request))

        return handler

    def _metadata_op(self, method: str) -> Any:
        def handler(context: Any, request: Any) -> Any:
            return _call(getattr(self._metadata(context), method), dict(request))

        return handler

    def list_data_catalogs(self, context: Any, request: Any) -> Any:
        from localstack.services.moto import call_moto

        moto = call_moto(context) or {}
        others = [c for c in moto.get("DataCatalogsSummary", []) if c.get("CatalogName") != CATALOG]
        return {"DataCatalogsSummary": [{"CatalogName": CATALOG, "Type": "GLUE"}, *others]}

    def get_data_catalog(self, context: Any, request: Any) -> Any:
        from localstack.services.moto import call_moto

        if str(request.get("Name", "")).lower() == CATALOG.lower():
            return {"DataCatalog": data_catalog(context.account_id)}
        return call_moto(context)

    def overrides(self) -> dict[str, Any]:
        """The operations this provider answers itself (moto answers the rest)."""
        from sandbox.localstack_plugin.athena_ops import OVERRIDES

        table: dict[str, Any] = dict(OVERRIDES)
        for operation, method in {
            "StartQueryExecution": "start_query_execution",
            "GetQueryExecution": "get_query_execution",
            "BatchGetQueryExecution": "batch_get_query_execution",
            "ListQueryExecutions": "list_query_executions",
            "StopQueryExecution": "stop_query_execution",
            "GetQueryResults": "get_query_results",
            "GetQueryRuntimeStatistics": "get_query_runtime_statistics",
            "CreatePreparedStatement": "create_prepared_statement",
            "GetPreparedStatement": "get_prepared_statement",
            "BatchGetPreparedStatement": "batch_get_prepared_statement",
            "ListPreparedStatements": "list_prepared_statements",
            "UpdatePreparedStatement": "update_prepared_statement",
            "DeletePreparedStatement": "delete_prepared_statement",
        }.items():
            table[operation] = self._query_op(method)
        for operation, method in {
            "ListDatabases": "list_databases",
            "GetDatabase": "get_database",
            "ListTableMetadata": "list_table_metadata",
            "GetTableMetadata": "get_table_metadata",
        }.items():
            table[operation] = self._metadata_op(method)
        table["ListDataCatalogs"] = self.list_data_catalogs
        table["GetDataCatalog"] = self.get_data_catalog
        return table


def _call(method: Any, request: dict[str, Any]) -> Any:
    try:
        return method(request)
    except ApiError as exc:
        raise CommonServiceException(exc.code, exc.message, status_code=exc.status) from None
