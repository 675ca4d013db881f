"""Issue 13's rows of ``make bench``: the API's targets and table, from a bench document."""

from __future__ import annotations

from benchmarks.report import evaluate_targets, pack_overheads, render_markdown


def athena_doc(**mixed: object) -> dict:
    return {
        "sessions": 2000,
        "athena_api": {
            "select1_ms": 12.0,
            "select1_p90_ms": 15.0,
            "select1_runs": 30,
            "real_athena_seconds": 1.0,
            "pack_runs": 1,
            "pack": {
                "events_per_name/json": {"api": 0.10, "engine": 0.08},
                "session_funnel/parquet": {"api": 0.30, "engine": 0.20},
            },
            "pagination": {"rows": 100_000, "rows_per_s": 150_000.0},
        },
        "mixed_load": {
            "clients": 4,
            "alone_records_per_s": 10_000.0,
            "loaded_records_per_s": 8_000.0,
            "ratio": 0.8,
            "queries": 40,
            "errors": [],
            **mixed,
        },
    }


def by_name(doc: dict) -> dict:
    return {t.name.split(" (")[0]: t for t in evaluate_targets(doc)}


def test_the_api_targets() -> None:
    targets = by_name(athena_doc())
    assert targets["SELECT 1 through the API"].met is True
    assert "83x less than real Athena" in targets["SELECT 1 through the API"].measured
    pack = targets["pack through the API vs the engine alone"]
    # session_funnel: 0.30 s > 0.20 * 1.1 + 0.05 = 0.27 s
    assert pack.met is False and "worst session_funnel/parquet" in pack.measured
    assert targets["GetQueryResults paging, 100k rows"].met is True
    assert targets["ingest while 4 clients run the pack through the API"].met is True


def test_a_query_error_under_load_misses_the_target() -> None:
    targets = by_name(athena_doc(errors=["client 0: QueryError: boom"]))
    assert targets["ingest while 4 clients run the pack through the API"].met is False


def test_without_the_stage_the_targets_are_not_measured() -> None:
    targets = by_name({"sessions": 2000})
    assert targets["SELECT 1 through the API"].verdict == "n/a"
    assert targets["ingest while 4 clients run the pack through the API"].verdict == "n/a"


def test_the_table_lists_each_query_with_its_budget() -> None:
    assert pack_overheads(athena_doc())[0] == (
        "events_per_name/json",
        0.10,
        0.08,
        0.08 * 1.1 + 0.05,
    )
    text = render_markdown(athena_doc())
    assert "| events_per_name/json | 0.100 s | 0.080 s | +20 ms | +58 ms |" in text


def test_paging_shows_boto3s_own_share_and_mixed_load_its_rounds() -> None:
    doc = athena_doc(rounds=2, ratios=[0.7, 0.9])
    doc["athena_api"]["pagination"].update(
        {
            "pages": 101,
            "seconds": 1.01,
            "client_parse_ms_per_page": 5.0,
            "connection_close_rows_per_s": 60_000.0,
        }
    )
    targets = by_name(doc)
    paging = targets["GetQueryResults paging, 100k rows"].measured
    assert "(10.0 ms a page, 5.0 ms of it boto3's own parsing (50%)" in paging
    assert "which alone caps paging at 200,000 rows/s" in paging
    assert "with Connection: close on every call 60,000 rows/s" in paging
    mixed = targets["ingest while 4 clients run the pack through the API"].measured
    assert "median of 2 alternated rounds: 70%, 90%" in mixed
