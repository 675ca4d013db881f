"""The real-Athena path, against a stub of the boto3 Athena client (AWS is not reachable here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from sandbox.query.engine.athena import AthenaEngine, convert
from sandbox.query.engine.pricing import MB, TB
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


class StubAthena:
    """Records calls; answers like Athena's API reference examples."""

    def __init__(self, states: list[str], pages: list[dict[str, Any]], **execution: Any) -> None:
        self.states = list(states)
        self.pages = pages
        self.execution = execution
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("start", kwargs))
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("get", kwargs))
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        status: dict[str, Any] = {"State": state}
        if state == "FAILED":
            status["StateChangeReason"] = (
                "TABLE_NOT_FOUND: line 1:15: Table 'x' does not exist\nmore"
            )
        return {
            "QueryExecution": {
                "QueryExecutionId": "q-1",
                "Status": status,
                "StatementType": self.execution.get("statement_type", "DML"),
                "Statistics": {"DataScannedInBytes": self.execution.get("scanned", 0)},
            }
        }

    def get_query_results(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("results", kwargs))
        index = int(kwargs.get("NextToken", "0"))
        page = dict(self.pages[index])
        if index + 1 < len(self.pages):
            page["NextToken"] = str(index + 1)
        return page

    def stop_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("stop", kwargs))
        return {}


COLUMNS = [
    {"Name": "name", "Label": "name", "Type": "varchar"},
    {"Name": "events", "Label": "events", "Type": "bigint"},
    {"Name": "first", "Label": "first", "Type": "timestamp"},
]


def row(*values: str | None) -> dict[str, Any]:
    return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}


def pages() -> list[dict[str, Any]]:
    metadata = {"ColumnInfo": COLUMNS}
    return [
        {
            "ResultSet": {
                "ResultSetMetadata": metadata,
                "Rows": [row("name", "events", "first"), row("a", "3", "2023-06-18 14:27:52.000")],
            }
        },
        {"ResultSet": {"ResultSetMetadata": metadata, "Rows": [row("b", None, None)]}},
    ]


def engine(stub: StubAthena, **kwargs: Any) -> AthenaEngine:
    ticks = iter(range(10_000))
    return AthenaEngine(
        stub,
        workgroup="sandbox",
        database="events_db",
        sleep=lambda _s: None,
        clock=lambda: float(next(ticks)),
        **kwargs,
    )


def test_polls_pages_and_prices_the_scan() -> None:
    stub = StubAthena(["QUEUED", "RUNNING", "SUCCEEDED"], pages(), scanned=123 * MB + 1)
    result = engine(stub).execute("SELECT name, count(*) AS events FROM events_json GROUP BY 1")
    start = stub.calls[0][1]
    assert start["WorkGroup"] == "sandbox"
    assert start["QueryExecutionContext"] == {"Database": "events_db", "Catalog": "AwsDataCatalog"}
    assert [c[0] for c in stub.calls].count("get") == 3
    assert result.columns == ["name", "events", "first"]
    # The header row of the first page is dropped; pages are joined; types converted.
    assert result.rows == [("a", 3, dt.datetime(2023, 6, 18, 14, 27, 52)), ("b", None, None)]
    assert result.bytes_scanned == 123 * MB + 1
    assert result.cost_usd == pytest.approx(124 * MB / TB * 5)
    assert result.engine == "athena"


def test_ddl_is_free_and_keeps_its_first_row() -> None:
    metadata = {"ColumnInfo": [{"Name": "partition", "Type": "string"}]}
    stub = StubAthena(
        ["SUCCEEDED"],
        [{"ResultSet": {"ResultSetMetadata": metadata, "Rows": [row("name=a/d=1")]}}],
        statement_type="DDL",
    )
    result = engine(stub).execute("SHOW PARTITIONS events_json")
    assert result.rows == [("name=a/d=1",)]
    assert result.cost_usd == 0 and result.statement_type == "DDL"


def test_failed_query_is_one_line() -> None:
    stub = StubAthena(["RUNNING", "FAILED"], pages())
    with pytest.raises(QueryError, match="q-1 FAILED: TABLE_NOT_FOUND") as info:
        engine(stub).execute("SELECT * FROM x")
    assert "\n" not in str(info.value)


def test_timeout_stops_the_query() -> None:
    stub = StubAthena(["RUNNING"], pages())
    with pytest.raises(QueryError, match="did not finish"):
        engine(stub, timeout_seconds=3).execute("SELECT 1")
    assert stub.calls[-1] == ("stop", {"QueryExecutionId": "q-1"})


def test_output_location_is_passed_when_given() -> None:
    stub = StubAthena(["SUCCEEDED"], pages())
    engine(stub, output_location="s3://results/").execute("SELECT 1")
    assert stub.calls[0][1]["ResultConfiguration"] == {"OutputLocation": "s3://results/"}


def test_conversions() -> None:
    assert convert("1.5", "double") == 1.5
    assert convert("12.30", "decimal") == Decimal("12.30")
    assert convert("true", "boolean") is True
    assert convert("2023-06-18", "date") == dt.date(2023, 6, 18)
    assert convert("[1, 2]", "array") == "[1, 2]"
    assert convert(None, "bigint") is None


class Credentials:
    def __init__(self, key: str) -> None:
        self.access_key = key


class FakeSession:
    def __init__(self, key: str | None, endpoint: str = "https://athena.us-east-1.amazonaws.com"):
        self.key = key
        self.endpoint = endpoint

    def get_credentials(self) -> Credentials | None:
        return Credentials(self.key) if self.key else None

    def client(self, service: str, region_name: str) -> Any:
        class Meta:
            endpoint_url = self.endpoint

        class Client:
            meta = Meta()

        return Client()


def test_refuses_unless_chosen_explicitly() -> None:
    with pytest.raises(QueryError, match="only when chosen explicitly"):
        AthenaEngine.for_aws(Settings(), workgroup="w", database="d", session=FakeSession("AKIA"))


@pytest.mark.parametrize(
    ("session", "message"),
    [
        (FakeSession(None), "no AWS credentials"),
        (FakeSession("test"), "dummy"),
        (FakeSession("AKIAREAL", "http://localhost:4566"), "AWS_ENDPOINT_URL"),
    ],
)
def test_refuses_sandbox_credentials_and_local_endpoints(
    session: FakeSession, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        AthenaEngine.for_aws(Settings(), workgroup="w", database="d", confirm=True, session=session)


def test_real_credentials_make_an_engine() -> None:
    built = AthenaEngine.for_aws(
        Settings(), workgroup="w", database="d", confirm=True, session=FakeSession("AKIAREAL")
    )
    assert built.workgroup == "w" and built.database == "d"


def test_polls_back_off_up_to_the_limit() -> None:
    stub = StubAthena(["QUEUED", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"], pages())
    pauses: list[float] = []
    AthenaEngine(
        stub,
        workgroup="w",
        database="d",
        poll_seconds=0.002,
        max_poll_seconds=0.005,
        sleep=pauses.append,
    ).execute("SELECT 1")
    assert pauses == [0.002, 0.004, 0.005, 0.005]


def test_the_sandbox_engine_is_the_same_client_on_the_local_endpoint() -> None:
    stub = StubAthena(["SUCCEEDED"], pages(), scanned=10)
    built = AthenaEngine.for_sandbox(Settings(), workgroup="w", database="d", client=stub)
    result = built.execute("SELECT name, count(*) AS events FROM events_json GROUP BY 1")
    assert result.engine == "sandbox" and result.bytes_scanned == 10
    assert result.rows[0] == ("a", 3, dt.datetime(2023, 6, 18, 14, 27, 52))
    assert stub.calls[0][1]["WorkGroup"] == "w"


def test_the_sandbox_engine_refuses_another_endpoint() -> None:
    remote = Settings(endpoint_override="https://athena.us-east-1.amazonaws.com")
    with pytest.raises(QueryError, match="--engine athena"):
        AthenaEngine.for_sandbox(remote, workgroup="w", database="d", client=object())


def test_an_unreachable_sandbox_says_make_up() -> None:
    from botocore.exceptions import EndpointConnectionError

    class Down:
        def start_query_execution(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    built = AthenaEngine.for_sandbox(Settings(port=1), workgroup="w", database="d", client=Down())
    with pytest.raises(QueryError, match=r"cannot reach the sandbox at http://127.0.0.1:1; run"):
        built.execute("SELECT 1")
