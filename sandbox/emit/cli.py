"""The ``emit`` click command (a thin shell around :func:`sandbox.emit.emit_file`)."""

from __future__ import annotations

from pathlib import Path

import click

from sandbox.cli_support import friendly, pass_settings
from sandbox.emit.emitter import (
    DEFAULT_CONCURRENCY,
    STREAM_CHOICES,
    check_endpoint,
    check_stream_option,
    emit_file,
    resolve_streams,
)
from sandbox.emit.producer import RetryPolicy
from sandbox.emit.records import OnBadLine
from sandbox.settings import Settings


@click.command("emit")
@click.option(
    "--file",
    "file_",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON Lines file, plain or gzip [default: <state>/data/events.jsonl].",
)
@click.option(
    "--stream",
    default="both",
    show_default=True,
    callback=lambda _ctx, _param, value: check_stream_option(value),
    help="Which delivery stream(s) to send to (names from the Terraform outputs): "
    f"{', '.join(STREAM_CHOICES)}, or a comma-separated list such as json,iceberg.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Parallel PutRecordBatch calls (one client per thread).",
)
@click.option(
    "--on-bad-line",
    type=click.Choice([p.value for p in OnBadLine]),
    default=OnBadLine.FAIL.value,
    show_default=True,
    help="A line that is not a JSON object: stop before sending (fail), leave it out and "
    "report it (skip), or send every line unchecked (send).",
)
@click.option(
    "--append-newline",
    is_flag=True,
    help="Add '\\n' to each record (for streams without the AppendDelimiterToRecord processor).",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=RetryPolicy.max_attempts,
    show_default=True,
    help="PutRecordBatch calls per batch before its failing records are given up.",
)
@click.option("--allow-aws", is_flag=True, help="Allow an endpoint that is not this machine.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@friendly
@pass_settings
def emit_command(
    settings: Settings,
    file_: Path | None,
    stream: str,
    concurrency: int,
    on_bad_line: str,
    append_newline: bool,
    max_attempts: int,
    allow_aws: bool,
    quiet: bool,
) -> None:
    """Send each line of a JSON Lines file to the delivery streams with PutRecordBatch.

    Example: sandbox emit --file /tmp/events.jsonl --stream json --concurrency 8
    """
    path = file_ if file_ is not None else settings.state.events_file()
    check_endpoint(settings, allow_aws)  # before anything else, even reading the outputs
    names = resolve_streams(stream, settings)
    reports = emit_file(
        path,
        names,
        settings,
        concurrency=concurrency,
        allow_aws=allow_aws,
        on_bad_line=on_bad_line,
        append_newline=append_newline,
        progress=False if quiet else None,
        max_attempts=max_attempts,
    )
    for report in reports.values():
        click.echo(report.summary())
    failed = sum(r.failed for r in reports.values())
    if failed:
        lines = sorted({n for r in reports.values() for n in r.failed_lines})
        raise click.ClickException(
            f"{failed:,} records were not accepted after {max_attempts} attempts "
            f"(first lines: {', '.join(map(str, lines[:10]))}); the emulator may be overloaded: "
            "retry with a lower --concurrency"
        )
