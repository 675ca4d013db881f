"""The ``query``, ``analyze`` and ``stats`` click commands: thin shells over the query stage.

Expected failures (bad SQL, missing tables, an unreachable emulator) print one line and exit 1;
usage errors exit 2 (click). ``--engine athena`` is the only way these commands reach AWS.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from rich.console import Console

from sandbox import settings as settings_module
from sandbox.query.engine.pricing import DEFAULT_PRICES, MB, Prices
from sandbox.query.errors import QueryError
from sandbox.query.render import FORMATS, print_result, rich_table, usd

ENGINES = ("duckdb", "athena")


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Expected errors become one-line ClickExceptions (exit 1, no traceback)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sandbox.infra.outputs import OutputsMissingError

        settings = settings_module.load()
        try:
            return fn(*args, **kwargs)
        except (QueryError, OutputsMissingError) as exc:
            raise click.ClickException(str(exc)) from exc
        except EndpointConnectionError as exc:
            raise click.ClickException(
                f"cannot reach the sandbox at {settings.endpoint_url}; run `make up`"
            ) from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise click.ClickException(
                f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
            ) from exc
        except BotoCoreError as exc:
            raise click.ClickException(str(exc).splitlines()[0]) from exc

    return wrapper


def _prices(price_per_tb: float, min_mb: float) -> Prices:
    return replace(
        DEFAULT_PRICES, athena_usd_per_tb=price_per_tb, athena_min_bytes=int(min_mb * MB)
    )


def _outputs(settings: settings_module.Settings) -> Any:
    from sandbox.infra.outputs import OutputsMissingError, read_outputs

    try:
        return read_outputs(settings)
    except OutputsMissingError:
        return None


@contextmanager
def open_engine(
    engine: str,
    *,
    database: str | None,
    workgroup: str | None,
    prices: Prices,
    undelimited_json: str = "warn",
) -> Iterator[Any]:
    """The DuckDB stand-in (default) or, only when chosen, real Athena."""
    settings = settings_module.load()
    outputs = _outputs(settings)
    if engine == "athena":
        from sandbox.query.engine.athena import AthenaEngine

        workgroup = workgroup or (outputs.workgroup if outputs else None)
        database = database or (outputs.database if outputs else None)
        if not workgroup or not database:
            raise QueryError(
                "--engine athena needs --workgroup and --database (no Terraform outputs)"
            )
        yield AthenaEngine.for_aws(
            settings, workgroup=workgroup, database=database, confirm=True, prices=prices
        )
        return
    from sandbox.query.engine.session import Session

    database = database or (outputs.database if outputs else None)
    with Session(
        settings, database=database, prices=prices, undelimited_json=undelimited_json
    ) as session:
        yield session


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default="table",
            show_default=True,
            help="Aligned table, or CSV/JSON for scripts.",
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="duckdb",
            show_default=True,
            help="duckdb: the sandbox's stand-in; athena: real AWS Athena (your AWS credentials).",
        ),
        click.option("--database", help="Glue database [default: from the Terraform outputs]."),
        click.option(
            "--workgroup", help="Athena workgroup for --engine athena [default: outputs]."
        ),
        click.option(
            "--undelimited-json",
            type=click.Choice(["warn", "error"]),
            default="warn",
            show_default=True,
            help="JSON objects without newlines between records: read them all and warn, or fail.",
        ),
        click.option(
            "--price-per-tb",
            type=click.FloatRange(min=0),
            default=DEFAULT_PRICES.athena_usd_per_tb,
            show_default=True,
            help="Athena price in USD per TB scanned.",
        ),
        click.option(
            "--min-mb",
            type=click.FloatRange(min=0),
            default=DEFAULT_PRICES.athena_min_bytes / MB,
            show_default=True,
            help="Athena's minimum billed megabytes per query.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.command("query")
@click.argument("sql", required=False)
@click.option(
    "-f",
    "--file",
    "sql_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the statement from a .sql file.",
)
@engine_options
@_friendly
def query_command(
    sql: str | None,
    sql_file: Path | None,
    fmt: str,
    engine: str,
    database: str | None,
    workgroup: str | None,
    undelimited_json: str,
    price_per_tb: float,
    min_mb: float,
) -> None:
    """Run one Athena SQL statement and show the rows, data scanned and Athena's price.

    Example: sandbox query "SELECT name, count(*) FROM events_parquet GROUP BY name"
    """
    if (sql is None) == (sql_file is None):
        raise click.UsageError("give either an SQL statement or --file (not both)")
    text = sql_file.read_text() if sql_file is not None else str(sql)
    if text.strip() == "-":
        text = sys.stdin.read()
    prices = _prices(price_per_tb, min_mb)
    with open_engine(
        engine,
        database=database,
        workgroup=workgroup,
        prices=prices,
        undelimited_json=undelimited_json,
    ) as runner:
        result = runner.execute(text)
    print_result(result, fmt, prices=prices)


def _default_manifest() -> Path | None:
    from sandbox.generate.manifest import manifest_path

    path = manifest_path(settings_module.load().events_file())
    return path if path.exists() else None


@click.command("analyze")
@engine_options
@click.option("--json-table", help="The JSON table [default: from the Terraform outputs].")
@click.option("--parquet-table", help="The Parquet table [default: from the Terraform outputs].")
@click.option("--only", multiple=True, metavar="NAME", help="Run only these pack queries.")
@click.option(
    "--repair/--no-repair",
    default=True,
    show_default=True,
    help="Run MSCK REPAIR TABLE on both tables first, so new partitions are visible.",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Seed manifest to check answers against [default: <state>/data/events.manifest.json].",
)
@_friendly
def analyze_command(
    fmt: str,
    engine: str,
    database: str | None,
    workgroup: str | None,
    undelimited_json: str,
    price_per_tb: float,
    min_mb: float,
    json_table: str | None,
    parquet_table: str | None,
    only: tuple[str, ...],
    repair: bool,
    manifest: Path | None,
) -> None:
    """Run the article's analysis pack on the JSON and Parquet tables and compare them.

    Example: sandbox analyze --only session_funnel --only duplicates
    """
    from sandbox.query.analysis.pack import PackRun, check_manifest, comparison, load_pack, run_pack
    from sandbox.query.analysis.pack import repair as repair_tables

    outputs = _outputs(settings_module.load())
    tables = {
        "json": json_table or (outputs.json_table if outputs else "events_json"),
        "parquet": parquet_table or (outputs.parquet_table if outputs else "events_parquet"),
    }
    queries = load_pack()
    unknown = set(only) - {q.name for q in queries}
    if unknown:
        names = ", ".join(q.name for q in queries)
        raise click.BadParameter(f"unknown pack queries {sorted(unknown)}; choose from {names}")
    if only:
        queries = [q for q in queries if q.name in only]
    prices = _prices(price_per_tb, min_mb)
    console, err = Console(), Console(stderr=True)
    warned: set[str] = set()

    def show(run: PackRun) -> None:
        if fmt != "table":
            return
        if run.result is not None:  # each warning once, not under every query
            fresh = [w for w in run.result.warnings if w not in warned]
            warned.update(fresh)
            run.result.warnings = fresh
        title = f"{run.query.name} · {run.table} — {run.query.title}"
        if run.error:
            console.print(f"[bold]{title}[/bold]\n[red]error:[/red] {run.error}\n")
        elif run.result is not None:
            print_result(run.result, "table", console=console, title=title, prices=prices)
            console.print()

    with open_engine(
        engine,
        database=database,
        workgroup=workgroup,
        prices=prices,
        undelimited_json=undelimited_json,
    ) as runner:
        if repair:
            added = repair_tables(runner, tables.values())
            if fmt == "table":
                text = ", ".join(f"{table} +{count}" for table, count in added.items())
                console.print(f"MSCK REPAIR TABLE: partitions added: {text}", highlight=False)
        runs = run_pack(runner, tables, queries, on_run=show)
    table = comparison(runs)
    manifest = manifest or _default_manifest()
    checks = []
    if manifest is not None:
        from sandbox.generate.manifest import read_manifest

        checks = check_manifest(runs, read_manifest(manifest))
    failed_runs = [r for r in runs if r.error]
    failed_checks = [c for c in checks if not c.ok]
    if fmt == "json":
        from sandbox.query.render import result_document

        document = {
            "runs": [
                {
                    "query": r.query.name,
                    "title": r.query.title,
                    "table": r.table,
                    "sql": r.sql,
                    "error": r.error,
                    "result": result_document(r.result) if r.result else None,
                }
                for r in runs
            ],
            "comparison": {"columns": table.columns, "rows": table.rows},
            "checks": [
                {**c.__dict__, "ok": c.ok, "expected": c.expected, "actual": c.actual}
                for c in checks
            ],
        }
        console.print_json(json.dumps(document, default=str))
    elif fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(table.rows)
    else:
        console.print(rich_table(table.columns, table.rows, "JSON vs Parquet"))
        if checks:
            rows = [
                (c.query, c.label, c.what, c.expected, c.actual, "ok" if c.ok else "MISMATCH")
                for c in checks
            ]
            columns = ["query", "table", "check", "manifest", "answer", ""]
            console.print(rich_table(columns, rows, f"Against the seed manifest ({manifest})"))
    if failed_runs or failed_checks:
        parts = []
        if failed_runs:
            parts.append(f"{len(failed_runs)} pack queries failed")
        if failed_checks:
            parts.append(f"{len(failed_checks)} answers differ from the seed manifest")
        err.print(f"Error: {'; '.join(parts)}", highlight=False)
        raise SystemExit(1)


@click.command("stats")
@click.option("--bucket", help="The lake bucket [default: from the Terraform outputs].")
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Seed manifest for the raw size [default: <state>/data/events.manifest.json; "
    "without one, the JSON objects are decompressed and counted].",
)
@click.option(
    "--scans-per-day",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Full-table Athena scans per day in the cost table (the article assumes 100).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@_friendly
def stats_command(bucket: str | None, manifest: Path | None, scans_per_day: int, fmt: str) -> None:
    """Bucket summary per prefix (objects, size, partitions, compression) and monthly costs.

    Example: sandbox stats --scans-per-day 100
    """
    import boto3

    from sandbox.query.analysis import stats
    from sandbox.query.engine.pricing import monthly_costs
    from sandbox.query.render import human_bytes

    settings = settings_module.load()
    if not settings.is_local:
        raise QueryError(f"stats reads the sandbox's bucket; {settings.endpoint_url} is not local")
    outputs = _outputs(settings)
    bucket = bucket or (outputs.bucket if outputs else None)
    if not bucket:
        raise QueryError("no bucket: run `make up` or pass --bucket")
    s3 = boto3.client("s3", **settings.boto3_kwargs())
    manifest = manifest or _default_manifest()
    if manifest is not None:
        raw = stats.raw_from_manifest(manifest)
    else:
        raw = stats.measure_raw(s3, bucket, stats.list_prefix(s3, bucket, "events_raw/json/"))
    per_prefix = stats.bucket_stats(s3, bucket, raw=raw)
    costs = monthly_costs(stats.volumes(per_prefix, raw), scans_per_day)
    total = sum(c.usd for c in costs)
    if fmt == "json":
        document = {
            "bucket": bucket,
            "raw": raw.__dict__,
            "prefixes": [
                {**s.__dict__, "average_bytes": s.average_bytes, "ratio": s.compression_ratio}
                for s in per_prefix
            ],
            "monthly_costs": [c.__dict__ for c in costs],
            "monthly_total_usd": total,
        }
        Console().print_json(json.dumps(document))
        return
    rows = [
        (
            s.prefix,
            s.objects,
            human_bytes(s.total_bytes),
            human_bytes(s.average_bytes),
            s.partitions,
            f"{s.compression_ratio:.2f}x" if s.compression_ratio else "-",
        )
        for s in per_prefix
    ]
    columns = ["prefix", "objects", "total size", "avg size", "partitions", "vs raw"]
    cost_rows = [(c.service + (" *" if c.note else ""), c.monthly_input, usd(c.usd)) for c in costs]
    cost_rows.append(("Total", "", usd(total)))
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        writer.writerow([])
        writer.writerow(["service", "input (monthly)", "cost"])
        writer.writerows(cost_rows)
        return
    console = Console()
    console.print(
        f"Raw events: {raw.events:,} ({human_bytes(raw.raw_bytes)}, {raw.source})", highlight=False
    )
    console.print(rich_table(columns, rows, f"Bucket summary: s3://{bucket}"))
    title = f"Monthly cost, {scans_per_day} full scans a day per table"
    console.print(rich_table(["service", "input (monthly)", "cost"], cost_rows, title))
    notes = sorted({c.note for c in costs if c.note})
    for note in notes:
        console.print(f"* {note}; prices: sandbox/query/pricing.py", style="dim", highlight=False)


commands = (query_command, analyze_command, stats_command)
