"""Choosing the engine a command runs on; defaults (database, workgroup) from the Terraform outputs.

- ``sandbox`` (the default): a client of the sandbox's Athena API (StartQueryExecution, poll,
  GetQueryResults), the same code as ``athena``, so the CLI sees what every other client sees.
- ``duckdb``: the same statements in this process, without HTTP: :class:`InProcessAthena` runs
  the endpoint's own query service (:mod:`sandbox.query.api.service`: state machine, result
  encoding, result files) and the same client code reads it, so both print the same rows,
  types, statistics and errors (``tests/integration/test_athena_clients.py`` compares them).
- ``athena``: real Amazon Athena, only when asked for by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sandbox.infra.outputs import Outputs, OutputsMissingError, read_outputs
from sandbox.query.engine.pricing import DEFAULT_PRICES, Prices
from sandbox.query.errors import QueryError
from sandbox.settings import Settings

ENGINES = ("sandbox", "duckdb", "athena")


def outputs_or_none(settings: Settings) -> Outputs | None:
    """The Terraform outputs, or None before ``make up`` (options then name what is needed)."""
    try:
        return read_outputs(settings)
    except OutputsMissingError:
        return None


@dataclass(frozen=True)
class EngineOptions:
    """How a command's statements run: which engine, where, at what price (the CLI's options)."""

    engine: str = "sandbox"
    database: str | None = None  # default: the Terraform outputs' database
    workgroup: str | None = None  # sandbox and athena; default: the outputs' workgroup
    prices: Prices = DEFAULT_PRICES
    undelimited_json: str = "warn"  # JSON objects without newlines: read and warn, or fail
    # (--engine duckdb; the endpoint's engine sessions use the default, warn)


DEFAULT_OPTIONS = EngineOptions()


@contextmanager
def open_engine(
    settings: Settings, options: EngineOptions = DEFAULT_OPTIONS, outputs: Outputs | None = None
) -> Iterator[Any]:
    """An engine with ``execute(athena_sql) -> Result``, closed on exit."""
    outputs = outputs or outputs_or_none(settings)
    engine, database, workgroup = options.engine, options.database, options.workgroup
    prices = options.prices
    if engine == "athena":
        from sandbox.query.engine.athena import AthenaEngine

        workgroup = workgroup or (outputs.workgroup if outputs else None)
        database = database or (outputs.database if outputs else None)
        if not workgroup or not database:
            raise QueryError(
                "--engine athena needs --workgroup and --database (no Terraform outputs)"
            )
        yield AthenaEngine.for_aws(
            settings, workgroup=workgroup, database=database, confirm=True, prices=prices
        )
        return
    if engine == "sandbox":
        from sandbox.query.engine.athena import AthenaEngine

        # Before `make up` there are no outputs: Athena's defaults, and the API's own errors.
        yield AthenaEngine.for_sandbox(
            settings,
            workgroup=workgroup or (outputs.workgroup if outputs else "primary"),
            database=database or (outputs.database if outputs else "default"),
            prices=prices,
        )
        return
    if engine != "duckdb":
        raise QueryError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    from sandbox.query.engine.athena import AthenaEngine

    if not settings.is_local:
        raise QueryError(
            f"the DuckDB engine only queries the sandbox, but the endpoint is "
            f"{settings.endpoint_url}; use --engine athena to query AWS"
        )
    in_process = InProcessAthena(settings, undelimited_json=options.undelimited_json)
    try:
        local = AthenaEngine.for_sandbox(
            settings,
            workgroup=workgroup or (outputs.workgroup if outputs else "primary"),
            database=database or (outputs.database if outputs else "default"),
            prices=prices,
            client=in_process,
        )
        local.engine = "duckdb"
        yield local
    finally:
        in_process.close()


class InProcessAthena:
    """The sandbox endpoint's Athena query service in this process, with the methods of a boto3
    Athena client that :class:`~sandbox.query.engine.athena.AthenaEngine` calls.

    Workgroups are read from the endpoint (GetWorkGroup), result files are written to the
    output location through the endpoint's S3, and the engine session is the DuckDB
    :class:`~sandbox.query.engine.session.Session` the endpoint runs too. Refused requests raise
    botocore's ``ClientError`` with Athena's code, as the HTTP path does. History is kept in
    memory only (these executions are not listed by the endpoint).
    """

    def __init__(self, settings: Settings, *, undelimited_json: str = "warn") -> None:
        from sandbox.query.api.service import AthenaService, SessionEngine
        from sandbox.query.engine.session import Session

        self._athena = settings.client("athena")
        self._s3 = settings.client("s3")
        self.service = AthenaService(
            workgroups=self._workgroup,
            sessions=lambda: SessionEngine(
                Session(settings, database="default", undelimited_json=undelimited_json)
            ),
            store=self,
            workers=1,
            region=settings.region,
        )

    # -- what the service needs --------------------------------------------------------------
    def _workgroup(self, name: str) -> Any:
        from botocore.exceptions import ClientError

        from sandbox.query.api.model import WorkGroup

        try:
            group = self._athena.get_work_group(WorkGroup=name)["WorkGroup"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidRequestException":
                return None
            raise
        return WorkGroup(group["Name"], group.get("State", "ENABLED"), group["Configuration"])

    def put(self, url: str, body: bytes, content_type: str, encryption: dict | None) -> None:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        self._s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, url: str) -> bytes:
        bucket, _, key = url.removeprefix("s3://").partition("/")
        return bytes(self._s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    # -- what AthenaEngine calls -------------------------------------------------------------
    def _call(self, operation: str, request: dict[str, Any]) -> Any:
        from botocore.exceptions import ClientError

        from sandbox.query.api.errors import ApiError

        try:
            return getattr(self.service, operation)(request)
        except ApiError as exc:
            error = {"Error": {"Code": exc.code, "Message": exc.message}}
            raise ClientError(error, operation) from None

    def start_query_execution(self, **request: Any) -> Any:
        return self._call("start_query_execution", request)

    def get_query_execution(self, **request: Any) -> Any:
        return self._call("get_query_execution", request)

    def get_query_results(self, **request: Any) -> Any:
        return self._call("get_query_results", request)

    def stop_query_execution(self, **request: Any) -> Any:
        return self._call("stop_query_execution", request)

    def close(self) -> None:
        self.service.shutdown()
