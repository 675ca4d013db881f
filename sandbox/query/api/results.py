"""The result files Athena writes to the query's output location, and reading them back.

"Working with query results, recent queries, and output files" (Athena user guide): a DML
query's results are ``<QueryExecutionId>.csv``, a DDL/utility statement's are
``<QueryExecutionId>.txt``, and each comes with ``<QueryExecutionId>.csv.metadata``
(``.txt.metadata`` for DDL).

- CSV: a header row of the column names, then one line per row; **every** field in double
  quotes (quotes doubled inside), except NULL, which is an empty *unquoted* field -- so an
  empty string (``""``) and NULL (nothing) differ, which PyAthena's and awswrangler's CSV
  readers rely on. Lines end with ``\\n``. Values are the same text GetQueryResults returns.
- ``.txt``: one line per row, fields separated by a tab, no header and no quoting (Hive's
  DDL output).
- ``.metadata``: Athena's own binary (protobuf) encoding of ``ResultSetMetadata``, which no
  public client reads (they call GetQueryResults); written after the layout reverse-engineered
  in "What's the data format of Athena's .csv.metadata files?" (Stack Overflow, with a parser
  by its author): field 1 a query id string, then per column a field-4 message with catalog (1),
  name (4), label (5), type (6), precision (7), scale (8), nullable (9: 3 = UNKNOWN) and
  case-sensitive (10); defaults (0, false) omitted as protobuf does.

Also the pages ``GetQueryResults`` returns of a result (:class:`ResultsPage`): their API
document, and the same document as JSON text written straight from the rows' text cells
(:func:`page_json`), which is what ``json.dumps`` of the document writes, without the ~3,000
dicts a 1,000-row page would build for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

Row = Sequence[str | None]


@dataclass(frozen=True)
class ResultsPage:
    """One ``GetQueryResults`` page: the rows' text cells (None for NULL) as the service keeps
    them, the result's ``ColumnInfo`` and the token of the next page (None on the last)."""

    update_count: int
    column_info: list[dict[str, Any]]
    rows: Sequence[Row]
    next_token: str | None = None

    def api(self) -> dict[str, Any]:
        """The API document: a NULL is a ``Datum`` without ``VarCharValue``."""
        data = [
            {"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in self.rows
        ]
        out: dict[str, Any] = {
            "UpdateCount": self.update_count,
            "ResultSet": {"Rows": data, "ResultSetMetadata": {"ColumnInfo": self.column_info}},
        }
        if self.next_token is not None:
            out["NextToken"] = self.next_token
        return out


# One row of text cells: '{"Data": [{"VarCharValue": "a"}, {"VarCharValue": "b"}]}'
_ROW_OPEN = '{"Data": [{"VarCharValue": '
_CELL_SEPARATOR = '}, {"VarCharValue": '
_ROW_CLOSE = "}]}"


def _row_with_nulls(row: Row) -> str:
    cells = (
        "{}" if v is None else '{"VarCharValue": ' + encode_basestring_ascii(v) + "}" for v in row
    )
    return '{"Data": [' + ", ".join(cells) + "]}"


def page_json(page: ResultsPage) -> str:
    """``json.dumps(page.api())``, written from the cells directly (a cell that is not a
    ``str`` raises ``TypeError``, as no ``VarCharValue`` may be anything else)."""
    encode: Callable[[Any], str] = encode_basestring_ascii  # only str gets here (None not in row)
    rows = ", ".join(
        [
            _ROW_OPEN + _CELL_SEPARATOR.join(map(encode, row)) + _ROW_CLOSE
            if row and None not in row
            else _row_with_nulls(row)
            for row in page.rows
        ]
    )
    head = '{"UpdateCount": ' + json.dumps(page.update_count) + ', "ResultSet": {"Rows": ['
    tail = '], "ResultSetMetadata": {"ColumnInfo": ' + json.dumps(page.column_info) + "}}"
    if page.next_token is not None:
        tail += ', "NextToken": ' + encode(page.next_token)
    return head + rows + tail + "}"


def csv_text(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """The result CSV: a quoted header, every value quoted, NULL as an empty unquoted field."""
    out = [_csv_line(columns)]
    out.extend(_csv_line(row) for row in rows)
    return "".join(out)


def _csv_line(values: Iterable[str | None]) -> str:
    return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values) + "\n"


def parse_csv(text: str) -> tuple[list[str], list[list[str | None]]]:
    """The header and rows of a result CSV, NULL (empty unquoted) kept apart from ``""``."""
    records: list[list[str | None]] = []
    record: list[str | None] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j, parts = i + 1, []
            while True:
                k = text.index('"', j)
                parts.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    parts.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            record.append("".join(parts))
        else:
            end = i
            while end < n and text[end] not in ",\n":
                end += 1
            record.append(text[i:end] or None)
            i = end
        if i < n and text[i] == ",":
            i += 1
            if i == n or text[i] == "\n":
                record.append(None)
        if i < n and text[i] == "\n":
            records.append(record)
            record = []
            i += 1
    if record:
        records.append(record)
    if not records:
        return [], []
    header = [v or "" for v in records[0]]
    return header, records[1:]


def txt_text(rows: Iterable[Row]) -> str:
    """A DDL statement's result file: tab-separated fields, one line per row."""
    return "".join("\t".join(v or "" for v in row) + "\n" for row in rows)


def parse_txt(text: str) -> list[list[str | None]]:
    return [list[str | None](line.split("\t")) for line in text.splitlines()]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def metadata_bytes(query_id: str, column_info: Sequence[dict]) -> bytes:
    """The ``.metadata`` file for a result with these ``ColumnInfo`` entries."""
    out = bytearray(_field(1, query_id))
    for info in column_info:
        column = bytearray(_field(1, info.get("CatalogName", "hive")))
        column += _field(4, info["Name"]) + _field(5, info.get("Label", info["Name"]))
        column += _field(6, info["Type"])
        if info.get("Precision"):
            column += _field(7, int(info["Precision"]))
        if info.get("Scale"):
            column += _field(8, int(info["Scale"]))
        column += _field(9, 3)  # Nullable UNKNOWN
        if info.get("CaseSensitive"):
            column += _field(10, 1)
        out += _field(4, bytes(column))
    return bytes(out)
