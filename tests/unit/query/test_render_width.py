"""Tables stay readable when stdout is not a terminal: no cell is wrapped mid-word to fit a
default 80 columns (piped output, CI logs); COLUMNS, when set, and a terminal's width rule."""

from __future__ import annotations

import io

import pytest

from sandbox.query import render
from sandbox.query.engine.session import Result

LONG = "sessions_with_measurement_recorded_after_account_created"  # > 80 columns in all
RESULT = Result(
    ["query", "table", "check", "manifest", "answer"],
    [("session_funnel", "parquet", LONG, 224, 224), ("measurement_summary", "json", "sum", 1, 1)],
)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _printed(monkeypatch: pytest.MonkeyPatch, stream: io.StringIO, columns: str | None) -> str:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    render.print_result(RESULT, console=render.make_console(file=stream))
    return stream.getvalue()


def test_piped_tables_keep_every_cell_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _printed(monkeypatch, io.StringIO(), None)
    assert LONG in out and "measurement_summary" in out
    assert max(len(line) for line in out.splitlines()) > 40  # not squeezed
    assert len([line for line in out.splitlines() if "session_funnel" in line]) == 1


def test_columns_sets_the_width_when_given(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _printed(monkeypatch, io.StringIO(), "30")
    assert max(len(line) for line in out.splitlines()) <= 30
    assert LONG not in out  # folded to fit, as asked


def test_a_terminal_is_asked_for_its_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert render.output_width(Terminal()) is None
    assert render.output_width(io.StringIO()) == render.UNBOUNDED_WIDTH
    assert render.output_width(io.StringIO(), {"COLUMNS": "120"}) == 120
    assert render.output_width(io.StringIO(), {"COLUMNS": "wide"}) == render.UNBOUNDED_WIDTH
