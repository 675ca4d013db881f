#!/usr/bin/env python3
"""Measure the sandbox (``make bench``): generator, ingest vs plain LocalStack, engine, queries.

Writes ``bench/bench-<time>.json``, ``bench/latest.json`` and ``bench/latest.md`` (git-ignored)
and prints the Markdown. Every LocalStack it needs is started on a free loopback port with its
own state folder under ``bench/state/`` and stopped at the end. ``--sessions`` scales it down;
``--only``/``--skip`` choose stages. Exit 1 when a stage failed (the others are still reported).

``athena``: Athena's API on the sandbox's endpoint (SELECT 1, the pack through the API next to the
engine alone, 100k-row paging, ingest while 4 clients run the pack).

Example: .venv/bin/python -m benchmarks --sessions 20000 --runs 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import stages, startup  # noqa: E402
from benchmarks.report import evaluate_targets, render_markdown  # noqa: E402

STAGES = (
    "generator",
    "sandbox",
    "queries",
    "athena",
    "engine",
    "baseline",
    "cold-start",
    "startup",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000, help="sessions to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3, help="runs per stage (medians)")
    parser.add_argument("--baseline-runs", type=int, help="runs of the baseline [--runs]")
    parser.add_argument("--query-runs", type=int, default=5, help="runs of the query pack")
    parser.add_argument("--cold-runs", type=int, default=3, help="runs of `sandbox up`")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="client threads (sandbox and baseline)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench", help="output folder")
    parser.add_argument("--only", action="append", choices=STAGES, help="run only these")
    parser.add_argument("--skip", action="append", choices=STAGES, default=[])
    parser.add_argument("--keep-state", action="store_true", help="keep bench/state/")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.runs < 1:
        parser.error("--sessions and --runs must be at least 1")
    return args


def ingest_and_query(
    args: argparse.Namespace,
    wanted: list[str],
    records: Any,
    manifest: Path | None,
    state_root: Path,
    doc: dict[str, Any],
    echo: Callable[[str], None],
) -> None:
    """Sandbox, baseline and engine-alone runs, alternated (both LocalStacks up, one busy at a
    time) so that the machine's load drifts over all alike; then the query pack on the last
    lake. The engine alone runs the streams the sandbox's Terraform deployed, as described by
    its Firehose."""
    deployed = None
    with contextlib.ExitStack() as stack:
        sandbox = None
        if {"sandbox", "queries", "athena", "engine"} & set(wanted):
            sandbox = stack.enter_context(stages.sandbox_instance(state_root, echo))
            deployed = stages.deployed_destinations(*sandbox)
        plain = None
        plain_stack = stack.enter_context(contextlib.ExitStack())
        if "baseline" in wanted:
            plain = plain_stack.enter_context(stages.plain_instance(state_root, echo))
            stages.baseline_setup(plain)
        echo("[ingest: sandbox, baseline and engine-alone runs alternated]")
        # The query pack and the API alone still need one ingest to have a lake.
        needs_lake = bool({"queries", "athena"} & set(wanted))
        sandbox_runs = args.runs if "sandbox" in wanted else (1 if needs_lake else 0)
        baseline_runs = (args.baseline_runs or args.runs) if plain else 0
        engine_runs = args.runs if "engine" in wanted else 0
        results: dict[str, list[dict[str, Any]]] = {"sandbox": [], "baseline": [], "engine": []}
        errors = doc["errors"]
        for run in range(max(sandbox_runs, baseline_runs, engine_runs)):
            if run < sandbox_runs and sandbox is not None and "sandbox" not in errors:
                try:
                    r = stages.sandbox_run(*sandbox, records, args.concurrency)
                    results["sandbox"].append(r)
                    echo(
                        f"  sandbox ingest run {run + 1}/{sandbox_runs}: "
                        f"{r['records_per_s']:,.0f} records/s, {r['seconds']:.1f}s "
                        f"(flush {r['flush_seconds']:.1f}s), "
                        f"peak RSS {(r['peak_rss_bytes'] or 0) / 1e9:.2f} GB"
                    )
                except Exception as exc:
                    errors["sandbox"] = f"{type(exc).__name__}: {exc}"
                    traceback.print_exc()
            if run < baseline_runs and plain is not None and "baseline" not in errors:
                try:
                    r = stages.baseline_run(plain, records, args.concurrency)
                    results["baseline"].append(r)
                    echo(
                        f"  baseline ingest run {run + 1}/{baseline_runs}: "
                        f"{r['records_per_s']:,.0f} records/s, {r['seconds']:.1f}s"
                    )
                except Exception as exc:
                    errors["baseline"] = f"{type(exc).__name__}: {exc}"
                    traceback.print_exc()
            if run < engine_runs and deployed is not None and "engine" not in errors:
                try:
                    r = stages.engine_run(records, *deployed)
                    results["engine"].append(r)
                    echo(
                        f"  engine run {run + 1}/{engine_runs}: "
                        f"{r['records_per_s']:,.0f} records/s, {r['seconds']:.1f}s"
                    )
                except Exception as exc:
                    errors["engine"] = f"{type(exc).__name__}: {exc}"
                    traceback.print_exc()
        if results["sandbox"] and sandbox is not None and "sandbox" in wanted:
            doc["ingest_sandbox"] = stages.summarise_sandbox(
                results["sandbox"], sandbox[0], args.concurrency
            )
        if results["baseline"]:
            doc["ingest_baseline"] = stages.summarise_baseline(
                results["baseline"], args.concurrency
            )
        if results["engine"] and deployed is not None:
            doc["engine"] = stages.summarise_engine(results["engine"], list(deployed[0]))
        plain_stack.close()  # the baseline's LocalStack is not needed for the queries
        if "queries" in wanted and sandbox is not None and results["sandbox"]:
            echo("[queries]")
            try:
                doc["queries"] = stages.queries(*sandbox, manifest, args.query_runs, echo)
            except Exception as exc:
                errors["queries"] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
        if "athena" in wanted and sandbox is not None and results["sandbox"]:
            echo("[athena: the API on the sandbox's endpoint]")
            try:
                doc["athena_api"] = stages.athena_api(*sandbox, args.runs, echo)
                # Last: it grows the lake (a second ingest while the pack runs).
                doc["mixed_load"] = stages.mixed_load(*sandbox, records, args.concurrency, echo)
            except Exception as exc:
                errors["athena"] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = [s for s in (args.only or STAGES) if s not in args.skip]
    out: Path = args.out
    state_root = out / "state"
    out.mkdir(parents=True, exist_ok=True)
    state_root.mkdir(parents=True, exist_ok=True)

    def echo(message: str) -> None:
        print(message, flush=True)

    doc: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "sessions": args.sessions,
        "seed": args.seed,
        "concurrency": args.concurrency,
        "machine": stages.machine(),
        "errors": {},
    }
    failed = False

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        nonlocal failed
        if name not in wanted:
            return None
        echo(f"[{name}]")
        started = time.monotonic()
        try:
            return fn()
        except Exception as exc:  # one failing stage must not lose the others' numbers
            failed = True
            doc["errors"][name] = f"{type(exc).__name__}: {exc}"
            echo(f"  {name} failed: {exc}")
            traceback.print_exc()
            return None
        finally:
            echo(f"  ({time.monotonic() - started:.0f}s)")

    data = out / "data" / f"events-{args.sessions}-{args.seed}.jsonl"
    from sandbox.generate import manifest_path, read_manifest

    result = stage(
        "generator", lambda: stages.generator(args.sessions, args.seed, data, args.runs, echo)
    )
    if result is not None:
        doc["generator"] = result
    if not data.exists() and set(wanted) - {"generator", "cold-start"}:
        # Another stage needs the data set: make it (untimed).
        stages.generator(args.sessions, args.seed, data, 1, lambda _m: None)
    records = stages.load_records(data) if data.exists() else None
    manifest = manifest_path(data) if data.exists() else None
    if manifest is not None:
        doc["events"] = read_manifest(data).events_total

    if records is not None and {"sandbox", "queries", "athena", "baseline", "engine"} & set(wanted):
        try:
            ingest_and_query(args, wanted, records, manifest, state_root, doc, echo)
        except Exception as exc:
            failed = True
            doc["errors"]["instances"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
    failed = failed or bool(doc["errors"])
    result = stage("cold-start", lambda: stages.cold_start(state_root, args.cold_runs, echo))
    if result is not None:
        doc["cold_start"] = result
    result = stage(
        "startup", lambda: startup.startup(state_root, args.runs, records, args.concurrency, echo)
    )
    if result is not None:
        doc["startup"] = result

    doc["targets"] = [
        {"name": t.name, "goal": t.goal, "measured": t.measured, "verdict": t.verdict}
        for t in evaluate_targets(doc)
    ] + startup.verdicts(doc)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = json.dumps(doc, indent=2, default=str)
    (out / f"bench-{stamp}.json").write_text(text)
    (out / "latest.json").write_text(text)
    markdown = render_markdown(doc) + startup.markdown(doc)
    (out / "latest.md").write_text(markdown)
    if not args.keep_state:
        shutil.rmtree(state_root, ignore_errors=True)
    print()
    print(markdown)
    print(f"Written: {out / 'latest.json'}, {out / 'latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
