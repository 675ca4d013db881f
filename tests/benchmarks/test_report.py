"""The pure parts of ``make bench``: medians, ratios, targets, tables, the script's options."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from benchmarks.report import (
    evaluate_targets,
    markdown_table,
    median,
    ratio,
    render_markdown,
    summarise_runs,
)
from benchmarks.rss import tree_rss, vm_hwm

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "__main__.py"


def full_doc(**overrides: object) -> dict:
    doc: dict = {
        "sessions": 100_000,
        "events": 708_851,
        "concurrency": 8,
        "machine": {"cpus": 2, "cpu_model": "test cpu", "memory_gb": 8, "python": "3.13.0"},
        "generator": {"events": 708_851, "seconds": 3.0, "events_per_s": 236_000, "runs": 3},
        "ingest_sandbox": {
            "records": 1_417_702,
            "seconds": 45.0,
            "sending_seconds": 38.0,
            "flush_seconds": 7.0,
            "records_per_s": 31_500,
            "mb_per_s": 7.4,
            "peak_rss_bytes": 1_200_000_000,
            "runs": 3,
        },
        "ingest_baseline": {"records": 1_417_702, "seconds": 190.0, "records_per_s": 7_500},
        "engine": {"records": 1_417_702, "seconds": 25.0, "records_per_s": 56_000},
        "queries": {
            "runs": 5,
            "manifest_checks": "all match",
            "queries": {
                "events_per_name": {
                    "json": {"seconds": 1.2, "bytes_scanned": 40_000_000},
                    "parquet": {"seconds": 0.2, "bytes_scanned": 1_000_000},
                },
                "session_funnel": {
                    "json": {"seconds": 2.5, "bytes_scanned": 40_000_000},
                    "parquet": {"seconds": 0.6, "bytes_scanned": 20_000_000},
                },
            },
        },
        "cold_start": {"seconds": 24.0, "runs": 3},
    }
    doc.update(overrides)
    return doc


def verdicts(doc: dict) -> dict[str, str]:
    return {t.name: t.verdict for t in evaluate_targets(doc)}


def test_median_ignores_missing_values_and_handles_even_counts():
    assert median([3, None, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([None]) is None
    assert median([]) is None


def test_ratio_is_none_without_a_usable_denominator():
    assert ratio(30_000, 7_500) == 4
    assert ratio(None, 7_500) is None
    assert ratio(30_000, None) is None
    assert ratio(30_000, 0) is None


def test_summarise_runs_gives_medians_and_the_spread():
    runs = [{"seconds": 3.0, "x": "a"}, {"seconds": 1.0}, {"seconds": 2.0}]
    summary = summarise_runs(runs, ["seconds", "missing"])
    assert summary["runs"] == 3
    assert summary["seconds"] == 2.0
    assert (summary["seconds_min"], summary["seconds_max"]) == (1.0, 3.0)
    assert summary["missing"] is None


def test_targets_met_and_missed_from_a_full_run():
    result = verdicts(full_doc())
    assert result["ingest vs plain LocalStack"] == "met"  # 31,500 / 7,500 = 4.2x
    assert result["ingest wall time, delivered"] == "met"
    assert result["HTTP path vs engine alone"] == "met"  # 56,000 / 31,500 = 1.78x
    assert result["generator"] == "met"
    assert result["slowest pack query, parquet"] == "missed"  # session_funnel 0.6 s
    assert result["slowest pack query, json"] == "met"
    assert result["cold start (`sandbox up`, installed)"] == "met"
    assert result["LocalStack peak RSS during ingest"] == "met"


def test_a_target_without_a_measurement_is_not_applicable():
    doc = full_doc()
    del doc["ingest_baseline"], doc["cold_start"]
    result = verdicts(doc)
    assert result["ingest vs plain LocalStack"] == "n/a"
    assert result["cold start (`sandbox up`, installed)"] == "n/a"


def test_the_wall_time_target_applies_to_the_full_data_set_only():
    assert verdicts(full_doc(sessions=2_000))["ingest wall time, delivered"] == "n/a"
    slow = full_doc()
    slow["ingest_sandbox"] = {**slow["ingest_sandbox"], "seconds": 75.0}
    assert verdicts(slow)["ingest wall time, delivered"] == "missed"


def test_the_measured_text_names_the_ratio_and_the_slowest_query():
    targets = {t.name: t for t in evaluate_targets(full_doc())}
    assert targets["ingest vs plain LocalStack"].measured.startswith("4.20x")
    assert "session_funnel" in targets["slowest pack query, parquet"].measured


def test_markdown_table_aligns_escapes_and_pads():
    table = markdown_table(["a", "b", "c"], [["x|y", 1.5], [None, 2, "z"]], right=(1,))
    assert table.splitlines() == [
        "| a | b | c |",
        "|---|---:|---|",
        "| x\\|y | 1.5 |  |",
        "|  | 2 | z |",
    ]


def test_render_markdown_holds_every_table():
    text = render_markdown(full_doc())
    assert "## Bench: 100,000 sessions (708,851 events)" in text
    assert "| ingest, plain LocalStack (baseline) | 1,417,702 records | 190.0 s |" in text
    assert "| events_per_name | 1.200 s | 0.200 s | 40.00 MB | 1.00 MB | 0.025 |" in text
    assert "| ingest vs plain LocalStack | >= 4x records/s |" in text
    assert "answers checked against the manifest: all match" in text


def test_render_markdown_of_a_partial_run():
    text = render_markdown({"sessions": 1_000, "generator": {"events": 7_000}})
    assert "| generator | 7,000 events |" in text
    assert "| ingest vs plain LocalStack | >= 4x records/s | - (- vs - records/s) | n/a |" in text


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_rss_of_this_process_tree_is_positive():
    assert tree_rss(os.getpid()) > 0
    assert (vm_hwm(os.getpid()) or 0) >= 1


def test_the_script_options():
    spec = importlib.util.spec_from_file_location("bench_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_script"] = module
    try:
        spec.loader.exec_module(module)
        args = module.parse_args(["--sessions", "2000", "--only", "queries", "--runs", "2"])
        assert (args.sessions, args.runs, args.only) == (2000, 2, ["queries"])
        assert module.parse_args([]).sessions == 100_000
        with pytest.raises(SystemExit):
            module.parse_args(["--sessions", "0"])
        with pytest.raises(SystemExit):
            module.parse_args(["--only", "nonsense"])
    finally:
        sys.modules.pop("bench_script", None)
