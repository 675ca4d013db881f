"""Reading the input file into records: one record per line, bytes unchanged.

Each non-empty line becomes one record, exactly as in the file minus its ``\\n`` (a ``\\r``
stays); with ``append_newline`` a ``\\n`` is added back, for streams that lack the
AppendDelimiterToRecord processor. Empty lines are not records and are ignored. A ``.gz``
file (detected by its magic bytes) is decompressed first.

Bad lines (not a JSON object) are handled per ``on_bad_line``: ``fail`` raises
:class:`BadLineError` with the line number before anything is sent; ``skip`` leaves them out
and reports their line numbers; ``send`` sends every line as-is without parsing it (the fast
path, and a way to exercise the delivery stream's error output). Validation parses each line
once (~3.5 µs/line here), however many streams the file goes to.

Records larger than the PutRecordBatch limit (1,000 KiB) are never sent: they are reported as
``oversize`` with their line numbers.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sandbox.emit.batching import MAX_RECORD_BYTES
from sandbox.emit.errors import BadLineError, EmitError


class OnBadLine(StrEnum):
    FAIL = "fail"
    SKIP = "skip"
    SEND = "send"


@dataclass
class Records:
    """The records to send, with the file line number of each, and what was left out."""

    data: list[bytes]
    line_numbers: list[int]
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    oversize_lines: list[tuple[int, int]] = field(default_factory=list)  # (line number, bytes)
    empty_lines: int = 0

    @property
    def total_bytes(self) -> int:
        return sum(map(len, self.data))


def read_records(
    path: Path,
    on_bad_line: OnBadLine | str = OnBadLine.FAIL,
    append_newline: bool = False,
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> Records:
    """Split ``path`` into records (see the module docstring for the rules)."""
    policy = OnBadLine(on_bad_line)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise EmitError(f"no such file: {path}; run `sandbox generate` or pass --file") from None
    except OSError as exc:
        raise EmitError(f"cannot read {path}: {exc.strerror or exc}") from None
    if content[:2] == b"\x1f\x8b":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError) as exc:
            raise EmitError(f"{path} is not a readable gzip file: {exc}") from None
    return split_records(content, policy, append_newline, max_record_bytes, source=str(path))


def split_records(
    content: bytes,
    on_bad_line: OnBadLine | str = OnBadLine.FAIL,
    append_newline: bool = False,
    max_record_bytes: int = MAX_RECORD_BYTES,
    source: str = "input",
) -> Records:
    policy = OnBadLine(on_bad_line)
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline ends the last line; it does not start a new one
    extra = 1 if append_newline else 0
    validate = policy is not OnBadLine.SEND
    loads = json.loads
    out = Records(data=[], line_numbers=[])
    data, numbers = out.data, out.line_numbers
    for number, line in enumerate(lines, start=1):
        if not line:
            out.empty_lines += 1
            continue
        size = len(line) + extra
        if size > max_record_bytes:
            out.oversize_lines.append((number, size))
            continue
        if validate:
            reason = None
            try:
                if type(loads(line)) is not dict:
                    reason = "not a JSON object"
            except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
                reason = f"not valid JSON ({exc})"
            if reason is not None:
                if policy is OnBadLine.FAIL:
                    raise BadLineError(
                        f"{source}, line {number}: {reason}; fix the file or pass "
                        "--on-bad-line skip (leave it out) or send (send it as-is)"
                    )
                out.bad_lines.append((number, reason))
                continue
        data.append(line + b"\n" if extra else line)
        numbers.append(number)
    return out
