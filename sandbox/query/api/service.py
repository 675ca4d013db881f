"""Athena's query-execution operations over the DuckDB stand-in: the state machine, the worker
pool, results and their files, history, prepared statements.

:class:`AthenaService` implements StartQueryExecution, GetQueryExecution,
BatchGetQueryExecution, ListQueryExecutions, StopQueryExecution, GetQueryResults,
GetQueryRuntimeStatistics and the prepared-statement operations on plain dicts (the request
and response shapes of the Athena API reference); the LocalStack provider only adapts them.
What it needs from outside is injected: the workgroups (``workgroups(name)``), a factory of
engine sessions (one per worker thread, each a :class:`~sandbox.query.engine.session.Session`
bound to the sandbox's own endpoint), the object store the result files go to, the history
file and a clock.

Statements run on a bounded pool of worker threads: a submitted query is QUEUED until a worker
takes it, so excess queries wait and the API never blocks on a running statement (DuckDB
releases the GIL while it executes) beyond StartQueryExecution's bounded wait for it to finish
(``start_wait``), which lets a quick query be final at the client's first poll, and
GetQueryExecution's (``poll_wait``), which bounds how often a client polling a running query is
answered. Workers may
run at a lower CPU priority (``niceness``; the endpoint's provider lowers it so that Firehose
ingestion keeps its share of the cores while queries run; DuckDB's own threads inherit it).
StopQueryExecution marks a queued query CANCELLED at once and interrupts a running one
(DuckDB's ``interrupt()``); a result that arrives after the cancel is dropped.
BytesScannedCutoffPerQuery is checked while the statement runs (every 20 ms, against the bytes
DuckDB's HTTP log shows fetched so far; the statement is then interrupted) and again against
the bytes the engine measured when it ends: a query over the limit is CANCELLED with Athena's
reason and no result. Between two checks a scan can fetch more than the limit (DuckDB cannot
stop at a byte count), so its DataScannedInBytes may exceed the cutoff by what it read then.

Not reproduced: result reuse (ResultReuseConfiguration is reported disabled), query
concurrency quotas (TooManyRequestsException), ``ExpectedBucketOwner``/ACL checks on the
output bucket, CSE_KMS result encryption (the option is echoed, the file is written
unencrypted), Athena's query ids (uuid4 here, as Athena's look), and the 45-day expiry.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sandbox.query.api import parameters, values
from sandbox.query.api.errors import (
    ApiError,
    AthenaError,
    athena_error,
    bytes_scanned_exceeded,
    invalid_request,
)
from sandbox.query.api.history import History
from sandbox.query.api.model import (
    CANCELLED,
    DEFAULT_CATALOG,
    FAILED,
    RUNNING,
    SUCCEEDED,
    QueryExecution,
    WorkGroup,
    merge_result_configuration,
    statement_kind,
    utcnow,
)
from sandbox.query.api.results import (
    ResultsPage,
    csv_text,
    metadata_bytes,
    parse_csv,
    parse_txt,
    txt_text,
)
from sandbox.query.engine.writes import WriteContext
from sandbox.query.errors import QueryError

LOG = logging.getLogger(__name__)

MAX_RESULTS = 1000  # GetQueryResults' MaxResults bound (API reference)
MAX_LIST = 50  # ListQueryExecutions / ListPreparedStatements / BatchGet bound
_CACHE = 64  # executions whose result rows stay in memory (older ones are read from S3)
CUTOFF_CHECK_SECONDS = 0.02  # how often a running query's bytes are compared with its cutoff


class ResultStore(Protocol):
    """Where the result files go: an S3 writer/reader for ``s3://bucket/key`` URLs."""

    def put(self, url: str, body: bytes, content_type: str, encryption: dict | None) -> None: ...

    def get(self, url: str) -> bytes: ...


class EngineSession(Protocol):
    database: str

    def execute(self, athena_sql: str) -> Any: ...

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


class SessionEngine:
    """An :class:`~sandbox.query.engine.session.Session` as the service's engine session."""

    def __init__(self, session: Any) -> None:
        self.session = session

    @property
    def database(self) -> str:
        return str(self.session.database)

    @database.setter
    def database(self, name: str) -> None:
        self.session.database = name

    @property
    def context(self) -> Any:
        return self.session.context

    @context.setter
    def context(self, value: Any) -> None:
        self.session.context = value

    def execute(self, athena_sql: str) -> Any:
        return self.session.execute(athena_sql)

    def interrupt(self) -> None:
        # Only a connection that exists can be running a statement; creating one here would
        # race the worker that is about to.
        con = getattr(self.session, "_con", None)
        if con is not None:
            con.interrupt()

    def bytes_fetched(self) -> int:
        """The object bytes the running statement has fetched so far, from another thread.

        DuckDB's HTTP log is the database's, and a second cursor reads it while the statement
        runs (an entry appears as each request completes): the same sum the engine takes when
        the statement ends. 0 while no connection exists."""
        from sandbox.query.engine import duck

        con = getattr(self.session, "_con", None)
        if con is None:
            return 0
        rows = duck.http_log(con.cursor())
        return duck.scan_from_log(rows, getattr(self.session, "_unbilled", ())).bytes_scanned

    def close(self) -> None:
        self.session.close()


@dataclass
class _Rows:
    """A succeeded query's result as Athena returns it: text cells, the header first for DML."""

    rows: list[list[str | None]]
    column_info: list[dict[str, Any]] = field(default_factory=list)
    data_files: list[str] | None = None  # CTAS/INSERT/UNLOAD: the data manifest's lines


def _token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{query_id}:{offset}".encode()).decode()


def _offset(query_id: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        owner, offset = base64.urlsafe_b64decode(token.encode()).decode().rsplit(":", 1)
        if owner == query_id:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise invalid_request("The NextToken is not valid.")


def _page_size(value: Any, bound: int) -> int:
    size = int(value) if value else bound
    if size < 1 or size > bound:
        raise invalid_request(f"MaxResults must be between 1 and {bound}.")
    return size


def lower_priority(niceness: int) -> None:
    """Run this thread, and the threads it starts from now on (DuckDB's), ``niceness`` steps
    below the process's CPU priority (its main thread's), unless it runs that low already (a
    thread started by a lowered one inherits its value). Linux keeps a nice value per thread
    and a new thread inherits its creator's; elsewhere (or when refused) nothing changes."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        thread = threading.get_native_id()
        target = os.getpriority(os.PRIO_PROCESS, os.getpid()) + niceness
        if os.getpriority(os.PRIO_PROCESS, thread) < target:
            os.setpriority(os.PRIO_PROCESS, thread, target)
    except OSError:
        LOG.debug("could not lower the priority of an Athena worker", exc_info=True)


def _batch_get[T](
    names: Iterable[str],
    find: Callable[[str], T | None],
    render: Callable[[T], dict[str, Any]],
    name_member: str,
    not_found: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A BatchGet* answer: ``render`` of each name ``find`` knows, and an unprocessed entry
    (``INVALID_INPUT``, the message ``not_found`` with the name) for each other."""
    found, missing = [], []
    for name in names:
        item = find(name)
        if item is None:
            missing.append(
                {
                    name_member: name,
                    "ErrorCode": "INVALID_INPUT",
                    "ErrorMessage": not_found.format(name),
                }
            )
        else:
            found.append(render(item))
    return found, missing


class AthenaService:
    """The Athena query API of one account and region."""

    def __init__(
        self,
        *,
        workgroups: Callable[[str], WorkGroup | None],
        sessions: Callable[[], EngineSession],
        store: ResultStore,
        history: History | None = None,
        workers: int = 4,
        niceness: int = 0,
        start_wait: float = 0.0,
        poll_wait: float = 0.0,
        region: str = "",
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.workgroups = workgroups
        self.niceness = niceness
        self.start_wait = start_wait
        self.poll_wait = poll_wait
        self.sessions = sessions
        self.store = store
        self.history = history or History(None)
        self.region = region
        self.clock = clock
        self.new_id = new_id
        self._lock = threading.RLock()
        self._finished = threading.Condition(self._lock)  # notified at every final state
        self._executions: dict[str, QueryExecution] = {}
        self._tokens: dict[str, tuple[str, tuple[Any, ...]]] = {}
        self._prepared: dict[tuple[str, str], dict[str, Any]] = {}
        self._rows: OrderedDict[str, _Rows] = OrderedDict()
        self._running: dict[str, EngineSession] = {}
        self._local = threading.local()
        self._all_sessions: list[EngineSession] = []
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="athena")
        # Each worker's second result file (the .metadata) is written alongside its first.
        self._writers = ThreadPoolExecutor(
            max_workers=max(1, workers),
            thread_name_prefix="athena-files",
            initializer=lower_priority,  # query work, as the workers' (their S3 PUTs)
            initargs=(niceness,),
        )
        self._load()

    # -- history ---------------------------------------------------------------------------
    def _load(self) -> None:
        records, prepared = self.history.load()
        for record in records:
            try:
                execution = QueryExecution.from_record(record)
            except (KeyError, TypeError, ValueError):
                continue
            self._executions[execution.id] = execution
        self._prepared.update(prepared)

    def _remember(self, execution: QueryExecution) -> None:
        """Record a final state (called with the lock held, at every final transition)."""
        self.history.append("execution", execution.to_record())
        self._finished.notify_all()

    def shutdown(self) -> None:
        """Cancel what is queued, interrupt what runs, close the engine sessions."""
        with self._lock:
            for execution in self._executions.values():
                if not execution.final:
                    self._cancel(execution, "Query cancelled: the sandbox is stopping")
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._writers.shutdown(wait=False)
        for session in list(self._all_sessions):
            try:
                session.close()
            except Exception:  # a session still in use by a worker being interrupted
                LOG.debug("closing an engine session failed", exc_info=True)

    # -- lookups ---------------------------------------------------------------------------
    def _workgroup(self, name: str) -> WorkGroup:
        group = self.workgroups(name)
        if group is None:
            raise invalid_request(f"WorkGroup {name} is not found.")
        return group

    def _execution(self, query_id: str | None) -> QueryExecution:
        execution = self._executions.get(query_id or "")
        if execution is None:
            raise invalid_request(f"QueryExecution {query_id} was not found")
        return execution

    # -- StartQueryExecution ---------------------------------------------------------------
    def start_query_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        query = request.get("QueryString") or ""
        if not query.strip():
            raise invalid_request("QueryString must not be empty.")
        name = request.get("WorkGroup") or "primary"
        group = self._workgroup(name)
        if group.state != "ENABLED":
            raise invalid_request(f"WorkGroup {name} is disabled.")
        context = request.get("QueryExecutionContext") or {}
        catalog = context.get("Catalog") or DEFAULT_CATALOG
        if catalog.lower() != DEFAULT_CATALOG.lower():
            raise invalid_request(f"Catalog {catalog} is not found. Only AwsDataCatalog exists.")
        configuration = merge_result_configuration(group, request.get("ResultConfiguration"))
        params = list(request.get("ExecutionParameters") or [])
        token = request.get("ClientRequestToken")
        fingerprint = (query, name, repr(context), repr(configuration), tuple(params))
        with self._lock:
            if token and token in self._tokens:
                known_id, known = self._tokens[token]
                if known != fingerprint:
                    # "An error is returned if a parameter, such as QueryString, has changed"
                    # (StartQueryExecution, ClientRequestToken).
                    raise invalid_request("Idempotent parameters do not match")
                return {"QueryExecutionId": known_id}
            kind, sub = statement_kind(self._resolved_text(query, name))
            execution = QueryExecution(
                id=self.new_id(),
                query=query,
                workgroup=name,
                database=context.get("Database") or "",
                catalog=catalog,
                result_configuration=configuration,
                statement_type=kind,
                substatement_type=sub,
                submitted=self.clock(),
                engine_version=group.engine_version,
                execution_parameters=params,
                client_request_token=token,
                region=self.region,
                result_file="csv" if kind == "DML" else "txt",
                header_row=kind == "DML",
            )
            self._executions[execution.id] = execution
            if token:
                self._tokens[token] = (execution.id, fingerprint)
        self._pool.submit(self._run, execution.id, group.cutoff)
        if self.start_wait > 0:
            # A short, bounded wait for the statement to finish before answering: a quick
            # query is final at the client's first GetQueryExecution (PyAthena and awswrangler
            # sleep a second between polls), and no polls compete with the worker meanwhile.
            # The query's states and times are the ones it went through (QUEUED, RUNNING...);
            # only the answer to Start comes later, by ``start_wait`` seconds at most.
            with self._lock:
                self._finished.wait_for(lambda: execution.final, timeout=self.start_wait)
        return {"QueryExecutionId": execution.id}

    def _resolved_text(self, query: str, workgroup: str) -> str:
        statement = parameters.parse_prepared(query)
        if isinstance(statement, parameters.Execute):
            prepared = self._prepared.get((workgroup, statement.name))
            return prepared["QueryStatement"] if prepared else query
        return query

    # -- the worker ------------------------------------------------------------------------
    def _session(self) -> EngineSession:
        session = getattr(self._local, "session", None)
        if session is None:
            lower_priority(self.niceness)  # before the engine starts its threads
            session = self.sessions()
            self._local.session = session
            with self._lock:
                self._all_sessions.append(session)
        return session

    def _run(self, query_id: str, cutoff: int | None) -> None:
        try:
            self._run_one(query_id, cutoff)
        except Exception:  # never lose a query in a non-final state
            LOG.exception("Athena query %s failed inside the sandbox", query_id)
            with self._lock:
                execution = self._executions[query_id]
                if not execution.final:
                    execution.fail(
                        AthenaError(1, 200, True, "GENERIC_INTERNAL_ERROR: internal error"),
                        self.clock(),
                    )
                    self._remember(execution)

    def _run_one(self, query_id: str, cutoff: int | None) -> None:
        with self._lock:
            execution = self._executions[query_id]
            if execution.final:  # cancelled while queued
                return
            execution.move(RUNNING, self.clock())
        try:
            session = self._session()
        except QueryError as exc:
            self._finish_failed(execution, athena_error(exc))
            return
        with self._lock:
            self._running[query_id] = session
        done = threading.Event()
        if cutoff is not None and hasattr(session, "bytes_fetched"):
            threading.Thread(
                target=self._watch_cutoff,
                args=(execution, session, cutoff, done),
                name="athena-cutoff",
                daemon=True,
            ).start()
        try:
            rows = self._execute(execution, session)
            error = None
        except Exception as exc:  # QueryError, duckdb.Error and anything else the engine raises
            rows, error = None, athena_error(exc, execution.query)
        finally:
            done.set()
            with self._lock:
                self._running.pop(query_id, None)
        execution.engine_done = self.clock()
        if error is not None or rows is None:
            self._finish_failed(execution, error or athena_error(QueryError("no result")))
            return
        if cutoff is not None and execution.bytes_scanned > cutoff:
            with self._lock:
                if not execution.final:
                    execution.fail(bytes_scanned_exceeded(), self.clock(), state=CANCELLED)
                    self._remember(execution)
            return
        try:
            self._write_files(execution, rows)
        except Exception as exc:
            LOG.exception("Writing the results of %s failed", query_id)
            self._finish_failed(
                execution,
                AthenaError(1, 401, True, f"Failed to write query results to S3: {exc}"),
            )
            return
        with self._lock:
            if execution.final:  # cancelled while the files were written
                return
            self._rows[query_id] = rows
            while len(self._rows) > _CACHE:
                self._rows.popitem(last=False)
            execution.move(SUCCEEDED, self.clock())
            self._remember(execution)

    def _watch_cutoff(
        self, execution: QueryExecution, session: Any, cutoff: int, done: threading.Event
    ) -> None:
        """Cancel ``execution`` during its scan once it has fetched more than ``cutoff`` bytes
        ("the query is canceled when it exceeds the limit", Athena user guide, "Setting data
        usage control limits"); the check after the scan stays for what this one misses."""
        while not done.wait(CUTOFF_CHECK_SECONDS):
            try:
                fetched = int(session.bytes_fetched())
            except Exception:  # the connection changed under it (a reconnect): next time
                LOG.debug("reading the bytes fetched by %s failed", execution.id, exc_info=True)
                continue
            if fetched <= cutoff:
                continue
            with self._lock:
                if execution.final:
                    return
                execution.bytes_scanned = fetched
                execution.fail(bytes_scanned_exceeded(), self.clock(), state=CANCELLED)
                self._remember(execution)
            try:
                session.interrupt()
            except Exception:
                LOG.debug("interrupting %s failed", execution.id, exc_info=True)
            return

    def _finish_failed(self, execution: QueryExecution, error: AthenaError) -> None:
        with self._lock:
            if execution.final:
                return
            execution.fail(error, self.clock())
            self._remember(execution)

    def _execute(self, execution: QueryExecution, session: EngineSession) -> _Rows:
        """Run the statement (prepared statements and parameters resolved) -> Athena's rows."""
        sql = execution.query
        statement = parameters.parse_prepared(sql)
        given = execution.execution_parameters
        if isinstance(statement, parameters.Prepare):
            self._put_prepared(execution.workgroup, statement.name, statement.statement, None)
            return _Rows([])
        if isinstance(statement, parameters.Deallocate):
            with self._lock:
                found = self._prepared.pop((execution.workgroup, statement.name), None)
            if found is None:
                raise QueryError(f"NOT_FOUND: Prepared statement not found: {statement.name}")
            self.history.append(
                "prepared_deleted", {"workgroup": execution.workgroup, "name": statement.name}
            )
            return _Rows([])
        if isinstance(statement, parameters.Execute):
            prepared = self._prepared.get((execution.workgroup, statement.name))
            if prepared is None:
                raise QueryError(f"NOT_FOUND: Prepared statement not found: {statement.name}")
            sql = parameters.bind(prepared["QueryStatement"], statement.using or given)
        else:
            sql = parameters.bind(sql, given)
        session.database = (execution.database or "default").lower()
        group = self.workgroups(execution.workgroup)
        session.context = WriteContext(  # type: ignore[attr-defined]
            execution.id,
            execution.result_configuration["OutputLocation"],
            bool(group and group.enforce),
        )
        result = session.execute(sql)
        execution.bytes_scanned = int(getattr(result, "bytes_scanned", 0) or 0)
        columns = list(result.columns)
        duck_types = list(getattr(result, "column_types", []) or [])
        if execution.statement_type == "DML" and len(duck_types) == len(columns):
            kinds: list[Any] = [values.value_type(t) for t in duck_types]
            infos = [
                values.column_type(t).column_info(c)
                for c, t in zip(columns, duck_types, strict=True)
            ]
        else:
            kinds = [None] * len(columns)
            infos = [values.DDL_STRING.column_info(c) for c in columns]
        text_rows = [
            [values.format_value(v, k) for v, k in zip(row, kinds, strict=False)]
            for row in result.rows
        ]
        rows = ([list(columns)] if execution.header_row else []) + text_rows
        execution.output_rows = len(text_rows)
        execution.column_info = infos
        files = getattr(result, "data_files", None)
        if files is not None:
            execution.update_count = int(result.rows[0][0]) if result.rows else 0
        return _Rows(rows, infos, files)

    def _write_files(self, execution: QueryExecution, rows: _Rows) -> None:
        encryption = execution.result_configuration.get("EncryptionConfiguration")
        location = execution.output_location
        if execution.result_file == "csv":
            columns = [info["Name"] for info in rows.column_info]
            body = csv_text(columns, rows.rows[1:] if execution.header_row else rows.rows).encode()
            content_type = "text/csv"
        else:
            body = txt_text(rows.rows).encode()
            content_type = "text/plain"
        execution.output_bytes = len(body)
        if rows.data_files is not None:
            manifest = "".join(f + "\n" for f in rows.data_files).encode()
            self.store.put(execution.manifest_location, manifest, "text/csv", encryption)
            execution.data_manifest = execution.manifest_location
        # Both files at once: each put waits mostly on the store's fsyncs, not on the GIL.
        metadata = self._writers.submit(
            self.store.put,
            location + ".metadata",
            metadata_bytes(execution.id, rows.column_info),
            "application/octet-stream",
            encryption,
        )
        self.store.put(location, body, content_type, encryption)
        metadata.result()

    # -- reading executions ----------------------------------------------------------------
    def get_query_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            execution = self._execution(request.get("QueryExecutionId"))
            if self.poll_wait > 0 and not execution.final:
                # Bounded, like Start's wait: a poll of a running query answers when it
                # finishes or after ``poll_wait``, whichever comes first, so a client polling
                # every few ms sends a few dozen requests a second at most, not hundreds.
                self._finished.wait_for(lambda: execution.final, timeout=self.poll_wait)
            return {"QueryExecution": execution.to_api()}

    def batch_get_query_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        ids = list(request.get("QueryExecutionIds") or [])
        if not 1 <= len(ids) <= MAX_LIST:
            raise invalid_request(f"QueryExecutionIds must hold 1 to {MAX_LIST} ids.")
        with self._lock:
            found, missing = _batch_get(
                ids,
                self._executions.get,
                QueryExecution.to_api,
                "QueryExecutionId",
                "QueryExecution {} was not found",
            )
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def list_query_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("WorkGroup") or "primary"
        self._workgroup(name)
        size = _page_size(request.get("MaxResults"), MAX_LIST)
        with self._lock:
            ids = [
                e.id
                for e in sorted(self._executions.values(), key=lambda e: e.submitted, reverse=True)
                if e.workgroup == name and e.region in ("", self.region)
            ]
        start = _offset(name, request.get("NextToken"))
        out: dict[str, Any] = {"QueryExecutionIds": ids[start : start + size]}
        if start + size < len(ids):
            out["NextToken"] = _token(name, start + size)
        return out

    def get_query_runtime_statistics(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            execution = self._execution(request.get("QueryExecutionId"))
            return {"QueryRuntimeStatistics": execution.runtime_statistics()}

    # -- StopQueryExecution ----------------------------------------------------------------
    def stop_query_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            execution = self._execution(request.get("QueryExecutionId"))
            if not execution.final:
                self._cancel(execution, "Query cancelled by user")
        return {}

    def _cancel(self, execution: QueryExecution, reason: str) -> None:
        execution.move(CANCELLED, self.clock(), reason)
        self._remember(execution)
        session = self._running.get(execution.id)
        if session is not None:
            try:
                session.interrupt()
            except Exception:
                LOG.debug("interrupting %s failed", execution.id, exc_info=True)

    # -- GetQueryResults -------------------------------------------------------------------
    def get_query_results(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.query_results_page(request).api()

    def query_results_page(self, request: dict[str, Any]) -> ResultsPage:
        """The page of a GetQueryResults request, its rows still the stored text cells."""
        query_id = request.get("QueryExecutionId")
        size = _page_size(request.get("MaxResults"), MAX_RESULTS)
        with self._lock:
            execution = self._execution(query_id)
            if execution.state in (FAILED, CANCELLED):
                reason = (
                    f"\n{execution.state_change_reason}" if execution.state_change_reason else ""
                )
                raise invalid_request(
                    "Query did not finish successfully. Final query state: "
                    f"{execution.state}{reason}"
                )
            if execution.state != SUCCEEDED:
                raise invalid_request(
                    f"Query has not yet finished. Current state: {execution.state}"
                )
            rows = self._rows.get(execution.id)
        if rows is None:
            rows = self._read_back(execution)
        start = _offset(execution.id, request.get("NextToken"))
        more = start + size < len(rows.rows)
        return ResultsPage(
            update_count=execution.update_count,
            column_info=rows.column_info,
            rows=rows.rows[start : start + size],
            next_token=_token(execution.id, start + size) if more else None,
        )

    def _read_back(self, execution: QueryExecution) -> _Rows:
        """The rows of an older (or pre-restart) result, from its file in S3."""
        try:
            text = self.store.get(execution.output_location).decode()
        except Exception as exc:
            raise invalid_request(
                f"The query result file {execution.output_location} cannot be read: {exc}"
            ) from exc
        if execution.result_file == "csv":
            header, body = parse_csv(text)
            table: list[list[str | None]] = [list(header), *body] if execution.header_row else body
        else:
            table = parse_txt(text)
        rows = _Rows(table, execution.column_info)
        with self._lock:
            self._rows[execution.id] = rows
            while len(self._rows) > _CACHE:
                self._rows.popitem(last=False)
        return rows

    # -- prepared statements ---------------------------------------------------------------
    def _put_prepared(
        self, workgroup: str, name: str, statement: str, description: str | None
    ) -> dict[str, Any]:
        record = {
            "workgroup": workgroup,
            "name": name,
            "QueryStatement": statement,
            "Description": description,
            "LastModifiedTime": self.clock().isoformat(),
        }
        with self._lock:
            self._prepared[(workgroup, name)] = record
        self.history.append("prepared", record)
        return record

    def _prepared_or_missing(self, workgroup: str, name: str) -> dict[str, Any]:
        record = self._prepared.get((workgroup, name))
        if record is None:
            raise ApiError(
                "ResourceNotFoundException",
                f"Prepared statement {name} does not exist in workgroup {workgroup}",
            )
        return record

    @staticmethod
    def _prepared_api(record: dict[str, Any]) -> dict[str, Any]:
        out = {
            "StatementName": record["name"],
            "QueryStatement": record["QueryStatement"],
            "WorkGroupName": record["workgroup"],
            "LastModifiedTime": datetime.fromisoformat(record["LastModifiedTime"]),
        }
        if record.get("Description"):
            out["Description"] = record["Description"]
        return out

    def create_prepared_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        group, name = request["WorkGroup"], request["StatementName"]
        self._workgroup(group)
        if (group, name) in self._prepared:
            raise invalid_request(f"Prepared statement {name} already exists in workgroup {group}")
        self._put_prepared(group, name, request["QueryStatement"], request.get("Description"))
        return {}

    def update_prepared_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        group, name = request["WorkGroup"], request["StatementName"]
        self._prepared_or_missing(group, name)
        self._put_prepared(group, name, request["QueryStatement"], request.get("Description"))
        return {}

    def get_prepared_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._prepared_or_missing(request["WorkGroup"], request["StatementName"])
        return {"PreparedStatement": self._prepared_api(record)}

    def batch_get_prepared_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        group = request["WorkGroup"]
        found, missing = _batch_get(
            request.get("PreparedStatementNames") or [],
            lambda name: self._prepared.get((group, name)),
            self._prepared_api,
            "StatementName",
            "Prepared statement {} does not exist",
        )
        return {"PreparedStatements": found, "UnprocessedPreparedStatementNames": missing}

    def delete_prepared_statement(self, request: dict[str, Any]) -> dict[str, Any]:
        group, name = request["WorkGroup"], request["StatementName"]
        self._prepared_or_missing(group, name)
        with self._lock:
            self._prepared.pop((group, name), None)
        self.history.append("prepared_deleted", {"workgroup": group, "name": name})
        return {}

    def list_prepared_statements(self, request: dict[str, Any]) -> dict[str, Any]:
        group = request["WorkGroup"]
        self._workgroup(group)
        size = _page_size(request.get("MaxResults"), MAX_LIST)
        names = sorted(n for g, n in self._prepared if g == group)
        start = _offset(group, request.get("NextToken"))
        out: dict[str, Any] = {
            "PreparedStatements": [
                {
                    "StatementName": n,
                    "LastModifiedTime": datetime.fromisoformat(
                        self._prepared[(group, n)]["LastModifiedTime"]
                    ),
                }
                for n in names[start : start + size]
            ]
        }
        if start + size < len(names):
            out["NextToken"] = _token(group, start + size)
        return out

    # -- for tests and the shell -----------------------------------------------------------
    def wait(self, query_id: str, timeout: float = 30.0) -> QueryExecution:
        """Block until ``query_id`` is final (tests); bounded by ``timeout`` seconds."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                execution = self._execution(query_id)
                if execution.final:
                    return execution
            time.sleep(0.005)
        raise TimeoutError(f"query {query_id} still {execution.state} after {timeout}s")


__all__ = ["AthenaService", "EngineSession", "ResultStore", "SessionEngine"]
