"""Athena's query API as a client calls it: on the sandbox's endpoint (the default) or on AWS.

Owns the request/response handling: StartQueryExecution in the workgroup (database and the
``AwsDataCatalog`` catalog as context), polling GetQueryExecution with a bounded wait (the query
is stopped with StopQueryExecution when the wait runs out), GetQueryResults with pagination
(the header row Athena puts first for SELECT results is dropped; values, always text in the API,
are converted by the column types Athena reports), and DataScannedInBytes with its cost.

The same code serves both endpoints (one client path): :meth:`AthenaEngine.for_sandbox` is a
client of the sandbox's Athena (the LocalStack plugin runs the statements on the DuckDB engine),
so ``sandbox query`` sees what boto3, PyAthena or awswrangler see. :meth:`AthenaEngine.for_aws` is
the only code in the query stage that can reach AWS, so it refuses to run unless chosen
explicitly (``confirm=True``, which ``--engine athena`` passes), never uses the sandbox's dummy
credentials, and refuses an Athena endpoint on this machine (``AWS_ENDPOINT_URL`` left over from
tflocal). Credentials for AWS come from the standard AWS chain (environment, profile, SSO, role).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
)

from sandbox.query.engine.pricing import DEFAULT_PRICES, Prices, athena_cost
from sandbox.query.engine.session import Result
from sandbox.query.errors import QueryError
from sandbox.settings import Settings, is_local_endpoint

TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
_INTEGERS = {"tinyint", "smallint", "integer", "int", "bigint"}
_FLOATS = {"double", "float", "real"}
# Polling GetQueryExecution: AWS's queueing and planning take about a second, so every half
# second is enough there; the sandbox answers a small query in milliseconds.
AWS_POLL = (0.5, 0.5)
SANDBOX_POLL = (0.002, 0.02)


def convert(value: str | None, athena_type: str) -> Any:
    """An Athena result cell (always text) as a Python value of its column type."""
    if value is None:
        return None
    kind = athena_type.lower()
    try:
        if kind in _INTEGERS:
            return int(value)
        if kind in _FLOATS:
            return float(value)
        if kind == "decimal":
            return Decimal(value)
        if kind == "boolean":
            return value.lower() == "true"
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "timestamp":
            return datetime.fromisoformat(value)
    except ValueError:
        return value
    return value


class AthenaEngine:
    """Runs statements through Athena's API (the sandbox's or AWS's); a stub client can be
    injected for tests."""

    def __init__(
        self,
        client: Any,
        *,
        workgroup: str,
        database: str,
        output_location: str | None = None,
        prices: Prices = DEFAULT_PRICES,
        poll_seconds: float = AWS_POLL[0],
        max_poll_seconds: float | None = None,
        timeout_seconds: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        engine: str = "athena",
        unreachable: str | None = None,
    ) -> None:
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.output_location = output_location
        self.prices = prices
        self.poll_seconds = poll_seconds
        # Polls start at poll_seconds and double up to max_poll_seconds.
        self.max_poll_seconds = max(poll_seconds, max_poll_seconds or poll_seconds)
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.clock = clock
        self.engine = engine  # the Result's engine label
        # The one-line error when the endpoint does not answer (None: botocore's message).
        self.unreachable = unreachable

    @classmethod
    def for_sandbox(
        cls,
        settings: Settings,
        *,
        workgroup: str,
        database: str,
        prices: Prices = DEFAULT_PRICES,
        client: Any = None,
    ) -> AthenaEngine:
        """A client of the sandbox's Athena endpoint (dummy credentials, never AWS)."""
        if not settings.is_local:
            raise QueryError(
                f"the sandbox engine only queries the sandbox, but the endpoint is "
                f"{settings.endpoint_url}; use --engine athena to query AWS"
            )
        return cls(
            client or settings.client("athena"),
            workgroup=workgroup,
            database=database,
            prices=prices,
            poll_seconds=SANDBOX_POLL[0],
            max_poll_seconds=SANDBOX_POLL[1],
            engine="sandbox",
            unreachable=f"cannot reach the sandbox at {settings.endpoint_url}; run `make up`",
        )

    @classmethod
    def for_aws(
        cls,
        settings: Settings,
        *,
        workgroup: str,
        database: str,
        confirm: bool = False,
        output_location: str | None = None,
        prices: Prices = DEFAULT_PRICES,
        session: Any = None,
    ) -> AthenaEngine:
        """An engine on real AWS; ``confirm`` must be True (the user chose ``--engine athena``)."""
        if not confirm:
            raise QueryError(
                "refusing to query AWS: the Athena engine runs only when chosen explicitly "
                "(--engine athena)"
            )
        if session is None:
            import boto3

            session = boto3.Session(region_name=settings.region)
        credentials = session.get_credentials()
        if credentials is None:
            raise QueryError(
                "no AWS credentials found for --engine athena; configure a profile "
                "(AWS_PROFILE) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            )
        if credentials.access_key in (settings.access_key_id, "test"):
            raise QueryError(
                "the AWS credentials are the sandbox's dummy ones; use real AWS credentials "
                "for --engine athena"
            )
        client = session.client("athena", region_name=settings.region)
        endpoint = getattr(getattr(client, "meta", None), "endpoint_url", "")
        if is_local_endpoint(endpoint):
            raise QueryError(
                f"the Athena client points at {endpoint} (AWS_ENDPOINT_URL?); unset it to query AWS"
            )
        return cls(
            client,
            workgroup=workgroup,
            database=database,
            output_location=output_location,
            prices=prices,
        )

    def execute(self, sql: str) -> Result:
        """Run one statement on Athena and wait for its results."""
        started = self.clock()
        request: dict[str, Any] = {
            "QueryString": sql,
            "WorkGroup": self.workgroup,
            "QueryExecutionContext": {"Database": self.database, "Catalog": "AwsDataCatalog"},
        }
        if self.output_location:
            request["ResultConfiguration"] = {"OutputLocation": self.output_location}
        try:
            query_id = self.client.start_query_execution(**request)["QueryExecutionId"]
            execution = self._wait(query_id, started)
            state = execution["Status"]["State"]
            if state != "SUCCEEDED":
                reason = execution["Status"].get("StateChangeReason") or state
                raise QueryError(f"Athena query {query_id} {state}: {reason.splitlines()[0]}")
            columns, types, rows = self._results(query_id, execution)
        except NoCredentialsError as exc:
            raise QueryError("no AWS credentials found for --engine athena") from exc
        except EndpointConnectionError as exc:
            raise QueryError(self.unreachable or str(exc).splitlines()[0]) from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise QueryError(
                f"{error.get('Code', 'AthenaError')}: {error.get('Message', exc)}"
            ) from exc
        except BotoCoreError as exc:
            raise QueryError(str(exc).splitlines()[0]) from exc
        stats = execution.get("Statistics", {})
        scanned = int(stats.get("DataScannedInBytes", 0))
        statement_type = execution.get("StatementType", "DML")
        return Result(
            columns=columns,
            rows=[tuple(convert(v, t) for v, t in zip(row, types, strict=False)) for row in rows],
            bytes_scanned=scanned,
            cost_usd=athena_cost(scanned, self.prices, billable=statement_type == "DML"),
            seconds=self.clock() - started,
            engine=self.engine,
            statement_type=statement_type,
            sql=sql,
        )

    def _wait(self, query_id: str, started: float) -> dict[str, Any]:
        pause = self.poll_seconds
        while True:
            execution = self.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in TERMINAL:
                return execution
            if self.clock() - started > self.timeout_seconds:
                self.client.stop_query_execution(QueryExecutionId=query_id)
                raise QueryError(
                    f"Athena query {query_id} did not finish within {self.timeout_seconds:.0f} s; "
                    "stopped it"
                )
            self.sleep(pause)
            pause = min(pause * 2, self.max_poll_seconds)

    def _results(
        self, query_id: str, execution: dict[str, Any]
    ) -> tuple[list[str], list[str], list[list[str | None]]]:
        columns: list[str] = []
        types: list[str] = []
        rows: list[list[str | None]] = []
        token: str | None = None
        first_page = True
        while True:
            # 1,000 rows per page, the most Athena returns (GetQueryResults, MaxResults).
            kwargs: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
            if token:
                kwargs["NextToken"] = token
            page = self.client.get_query_results(**kwargs)
            result_set = page.get("ResultSet", {})
            if first_page:
                info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [c.get("Label") or c.get("Name", "") for c in info]
                types = [c.get("Type", "varchar") for c in info]
            page_rows = [
                [cell.get("VarCharValue") for cell in row.get("Data", [])]
                for row in result_set.get("Rows", [])
            ]
            # SELECT results start with a row of column labels (Athena API, GetQueryResults).
            if (
                first_page
                and page_rows
                and execution.get("StatementType", "DML") == "DML"
                and page_rows[0] == columns
            ):
                page_rows = page_rows[1:]
            rows.extend(page_rows)
            first_page = False
            token = page.get("NextToken")
            if not token:
                return columns, types, rows
