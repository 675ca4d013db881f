"""The pure half of ``make bench``: medians, ratios, the targets of issues 6 and 13 and the tables.

Everything here works on plain dicts (the JSON document the bench writes), so it is tested
without LocalStack and the Markdown in ``docs/performance.md`` can be regenerated from a saved
``bench/latest.json``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FULL_SESSIONS",
    "Target",
    "evaluate_targets",
    "markdown_table",
    "median",
    "ratio",
    "render_markdown",
    "summarise_runs",
]

# The targets are stated for the article's data set; smaller runs scale the wall-time budget.
FULL_SESSIONS = 100_000
MB = 1e6


def median(values: Iterable[float | int | None]) -> float | None:
    """The median of the values that are not None (None when there are none)."""
    present = [float(v) for v in values if v is not None]
    return statistics.median(present) if present else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def summarise_runs(runs: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """Median (and min/max) of each numeric ``key`` over repeated runs."""
    out: dict[str, Any] = {"runs": len(runs)}
    for key in keys:
        values = [float(r[key]) for r in runs if isinstance(r.get(key), int | float)]
        out[key] = median(values)
        if len(values) > 1:
            out[f"{key}_min"] = min(values)
            out[f"{key}_max"] = max(values)
    return out


@dataclass(frozen=True)
class Target:
    """One line of the targets table."""

    name: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.met is None else ("met" if self.met else "missed")


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{unit}"


def _get(doc: dict[str, Any], *path: str) -> Any:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def evaluate_targets(doc: dict[str, Any]) -> list[Target]:
    """Issue 6's targets, checked against a bench document (see ``benchmarks/__main__.py``)."""
    sessions = int(doc.get("sessions") or FULL_SESSIONS)
    targets: list[Target] = []

    sandbox_rps = _get(doc, "ingest_sandbox", "records_per_s")
    baseline_rps = _get(doc, "ingest_baseline", "records_per_s")
    speedup = ratio(sandbox_rps, baseline_rps)
    targets.append(
        Target(
            "ingest vs plain LocalStack",
            ">= 4x records/s",
            f"{_fmt(speedup, 'x', 2)} ({_fmt(sandbox_rps)} vs {_fmt(baseline_rps)} records/s)",
            None if speedup is None else speedup >= 4,
        )
    )
    seconds = _get(doc, "ingest_sandbox", "seconds")
    full = sessions >= FULL_SESSIONS
    targets.append(
        Target(
            "ingest wall time, delivered",
            "< 60 s" + ("" if full else " (full data set only)"),
            _fmt(seconds, " s", 1),
            None if seconds is None or not full else seconds < 60,
        )
    )
    engine_rps = _get(doc, "engine", "records_per_s")
    gap = ratio(engine_rps, sandbox_rps)
    targets.append(
        Target(
            "HTTP path vs engine alone",
            "engine/HTTP <= 2x",
            f"{_fmt(gap, 'x', 2)} ({_fmt(engine_rps)} vs {_fmt(sandbox_rps)} records/s)",
            None if gap is None else gap <= 2,
        )
    )
    generator = _get(doc, "generator", "events_per_s")
    targets.append(
        Target(
            "generator",
            ">= 200,000 events/s",
            _fmt(generator, " events/s"),
            None if generator is None else generator >= 200_000,
        )
    )
    queries = _get(doc, "queries", "queries") or {}
    for label, limit in (("parquet", 0.5), ("json", 3.0)):
        times = [q.get(label, {}).get("seconds") for q in queries.values()]
        times = [t for t in times if t is not None]
        worst = max(times) if times else None
        slowest = (
            max(queries, key=lambda n: queries[n].get(label, {}).get("seconds") or 0)
            if times
            else ""
        )
        targets.append(
            Target(
                f"slowest pack query, {label}",
                f"< {limit:g} s each",
                f"{_fmt(worst, ' s', 2)}" + (f" ({slowest})" if slowest else ""),
                None if worst is None else worst < limit,
            )
        )
    cold = _get(doc, "cold_start", "seconds")
    targets.append(
        Target(
            "cold start (`sandbox up`, installed)",
            "< 30 s",
            _fmt(cold, " s", 1),
            None if cold is None else cold < 30,
        )
    )
    targets += _athena_targets(doc)
    rss = _get(doc, "ingest_sandbox", "peak_rss_bytes")
    targets.append(
        Target(
            "LocalStack peak RSS during ingest",
            "< 1.5 GB",
            _fmt(rss / 1e9 if rss else None, " GB", 2),
            None if rss is None else rss < 1.5e9,
        )
    )
    return targets


def pack_overheads(doc: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(query/table, API s, engine-alone s, allowed s) for each pack query measured both ways;
    allowed is issue 13's budget, engine + 10% + 50 ms."""
    rows = []
    for name, by_label in (_get(doc, "athena_api", "pack") or {}).items():
        api, engine = by_label.get("api"), by_label.get("engine")
        if api is not None and engine is not None:
            rows.append((name, float(api), float(engine), float(engine) * 1.1 + 0.05))
    return rows


def _athena_targets(doc: dict[str, Any]) -> list[Target]:
    """Issue 13's targets: the API's latency, overhead, paging and ingest under query load."""
    targets = []
    select1 = _get(doc, "athena_api", "select1_ms")
    real = _get(doc, "athena_api", "real_athena_seconds") or 1.0
    faster = ratio(real * 1000, select1)
    targets.append(
        Target(
            "SELECT 1 through the API (boto3, submit to results)",
            "median <= 30 ms",
            _fmt(select1, " ms", 1)
            + (f" ({faster:,.0f}x less than real Athena's ~{real:g} s)" if faster else ""),
            None if select1 is None else select1 <= 30,
        )
    )
    overheads = pack_overheads(doc)
    worst = max(overheads, key=lambda r: r[1] - r[3], default=None)
    targets.append(
        Target(
            "pack through the API vs the engine alone",
            "<= +10% + 50 ms per query",
            "-"
            if worst is None
            else f"worst {worst[0]}: {worst[1]:.3f} s vs {worst[2]:.3f} s "
            f"(allowed {worst[3]:.3f} s); {sum(a <= b for _, a, _, b in overheads)}"
            f"/{len(overheads)} within",
            None if worst is None else all(a <= b for _, a, _, b in overheads),
        )
    )
    # From a client process of its own (benchmarks.stages._page_in_a_fresh_process).
    paging = _get(doc, "athena_api", "pagination", "rows_per_s")
    pages = _get(doc, "athena_api", "pagination", "pages")
    parse_ms = _get(doc, "athena_api", "pagination", "client_parse_ms_per_page")
    page_ms = _get(doc, "athena_api", "pagination", "seconds")
    closing = _get(doc, "athena_api", "pagination", "connection_close_rows_per_s")
    here = _get(doc, "athena_api", "pagination", "bench_process_rows_per_s")
    split = ""
    if parse_ms is not None and page_ms is not None and pages:
        per_page = page_ms / pages * 1000
        # boto3's parse of a page, measured in the same run, is the client's own floor: with a
        # server that took no time at all paging could not beat 1,000 rows / parse_ms.
        split = (
            f" ({per_page:.1f} ms a page, {parse_ms:.1f} ms of it boto3's own parsing "
            f"({parse_ms / per_page:.0%}), which alone caps paging at "
            f"{1000 / parse_ms * 1000:,.0f} rows/s"
            + (f"; with Connection: close on every call {closing:,.0f} rows/s" if closing else "")
            + (
                f"; from the bench's own process, which holds the data set, {here:,.0f} rows/s"
                if here
                else ""
            )
            + ")"
        )
    targets.append(
        Target(
            "GetQueryResults paging, 100k rows (boto3)",
            ">= 100,000 rows/s",
            _fmt(paging, " rows/s") + split,
            None if paging is None else paging >= 100_000,
        )
    )
    mixed = doc.get("mixed_load") or {}
    share = mixed.get("ratio")
    errors = mixed.get("errors") or []
    targets.append(
        Target(
            f"ingest while {mixed.get('clients', 4)} clients run the pack through the API",
            ">= 70% of ingest alone, no query error",
            "-"
            if share is None
            else f"{share:.0%} ({_fmt(mixed.get('loaded_records_per_s'))} vs "
            f"{_fmt(mixed.get('alone_records_per_s'))} records/s; median of "
            f"{mixed.get('rounds', 1)} alternated rounds: "
            + ", ".join(f"{r:.0%}" for r in mixed.get("ratios") or [share])
            + f"), {mixed.get('queries', 0)} queries, {len(errors)} errors",
            None if share is None else share >= 0.7 and not errors,
        )
    )
    return targets


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[int] = ()
) -> str:
    """A GitHub Markdown table; the columns whose index is in ``right`` are right-aligned."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    for row in rows:
        cells = ["" if cell is None else str(cell).replace("|", "\\|") for cell in row]
        cells += [""] * (len(header) - len(cells))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _measurements(doc: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    gen = doc.get("generator") or {}
    if gen:
        rows.append(
            [
                "generator",
                f"{_fmt(gen.get('events'))} events",
                _fmt(gen.get("seconds"), " s", 2),
                f"{_fmt(gen.get('events_per_s'))} events/s",
                _fmt(gen.get("mb_per_s"), " MB/s", 1),
                gen.get("runs", ""),
            ]
        )
    for key, label in (
        ("ingest_sandbox", "ingest, sandbox (both streams, delivered)"),
        ("ingest_baseline", "ingest, plain LocalStack (baseline)"),
        ("engine", "engine alone (both streams, no HTTP)"),
    ):
        stage = doc.get(key) or {}
        if stage:
            rows.append(
                [
                    label,
                    f"{_fmt(stage.get('records'))} records",
                    _fmt(stage.get("seconds"), " s", 1),
                    f"{_fmt(stage.get('records_per_s'))} records/s",
                    _fmt(stage.get("mb_per_s"), " MB/s", 1),
                    stage.get("runs", ""),
                ]
            )
    cold = doc.get("cold_start") or {}
    if cold:
        rows.append(
            [
                "cold start (`sandbox up`, fresh state)",
                f"LocalStack {_fmt(cold.get('localstack_seconds'), ' s', 1)}, "
                f"tflocal init+apply {_fmt(cold.get('terraform_seconds'), ' s', 1)}",
                _fmt(cold.get("seconds"), " s", 1),
                "",
                "",
                cold.get("runs", ""),
            ]
        )
    return rows


def _query_rows(doc: dict[str, Any]) -> list[list[Any]]:
    queries = _get(doc, "queries", "queries") or {}
    rows = []
    for name, by_label in queries.items():
        json_q, parquet_q = by_label.get("json") or {}, by_label.get("parquet") or {}
        scanned = ratio(parquet_q.get("bytes_scanned"), json_q.get("bytes_scanned"))
        rows.append(
            [
                name,
                _fmt(json_q.get("seconds"), " s", 3),
                _fmt(parquet_q.get("seconds"), " s", 3),
                _fmt((json_q.get("bytes_scanned") or 0) / MB, " MB", 2),
                _fmt((parquet_q.get("bytes_scanned") or 0) / MB, " MB", 2),
                _fmt(scanned, "", 3),
            ]
        )
    return rows


def _captioned_table(
    caption: str, header: Sequence[str], rows: Iterable[Sequence[Any]], right: Sequence[int] = ()
) -> list[str]:
    """A report section: a blank line, ``caption``, a blank line and the table."""
    return ["", caption, "", markdown_table(header, rows, right)]


def render_markdown(doc: dict[str, Any]) -> str:
    """The whole report: machine, measurements, queries, targets."""
    machine = doc.get("machine") or {}
    parts = [
        f"## Bench: {doc.get('sessions', 0):,} sessions "
        f"({doc.get('events', 0):,} events), {doc.get('started', '')}",
        "",
        f"Machine: {machine.get('cpus', '?')} CPUs ({machine.get('cpu_model', '?')}), "
        f"{machine.get('memory_gb', '?')} GB RAM, Python {machine.get('python', '?')}, "
        f"load average at start {machine.get('load_average', '?')}. "
        f"Client concurrency {doc.get('concurrency', '?')}. Medians of the runs shown.",
        "",
        markdown_table(
            ["measurement", "volume", "median time", "throughput", "MB/s", "runs"],
            _measurements(doc),
            right=(1, 2, 3, 4, 5),
        ),
    ]
    sandbox = doc.get("ingest_sandbox") or {}
    if sandbox.get("seconds"):
        parts += [
            "",
            f"Sandbox ingest: {_fmt(sandbox.get('sending_seconds'), ' s', 1)} sending, then "
            f"{_fmt(sandbox.get('flush_seconds'), ' s', 1)} until the flush route returned "
            "(everything delivered); LocalStack peak RSS "
            f"{_fmt((sandbox.get('peak_rss_bytes') or 0) / 1e9, ' GB', 2)} "
            "(process tree, sampled every 0.25 s, max over the runs).",
        ]
    query_rows = _query_rows(doc)
    if query_rows:
        queries = doc.get("queries") or {}
        parts += _captioned_table(
            f"Analysis pack on the {doc.get('sessions', 0):,}-session lake, median of "
            f"{queries.get('runs', '?')} runs (answers checked against the manifest: "
            f"{queries.get('manifest_checks', '-')}):",
            ["query", "JSON", "Parquet", "JSON scanned", "Parquet scanned", "Parquet/JSON bytes"],
            query_rows,
            right=(1, 2, 3, 4, 5),
        )
    overheads = pack_overheads(doc)
    if overheads:
        api = doc.get("athena_api") or {}
        parts += _captioned_table(
            f"Athena's API on the sandbox's endpoint (boto3): SELECT 1 median "
            f"{_fmt(api.get('select1_ms'), ' ms', 1)} "
            f"(p90 {_fmt(api.get('select1_p90_ms'), ' ms', 1)}, "
            f"{api.get('select1_runs', '?')} runs, polling every "
            f"{_fmt(api.get('select1_poll_ms'), ' ms', 0)}; the CLI's own client, whose polls "
            f"back off to 20 ms: {_fmt(api.get('select1_cli_ms'), ' ms', 1)}; a PyAthena cursor, "
            f"which polls once a second: {_fmt(api.get('select1_pyathena_ms'), ' ms', 1)}; "
            "inside the service: "
            + (
                ", ".join(
                    f"{k} {v:.0f} ms" for k, v in (api.get("select1_server_ms") or {}).items()
                )
                or "-"
            )
            + "); the pack through the API and in the engine "
            f"alone, the same statements alternated, median of {api.get('pack_runs', '?')} runs:",
            ["query/table", "API", "engine alone", "overhead", "budget"],
            [
                [
                    name,
                    f"{a:.3f} s",
                    f"{e:.3f} s",
                    f"{(a - e) * 1000:+.0f} ms",
                    f"{(b - e) * 1000:+.0f} ms",
                ]
                for name, a, e, b in overheads
            ],
            right=(1, 2, 3, 4),
        )
    parts += _captioned_table(
        "Targets (issues 6 and 13):",
        ["target", "goal", "measured (median)", "verdict"],
        [[t.name, t.goal, t.measured, t.verdict] for t in evaluate_targets(doc)],
    )
    return "\n".join(parts) + "\n"
