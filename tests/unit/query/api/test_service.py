"""The Athena API core on a stand-in engine: the state machine, workgroup rules, results and
their files, pagination, idempotency, cancellation, history across a restart."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.query.api.errors import ApiError
from sandbox.query.api.history import History
from sandbox.query.api.model import WorkGroup
from sandbox.query.api.results import parse_csv
from sandbox.query.api.service import AthenaService
from sandbox.query.errors import QueryError, UnsupportedError

OUTPUT = "s3://results/out/"


@dataclass
class FakeResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    column_types: list[str] = field(default_factory=list)
    bytes_scanned: int = 0


class FakeEngine:
    """Answers by SQL text; ``block`` holds a statement until interrupted."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.database = ""
        self.ran: list[tuple[str, str]] = []
        self.release = threading.Event()

    def execute(self, sql: str) -> Any:
        self.ran.append((self.database, sql))
        answer = self.answers.get(sql)
        if answer == "block":
            self.release.wait(10)
            raise QueryError("INTERRUPT Error: Interrupted!")
        if isinstance(answer, Exception):
            raise answer
        if answer is None:
            raise QueryError(
                f"TABLE_NOT_FOUND: Table 'awsdatacatalog.default.{sql}' does not exist"
            )
        return answer

    def interrupt(self) -> None:
        self.release.set()

    def close(self) -> None:
        pass


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, dict | None]] = {}

    def put(self, url: str, body: bytes, content_type: str, encryption: dict | None) -> None:
        self.objects[url] = (body, content_type, encryption)

    def get(self, url: str) -> bytes:
        return self.objects[url][0]


GROUPS = {
    "primary": WorkGroup("primary", configuration={"EnforceWorkGroupConfiguration": False}),
    "analytics": WorkGroup(
        "analytics",
        configuration={
            "EnforceWorkGroupConfiguration": True,
            "ResultConfiguration": {
                "OutputLocation": OUTPUT,
                "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
            },
        },
    ),
    "small": WorkGroup(
        "small",
        configuration={
            "ResultConfiguration": {"OutputLocation": OUTPUT},
            "BytesScannedCutoffPerQuery": 100,
        },
    ),
    "off": WorkGroup("off", state="DISABLED", configuration={}),
}

TYPED = FakeResult(
    ["n", "name", "ts", "d", "amount", "tags", "attrs", "nothing", "ok", "ratio"],
    [
        (
            1,
            'say "hi"',
            datetime(2023, 7, 31, 10, 40, 0, 123456),
            date(2023, 7, 31),
            Decimal("1.50"),
            ["a", "b"],
            {"k": 1, "j": None},
            None,
            True,
            1e7,
        ),
        (2, "", datetime(2023, 7, 31), date(2023, 1, 1), Decimal("0.00"), [], {}, None, False, 0.5),
    ],
    [
        "INTEGER",
        "VARCHAR",
        "TIMESTAMP",
        "DATE",
        "DECIMAL(10,2)",
        "VARCHAR[]",
        "STRUCT(k INTEGER, j VARCHAR)",
        '"NULL"',
        "BOOLEAN",
        "DOUBLE",
    ],
    bytes_scanned=1234,
)


def make(
    tmp_path: Path | None = None, start_wait: float = 0.0, poll_wait: float = 0.0, **answers: Any
) -> tuple[AthenaService, FakeEngine, MemoryStore]:
    engine = FakeEngine({"SELECT typed": TYPED, **answers})
    store = MemoryStore()
    service = AthenaService(
        workgroups=GROUPS.get,
        sessions=lambda: engine,
        store=store,
        history=History(tmp_path / "history.jsonl" if tmp_path else None),
        workers=2,
        start_wait=start_wait,
        poll_wait=poll_wait,
        region="us-east-1",
    )
    return service, engine, store


def run(service: AthenaService, sql: str, **request: Any) -> dict[str, Any]:
    query_id = service.start_query_execution(
        {"QueryString": sql, "WorkGroup": "analytics", **request}
    )["QueryExecutionId"]
    service.wait(query_id)
    return service.get_query_execution({"QueryExecutionId": query_id})["QueryExecution"]


def test_a_select_succeeds_with_statistics_and_athena_shaped_results() -> None:
    service, engine, store = make()
    execution = run(service, "SELECT typed", QueryExecutionContext={"Database": "Lake"})
    status = execution["Status"]
    assert status["State"] == "SUCCEEDED"
    assert status["SubmissionDateTime"] <= status["CompletionDateTime"]
    assert execution["StatementType"] == "DML" and execution["SubstatementType"] == "SELECT"
    assert execution["Statistics"]["DataScannedInBytes"] == 1234
    assert execution["EngineVersion"]["EffectiveEngineVersion"] == "Athena engine version 3"
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{OUTPUT}{execution['QueryExecutionId']}.csv"
    assert engine.ran == [("lake", "SELECT typed")]

    results = service.get_query_results({"QueryExecutionId": execution["QueryExecutionId"]})
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    assert rows[0] == TYPED.columns  # the header row first
    assert rows[1] == [
        "1",
        'say "hi"',
        "2023-07-31 10:40:00.123",
        "2023-07-31",
        "1.50",
        "[a, b]",
        "{k=1, j=null}",
        None,
        "true",
        "1.0E7",
    ]
    assert rows[2][1] == "" and rows[2][5] == "[]" and rows[2][9] == "0.5"
    # NULL is a Datum without VarCharValue
    assert results["ResultSet"]["Rows"][1]["Data"][7] == {}
    info = results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"], c["Precision"], c["Scale"]) for c in info] == [
        ("n", "integer", 10, 0),
        ("name", "varchar", 2147483647, 0),
        ("ts", "timestamp", 3, 0),
        ("d", "date", 0, 0),
        ("amount", "decimal", 10, 2),
        ("tags", "array", 0, 0),
        ("attrs", "row", 0, 0),
        ("nothing", "unknown", 0, 0),
        ("ok", "boolean", 0, 0),
        ("ratio", "double", 17, 0),
    ]
    assert info[1]["CaseSensitive"] is True and info[0]["CaseSensitive"] is False
    assert {c["Nullable"] for c in info} == {"UNKNOWN"}

    body, content_type, encryption = store.objects[location]
    assert content_type == "text/csv"
    assert encryption == {"EncryptionOption": "SSE_S3"}
    text = body.decode()
    assert text.splitlines()[0] == ",".join(f'"{c}"' for c in TYPED.columns)
    assert '"1","say ""hi""","2023-07-31 10:40:00.123"' in text
    assert ',,"true"' in text  # NULL: an empty unquoted field
    header, parsed = parse_csv(text)
    assert [header, *parsed] == rows
    assert location + ".metadata" in store.objects


def test_ddl_results_have_no_header_and_go_to_a_txt_file() -> None:
    service, _, store = make(**{"SHOW TABLES": FakeResult(["tab_name"], [("a",), ("b",)])})
    execution = run(service, "SHOW TABLES")
    assert execution["StatementType"] == "DDL"
    assert execution["SubstatementType"] == "SHOW_TABLES"
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location.endswith(".txt")
    assert store.objects[location][0] == b"a\nb\n"
    results = service.get_query_results({"QueryExecutionId": execution["QueryExecutionId"]})
    assert [r["Data"][0]["VarCharValue"] for r in results["ResultSet"]["Rows"]] == ["a", "b"]
    assert results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"][0]["Type"] == "string"


@pytest.mark.parametrize(
    ("error", "name", "category", "kind"),
    [
        (QueryError("SYNTAX_ERROR: line 1:8: mismatched input"), "SYNTAX_ERROR", 2, 1006),
        (
            QueryError("TABLE_NOT_FOUND: Table 'awsdatacatalog.db.nope' does not exist"),
            "TABLE_NOT_FOUND: line 1:18: Table 'awsdatacatalog.db.nope'",
            2,
            1301,
        ),
        (
            QueryError('Binder Error: Referenced column "nope" not found in FROM clause!'),
            "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
            2,
            1006,
        ),
        (UnsupportedError("function read_csv"), "NOT_SUPPORTED: not supported", 2, 1100),
        (RuntimeError("boom"), "GENERIC_INTERNAL_ERROR", 1, 200),
    ],
)
def test_failures_carry_athena_errors(
    error: Exception, name: str, category: int, kind: int
) -> None:
    service, _, _ = make(**{"SELECT nope FROM nope": error})
    execution = run(service, "SELECT nope FROM nope")
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert status["AthenaError"]["ErrorMessage"].startswith(name)
    assert status["AthenaError"]["ErrorCategory"] == category
    assert status["AthenaError"]["ErrorType"] == kind
    assert status["StateChangeReason"] == status["AthenaError"]["ErrorMessage"]
    with pytest.raises(ApiError, match="Final query state: FAILED"):
        service.get_query_results({"QueryExecutionId": execution["QueryExecutionId"]})


def test_workgroup_rules() -> None:
    service, _, _ = make()
    with pytest.raises(ApiError, match="WorkGroup nope is not found"):
        service.start_query_execution({"QueryString": "SELECT 1", "WorkGroup": "nope"})
    with pytest.raises(ApiError, match="WorkGroup off is disabled"):
        service.start_query_execution({"QueryString": "SELECT 1", "WorkGroup": "off"})
    with pytest.raises(ApiError, match="No output location provided") as caught:
        service.start_query_execution({"QueryString": "SELECT 1"})
    assert caught.value.code == "InvalidRequestException"
    # primary does not enforce: the client's location is used
    query_id = service.start_query_execution(
        {"QueryString": "SELECT typed", "ResultConfiguration": {"OutputLocation": "s3://mine/x"}}
    )["QueryExecutionId"]
    got = service.get_query_execution({"QueryExecutionId": query_id})["QueryExecution"]
    assert got["ResultConfiguration"]["OutputLocation"] == f"s3://mine/x/{query_id}.csv"
    # analytics enforces: the client's location is ignored
    got = run(service, "SELECT typed", ResultConfiguration={"OutputLocation": "s3://mine/"})
    assert got["ResultConfiguration"]["OutputLocation"].startswith(OUTPUT)


def test_the_bytes_scanned_cutoff_cancels_the_query() -> None:
    service, _, store = make()
    execution = run(service, "SELECT typed", WorkGroup="small")
    assert execution["Status"]["State"] == "CANCELLED"
    assert execution["Status"]["StateChangeReason"] == "Bytes scanned limit was exceeded"
    assert execution["Statistics"]["DataScannedInBytes"] == 1234
    assert execution["ResultConfiguration"]["OutputLocation"] not in store.objects


def test_stop_interrupts_a_running_query_and_unknown_ids_are_refused() -> None:
    service, engine, _ = make(**{"SELECT slow": "block"})
    query_id = service.start_query_execution(
        {"QueryString": "SELECT slow", "WorkGroup": "analytics"}
    )["QueryExecutionId"]
    for _ in range(200):
        state = service.get_query_execution({"QueryExecutionId": query_id})
        if state["QueryExecution"]["Status"]["State"] == "RUNNING":
            break
        threading.Event().wait(0.01)
    # another query is answered while one runs
    assert run(service, "SELECT typed")["Status"]["State"] == "SUCCEEDED"
    service.stop_query_execution({"QueryExecutionId": query_id})
    execution = service.wait(query_id)
    assert execution.state == "CANCELLED" and engine.release.is_set()
    with pytest.raises(ApiError, match="was not found"):
        service.get_query_execution({"QueryExecutionId": "nope"})
    with pytest.raises(ApiError, match="was not found"):
        service.get_query_results({"QueryExecutionId": "nope"})
    batch = service.batch_get_query_execution({"QueryExecutionIds": [query_id, "nope"]})
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == [query_id]
    assert batch["UnprocessedQueryExecutionIds"][0]["QueryExecutionId"] == "nope"


def test_results_and_listings_are_paginated() -> None:
    rows = FakeResult(["i"], [(i,) for i in range(2500)], ["BIGINT"])
    service, _, _ = make(**{"SELECT many": rows})
    execution = run(service, "SELECT many")
    seen: list[str] = []
    token = None
    while True:
        page = service.get_query_results(
            {"QueryExecutionId": execution["QueryExecutionId"], "MaxResults": 1000}
            | ({"NextToken": token} if token else {})
        )
        seen += [r["Data"][0]["VarCharValue"] for r in page["ResultSet"]["Rows"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == ["i"] + [str(i) for i in range(2500)]
    ids = [run(service, "SELECT typed")["QueryExecutionId"] for _ in range(3)]
    listed = service.list_query_executions({"WorkGroup": "analytics", "MaxResults": 2})
    assert listed["QueryExecutionIds"] == ids[::-1][:2]
    rest = service.list_query_executions(
        {"WorkGroup": "analytics", "NextToken": listed["NextToken"]}
    )
    assert rest["QueryExecutionIds"][0] == ids[0]
    with pytest.raises(ApiError):
        service.get_query_results({"QueryExecutionId": ids[0], "MaxResults": 1001})


def test_client_request_token_is_idempotent() -> None:
    service, _, _ = make()
    request = {
        "QueryString": "SELECT typed",
        "WorkGroup": "analytics",
        "ClientRequestToken": "t" * 32,
    }
    first = service.start_query_execution(request)
    assert service.start_query_execution(request) == first
    with pytest.raises(ApiError, match="Idempotent parameters do not match"):
        service.start_query_execution({**request, "QueryString": "SELECT 2"})


def test_execution_parameters_and_prepared_statements() -> None:
    service, engine, _ = make(
        **{
            "SELECT 'a''b', 2": FakeResult(["x", "y"], [("a'b", 2)], ["VARCHAR", "INTEGER"]),
            "SELECT 'x; DROP TABLE t', 3": FakeResult(["x"], [("x",)], ["VARCHAR"]),
        }
    )
    ok = run(service, "SELECT ?, ?", ExecutionParameters=["'a''b'", "2"])
    assert ok["Status"]["State"] == "SUCCEEDED" and ok["ExecutionParameters"] == ["'a''b'", "2"]
    service.create_prepared_statement(
        {"WorkGroup": "analytics", "StatementName": "q", "QueryStatement": "SELECT ?, 3"}
    )
    assert run(service, "EXECUTE q USING x; DROP TABLE t")["Status"]["State"] == "SUCCEEDED"
    assert engine.ran[-1][1] == "SELECT 'x; DROP TABLE t', 3"
    wrong = run(service, "SELECT ?")
    assert "Incorrect number of parameters" in wrong["Status"]["StateChangeReason"]
    got = service.get_prepared_statement({"WorkGroup": "analytics", "StatementName": "q"})
    assert got["PreparedStatement"]["QueryStatement"] == "SELECT ?, 3"
    listed = service.list_prepared_statements({"WorkGroup": "analytics"})
    assert [p["StatementName"] for p in listed["PreparedStatements"]] == ["q"]
    batch = service.batch_get_prepared_statement(
        {"WorkGroup": "analytics", "PreparedStatementNames": ["q", "nope"]}
    )
    assert [p["StatementName"] for p in batch["PreparedStatements"]] == ["q"]
    assert batch["UnprocessedPreparedStatementNames"] == [
        {
            "StatementName": "nope",
            "ErrorCode": "INVALID_INPUT",
            "ErrorMessage": "Prepared statement nope does not exist",
        }
    ]
    service.delete_prepared_statement({"WorkGroup": "analytics", "StatementName": "q"})
    with pytest.raises(ApiError) as caught:
        service.get_prepared_statement({"WorkGroup": "analytics", "StatementName": "q"})
    assert caught.value.code == "ResourceNotFoundException"


def test_history_and_results_survive_a_restart(tmp_path: Path) -> None:
    service, _, store = make(tmp_path)
    execution = run(service, "SELECT typed")
    failed = run(service, "SELECT missing")
    service.create_prepared_statement(
        {"WorkGroup": "analytics", "StatementName": "kept", "QueryStatement": "SELECT 1"}
    )
    before = service.get_query_results({"QueryExecutionId": execution["QueryExecutionId"]})
    service.shutdown()

    again = AthenaService(
        workgroups=GROUPS.get,
        sessions=lambda: FakeEngine({}),
        store=store,
        history=History(tmp_path / "history.jsonl"),
        region="us-east-1",
    )
    got = again.get_query_execution({"QueryExecutionId": execution["QueryExecutionId"]})
    assert got["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    assert got["QueryExecution"]["Statistics"]["DataScannedInBytes"] == 1234
    after = again.get_query_results({"QueryExecutionId": execution["QueryExecutionId"]})
    assert after == before  # read back from the result file
    gone = again.get_query_execution({"QueryExecutionId": failed["QueryExecutionId"]})
    assert gone["QueryExecution"]["Status"]["State"] == "FAILED"
    listed = again.list_query_executions({"WorkGroup": "analytics"})["QueryExecutionIds"]
    assert listed == [failed["QueryExecutionId"], execution["QueryExecutionId"]]
    assert again.get_prepared_statement({"WorkGroup": "analytics", "StatementName": "kept"})
    again.shutdown()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread nice values are Linux's")
def test_workers_and_the_threads_they_start_run_at_a_lower_priority() -> None:
    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    seen: dict[str, int] = {}

    def session() -> FakeEngine:
        seen["worker"] = niceness()
        child = threading.Thread(target=lambda: seen.update(child=niceness()))
        child.start()  # as DuckDB starts its threads when the session connects
        child.join()
        return FakeEngine({"SELECT typed": TYPED})

    class NiceStore(MemoryStore):
        def put(self, url: str, body: bytes, content_type: str, encryption: dict | None) -> None:
            seen[url.rsplit(".", 1)[-1]] = niceness()  # csv: the worker; metadata: a writer
            super().put(url, body, content_type, encryption)

    service = AthenaService(
        workgroups=GROUPS.get, sessions=session, store=NiceStore(), workers=1, niceness=3
    )
    try:
        assert run(service, "SELECT typed")["Status"]["State"] == "SUCCEEDED"
    finally:
        service.shutdown()
    lowered = min(19, niceness() + 3)
    assert seen == {"worker": lowered, "child": lowered, "csv": lowered, "metadata": lowered}


def _state(service: AthenaService, query_id: str) -> str:
    execution = service.get_query_execution({"QueryExecutionId": query_id})["QueryExecution"]
    return str(execution["Status"]["State"])


def test_start_answers_once_a_quick_query_is_final() -> None:
    service, _, _ = make(start_wait=10.0)
    for sql, final in (("SELECT typed", "SUCCEEDED"), ("no_such_table", "FAILED")):
        query_id = service.start_query_execution({"QueryString": sql, "WorkGroup": "analytics"})[
            "QueryExecutionId"
        ]
        assert _state(service, query_id) == final  # at the first poll, no waiting
    service.shutdown()


def test_start_waits_no_longer_than_its_bound_for_a_long_query() -> None:
    import time

    service, engine, _ = make(start_wait=0.2, slow="block")
    started = time.monotonic()
    query_id = service.start_query_execution({"QueryString": "slow", "WorkGroup": "analytics"})[
        "QueryExecutionId"
    ]
    waited = time.monotonic() - started
    assert 0.2 <= waited < 2.0
    assert _state(service, query_id) == "RUNNING"  # still running: Start did not wait it out
    execution = service.get_query_execution({"QueryExecutionId": query_id})["QueryExecution"]
    assert "CompletionDateTime" not in execution["Status"]
    service.stop_query_execution({"QueryExecutionId": query_id})
    assert service.wait(query_id).state == "CANCELLED"
    assert engine.ran == [("default", "slow")]
    service.shutdown()


def test_a_poll_of_a_running_query_answers_when_it_finishes_or_after_its_bound() -> None:
    import time

    service, engine, _ = make(poll_wait=0.3, slow="block")
    query_id = service.start_query_execution({"QueryString": "slow", "WorkGroup": "analytics"})[
        "QueryExecutionId"
    ]
    started = time.monotonic()
    assert _state(service, query_id) in ("QUEUED", "RUNNING")
    assert 0.3 <= time.monotonic() - started < 2.0  # the bound: still running

    stopper = threading.Timer(
        0.05, service.stop_query_execution, args=({"QueryExecutionId": query_id},)
    )
    stopper.start()
    started = time.monotonic()
    assert _state(service, query_id) == "CANCELLED"  # answered as soon as it was final
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    assert _state(service, query_id) == "CANCELLED"  # a final query: no wait at all
    assert time.monotonic() - started < 0.05
    assert engine.ran == [("default", "slow")]
    service.shutdown()


def test_the_cutoff_cancels_a_query_during_its_scan() -> None:
    """A statement still scanning is interrupted once the bytes it fetched pass the
    workgroup's cutoff: CANCELLED with Athena's reason, before the statement would end."""

    class Scanning(FakeEngine):
        def __init__(self) -> None:
            super().__init__({"scan": "block"})
            self.fetched = 0

        def bytes_fetched(self) -> int:
            self.fetched += 40  # 40 bytes more at each check: over 100 at the third
            return self.fetched

    engine = Scanning()
    service = AthenaService(
        workgroups=GROUPS.get, sessions=lambda: engine, store=MemoryStore(), workers=1
    )
    query_id = service.start_query_execution({"QueryString": "scan", "WorkGroup": "small"})[
        "QueryExecutionId"
    ]
    execution = service.wait(query_id, timeout=5)  # "block" would hold it 10 s uninterrupted
    assert execution.state == "CANCELLED"
    assert execution.state_change_reason == "Bytes scanned limit was exceeded"
    assert engine.release.is_set()  # interrupted
    api = service.get_query_execution({"QueryExecutionId": query_id})["QueryExecution"]
    assert api["Statistics"]["DataScannedInBytes"] == 120
    with pytest.raises(ApiError, match="CANCELLED"):
        service.get_query_results({"QueryExecutionId": query_id})
    service.shutdown()
