"""The ``sandbox`` command line: a thin shell over the pipeline's packages.

Platform: ``up``, ``down``, ``status``, ``logs``, ``check``, ``plan``; Firehose: ``flush``,
``delivery``; data: ``generate``, ``emit``, ``seed``; Athena stand-in: ``query``, ``analyze``,
``stats``. Expected failures print one line and exit 1; usage errors exit 2.

The stages' commands (``generate``, ``emit``, ``query``, ``analyze``, ``stats``) are imported
when one of them runs or ``--help`` lists them: their modules load numpy, botocore's clients,
DuckDB and sqlglot (~0.6 s), which ``sandbox up``, ``down`` and ``status`` never need.
"""

from __future__ import annotations

import json
import sys
from importlib import import_module

import click

from sandbox import __version__
from sandbox.cli_support import friendly, pass_settings
from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings

# Each stage's command: "<module>:<attribute>", imported on first use (see the docstring).
STAGE_COMMANDS = {
    "generate": "sandbox.generate.cli:generate_command",
    "emit": "sandbox.emit.cli:emit_command",
    "query": "sandbox.query.cli:query_command",
    "analyze": "sandbox.query.cli:analyze_command",
    "stats": "sandbox.query.cli:stats_command",
}


class _Deferred(click.Command):
    """Holds a stage command's place in the group (its name is listed) until it is used."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self.target = target

    def load(self) -> click.Command:
        module, attribute = self.target.split(":")
        command = getattr(import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == self.name, self.target
        return command


class _SandboxGroup(click.Group):
    """The root group: a deferred command is imported when click first looks it up."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, _Deferred):
            command = self.commands[cmd_name] = command.load()
        return command


@click.group(cls=_SandboxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sandbox")
def main() -> None:
    """The sandbox: an offline twin of the Firehose -> S3 -> Glue -> Athena data platform.

    Example: sandbox up && sandbox seed --sessions 2000 && sandbox analyze
    """


@main.command()
@click.option("--skip-terraform", is_flag=True, help="Start LocalStack only, do not apply.")
@click.option(
    "--fresh", is_flag=True, help="Apply terraform/ even if it is unchanged since its last apply."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Show tflocal's output (it always goes to terraform.log in the state folder).",
)
@friendly
@pass_settings
def up(settings: Settings, skip_terraform: bool, fresh: bool, verbose: bool) -> None:
    """Start LocalStack (Docker if available, else a host process) and apply terraform/.

    The apply is skipped when the restored state is that of the last apply and terraform/ is
    unchanged since. Example: sandbox up --fresh
    """
    from sandbox.infra import lifecycle
    from sandbox.infra.localstack import LOCALSTACK_VERSION

    tty = sys.stdout.isatty() and not verbose

    def healthy(report: lifecycle.UpReport) -> None:
        click.echo(
            f"LocalStack {LOCALSTACK_VERSION} ({report.mode} mode) healthy at "
            f"{report.endpoint_url} after {report.healthy_seconds:.1f}s"
        )

    def restored(lake: lifecycle.Restored) -> None:
        click.echo(
            f"Restored the lake from {lake.folder}: {lake.objects} objects in {lake.buckets} "
            f"buckets, {lake.tables} tables, {lake.partitions} partitions"
        )

    def step(name: str) -> None:
        click.echo(f"Terraform {name}...")

    def progress(done: int, planned: int) -> None:
        if tty:
            click.echo(f"\r  {done}/{planned} resources", nl=False)

    report = lifecycle.up(
        settings,
        skip_terraform=skip_terraform,
        fresh=fresh,
        on_healthy=healthy,
        on_restored=restored,
        on_step=step,
        on_line=click.echo if verbose else None,
        on_progress=progress,
    )
    if tty and report.resources:
        click.echo()
    if report.terraform_seconds is not None:
        click.echo(
            f"terraform/ applied with tflocal in {report.terraform_seconds:.1f}s: "
            f"{report.resources} resources changed (total {report.total_seconds:.1f}s; "
            f"full output in {settings.state.terraform_log})"
        )
    elif not skip_terraform:
        click.echo(
            f"terraform/ is unchanged since its last apply against this state: nothing to apply "
            f"(total {report.total_seconds:.1f}s; `make up FRESH=1` applies anyway)"
        )


@main.command()
@friendly
@pass_settings
def down(settings: Settings) -> None:
    """Stop what `sandbox up` started (Firehose buffers are delivered first)."""
    from sandbox.infra import lifecycle

    report = lifecycle.down(settings)
    if report.stopped:
        click.echo(f"LocalStack stopped in {report.seconds:.1f}s")
    else:
        click.echo("Nothing to stop: no LocalStack started by the sandbox is running.")
    if report.unsaved:
        raise PlatformError(report.unsaved)


@main.command()
@friendly
@pass_settings
def status(settings: Settings) -> None:
    """Show whether the sandbox runs, in which mode, and its services' health."""
    from sandbox.infra import localstack

    doc = localstack.health(settings)
    if doc is None:
        click.echo(f"Not running (nothing answers at {settings.endpoint_url}).")
        sys.exit(1)
    mode = localstack.recorded_mode(settings) or "unknown (not started by the sandbox)"
    click.echo(f"LocalStack {doc.get('version')} at {settings.endpoint_url}, {mode} mode")
    for name, state in sorted(doc.get("services", {}).items()):
        if state != "disabled":
            click.echo(f"  {name:<10} {state}")
    from sandbox.infra import admin, lifecycle

    try:
        persisted = admin.persistence_status(settings)
    except PlatformError:
        return  # not the sandbox's plugin: no lake to report on
    line, failed = lifecycle.persistence_line(persisted)
    click.echo(line)
    if failed:
        sys.exit(1)


@main.command()
@click.option("-n", "--lines", default=100, show_default=True, help="How many lines to show.")
@friendly
@pass_settings
def logs(settings: Settings, lines: int) -> None:
    """Show the tail of the emulator's log."""
    from sandbox.infra import localstack

    if localstack.recorded_mode(settings) == "docker":
        localstack.docker_logs(settings, lines)
        return
    log_file = settings.state.log_file
    if not log_file.exists():
        raise PlatformError(f"No log yet at {log_file}; run `make up`.")
    content = log_file.read_text(errors="replace").splitlines()
    click.echo("\n".join(content[-lines:]))


@main.command()
@friendly
@pass_settings
def check(settings: Settings) -> None:
    """Report which prerequisites are present or missing (exit 1 if a required one is missing)."""
    from sandbox.infra.checks import run_checks

    results = run_checks(settings)
    width = max(len(c.name) for c in results)
    missing = False
    for item in results:
        mark = "ok  " if item.ok else ("MISS" if item.required else "--  ")
        click.echo(f"[{mark}] {item.name:<{width}}  {item.detail}")
        missing = missing or (item.required and not item.ok)
    if missing:
        raise click.ClickException("required prerequisites are missing (see above)")


@main.command()
@friendly
@pass_settings
def plan(settings: Settings) -> None:
    """Run `tflocal plan` against the sandbox; exit 1 if it would change anything."""
    from sandbox.infra.terraform import Terraform

    result = Terraform(settings).plan()
    click.echo(result.output)
    if result.failed:
        raise click.ClickException("`tflocal plan` failed (see above)")
    if not result.empty:
        raise click.ClickException("the plan is not empty")


@main.command()
@click.option("--stream", default=None, help="Only this delivery stream (default: all).")
@friendly
@pass_settings
def flush(settings: Settings, stream: str | None) -> None:
    """Deliver every buffered Firehose record now (instead of waiting for the interval)."""
    from sandbox.infra import admin

    result = admin.flush(settings, stream)
    click.echo(json.dumps(result.get("streams", {}), indent=2, sort_keys=True))


@main.command()
@friendly
@pass_settings
def delivery(settings: Settings) -> None:
    """Per-stream Firehose counters: accepted, delivered, errored, buffered."""
    from sandbox.infra import admin

    counters = admin.stats(settings)
    if not counters:
        click.echo("No delivery streams have received records yet.")
        return
    keys = ["accepted", "delivered", "errored", "buffered"]
    click.echo(f"{'stream':<28}" + "".join(f"{k:>12}" for k in keys))
    for name, values in sorted(counters.items()):
        click.echo(f"{name:<28}" + "".join(f"{values.get(k, 0):>12}" for k in keys))


def _check_streams(value: str) -> str:
    from sandbox.emit.emitter import check_stream_option

    return check_stream_option(value)


@main.command()
@click.option("--sessions", default=100_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", "seed_value", default=42, show_default=True, help="Same seed, same data.")
@click.option(
    "--stream",
    default="all",
    show_default=True,
    callback=lambda _ctx, _param, value: _check_streams(value),
    help="Which delivery stream(s) to send to: json, parquet, iceberg, both (json and parquet), "
    "all, or a comma-separated list such as json,iceberg.",
)
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--allow-aws", is_flag=True, help="Allow an endpoint that is not this machine.")
@click.option("--force", is_flag=True, help="Send even if this data set is already in the lake.")
@friendly
@pass_settings
def seed(
    settings: Settings,
    sessions: int,
    seed_value: int,
    stream: str,
    concurrency: int,
    quiet: bool,
    allow_aws: bool,
    force: bool,
) -> None:
    """Generate sessions, send them through the delivery streams, deliver, and report.

    Example: sandbox seed --sessions 2000
    """
    from sandbox import seed as seed_module
    from sandbox.emit import check_endpoint, resolve_streams

    check_endpoint(settings, allow_aws)  # the AWS guard comes before anything else
    streams = resolve_streams(stream, settings)
    report = seed_module.seed(
        settings,
        sessions,
        seed_value,
        streams=streams,
        concurrency=concurrency,
        progress=False if quiet else None,
        allow_aws=allow_aws,
        force=force,
        echo=click.echo,
    )
    for line in seed_module.format_report(report):
        click.echo(line)
    failed = sum(r.failed + r.rejected_oversize for r in report.emitted.values())
    lost = {s: n for s, n in report.unaccounted().items() if n and report.delivery}
    if lost:
        raise click.ClickException(f"records unaccounted for after the flush: {lost}")
    if failed:
        raise click.ClickException(f"{failed:,} records were not accepted (see above)")


for _name, _target in STAGE_COMMANDS.items():
    main.add_command(_Deferred(_name, _target))


if __name__ == "__main__":  # pragma: no cover
    main()
