from __future__ import annotations

import datetime as dt
import io
import json

from rich.console import Console

from sandbox.query.engine.session import Result
from sandbox.query.render import human_bytes, print_result, summary, to_jsonable, usd


def test_human_bytes_like_the_aws_cli() -> None:
    assert human_bytes(512) == "512 Bytes"
    assert human_bytes(44.1 * 1024 * 1024) == "44.1 MiB"
    assert human_bytes(1536) == "1.5 KiB"


def test_usd() -> None:
    assert usd(0) == "$0.00"
    assert usd(0.83) == "$0.83"
    assert usd(0.0000477) == "$0.000048"


def result() -> Result:
    return Result(
        ["name", "events", "first"],
        [("a", 3, dt.datetime(2023, 6, 18, 14, 27, 52)), ("b", None, None)],
        bytes_scanned=2048,
        cost_usd=0.0000477,
        seconds=0.25,
    )


def consoles() -> tuple[Console, Console, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Console(file=out, width=120), Console(file=err, width=120), out, err


def test_table_output() -> None:
    console, err_console, out, _ = consoles()
    print_result(result(), "table", console=console, err_console=err_console)
    text = out.getvalue()
    assert "2023-06-18 14:27:52" in text and "NULL" in text
    assert "Data scanned: 2.0 KiB (billed 10.0 MiB)" in text and "$0.000048" in text


def test_csv_rows_on_stdout_summary_on_stderr() -> None:
    console, err_console, out, err = consoles()
    print_result(result(), "csv", console=console, err_console=err_console)
    assert out.getvalue() == "name,events,first\na,3,2023-06-18 14:27:52\nb,,\n"
    assert "Data scanned" in err.getvalue()


def test_json_document() -> None:
    console, err_console, out, _ = consoles()
    print_result(result(), "json", console=console, err_console=err_console)
    document = json.loads(out.getvalue())
    assert document["rows"][0] == ["a", 3, "2023-06-18T14:27:52"]
    assert document["bytes_scanned"] == 2048


def test_ddl_is_not_billed() -> None:
    assert "not billed" in summary(Result(["partition"], [], statement_type="DDL"))


def test_times_and_intervals_are_json() -> None:
    # issue 14: `SELECT time '01:00' + interval '3' hour` ended in a traceback with --format json
    values = [dt.time(4, 0), dt.timedelta(hours=2)]
    assert json.dumps(to_jsonable(values)) == '["04:00:00", "2:00:00"]'
