"""The two kinds of failure Athena's API has, and the mapping of the engine's errors to them.

- :class:`ApiError`: the request itself is refused (HTTP 400), e.g. ``InvalidRequestException``
  for an unknown query id, a disabled workgroup or a missing output location. The provider
  turns it into LocalStack's service exception with the same code and message.
- :class:`AthenaError`: the request was accepted and the *query* failed; it becomes
  ``Status.AthenaError`` (and the ``StateChangeReason``) of a FAILED execution.

:func:`athena_error` maps what the query stage raises -- :class:`~sandbox.query.errors.QueryError`
(messages already in Athena's words, e.g. ``TABLE_NOT_FOUND: Table 'awsdatacatalog.db.t' does
not exist``), :class:`~sandbox.query.errors.UnsupportedError` and DuckDB's errors (kept as the
first line of their message) -- to Athena engine v3's error names and message shapes
(``NAME: line L:C: text``, positions from the original SQL where the engine's error names
an identifier). ErrorCategory follows "Athena error catalog" (1 system, 2 user, 3 other);
ErrorType numbers come from the same catalog (1006 syntax/analysis errors...) as far as it
names them; where it does not say which number Athena uses for a case, the closest entry is
taken and marked below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.query.errors import QueryError, UnsupportedError

SYSTEM, USER, OTHER = 1, 2, 3

# Error name -> (ErrorCategory, ErrorType, Retryable).
_KINDS: dict[str, tuple[int, int, bool]] = {
    "SYNTAX_ERROR": (USER, 1006, False),
    "COLUMN_NOT_FOUND": (USER, 1006, False),
    "FUNCTION_NOT_FOUND": (USER, 1006, False),
    "TYPE_MISMATCH": (USER, 1006, False),
    "INVALID_PARAMETER_USAGE": (USER, 1006, False),
    "TABLE_NOT_FOUND": (USER, 1301, False),
    "SCHEMA_NOT_FOUND": (USER, 1301, False),
    "NOT_SUPPORTED": (USER, 1100, False),  # closest: "Invalid argument provided"
    "INVALID_CAST_ARGUMENT": (USER, 1001, False),  # "Data error"
    "INVALID_FUNCTION_ARGUMENT": (USER, 1001, False),
    "NUMERIC_VALUE_OUT_OF_RANGE": (USER, 1001, False),
    "DIVISION_BY_ZERO": (USER, 1001, False),
    "HIVE_METASTORE_ERROR": (USER, 1003, False),  # "DDL task failed"
    "ALREADY_EXISTS": (USER, 1003, False),
    "HIVE_BAD_DATA": (USER, 1001, False),
    "GENERIC_USER_ERROR": (USER, 1000, False),
    # Writes (CTAS, INSERT INTO, UNLOAD, DDL, views); closest catalog entries.
    "TABLE_ALREADY_EXISTS": (USER, 1006, False),
    "SCHEMA_ALREADY_EXISTS": (USER, 1006, False),
    "INVALID_TABLE_PROPERTY": (USER, 1006, False),
    "DUPLICATE_COLUMN_NAME": (USER, 1006, False),
    "HIVE_COLUMN_ORDER_MISMATCH": (USER, 1006, False),
    "HIVE_PATH_ALREADY_EXISTS": (USER, 1000, False),
    "HIVE_TOO_MANY_OPEN_PARTITIONS": (USER, 1000, False),
    "HIVE_VIEW_TRANSLATION_ERROR": (USER, 1006, False),
    "VIEW_IS_RECURSIVE": (USER, 1006, False),
    "GENERIC_INTERNAL_ERROR": (SYSTEM, 200, True),
    # Iceberg tables (closest catalog entries; a concurrent commit is worth retrying).
    "MERGE_TARGET_ROW_MULTIPLE_MATCHES": (USER, 1000, False),
    "INVALID_ARGUMENTS": (USER, 1100, False),
    "ICEBERG_INVALID_METADATA": (USER, 1000, False),
    "ICEBERG_COMMIT_ERROR": (SYSTEM, 200, True),
}


class ApiError(Exception):
    """A refused request: Athena's error code (``InvalidRequestException``...) and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def invalid_request(message: str) -> ApiError:
    return ApiError("InvalidRequestException", message)


@dataclass(frozen=True)
class AthenaError:
    """``QueryExecutionStatus.AthenaError`` of a failed query."""

    category: int
    type: int
    retryable: bool
    message: str

    @classmethod
    def named(cls, name: str, text: str) -> AthenaError:
        """An error of Athena's kind ``name``; ``text`` follows ``NAME: `` in the message."""
        category, kind, retryable = _KINDS.get(name, _KINDS["GENERIC_USER_ERROR"])
        return cls(category, kind, retryable, f"{name}: {text}")

    def to_api(self) -> dict:
        return {
            "ErrorCategory": self.category,
            "ErrorType": self.type,
            "Retryable": self.retryable,
            "ErrorMessage": self.message,
        }

    @classmethod
    def from_api(cls, data: dict) -> AthenaError:
        return cls(
            int(data["ErrorCategory"]),
            int(data["ErrorType"]),
            bool(data["Retryable"]),
            str(data["ErrorMessage"]),
        )


_NAMED = re.compile(r"^([A-Z][A-Z_]+[A-Z]): (.*)$", re.S)
_POSITION = re.compile(r"^line \d+:\d+: ")
_DUCK_COLUMN = re.compile(
    r'(?:Referenced column "?([^"\s]+)"? not found'
    r'|Column "([^"]+)" referenced that exists in the SELECT clause'
    r'|[Cc]olumn "([^"]+)" (?:not found|does not exist))'
)
_DUCK_TABLE = re.compile(r"Table with name \"?([^\"\s]+)\"? does not exist")
_DUCK_FUNCTION = re.compile(
    r"(?:Scalar|Aggregate|Table) Function with name \"?([^\"\s]+)\"? does not exist"
)


def position(sql: str, name: str) -> str:
    """``line L:C: `` of the first occurrence of identifier ``name`` in ``sql`` (1-based, as
    Trino reports), or ``""`` when it does not occur as a word."""
    match = re.search(rf"(?<![\w\"]){re.escape(name)}(?![\w\"])", sql, re.IGNORECASE)
    if match is None:
        match = re.search(rf'"{re.escape(name)}"', sql, re.IGNORECASE)
    if match is None:
        return ""
    before = sql[: match.start()]
    line = before.count("\n") + 1
    column = match.start() - (before.rfind("\n") + 1) + 1
    return f"line {line}:{column}: "


def table_position(sql: str, name: str) -> str:
    """``line L:C: `` of table ``name`` after FROM/JOIN (qualified or not), else anywhere."""
    pattern = rf'\b(?:FROM|JOIN|TABLE)\s+((?:"?\w+"?\.)*"?{re.escape(name)}"?)(?![\w"])'
    match = re.search(pattern, sql, re.IGNORECASE)
    if match is None:
        return position(sql, name)
    before = sql[: match.start(1)]
    line = before.count("\n") + 1
    return f"line {line}:{match.start(1) - (before.rfind(chr(10)) + 1) + 1}: "


def athena_error(exc: BaseException, sql: str = "") -> AthenaError:
    """The ``AthenaError`` a failed statement reports, in Athena engine v3's wording."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, UnsupportedError):
        return AthenaError.named("NOT_SUPPORTED", text)
    if not isinstance(exc, QueryError):
        return AthenaError.named("GENERIC_INTERNAL_ERROR", text)
    named = _NAMED.match(text)
    if named and named.group(1) in _KINDS:
        name, rest = named.groups()
        if name in ("TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND") and not _POSITION.match(rest):
            quoted = re.search(r"'([^']+)'", rest)
            where = table_position(sql, quoted.group(1).split(".")[-1]) if quoted else ""
            rest = where + rest
        return AthenaError.named(name, rest)
    if text.startswith("AlreadyExistsException"):
        return AthenaError.named("ALREADY_EXISTS", text.split(": ", 1)[-1])
    return _duckdb_error(text, sql)


def _duckdb_error(text: str, sql: str) -> AthenaError:
    """A DuckDB error (``Binder Error: ...``) as the Trino error Athena would raise."""
    if match := _DUCK_COLUMN.search(text):
        name = next(g for g in match.groups() if g).split(".")[-1]
        return AthenaError.named(
            "COLUMN_NOT_FOUND",
            f"{position(sql, name)}Column '{name}' cannot be resolved or requester is not "
            "authorized to access requested resources",
        )
    if match := _DUCK_FUNCTION.search(text):
        name = match.group(1)
        return AthenaError.named(
            "FUNCTION_NOT_FOUND", f"{position(sql, name)}Function '{name}' not registered"
        )
    if match := _DUCK_TABLE.search(text):
        name = match.group(1)
        return AthenaError.named(
            "TABLE_NOT_FOUND", f"{table_position(sql, name)}Table '{name}' does not exist"
        )
    kind, _, detail = text.partition(": ")
    mapping = {
        "Parser Error": "SYNTAX_ERROR",
        "Binder Error": "TYPE_MISMATCH",
        "Conversion Error": "INVALID_CAST_ARGUMENT",
        "Out of Range Error": "NUMERIC_VALUE_OUT_OF_RANGE",
        "Invalid Input Error": "INVALID_FUNCTION_ARGUMENT",
    }
    if "division by zero" in text.lower():
        return AthenaError.named("DIVISION_BY_ZERO", "Division by zero")
    if kind in mapping and detail:
        return AthenaError.named(mapping[kind], detail)
    return AthenaError.named("GENERIC_USER_ERROR", text)


BYTES_SCANNED_EXCEEDED = "Bytes scanned limit was exceeded"


def bytes_scanned_exceeded() -> AthenaError:
    """A query that scanned more than the workgroup's ``BytesScannedCutoffPerQuery``: "it is
    canceled" ("Setting data usage control limits"), with this reason (no error name)."""
    return AthenaError(USER, 1008, False, BYTES_SCANNED_EXCEEDED)  # 1008: closest, "Query rejected"
