"""The analysis pack on the miniature lake: answers checked against the events themselves."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.query.analysis.pack import (
    PackQuery,
    check_manifest,
    comparison,
    load_pack,
    render,
    run_pack,
)
from sandbox.query.engine.session import Session
from sandbox.query.errors import QueryError
from tests.unit.query.lakes import Lake

TABLES = {"json": "events_json", "parquet": "events_parquet"}


def truth(lake: Lake) -> SimpleNamespace:
    events = lake.events
    distinct = {e["payload_md5"]: e for e in events}.values()
    sessions: dict[str, set[str]] = {}
    for e in events:
        sessions.setdefault(json.loads(e["payload"])["session_id"], set()).add(e["name"])
    measurements = [
        json.loads(e["payload"]) for e in distinct if e["name"] == "measurement_recorded"
    ]
    values = [m["measurement"] for m in measurements]
    return SimpleNamespace(
        events_total=len(events),
        events_per_name=dict(Counter(e["name"] for e in events)),
        distinct_payload_md5=len(distinct),
        duplicates=len(events) - len(distinct),
        funnel={
            "sessions_with_visit": sum("anonymous_visited" in s for s in sessions.values()),
            "sessions_with_account": sum("account_created" in s for s in sessions.values()),
            "sessions_with_measurement": sum(
                "measurement_recorded" in s for s in sessions.values()
            ),
        },
        measurements={
            "count": len(values),
            "sum": round(sum(values), 2),
            "min": min(values),
            "max": max(values),
            "mean": statistics.mean(values),
        },
        per_account=Counter(m["account_id"] for m in measurements),
    )


@pytest.fixture
def runs(session: Session) -> list[Any]:
    return run_pack(session, TABLES)


def test_the_pack_is_complete() -> None:
    names = [q.name for q in load_pack()]
    assert names == [
        "events_per_name",
        "events_per_month",
        "session_funnel",
        "duplicates",
        "measurements_per_account",
        "measurement_summary",
        "one_partition",
        "one_event_day",
    ]
    assert all(q.title and "{table}" in q.template for q in load_pack())
    # The Iceberg table has no delivery-day column d: its one-partition query is its own.
    one = next(q for q in load_pack() if q.name == "one_partition")
    assert "{d}" in one.text("json") and "{d}" not in one.text("iceberg")
    assert "{event_day}" in one.text("iceberg")


def test_every_query_answers_alike_on_both_tables(runs: list[Any]) -> None:
    assert not [r.error for r in runs if r.error]
    by_query: dict[str, dict[str, Any]] = {}
    for run in runs:
        by_query.setdefault(run.query.name, {})[run.label] = run.result.rows
    for name, answers in by_query.items():
        assert answers["json"] == answers["parquet"], name


def test_answers_agree_with_the_ground_truth(runs: list[Any], lake: Lake) -> None:
    checks = check_manifest(runs, truth(lake))
    assert len(checks) == 2 * (1 + 3 + 3 + 4)
    assert [c for c in checks if not c.ok] == []


def test_funnel_rates_and_measurements_per_account(runs: list[Any], lake: Lake) -> None:
    facts = truth(lake)
    funnel = next(r for r in runs if r.query.name == "session_funnel" and r.label == "json").result
    row = dict(zip(funnel.columns, funnel.rows[0], strict=True))
    assert row["visit_to_account"] == round(
        facts.funnel["sessions_with_account"] / facts.funnel["sessions_with_visit"], 4
    )
    per_account = next(
        r for r in runs if r.query.name == "measurements_per_account" and r.label == "parquet"
    ).result
    assert per_account.columns == ["account_id", "measurements", "mean", "stddev"]
    top_account, top_count = per_account.rows[0][:2]
    assert facts.per_account[top_account] == top_count == max(facts.per_account.values())


def test_one_partition_scans_less(runs: list[Any]) -> None:
    def scanned(name: str, label: str) -> int:
        run = next(r for r in runs if r.query.name == name and r.label == label)
        return run.result.bytes_scanned

    for label in ("json", "parquet"):
        assert scanned("one_partition", label) < scanned("events_per_name", label)
    run = next(r for r in runs if r.query.name == "one_partition" and r.label == "json")
    assert "name = 'measurement_recorded'" in run.sql


def test_comparison_table(runs: list[Any]) -> None:
    table = comparison(runs)
    assert table.columns[:3] == ["query", "JSON scanned", "Parquet scanned"]
    assert [row[0] for row in table.rows] == [q.name for q in load_pack()] + ["total"]


def test_failures_are_reported_per_run() -> None:
    class Failing:
        def execute(self, sql: str) -> Any:
            raise QueryError("TABLE_NOT_FOUND: boom")

    query = PackQuery("q", "t", "SELECT * FROM {table}")
    (run,) = run_pack(Failing(), {"json": "x"}, [query])
    assert run.error == "TABLE_NOT_FOUND: boom" and run.result is None


def test_render_needs_every_placeholder() -> None:
    query = PackQuery("q", "t", "SELECT * FROM {table} WHERE d = '{d}'")
    assert render(query, {"table": "t", "d": "x"}) == "SELECT * FROM t WHERE d = 'x'"
    with pytest.raises(QueryError, match=r"\{d\}"):
        render(query, {"table": "t"})


def test_manifest_mismatch_is_detected(runs: list[Any], lake: Lake) -> None:
    facts = truth(lake)
    facts.events_total += 1
    bad = [c for c in check_manifest(runs, facts) if not c.ok]
    assert {(c.query, c.what) for c in bad} == {("duplicates", "events")}


def test_comparison_puts_iceberg_beside_json_and_parquet() -> None:
    from sandbox.query.analysis.pack import PackQuery, PackRun, comparison
    from sandbox.query.engine.session import Result

    query = PackQuery("q", "q", "SELECT 1 FROM {table}")
    runs = [
        PackRun(query, label, f"t_{label}", "", Result([], [], bytes_scanned=size))
        for label, size in (("json", 1000), ("parquet", 250), ("iceberg", 100))
    ]
    table = comparison(runs)
    assert table.columns[:6] == [
        "query",
        "JSON scanned",
        "Parquet scanned",
        "Iceberg scanned",
        "Parquet/JSON",
        "Iceberg/JSON",
    ]
    assert table.rows[0][4:6] == ("0.25", "0.10")
    assert table.rows[-1][0] == "total"
