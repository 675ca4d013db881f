"""A query execution: its state machine, what Athena reports of it, and the workgroup rules
applied when it is submitted.

States (Athena API reference, "QueryExecutionStatus"): QUEUED -> RUNNING -> SUCCEEDED | FAILED
| CANCELLED; QUEUED may also go straight to FAILED or CANCELLED; the three last are final.
Timestamps are SubmissionDateTime (at StartQueryExecution) and CompletionDateTime (on reaching
a final state). Statistics follow "QueryExecutionStatistics": the queue time runs from
submission to a worker taking the statement, the engine time is the engine's own run, the
service processing time is writing the result files, the total is their sum (planning is part
of the engine's time here, reported as 0 on its own).

Result configuration ("Workgroup settings override client-side settings", Athena user guide):
with ``EnforceWorkGroupConfiguration`` the workgroup's ResultConfiguration is used and the
client's ignored; otherwise each field the client gives wins over the workgroup's. No
OutputLocation from either is refused (InvalidRequestException). The execution's
OutputLocation is the folder plus ``<id>.csv`` (``<id>.txt`` for DDL).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.query.api.errors import AthenaError, invalid_request
from sandbox.query.dialect.ddl import CreateTableAs, parse_ddl
from sandbox.query.errors import QueryError

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "CANCELLED",
)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
_NEXT = {QUEUED: {RUNNING, FAILED, CANCELLED}, RUNNING: {SUCCEEDED, FAILED, CANCELLED}}
ENGINE_VERSION = {
    "SelectedEngineVersion": "AUTO",
    "EffectiveEngineVersion": "Athena engine version 3",
}
DEFAULT_CATALOG = "AwsDataCatalog"
_RESULT_FIELDS = (
    "OutputLocation",
    "EncryptionConfiguration",
    "ExpectedBucketOwner",
    "AclConfiguration",
)


@dataclass(frozen=True)
class WorkGroup:
    """What a query needs of its workgroup (read from the workgroups' store when submitted)."""

    name: str
    state: str = "ENABLED"
    configuration: dict = field(default_factory=dict)

    @property
    def enforce(self) -> bool:
        return bool(self.configuration.get("EnforceWorkGroupConfiguration", True))

    @property
    def cutoff(self) -> int | None:
        value = self.configuration.get("BytesScannedCutoffPerQuery")
        return int(value) if value else None

    @property
    def engine_version(self) -> dict:
        return dict(self.configuration.get("EngineVersion") or ENGINE_VERSION)


def merge_result_configuration(group: WorkGroup, client: dict | None) -> dict:
    """The ResultConfiguration a query runs with: the workgroup's, the client's, or a merge."""
    own = dict(group.configuration.get("ResultConfiguration") or {})
    if group.enforce:
        merged = own
    else:
        merged = {**own, **{k: v for k, v in (client or {}).items() if k in _RESULT_FIELDS}}
    location = merged.get("OutputLocation")
    if not location:
        # Athena's wording (StartQueryExecution on a workgroup without a result location).
        raise invalid_request(
            "No output location provided. An output location is required either through the "
            "Workgroup result configuration setting or as an API input."
        )
    if not str(location).startswith("s3://"):
        raise invalid_request(f"outputLocation is not a valid S3 path. Provided {location}")
    return {k: merged[k] for k in _RESULT_FIELDS if merged.get(k)}


# Statement kinds: (StatementType, SubstatementType) by the statement's leading words.
_KINDS = [
    (r"(SELECT|WITH|VALUES|TABLE)\b", ("DML", "SELECT")),
    (r"\(\s*(SELECT|WITH|VALUES)\b", ("DML", "SELECT")),
    (r"INSERT\b", ("DML", "INSERT")),
    (r"CREATE\s+TABLE\b.*\bAS\s+(SELECT|WITH|\()", ("DML", "CREATE_TABLE_AS_SELECT")),
    (r"UNLOAD\b", ("DML", "UNLOAD")),
    (r"(DELETE|UPDATE|MERGE)\b", ("DML", r"\1")),
    (r"EXPLAIN\b", ("UTILITY", "EXPLAIN")),
    (r"(DESCRIBE|DESC)\b", ("UTILITY", "DESCRIBE")),
    (r"SHOW\s+CREATE\s+(TABLE|VIEW)\b", ("UTILITY", r"SHOW_CREATE_\1")),
    (r"EXECUTE\b", ("DML", "EXECUTE")),
    (r"(PREPARE|DEALLOCATE)\b", ("UTILITY", r"\1")),
    (r"MSCK\s+REPAIR\s+TABLE\b", ("DDL", "MSCK_REPAIR_TABLE")),
    (
        r"ALTER\s+TABLE\s+\S+\s+(ADD|DROP)\s+(IF\s+\S+\s+(EXISTS\s+)?)?PARTITION\b",
        ("DDL", r"ALTER_TABLE_\1_PARTITION"),
    ),
    (
        r"SHOW\s+(TABLES|DATABASES|SCHEMAS|PARTITIONS|COLUMNS|VIEWS|TBLPROPERTIES)\b",
        ("DDL", r"SHOW_\1"),
    ),
    (r"(CREATE|DROP|ALTER)\s+(EXTERNAL\s+)?(TABLE|DATABASE|SCHEMA|VIEW)\b", ("DDL", r"\1_\3")),
]
_COMMENTS = re.compile(r"^(\s+|--[^\n]*\n?|/\*.*?\*/)+", re.S)


def statement_kind(sql: str) -> tuple[str, str]:
    """(StatementType, SubstatementType) of ``sql``: DML/SELECT, DDL/SHOW_TABLES, ..."""
    text = _COMMENTS.sub("", sql)
    if text[:6].upper() == "CREATE":
        try:
            # CTAS by its parse: comments may stand between AS and the query (dbt-athena's do).
            if isinstance(parse_ddl(text), CreateTableAs):
                return "DML", "CREATE_TABLE_AS_SELECT"
        except QueryError:
            pass  # not a statement the parser takes; the patterns below classify it
    for pattern, (kind, sub) in _KINDS:
        match = re.match(pattern, text, re.I | re.S)
        if match:
            return kind, match.expand(sub).upper().replace("SCHEMAS", "DATABASES")
    return "DML", "SELECT"


def _ms(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, round((end - start).total_seconds() * 1000))


@dataclass
class QueryExecution:
    """One StartQueryExecution, through its states."""

    id: str
    query: str
    workgroup: str
    database: str
    catalog: str
    result_configuration: dict
    statement_type: str
    substatement_type: str
    submitted: datetime
    engine_version: dict = field(default_factory=lambda: dict(ENGINE_VERSION))
    execution_parameters: list[str] = field(default_factory=list)
    client_request_token: str | None = None
    region: str = ""
    state: str = QUEUED
    state_change_reason: str | None = None
    error: AthenaError | None = None
    started: datetime | None = None
    engine_done: datetime | None = None
    completed: datetime | None = None
    bytes_scanned: int = 0
    output_rows: int = 0
    output_bytes: int = 0
    result_file: str = "csv"  # "csv" or "txt"
    column_info: list[dict] = field(default_factory=list)
    header_row: bool = True  # SELECT results start with a row of the column names
    # CTAS, INSERT INTO, UNLOAD: the data manifest (the files written) and the rows written.
    data_manifest: str | None = None
    update_count: int = 0

    @property
    def output_location(self) -> str:
        folder = self.result_configuration["OutputLocation"]
        if not folder.endswith("/"):
            folder += "/"
        return f"{folder}{self.id}.{self.result_file}"

    @property
    def manifest_location(self) -> str:
        """``<result folder><id>-manifest.csv``: the files a CTAS/INSERT/UNLOAD wrote
        (Athena user guide, "Identifying query output files")."""
        folder = self.result_configuration["OutputLocation"]
        return f"{folder if folder.endswith('/') else folder + '/'}{self.id}-manifest.csv"

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def move(self, state: str, now: datetime, reason: str | None = None) -> None:
        """Go to ``state``; a final state is never left (a late result is dropped)."""
        if state not in _NEXT.get(self.state, set()):
            raise ValueError(f"query {self.id}: {self.state} -> {state} is not a transition")
        self.state = state
        if state == RUNNING:
            self.started = now
        if state in FINAL:
            self.completed = now
            if self.started is None:
                self.started = now
            if self.engine_done is None:
                self.engine_done = now
        if reason is not None:
            self.state_change_reason = reason

    def fail(self, error: AthenaError, now: datetime, state: str = FAILED) -> None:
        self.error = error
        self.move(state, now, error.message)

    # -- what the API returns --------------------------------------------------------------
    def statistics(self) -> dict[str, Any]:
        queue = _ms(self.submitted, self.started)
        engine = _ms(self.started, self.engine_done)
        service = _ms(self.engine_done, self.completed)
        return {
            "EngineExecutionTimeInMillis": engine,
            "DataScannedInBytes": self.bytes_scanned,
            "TotalExecutionTimeInMillis": queue + engine + service,
            "QueryQueueTimeInMillis": queue,
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": service,
            "ResultReuseInformation": {"ReusedPreviousResult": False},
            **({"DataManifestLocation": self.data_manifest} if self.data_manifest else {}),
        }

    def to_api(self) -> dict[str, Any]:
        """The ``QueryExecution`` structure of GetQueryExecution / BatchGetQueryExecution."""
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.state_change_reason:
            status["StateChangeReason"] = self.state_change_reason
        if self.error is not None:
            status["AthenaError"] = self.error.to_api()
        context = {"Catalog": self.catalog}
        if self.database:
            context["Database"] = self.database
        result = {
            "QueryExecutionId": self.id,
            "Query": self.query,
            "StatementType": self.statement_type,
            "SubstatementType": self.substatement_type,
            "ResultConfiguration": {
                **self.result_configuration,
                "OutputLocation": self.output_location,
            },
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
            "QueryExecutionContext": context,
            "Status": status,
            "Statistics": self.statistics(),
            "WorkGroup": self.workgroup,
            "EngineVersion": self.engine_version,
        }
        if self.execution_parameters:
            result["ExecutionParameters"] = list(self.execution_parameters)
        return result

    def runtime_statistics(self) -> dict[str, Any]:
        """GetQueryRuntimeStatistics: the timeline and the row/byte counts the engine knows."""
        stats = self.statistics()
        timeline = {
            key: stats[key]
            for key in (
                "QueryQueueTimeInMillis",
                "ServicePreProcessingTimeInMillis",
                "QueryPlanningTimeInMillis",
                "EngineExecutionTimeInMillis",
                "ServiceProcessingTimeInMillis",
                "TotalExecutionTimeInMillis",
            )
        }
        rows: dict[str, int] = {"InputBytes": self.bytes_scanned}
        if self.state == SUCCEEDED:
            rows.update(OutputBytes=self.output_bytes, OutputRows=self.output_rows)
        return {"Timeline": timeline, "Rows": rows}

    # -- persistence -----------------------------------------------------------------------
    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["error"] = self.error.to_api() if self.error else None
        for key in ("submitted", "started", "engine_done", "completed"):
            value = getattr(self, key)
            record[key] = value.isoformat() if value else None
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> QueryExecution:
        data = dict(record)
        data["error"] = AthenaError.from_api(data["error"]) if data.get("error") else None
        for key in ("submitted", "started", "engine_done", "completed"):
            data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def utcnow() -> datetime:
    return datetime.now(UTC)
