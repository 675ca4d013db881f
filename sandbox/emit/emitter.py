"""``emit_file()``: one file to one or more delivery streams, with the AWS guard and a progress bar.

The file is read and checked once (:mod:`sandbox.emit.records`), then sent to all streams in
one pass: each batch goes to every stream, back to back (see
:func:`~sandbox.emit.producer.send_to_streams`). Before sending anything, every stream is
looked up with ``DescribeDeliveryStream``, so a missing stream or a stopped emulator fails fast
instead of after the first stream has been filled.

The guard: the sandbox's dummy credentials only ever go to a local endpoint. Any other
endpoint is refused unless ``allow_aws`` is given; then the standard AWS credential chain is
used (never the dummy keys).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from sandbox.emit.errors import AwsGuardError, EmitError, EmulatorDownError, StreamNotFoundError
from sandbox.emit.producer import EmitReport, RetryPolicy, Sleep, send_to_streams
from sandbox.emit.records import OnBadLine, Records, read_records
from sandbox.infra.outputs import OutputsMissingError, read_outputs
from sandbox.settings import Settings

DEFAULT_CONCURRENCY = 4
STREAM_KINDS = ("json", "parquet", "iceberg")
STREAM_CHOICES = (*STREAM_KINDS, "both", "all")

ClientFactory = Callable[[], Any]


def check_endpoint(settings: Settings, allow_aws: bool = False) -> None:
    """Refuse a non-local endpoint unless sending to AWS was asked for explicitly."""
    if settings.is_local or allow_aws:
        return
    raise AwsGuardError(
        f"refusing to send to {settings.endpoint_url}: not a local endpoint, so records would "
        "go to real AWS and cost money; pass --allow-aws if that is what you want"
    )


def stream_kinds(which: str) -> list[str]:
    """The stream kinds a ``--stream`` value names: one of ``STREAM_KINDS``, a comma-separated
    list of them (``json,iceberg``), ``both`` (the article's two: json, parquet) or ``all``."""
    if which == "all":
        return list(STREAM_KINDS)
    if which == "both":
        return ["json", "parquet"]
    kinds = [part.strip() for part in which.split(",") if part.strip()]
    bad = [kind for kind in kinds if kind not in STREAM_KINDS]
    if bad or not kinds:
        raise ValueError(
            f"stream must be one of {', '.join(STREAM_CHOICES)} or a comma-separated list of "
            f"{', '.join(STREAM_KINDS)}, not {which!r}"
        )
    return list(dict.fromkeys(kinds))


def check_stream_option(value: str) -> str:
    """A ``--stream`` value, checked (click's ``BadParameter`` otherwise)."""
    import click

    try:
        stream_kinds(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def resolve_streams(which: str, settings: Settings) -> list[str]:
    """The delivery stream names for ``--stream`` (see :func:`stream_kinds`), from the Terraform
    outputs. ``all`` leaves out the Iceberg stream of a sandbox provisioned before it existed;
    naming it explicitly then says to run ``make up``."""
    kinds = stream_kinds(which)
    try:
        outputs = read_outputs(settings)
    except OutputsMissingError as exc:
        raise EmitError(str(exc)) from None
    names = {
        "json": outputs.json_stream,
        "parquet": outputs.parquet_stream,
        "iceberg": outputs.iceberg_stream,
    }
    streams = []
    for kind in kinds:
        name = names[kind]
        if name is None:
            if which == "all":
                continue
            raise EmitError(
                f"Terraform output {kind}_stream_name is missing (provisioned by an older "
                "terraform/); run `make up`."
            )
        streams.append(name)
    return streams


def client_factory(settings: Settings, concurrency: int = 1) -> ClientFactory:
    """A factory of Firehose clients with botocore's retries off (ours run instead)."""
    config = Config(
        retries={"max_attempts": 0, "mode": "standard"},
        max_pool_connections=max(10, concurrency),
        connect_timeout=5,
        read_timeout=60,
        # We build every request ourselves; validating 500 records per call costs ~2 µs each.
        parameter_validation=False,
    )

    def make() -> Any:
        # A Session per client: boto3's default session is not thread-safe to create from.
        # Local: the dummy credentials; another endpoint (allowed by the guard): the standard
        # credential chain, never the dummies.
        client = settings.client("firehose", config=config)
        if settings.is_local:
            client.meta.events.register("before-send.firehose", keep_alive)
        return client

    return make


def keep_alive(request: Any, **_: Any) -> None:
    """Ask LocalStack to keep the connection: it closes it after every response otherwise (its
    ``set_close_connection_header`` handler), and a new connection per call costs ~5% of
    ``make seed``. The header is not signed, and only local endpoints get it."""
    request.headers["Connection"] = "keep-alive"


def preflight(client: Any, streams: Sequence[str], endpoint: str) -> None:
    """Fail fast, before sending anything, if a stream is missing or nothing answers."""
    for stream in streams:
        try:
            client.describe_delivery_stream(DeliveryStreamName=stream)
        except EndpointConnectionError:
            raise EmulatorDownError(f"no emulator at {endpoint}; run `make up`") from None
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise StreamNotFoundError(
                    f"delivery stream {stream} not found; run `make up`"
                ) from None
            raise EmitError(f"DescribeDeliveryStream {stream} failed: {code}") from None


def emit_file(
    path: Path,
    stream_names: Sequence[str] | None,
    settings: Settings,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    allow_aws: bool = False,
    on_bad_line: OnBadLine | str = OnBadLine.FAIL,
    append_newline: bool = False,
    progress: bool | None = None,
    max_attempts: int = RetryPolicy.max_attempts,
    clients: ClientFactory | None = None,
    sleep: Sleep = time.sleep,
) -> dict[str, EmitReport]:
    """Send every line of ``path`` to each stream (default: both, from the Terraform outputs).

    Returns one :class:`EmitReport` per stream, in order. ``progress=None`` shows a bar only
    when stdout is a terminal. ``clients`` replaces the boto3 client factory (tests).
    Raises :class:`~sandbox.emit.errors.EmitError` subclasses for what a user must fix.
    """
    check_endpoint(settings, allow_aws)
    streams = list(stream_names) if stream_names is not None else resolve_streams("both", settings)
    if not streams:
        raise ValueError("no stream to send to")
    records = read_records(path, on_bad_line, append_newline)
    make_client = clients or client_factory(settings, concurrency)
    preflight(make_client(), streams, settings.endpoint_url)

    policy = RetryPolicy(max_attempts=max_attempts)
    show = _want_progress(progress)
    with _progress_bar(show) as add_task:
        advance = {stream: add_task(stream, len(records.data)) for stream in streams}
        reports = send_to_streams(
            streams,
            records.data,
            make_client,
            line_numbers=records.line_numbers,
            concurrency=concurrency,
            policy=policy,
            sleep=sleep,
            on_progress=lambda stream, n: advance[stream](n),
            endpoint=settings.endpoint_url,
        )
    for report in reports.values():
        _add_file_findings(report, records)
    return reports


def _add_file_findings(report: EmitReport, records: Records) -> None:
    report.rejected_oversize = len(records.oversize_lines)
    report.skipped_bad_lines = len(records.bad_lines)


def _want_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def _progress_bar(show: bool) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """Yield ``add_task(name, total) -> advance(n)``; a no-op when not shown."""
    if not show:
        yield lambda _name, _total: lambda _n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} records/s" if speed else "- records/s")

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:

        def add_task(name: str, total: int) -> Callable[[int], None]:
            task = bar.add_task(name, total=total)
            return lambda n: bar.advance(task, n)

        yield add_task
