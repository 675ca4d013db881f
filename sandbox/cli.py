"""The ``sandbox`` command line: a thin shell over the pipeline's packages.

Platform: ``up``, ``down``, ``status``, ``logs``, ``check``, ``plan``; Firehose: ``flush``,
``delivery``; data: ``generate``, ``emit``, ``seed``; Athena stand-in: ``query``, ``analyze``,
``stats``. Expected failures print one line and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from sandbox import __version__
from sandbox import settings as settings_module
from sandbox.infra.errors import PlatformError


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the platform's expected errors into one-line ClickExceptions."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PlatformError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sandbox")
def main() -> None:
    """The sandbox: an offline twin of the Firehose -> S3 -> Glue -> Athena data platform.

    Example: sandbox up && sandbox seed --sessions 2000 && sandbox analyze
    """


@main.command()
@click.option("--skip-terraform", is_flag=True, help="Start LocalStack only, do not apply.")
@friendly
def up(skip_terraform: bool) -> None:
    """Start LocalStack (Docker if available, else a host process) and apply terraform/."""
    from sandbox.infra import localstack
    from sandbox.infra.terraform import Terraform, require_terraform

    settings = settings_module.load()
    # Fail before starting anything: a refusal after LocalStack started would leave it running.
    terraform = None if skip_terraform else Terraform(settings)  # refuses a non-local endpoint
    if not skip_terraform:
        require_terraform()
    elif not settings.is_local:
        raise PlatformError(
            f"`sandbox up` starts a local emulator, but the endpoint is {settings.endpoint_url}; "
            "unset SANDBOX_ENDPOINT_URL."
        )
    started = time.monotonic()
    already = localstack.health(settings) is not None and (
        localstack.read_pid(settings) is not None or localstack.recorded_mode(settings) == "docker"
    )
    mode = localstack.recorded_mode(settings) if already else localstack.start(settings)
    click.echo(
        f"LocalStack {localstack.LOCALSTACK_VERSION} ({mode} mode) healthy at "
        f"{settings.endpoint_url} after {time.monotonic() - started:.1f}s"
    )
    if terraform is None:
        return
    if not already:
        restored = _wait_for_restore(settings)
        if restored.get("buckets"):
            click.echo(
                f"Restored the lake from {settings.state_dir / 'persist'}: "
                f"{restored['objects']} objects in {restored['buckets']} buckets, "
                f"{restored['tables']} tables, {restored['partitions']} partitions"
            )
        else:
            # The emulator started empty: state describing an earlier emulator is stale.
            terraform.forget_state()
    tf_started = time.monotonic()
    terraform.init()
    terraform.apply()
    click.echo(
        f"terraform/ applied with tflocal in {time.monotonic() - tf_started:.1f}s "
        f"(total {time.monotonic() - started:.1f}s)"
    )


def _wait_for_restore(settings: settings_module.Settings, timeout: float = 300.0) -> dict:
    """Wait (bounded) until the emulator has loaded its snapshot; return what it restored."""
    from sandbox.infra import admin

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = admin.persistence_status(settings)
        if status.get("restored"):
            if status.get("restore_error"):
                raise PlatformError(
                    f"Restoring the saved lake failed: {status['restore_error']}; "
                    "`make clean` discards it."
                )
            return dict(status.get("restore") or {})
        time.sleep(0.5)
    raise PlatformError("The emulator did not finish restoring the saved lake; see `make logs`.")


@main.command()
@friendly
def down() -> None:
    """Stop what `sandbox up` started (Firehose buffers are delivered first)."""
    from sandbox.infra import localstack

    settings = settings_module.load()
    started = time.monotonic()
    if localstack.stop(settings):
        click.echo(f"LocalStack stopped in {time.monotonic() - started:.1f}s")
    else:
        click.echo("Nothing to stop: no LocalStack started by the sandbox is running.")


@main.command()
@friendly
def status() -> None:
    """Show whether the sandbox runs, in which mode, and its services' health."""
    from sandbox.infra import localstack

    settings = settings_module.load()
    doc = localstack.health(settings)
    if doc is None:
        click.echo(f"Not running (nothing answers at {settings.endpoint_url}).")
        sys.exit(1)
    mode = localstack.recorded_mode(settings) or "unknown (not started by the sandbox)"
    click.echo(f"LocalStack {doc.get('version')} at {settings.endpoint_url}, {mode} mode")
    for name, state in sorted(doc.get("services", {}).items()):
        if state != "disabled":
            click.echo(f"  {name:<10} {state}")


@main.command()
@click.option("-n", "--lines", default=100, show_default=True, help="How many lines to show.")
@friendly
def logs(lines: int) -> None:
    """Show the tail of the emulator's log."""
    import subprocess

    from sandbox.infra import localstack

    settings = settings_module.load()
    if localstack.recorded_mode(settings) == "docker":
        subprocess.run(
            localstack.compose_command(settings, "logs", "--tail", str(lines)), check=False
        )
        return
    if not settings.log_file.exists():
        raise PlatformError(f"No log yet at {settings.log_file}; run `make up`.")
    content = settings.log_file.read_text(errors="replace").splitlines()
    click.echo("\n".join(content[-lines:]))


@main.command()
@friendly
def check() -> None:
    """Report which prerequisites are present or missing (exit 1 if a required one is missing)."""
    from sandbox.infra.checks import run_checks

    results = run_checks(settings_module.load())
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
def plan() -> None:
    """Run `tflocal plan` against the sandbox; exit 1 if it would change anything."""
    from sandbox.infra.terraform import Terraform

    terraform = Terraform(settings_module.load())
    output = terraform.plan_output()
    click.echo(output)
    if not terraform.plan_is_empty():
        raise click.ClickException("the plan is not empty")


@main.command()
@click.option("--stream", default=None, help="Only this delivery stream (default: all).")
@friendly
def flush(stream: str | None) -> None:
    """Deliver every buffered Firehose record now (instead of waiting for the interval)."""
    from sandbox.infra import admin

    result = admin.flush(settings_module.load(), stream)
    click.echo(json.dumps(result.get("streams", {}), indent=2, sort_keys=True))


@main.command()
@friendly
def delivery() -> None:
    """Per-stream Firehose counters: accepted, delivered, errored, buffered."""
    from sandbox.infra import admin

    counters = admin.stats(settings_module.load())
    if not counters:
        click.echo("No delivery streams have received records yet.")
        return
    keys = ["accepted", "delivered", "errored", "buffered"]
    click.echo(f"{'stream':<28}" + "".join(f"{k:>12}" for k in keys))
    for name, values in sorted(counters.items()):
        click.echo(f"{name:<28}" + "".join(f"{values.get(k, 0):>12}" for k in keys))


@main.command()
@click.option("--sessions", default=100_000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", "seed_value", default=42, show_default=True, help="Same seed, same data.")
@click.option(
    "--stream",
    type=click.Choice(["json", "parquet", "both"]),
    default="both",
    show_default=True,
    help="Which delivery stream(s) to send to.",
)
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--allow-aws", is_flag=True, help="Allow an endpoint that is not this machine.")
@click.option("--force", is_flag=True, help="Send even if this data set is already in the lake.")
@friendly
def seed(
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

    # EmitError is a PlatformError: @friendly turns it into a one-line ClickException.
    settings = settings_module.load()
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


def _register_stage_commands() -> None:
    from sandbox.emit.cli import emit_command
    from sandbox.generate.cli import generate_command
    from sandbox.query.cli import analyze_command, query_command, stats_command

    for command in (
        generate_command,
        emit_command,
        query_command,
        analyze_command,
        stats_command,
    ):
        main.add_command(command)


_register_stage_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
