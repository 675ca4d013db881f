#!/usr/bin/env python3
"""Measure the sandbox (``make bench``): generator, ingest vs plain LocalStack, engine, queries.

Writes ``bench/bench-<time>.json``, ``bench/latest.json`` and ``bench/latest.md`` (git-ignored)
and prints the Markdown. Every LocalStack it needs is started on a free loopback port with its
own state folder under ``bench/state/`` and stopped at the end. ``--sessions`` scales it down;
``--only``/``--skip`` choose stages. Exit 1 when a stage failed (the others are still reported).

Example: .venv/bin/python scripts/bench.py --sessions 20000 --runs 2
"""

from __future__ import annotations

import argparse
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

from sandbox.benchmark import stages  # noqa: E402
from sandbox.benchmark.report import evaluate_targets, render_markdown  # noqa: E402

STAGES = ("generator", "sandbox", "queries", "engine", "baseline", "cold-start")


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

    deployed: tuple[dict, list] | None = None
    if records is not None and {"sandbox", "queries", "engine"} & set(wanted):
        try:
            with stages.sandbox_instance(state_root, echo) as (settings, outputs):
                deployed = stages.deployed_destinations(settings, outputs)
                result = stage(
                    "sandbox",
                    lambda: stages.ingest_sandbox(
                        settings, outputs, records, args.concurrency, args.runs, echo
                    ),
                )
                if result is not None:
                    doc["ingest_sandbox"] = result
                if "sandbox" not in wanted and "queries" in wanted:
                    # The queries need a lake: fill it once (untimed).
                    stages.ingest_sandbox(settings, outputs, records, args.concurrency, 1, echo)
                result = stage(
                    "queries",
                    lambda: stages.queries(settings, outputs, manifest, args.query_runs, echo),
                )
                if result is not None:
                    doc["queries"] = result
        except Exception as exc:
            failed = True
            doc["errors"]["sandbox instance"] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
    if records is not None:
        destinations, columns = deployed if deployed else (None, None)
        result = stage(
            "engine", lambda: stages.engine(records, args.runs, echo, destinations, columns)
        )
        if result is not None:
            doc["engine"] = result

        def baseline() -> dict[str, Any]:
            with stages.plain_instance(state_root, echo) as settings:
                runs = args.baseline_runs or args.runs
                return stages.ingest_baseline(settings, records, args.concurrency, runs, echo)

        result = stage("baseline", baseline)
        if result is not None:
            doc["ingest_baseline"] = result
    result = stage("cold-start", lambda: stages.cold_start(state_root, args.cold_runs, echo))
    if result is not None:
        doc["cold_start"] = result

    doc["targets"] = [
        {"name": t.name, "goal": t.goal, "measured": t.measured, "verdict": t.verdict}
        for t in evaluate_targets(doc)
    ]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = json.dumps(doc, indent=2, default=str)
    (out / f"bench-{stamp}.json").write_text(text)
    (out / "latest.json").write_text(text)
    markdown = render_markdown(doc)
    (out / "latest.md").write_text(markdown)
    if not args.keep_state:
        shutil.rmtree(state_root, ignore_errors=True)
    print()
    print(markdown)
    print(f"Written: {out / 'latest.json'}, {out / 'latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
