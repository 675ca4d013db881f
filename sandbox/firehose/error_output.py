"""The JSON documents Firehose writes to the error output, one line per failed record.

Owns: the document shapes of the developer guide:

- ``processing-failed`` ("Handle failure in data transformation", "Troubleshoot dynamic
  partitioning errors"): ``attemptsMade``, ``arrivalTimestamp``, ``errorCode``,
  ``errorMessage``, ``attemptEndingTimestamp``, ``rawData`` (base64); ``lambdaArn`` only when a
  Lambda processor failed (never in the sandbox);
- ``format-conversion-failed`` ("Handling errors for data format conversion"):
  ``lastErrorCode``/``lastErrorMessage`` instead of ``errorCode``/``errorMessage``, plus
  ``sequenceNumber``, ``subSequenceNumber`` (null for Direct PUT) and ``dataCatalogTable``.

Timestamps are epoch milliseconds. The lines of one error batch form one object.

Not reproduced: ``attemptsMade`` above 1 (the engine evaluates each record once).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["FailedRecord", "render_error_lines"]

PROCESSING_FAILED = "processing-failed"
FORMAT_CONVERSION_FAILED = "format-conversion-failed"


@dataclass(frozen=True, slots=True)
class FailedRecord:
    data: bytes
    arrival: float  # epoch seconds
    code: str
    message: str


def _millis(seconds: float) -> int:
    return round(seconds * 1000)


def render_error_lines(
    failures: Iterable[FailedRecord],
    error_type: str,
    attempt_ending: float,
    data_catalog_table: dict[str, Any] | None = None,
) -> bytes:
    """Newline-delimited error documents for ``failures``."""
    lines = []
    ending = _millis(attempt_ending)
    for failure in failures:
        raw = base64.b64encode(failure.data).decode("ascii")
        if error_type == FORMAT_CONVERSION_FAILED:
            document: dict[str, Any] = {
                "attemptsMade": 1,
                "arrivalTimestamp": _millis(failure.arrival),
                "lastErrorCode": failure.code,
                "lastErrorMessage": failure.message,
                "attemptEndingTimestamp": ending,
                "rawData": raw,
                "sequenceNumber": None,
                "subSequenceNumber": None,
                "dataCatalogTable": data_catalog_table,
            }
        else:
            document = {
                "attemptsMade": 1,
                "arrivalTimestamp": _millis(failure.arrival),
                "errorCode": failure.code,
                "errorMessage": failure.message,
                "attemptEndingTimestamp": ending,
                "rawData": raw,
            }
        lines.append(json.dumps(document, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
