"""The file -> records: bytes unchanged, limits on record size, bad and empty lines."""

from __future__ import annotations

import gzip
import json

import pytest

from sandbox.emit.batching import MAX_RECORD_BYTES
from sandbox.emit.errors import BadLineError, EmitError
from sandbox.emit.records import read_records, split_records


def json_line(size: int) -> bytes:
    """A JSON object line of exactly ``size`` bytes."""
    line = b'{"k": "' + b"x" * (size - 9) + b'"}'
    assert len(line) == size
    json.loads(line)
    return line


def test_lines_are_records_byte_for_byte_without_the_newline(tmp_path):
    lines = [b'{"a": 1}', b'{"b": "\\u00e9 \xc3\xa9"}  ', b'{"c": 3}\r']
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    records = read_records(path)
    assert records.data == lines
    assert records.line_numbers == [1, 2, 3]


def test_append_newline_adds_exactly_one(tmp_path):
    records = split_records(b'{"a": 1}\n{"b": 2}', append_newline=True)
    assert records.data == [b'{"a": 1}\n', b'{"b": 2}\n']


def test_empty_lines_are_ignored_and_line_numbers_stay_true():
    records = split_records(b'{"a": 1}\n\n{"b": 2}\n\n')
    assert records.line_numbers == [1, 3]
    assert records.empty_lines == 2


def test_record_of_exactly_1000_kib_is_kept_one_byte_more_is_oversize():
    content = json_line(MAX_RECORD_BYTES) + b"\n" + json_line(MAX_RECORD_BYTES + 1) + b"\n"
    records = split_records(content)
    assert [len(d) for d in records.data] == [MAX_RECORD_BYTES]
    assert records.oversize_lines == [(2, MAX_RECORD_BYTES + 1)]


def test_the_appended_newline_counts_towards_the_record_limit():
    content = json_line(MAX_RECORD_BYTES - 1) + b"\n" + json_line(MAX_RECORD_BYTES) + b"\n"
    records = split_records(content, append_newline=True)
    assert records.line_numbers == [1]
    assert records.oversize_lines == [(2, MAX_RECORD_BYTES + 1)]


@pytest.mark.parametrize("bad", [b'{"a": 1', b"[1, 2]", b"not json", b'"x"', b"\xff\xfe{}"])
def test_bad_line_fails_with_its_line_number(bad):
    with pytest.raises(BadLineError, match=r"line 2: not"):
        split_records(b'{"a": 1}\n' + bad + b'\n{"c": 3}\n')


def test_bad_line_skip_reports_and_leaves_it_out():
    records = split_records(b'{"a": 1}\nnope\n{"c": 3}\n', on_bad_line="skip")
    assert records.data == [b'{"a": 1}', b'{"c": 3}']
    assert [n for n, _ in records.bad_lines] == [2]


def test_bad_line_send_sends_everything_unchecked():
    records = split_records(b'{"a": 1}\nnope\n', on_bad_line="send")
    assert records.data == [b'{"a": 1}', b"nope"]
    assert records.bad_lines == []


def test_gzip_input_is_read_by_its_magic_bytes(tmp_path):
    path = tmp_path / "events.data"  # no .gz suffix on purpose
    path.write_bytes(gzip.compress(b'{"a": 1}\n{"b": 2}\n'))
    assert read_records(path).data == [b'{"a": 1}', b'{"b": 2}']


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(EmitError, match="no such file"):
        read_records(tmp_path / "nope.jsonl")


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError):
        split_records(b"{}\n", on_bad_line="ignore")
