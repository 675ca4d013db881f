"""The ``generate`` click command (a thin shell around :func:`sandbox.generate.generate`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from sandbox.cli_support import pass_settings
from sandbox.generate.generator import DEFAULT_END, DEFAULT_SEED, DEFAULT_SESSIONS, generate
from sandbox.generate.manifest import manifest_path
from sandbox.settings import Settings


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date:
    if value is None:
        return DEFAULT_END
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2023-07-31") from None


@click.command("generate")
@click.option(
    "--sessions",
    type=click.IntRange(min=0),
    default=DEFAULT_SESSIONS,
    show_default=True,
    help="Number of user sessions (about 7 events each).",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Same seed, same bytes."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Output file [default: <state>/data/events.jsonl, or .jsonl.gz with --gzip].",
)
@click.option("--gzip", "gzip_", is_flag=True, help="Gzip the output (deterministic header).")
@click.option(
    "--end",
    callback=_parse_date,
    default=None,
    metavar="YYYY-MM-DD",
    help=f"Last day of the event timestamps [default: {DEFAULT_END.isoformat()}].",
)
@pass_settings
def generate_command(
    settings: Settings, sessions: int, seed: int, out: Path | None, gzip_: bool, end: date
) -> None:
    """Generate the article's synthetic user sessions as JSON Lines, plus a manifest.

    Example: sandbox generate --sessions 2000 --seed 7 --out /tmp/events.jsonl
    """
    out = out if out is not None else settings.state.events_file(gzip_)
    try:
        manifest = generate(sessions, seed, out, gzip=gzip_, end=end)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(
        f"{manifest.events_total:,} events ({manifest.duplicates:,} duplicates) from "
        f"{sessions:,} sessions -> {out} ({manifest.bytes / 1e6:.1f} MB) "
        f"in {manifest.generation_seconds:.2f} s ({manifest.events_per_second:,.0f} events/s); "
        f"manifest {manifest_path(out)}"
    )
