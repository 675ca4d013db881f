"""The ``query``, ``analyze`` and ``stats`` click commands: thin shells over the query stage.

Options become arguments of the stage's functions (``api.factory.open_engine``,
``analysis.analyze.analyze``), whose results :mod:`sandbox.query.render` prints.
Expected failures (bad SQL, missing tables, an unreachable emulator) print one line and exit 1;
usage errors exit 2 (click). By default statements go through the sandbox's Athena API, as any
client's do; ``--engine athena`` is the only way these commands reach AWS.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click

from sandbox.cli_support import friendly, pass_settings
from sandbox.query.api.factory import ENGINES, EngineOptions, open_engine
from sandbox.query.engine.pricing import DEFAULT_PRICES, MB, Prices
from sandbox.query.render import FORMATS, print_result
from sandbox.settings import Settings


def _prices(price_per_tb: float, min_mb: float) -> Prices:
    return replace(
        DEFAULT_PRICES, athena_usd_per_tb=price_per_tb, athena_min_bytes=int(min_mb * MB)
    )


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--format`` and the engine's options; the command gets ``fmt`` and ``options``
    (an :class:`EngineOptions`)."""
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
            default="sandbox",
            show_default=True,
            help="sandbox: the sandbox's Athena API (DuckDB behind it); duckdb: the same engine "
            "in this process, without the API; athena: real AWS Athena (your AWS credentials).",
        ),
        click.option("--database", help="Glue database [default: from the Terraform outputs]."),
        click.option(
            "--workgroup", help="Athena workgroup (sandbox, athena) [default: from the outputs]."
        ),
        click.option(
            "--undelimited-json",
            type=click.Choice(["warn", "error"]),
            default="warn",
            show_default=True,
            help="JSON objects without newlines between records: read them all and warn, or fail "
            "(--engine duckdb).",
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

    @wraps(fn)
    def wrapper(
        *args: Any,
        engine: str,
        database: str | None,
        workgroup: str | None,
        undelimited_json: str,
        price_per_tb: float,
        min_mb: float,
        **kwargs: Any,
    ) -> Any:
        options = EngineOptions(
            engine=engine,
            database=database,
            workgroup=workgroup,
            prices=_prices(price_per_tb, min_mb),
            undelimited_json=undelimited_json,
        )
        return fn(*args, options=options, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


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
@friendly
@pass_settings
def query_command(
    settings: Settings,
    sql: str | None,
    sql_file: Path | None,
    fmt: str,
    options: EngineOptions,
) -> None:
    """Run one Athena SQL statement and show the rows, data scanned and Athena's price.

    Example: sandbox query "SELECT name, count(*) FROM events_parquet GROUP BY name"
    """
    if (sql is None) == (sql_file is None):
        raise click.UsageError("give either an SQL statement or --file (not both)")
    text = sql_file.read_text() if sql_file is not None else str(sql)
    if text.strip() == "-":
        text = sys.stdin.read()
    with open_engine(settings, options) as runner:
        result = runner.execute(text)
    print_result(result, fmt, prices=options.prices)


def _default_manifest(settings: Settings) -> Path | None:
    """The last seed's manifest, if any."""
    from sandbox.query.analysis.analyze import default_manifest

    return default_manifest(settings)


@click.command("analyze")
@engine_options
@click.option("--json-table", help="The JSON table [default: from the Terraform outputs].")
@click.option("--parquet-table", help="The Parquet table [default: from the Terraform outputs].")
@click.option(
    "--iceberg-table",
    help="The Iceberg table [default: from the Terraform outputs, when they name one].",
)
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
@friendly
@pass_settings
def analyze_command(
    settings: Settings,
    fmt: str,
    options: EngineOptions,
    json_table: str | None,
    parquet_table: str | None,
    iceberg_table: str | None,
    only: tuple[str, ...],
    repair: bool,
    manifest: Path | None,
) -> None:
    """Run the article's analysis pack on the JSON, Parquet (and Iceberg) tables, compared.

    Example: sandbox analyze --only session_funnel --only duplicates
    """
    from sandbox.query.analysis.analyze import UnknownPackQueryError, analyze, select_queries
    from sandbox.query.render import AnalysisPrinter

    try:
        select_queries(only)
    except UnknownPackQueryError as exc:
        raise click.BadParameter(str(exc), param_hint="'--only'") from None
    printer = AnalysisPrinter(fmt, prices=options.prices)
    report = analyze(
        settings,
        options,
        json_table=json_table,
        parquet_table=parquet_table,
        iceberg_table=iceberg_table,
        only=only,
        repair_first=repair,
        manifest=manifest,
        on_repair=printer.repaired,
        on_run=printer.run,
    )
    printer.report(report)
    if report.failure:
        raise click.ClickException(report.failure)


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
@friendly
@pass_settings
def stats_command(
    settings: Settings, bucket: str | None, manifest: Path | None, scans_per_day: int, fmt: str
) -> None:
    """Bucket summary per prefix (objects, size, partitions, compression) and monthly costs.

    Example: sandbox stats --scans-per-day 100
    """
    from sandbox.query.analysis.stats import stats_report
    from sandbox.query.render import render_stats

    report = stats_report(
        settings,
        bucket=bucket,
        manifest=manifest or _default_manifest(settings),
        scans_per_day=scans_per_day,
    )
    render_stats(report, fmt)
