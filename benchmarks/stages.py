"""The measured stages of ``make bench``, each returning a plain dict (see :mod:`.report`).

Every stage uses the project's own code paths (generator, emitter, Terraform runner, query
session), on LocalStack instances the bench starts on free loopback ports with their own state
folders, and stops: a sandbox on 4566 is never touched.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.report import median, summarise_runs
from benchmarks.rss import RssSampler, vm_hwm
from sandbox.emit import client_factory, read_records, send_to_streams
from sandbox.emit.records import Records
from sandbox.infra import admin, localstack
from sandbox.infra.errors import PlatformError
from sandbox.settings import Settings

Echo = Callable[[str], None]
BASELINE_BUCKET = "bench-baseline"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_gb: float | str = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model or platform.processor() or platform.machine(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


# --- generator -------------------------------------------------------------------------------


def generator(sessions: int, seed: int, out: Path, runs: int, echo: Echo) -> dict[str, Any]:
    """Events/s of :func:`sandbox.generate.generate` (median of ``runs``); leaves ``out``."""
    from sandbox.generate import generate

    out.parent.mkdir(parents=True, exist_ok=True)
    results = []
    manifest = None
    for run in range(runs):
        started = time.perf_counter()
        manifest = generate(sessions, seed, out)
        seconds = time.perf_counter() - started
        results.append(
            {
                "seconds": seconds,
                "events_per_s": manifest.events_total / seconds,
                "mb_per_s": manifest.bytes / seconds / 1e6,
            }
        )
        echo(f"  generator run {run + 1}/{runs}: {results[-1]['events_per_s']:,.0f} events/s")
    assert manifest is not None
    summary = summarise_runs(results, ["seconds", "events_per_s", "mb_per_s"])
    summary.update({"events": manifest.events_total, "bytes": manifest.bytes})
    return summary


# --- LocalStack instances --------------------------------------------------------------------


def bench_settings(root: Path, name: str) -> Settings:
    state = root / name
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    return Settings(port=free_port(), state_dir=state, mode="host", startup_timeout=180.0)


@contextlib.contextmanager
def sandbox_instance(root: Path, echo: Echo) -> Iterator[tuple[Settings, Any]]:
    """A provisioned sandbox (LocalStack with the plugin + ``terraform/`` applied)."""
    from sandbox.infra.outputs import read_outputs
    from sandbox.infra.terraform import Terraform

    settings = bench_settings(root, "sandbox")
    started = time.monotonic()
    localstack.start_host(settings)
    try:
        terraform = Terraform(settings)
        with _output_to(settings.state_dir / "terraform.log"):
            terraform.init()
            terraform.apply()
        echo(f"  sandbox on port {settings.port} provisioned in {time.monotonic() - started:.1f}s")
        yield settings, read_outputs(settings)
    finally:
        localstack.stop_host(settings)


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (and its children's) to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


@contextlib.contextmanager
def plain_instance(root: Path, echo: Echo) -> Iterator[Settings]:
    """LocalStack 4.14.0 without the sandbox's providers (its own Firehose), for the baseline.

    ``sandbox_providers=False`` waits for S3 and Firehose only and turns off the sandbox's
    snapshots, which would otherwise cost a core's worth of work every 10 s during the runs."""
    settings = bench_settings(root, "baseline")
    started = time.monotonic()
    localstack.start_host(settings, sandbox_providers=False)
    try:
        echo(f"  plain LocalStack on port {settings.port} up in {time.monotonic() - started:.1f}s")
        yield settings
    finally:
        localstack.stop_host(settings)


# --- ingest ----------------------------------------------------------------------------------


def _clear_lake(settings: Settings, bucket: str) -> None:
    s3 = settings.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[i : i + 1000]})


def _send(
    settings: Settings, streams: Sequence[str], records: Records, concurrency: int
) -> dict[str, Any]:
    reports = send_to_streams(
        streams,
        records.data,
        client_factory(settings, concurrency),
        line_numbers=records.line_numbers,
        concurrency=concurrency,
    )
    failed = sum(r.failed for r in reports.values())
    if failed:
        raise PlatformError(f"{failed} records were never accepted: {reports}")
    return {
        "sent": sum(r.sent for r in reports.values()),
        "bytes_sent": sum(r.bytes_sent for r in reports.values()),
        "retried": sum(r.retried for r in reports.values()),
        "calls": sum(r.calls for r in reports.values()),
    }


def sandbox_run(
    settings: Settings, outputs: Any, records: Records, concurrency: int
) -> dict[str, Any]:
    """One ingest into both Terraform streams: first PutRecordBatch to all delivered (flush)."""
    pid = localstack.read_pid(settings)
    streams = [outputs.json_stream, outputs.parquet_stream]
    _clear_lake(settings, outputs.bucket)
    before = admin.stats(settings)
    with RssSampler(pid or 0) as rss:
        started = time.perf_counter()
        sent = _send(settings, streams, records, concurrency)
        sending = time.perf_counter() - started
        admin.flush(settings)
        seconds = time.perf_counter() - started
    after = admin.stats(settings)

    def delta(key: str) -> int:
        return sum(after[s].get(key, 0) - before.get(s, {}).get(key, 0) for s in streams)

    landed = delta("delivered") + delta("errored")
    if landed != sent["sent"] or any(after[s].get("buffered") for s in streams):
        raise PlatformError(f"sent {sent['sent']} records but {landed} were delivered")
    # Untimed: save the lake snapshot now rather than during the next stage's measurement.
    with contextlib.suppress(PlatformError):
        admin.save_snapshot(settings)
    return {
        **sent,
        "records": sent["sent"],
        "seconds": seconds,
        "sending_seconds": sending,
        "flush_seconds": seconds - sending,
        "records_per_s": sent["sent"] / seconds,
        "mb_per_s": sent["bytes_sent"] / seconds / 1e6,
        "peak_rss_bytes": rss.peak if pid else None,
        "errored": delta("errored"),
    }


def summarise_sandbox(
    results: list[dict[str, Any]], settings: Settings, concurrency: int
) -> dict[str, Any]:
    summary = summarise_runs(
        results,
        ["seconds", "sending_seconds", "flush_seconds", "records_per_s", "mb_per_s", "records"],
    )
    pid = localstack.read_pid(settings)
    summary["peak_rss_bytes"] = max((r["peak_rss_bytes"] or 0) for r in results) or None
    summary["peak_rss_first_run_bytes"] = results[0]["peak_rss_bytes"]
    summary["vm_hwm_bytes"] = vm_hwm(pid) if pid else None
    summary["errored"] = results[-1]["errored"]
    summary["concurrency"] = concurrency
    return summary


BASELINE_STREAMS = ("baseline-json", "baseline-parquet")


def baseline_setup(settings: Settings) -> None:
    """Two streams with a plain S3 destination on plain LocalStack (one per Terraform stream)."""
    settings.client("s3").create_bucket(Bucket=BASELINE_BUCKET)
    firehose = settings.client("firehose")
    for name in BASELINE_STREAMS:
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            S3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::000000000000:role/bench",
                "BucketARN": f"arn:aws:s3:::{BASELINE_BUCKET}",
                "Prefix": f"{name}/",
            },
        )


def baseline_run(settings: Settings, records: Records, concurrency: int) -> dict[str, Any]:
    """The same batches through plain LocalStack's Firehose."""
    _clear_lake(settings, BASELINE_BUCKET)
    started = time.perf_counter()
    # LocalStack's own Firehose writes each call's records to S3 before it answers.
    sent = _send(settings, BASELINE_STREAMS, records, concurrency)
    seconds = time.perf_counter() - started
    return {
        "records": sent["sent"],
        "seconds": seconds,
        "records_per_s": sent["sent"] / seconds,
        "mb_per_s": sent["bytes_sent"] / seconds / 1e6,
    }


def summarise_baseline(results: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    summary = summarise_runs(results, ["seconds", "records_per_s", "mb_per_s", "records"])
    summary["concurrency"] = concurrency
    return summary


# --- engine alone ----------------------------------------------------------------------------


def engine_run(
    records: Records,
    destinations: dict[str, dict[str, Any]],
    columns: list[tuple[str, str]],
) -> dict[str, Any]:
    """The delivery engine in-process on the same records and the deployed streams, no HTTP."""
    from benchmarks.engine import streams_throughput

    return streams_throughput(destinations, records.data, columns)


def summarise_engine(results: list[dict[str, Any]], streams: Sequence[str]) -> dict[str, Any]:
    summary = summarise_runs(results, ["seconds", "records_per_s", "mb_per_s", "records"])
    summary["streams"] = list(streams)
    return summary


def deployed_destinations(
    settings: Settings, outputs: Any
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """The Terraform streams' destinations (``DescribeDeliveryStream``) and the Parquet table's
    columns (``GetTable``), as deployed: what the engine-alone runs are configured with."""
    firehose = settings.client("firehose")
    destinations = {}
    for name in (outputs.json_stream, outputs.parquet_stream):
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)
        destination = description["DeliveryStreamDescription"]["Destinations"][0]
        destinations[name] = destination["ExtendedS3DestinationDescription"]
    table = settings.client("glue").get_table(
        DatabaseName=outputs.database, Name=outputs.parquet_table
    )["Table"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    return destinations, columns


# --- queries ---------------------------------------------------------------------------------


def queries(
    settings: Settings, outputs: Any, manifest_path: Path | None, runs: int, echo: Echo
) -> dict[str, Any]:
    """Every analysis-pack query on both tables: median seconds and bytes scanned."""
    from sandbox.query import Session
    from sandbox.query.analysis.pack import check_manifest, load_pack, run_pack

    tables = {"json": outputs.json_table, "parquet": outputs.parquet_table}
    pack = load_pack()
    samples: dict[str, dict[str, list[Any]]] = {}
    checks_ok: bool | None = None
    with Session(settings, database=outputs.database) as session:
        for table in tables.values():
            session.execute(f"MSCK REPAIR TABLE {table}")
        for run in range(runs):
            pack_runs = run_pack(session, tables, pack)
            for pack_run in pack_runs:
                if pack_run.error or pack_run.result is None:
                    raise PlatformError(
                        f"query {pack_run.query.name} on {pack_run.table}: {pack_run.error}"
                    )
                entry = samples.setdefault(pack_run.query.name, {}).setdefault(pack_run.label, [])
                entry.append((pack_run.result.seconds, pack_run.result.bytes_scanned))
            if run == 0 and manifest_path is not None:
                from sandbox.generate import read_manifest

                checks = check_manifest(pack_runs, read_manifest(manifest_path))
                checks_ok = all(c.ok for c in checks)
            echo(f"  query pack run {run + 1}/{runs} done")
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, by_label in samples.items():
        out[name] = {
            label: {
                "seconds": median(s for s, _ in values),
                "bytes_scanned": int(median(b for _, b in values) or 0),
                "runs": len(values),
            }
            for label, values in by_label.items()
        }
    return {
        "runs": runs,
        "queries": out,
        "manifest_checks": "all match"
        if checks_ok
        else ("mismatch" if checks_ok is False else "-"),
    }


# --- cold start ------------------------------------------------------------------------------


def cold_start(root: Path, runs: int, echo: Echo) -> dict[str, Any]:
    """Wall time of ``sandbox up`` (LocalStack + tflocal init/apply) on a fresh state folder."""
    sandbox_cli = Path(sys.executable).parent / "sandbox"
    results = []
    for run in range(runs):
        settings = bench_settings(root, f"cold-{run + 1}")
        state = settings.state_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_"))}
        env.update(
            {
                "SANDBOX_PORT": str(settings.port),
                "SANDBOX_STATE_DIR": str(state),
                "SANDBOX_MODE": "host",
            }
        )
        started = time.perf_counter()
        proc = subprocess.run(
            [str(sandbox_cli), "up"], env=env, capture_output=True, text=True, check=False
        )
        up_seconds = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(
            [str(sandbox_cli), "down"], env=env, capture_output=True, text=True, check=False
        )
        down_seconds = time.perf_counter() - started
        if proc.returncode != 0:
            raise PlatformError(f"`sandbox up` failed: {(proc.stderr or proc.stdout)[-500:]}")
        result: dict[str, float | None] = {"seconds": up_seconds, "down_seconds": down_seconds}
        # `sandbox up` prints "... healthy ... after 5.1s" and "... applied ... in 12.3s".
        healthy = re.search(r"healthy at \S+ after ([\d.]+)s", proc.stdout)
        applied = re.search(r"applied with tflocal in ([\d.]+)s", proc.stdout)
        result["localstack_seconds"] = float(healthy.group(1)) if healthy else None
        result["terraform_seconds"] = float(applied.group(1)) if applied else None
        results.append(result)
        echo(f"  cold start run {run + 1}/{runs}: up {up_seconds:.1f}s, down {down_seconds:.1f}s")
        shutil.rmtree(state, ignore_errors=True)
    return summarise_runs(
        results, ["seconds", "down_seconds", "localstack_seconds", "terraform_seconds"]
    )


def load_records(path: Path) -> Records:
    return read_records(path, "send", False)


# --- Athena's API (issue 13) -----------------------------------------------------------------

# Real Athena's queueing and planning before a query's own work: "about a second per query"
# (issue 13). No AWS page found gives a number; the statistics that make it up are named in the
# Athena API reference, "QueryRuntimeStatisticsTimeline" (QueryQueueTimeInMillis,
# ServicePreProcessingTimeInMillis, QueryPlanningTimeInMillis).
REAL_ATHENA_SECONDS = 1.0
PAGINATION_ROWS = 100_000
SELECT1_POLL = 0.002  # GetQueryExecution every 2 ms in the boto3 SELECT 1 loop
MIXED_CLIENTS = 4
PAGING_PASSES = 2  # paging passes on each kind of connection, alternated (the faster counts)
MIXED_ROUNDS = 2  # ingest alone / under query load, alternated


class _Timed:
    """An engine whose every ``execute`` is timed from the caller's side (wall clock)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.seconds: list[float] = []

    def execute(self, sql: str) -> Any:
        started = time.perf_counter()
        try:
            return self.engine.execute(sql)
        finally:
            self.seconds.append(time.perf_counter() - started)


def _sandbox_athena(settings: Settings, outputs: Any) -> Any:
    from sandbox.query.engine.athena import AthenaEngine

    return AthenaEngine.for_sandbox(
        settings, workgroup=outputs.workgroup, database=outputs.database
    )


def athena_api(settings: Settings, outputs: Any, runs: int, echo: Echo) -> dict[str, Any]:
    """``SELECT 1`` through the API, the pack through the API next to the engine alone (the
    same statements, alternated), and GetQueryResults paging 100k rows, all with boto3."""
    from sandbox.query import Session
    from sandbox.query.analysis.pack import load_pack, run_pack

    api = _sandbox_athena(settings, outputs)
    athena = settings.client("athena")
    for _ in range(3):  # warm-up: connections, the engine's first session
        api.execute("SELECT 1")
    select1: list[float] = []
    select1_cli: list[float] = []
    for _ in range(max(30, 30 * runs)):
        # boto3 as a program would call it (submit, poll every SELECT1_POLL s, fetch the page),
        # then the CLI's own client (AthenaEngine: polls back off from 2 ms to 20 ms).
        started = time.perf_counter()
        execution = _run_to_the_end(athena, outputs, "SELECT 1", timeout=60, poll=SELECT1_POLL)
        athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
        select1.append(time.perf_counter() - started)
        if execution["Status"]["State"] != "SUCCEEDED":
            raise PlatformError(f"SELECT 1 {execution['Status']}")
        started = time.perf_counter()
        api.execute("SELECT 1")
        select1_cli.append(time.perf_counter() - started)
    select1_ms = statistics.median(select1) * 1000
    select1_cli_ms = statistics.median(select1_cli) * 1000
    echo(
        f"  SELECT 1 through the API: median {select1_ms:.1f} ms (boto3), "
        f"{select1_cli_ms:.1f} ms (the CLI's client)"
    )
    server_ms = _server_side_ms(settings, outputs, "SELECT 1", 10)
    pyathena_ms = _pyathena_select1_ms(settings, outputs, 10)

    tables = {"json": outputs.json_table, "parquet": outputs.parquet_table}
    pack = load_pack()
    per_query: dict[str, dict[str, list[float]]] = {}
    with Session(settings, database=outputs.database) as session:
        for table in tables.values():
            api.execute(f"MSCK REPAIR TABLE {table}")
            session.execute(f"SELECT count(*) FROM {table}")  # warm-up, as the API's sessions
        for run in range(runs):
            for label, engine in (("api", api), ("engine", session)):
                timed = _Timed(engine)

                def record(pack_run: Any, label: str = label, timed: _Timed = timed) -> None:
                    if pack_run.error:
                        raise PlatformError(
                            f"{label}: query {pack_run.query.name} on {pack_run.table}: "
                            f"{pack_run.error}"
                        )
                    # The run's own statement was the last one (SHOW PARTITIONS comes before).
                    name = f"{pack_run.query.name}/{pack_run.label}"
                    per_query.setdefault(name, {}).setdefault(label, []).append(timed.seconds[-1])

                run_pack(timed, tables, pack, on_run=record)
            echo(f"  pack through the API and in the engine alone, run {run + 1}/{runs} done")
    pack_rows = {
        name: {label: median(values) for label, values in by_label.items()}
        for name, by_label in per_query.items()
    }
    return {
        "select1_ms": select1_ms,
        "select1_p90_ms": sorted(select1)[int(len(select1) * 0.9)] * 1000,
        "select1_runs": len(select1),
        "select1_poll_ms": SELECT1_POLL * 1000,
        "select1_cli_ms": select1_cli_ms,
        "select1_server_ms": server_ms,
        "select1_pyathena_ms": pyathena_ms,
        "real_athena_seconds": REAL_ATHENA_SECONDS,
        "pack": pack_rows,
        "pack_runs": runs,
        "pagination": _pagination(settings, outputs),
    }


_FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")


def _run_to_the_end(
    athena: Any, outputs: Any, sql: str, *, timeout: float, poll: float
) -> dict[str, Any]:
    """Start ``sql`` in the outputs' workgroup and database, poll GetQueryExecution until it
    finishes or ``timeout`` passes: the last QueryExecution seen (running, if it timed out)."""
    query_id = athena.start_query_execution(
        QueryString=sql,
        WorkGroup=outputs.workgroup,
        QueryExecutionContext={"Database": outputs.database},
    )["QueryExecutionId"]
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in _FINISHED or time.monotonic() > deadline:
            return execution
        time.sleep(poll)


def _server_side_ms(settings: Settings, outputs: Any, sql: str, runs: int) -> dict[str, Any]:
    """What the endpoint itself reports for ``sql`` (medians of GetQueryExecution's Statistics):
    the part of the client's time spent inside the service."""
    athena = settings.client("athena")
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        execution = _run_to_the_end(athena, outputs, sql, timeout=60, poll=0.005)
        for key, value in execution.get("Statistics", {}).items():
            if key.endswith("InMillis"):
                samples.setdefault(key.removesuffix("InMillis"), []).append(float(value))
    return {key: median(values) for key, values in samples.items()}


def _pyathena_select1_ms(settings: Settings, outputs: Any, runs: int) -> float | None:
    """Median ms of ``SELECT 1`` through a PyAthena cursor (execute and fetchall; it polls
    GetQueryExecution once a second), or None when PyAthena is not installed (test extra)."""
    try:
        from pyathena import connect
    except ImportError:
        return None
    cursor = connect(
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        work_group=outputs.workgroup,
        schema_name=outputs.database,
    ).cursor()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def _pagination(settings: Settings, outputs: Any) -> dict[str, Any]:
    """Rows/s of paging through a 100k-row result with boto3's GetQueryResults paginator, on a
    kept connection and with ``Connection: close`` on every call (the faster of
    ``PAGING_PASSES`` alternated passes each)."""
    athena = settings.client("athena")
    sql = (
        f"SELECT x, CAST(x AS varchar) AS text FROM UNNEST(sequence(1, {PAGINATION_ROWS})) AS t(x)"
    )
    execution = _run_to_the_end(athena, outputs, sql, timeout=300, poll=0.01)
    query_id, status = execution["QueryExecutionId"], execution["Status"]
    if status["State"] not in _FINISHED:
        raise PlatformError(f"the {PAGINATION_ROWS:,}-row query did not finish in 300 s")
    if status["State"] != "SUCCEEDED":
        raise PlatformError(f"the {PAGINATION_ROWS:,}-row query {status['State']}: {status}")
    bodies: list[bytes] = []
    athena.meta.events.register(
        "after-call.athena.GetQueryResults",
        lambda http_response, **_: bodies.append(http_response.content),
    )
    # The same pages on a client that asks for ``Connection: close`` on every call (a new TCP
    # connection per page, as every call had before Athena's answers kept their connection),
    # alternated with the kept connection, twice each: the faster pass of each counts (another
    # program on the machine only ever slows a pass down).
    closing = settings.client("athena")
    closing.meta.events.register(
        "before-send.athena.*",
        lambda request, **_: request.headers.__setitem__("Connection", "close"),
    )
    kept_passes, closing_passes = [], []
    for _ in range(PAGING_PASSES):
        kept_passes.append(_page_through(athena, query_id))
        closing_passes.append(_page_through(closing, query_id))
    rows, pages, here_seconds = min(kept_passes, key=lambda p: p[2])
    closing_seconds = min(p[2] for p in closing_passes)
    # The figure that counts comes from a client process of its own, as a user's program is:
    # this process holds the whole data set (~280,000 records), and its garbage collector walks
    # that heap while boto3 builds each page's ~3,000 dicts (1-1.5 ms a page more, measured).
    seconds = _page_in_a_fresh_process(settings, query_id)
    return {
        "rows": rows,
        "pages": pages,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "bench_process_rows_per_s": rows / here_seconds,
        "client_parse_ms_per_page": _parse_ms(athena, bodies[len(bodies) // 2]),
        "connection_close_rows_per_s": rows / closing_seconds,
    }


def _page_in_a_fresh_process(settings: Settings, query_id: str) -> float:
    """The faster of ``PAGING_PASSES`` paginator passes from a new Python process (seconds)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return float(pool.apply(_fresh_passes, (settings, query_id)))


def _fresh_passes(settings: Settings, query_id: str) -> float:
    athena = settings.client("athena")
    return min(_page_through(athena, query_id)[2] for _ in range(PAGING_PASSES))


def _page_through(athena: Any, query_id: str) -> tuple[int, int, float]:
    """(rows without the header, pages, seconds) of boto3's paginator over a whole result."""
    started = time.perf_counter()
    rows = pages = 0
    paginator = athena.get_paginator("get_query_results")
    for page in paginator.paginate(QueryExecutionId=query_id, PaginationConfig={"PageSize": 1000}):
        rows += len(page["ResultSet"]["Rows"])
        pages += 1
    seconds = time.perf_counter() - started
    rows -= 1  # the header row
    if rows != PAGINATION_ROWS:
        raise PlatformError(f"paged {rows} rows, expected {PAGINATION_ROWS}")
    return rows, pages, seconds


def _parse_ms(athena: Any, body: bytes, runs: int = 20) -> float:
    """Milliseconds boto3 itself spends parsing one GetQueryResults page (the client's share of
    the paging time, which no endpoint can remove)."""
    from botocore.parsers import create_parser

    shape = athena.meta.service_model.operation_model("GetQueryResults").output_shape
    parser = create_parser("json")
    seconds = []
    for _ in range(runs):  # the median: one parse preempted by another program is not the cost
        started = time.perf_counter()
        parser.parse({"status_code": 200, "headers": {}, "body": body}, shape)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000


def _ingest_once(
    settings: Settings, outputs: Any, records: Records, concurrency: int
) -> dict[str, Any]:
    """Send every record to both streams and flush (the lake is kept: queries may read it)."""
    streams = [outputs.json_stream, outputs.parquet_stream]
    started = time.perf_counter()
    sent = _send(settings, streams, records, concurrency)
    admin.flush(settings)
    seconds = time.perf_counter() - started
    return {"records": sent["sent"], "seconds": seconds, "records_per_s": sent["sent"] / seconds}


def mixed_load(
    settings: Settings, outputs: Any, records: Records, concurrency: int, echo: Echo
) -> dict[str, Any]:
    """Ingest alone, then the same ingest while 4 clients run the pack through the API in a
    loop, ``MIXED_ROUNDS`` times alternated (the machine's load drifts over both alike): the
    median of the rounds' records/s ratios, and the clients' queries and errors."""
    rounds = []
    for number in range(MIXED_ROUNDS):
        alone = _ingest_once(settings, outputs, records, concurrency)
        echo(f"  round {number + 1}: ingest alone: {alone['records_per_s']:,.0f} records/s")
        loaded = _ingest_under_queries(settings, outputs, records, concurrency)
        echo(
            f"  round {number + 1}: ingest with {MIXED_CLIENTS} pack clients: "
            f"{loaded['records_per_s']:,.0f} records/s, {loaded['queries']} queries, "
            f"{len(loaded['errors'])} errors"
        )
        rounds.append({"alone": alone, "loaded": loaded})
    ratios = [r["loaded"]["records_per_s"] / r["alone"]["records_per_s"] for r in rounds]
    return {
        "clients": MIXED_CLIENTS,
        "rounds": len(rounds),
        "alone_records_per_s": median([r["alone"]["records_per_s"] for r in rounds]),
        "loaded_records_per_s": median([r["loaded"]["records_per_s"] for r in rounds]),
        "ratio": median(ratios),
        "ratios": ratios,
        "queries": sum(r["loaded"]["queries"] for r in rounds),
        "query_median_seconds": median([t for r in rounds for t in r["loaded"]["seconds"]]),
        "errors": [e for r in rounds for e in r["loaded"]["errors"]],
    }


def _ingest_under_queries(
    settings: Settings, outputs: Any, records: Records, concurrency: int
) -> dict[str, Any]:
    """One ingest while ``MIXED_CLIENTS`` clients run the pack through the API until it ends."""
    import threading

    from sandbox.query.analysis.pack import last_event_day, load_pack, pick_partition, render

    tables = {"json": outputs.json_table, "parquet": outputs.parquet_table}
    pack = load_pack()
    stop = threading.Event()
    done = [0] * MIXED_CLIENTS
    errors: list[str] = []
    seconds: list[float] = []

    def client(index: int) -> None:
        engine = _Timed(_sandbox_athena(settings, outputs))
        try:
            # Every placeholder the pack has (as run_pack fills them): a partition, the last day.
            partitions = {
                t: {**pick_partition(engine, t), "event_day": last_event_day(engine, t)}
                for t in tables.values()
            }
            while not stop.is_set():
                for query in pack:
                    for table in tables.values():
                        if stop.is_set():
                            return
                        engine.execute(render(query, {"table": table, **partitions[table]}))
                        done[index] += 1
        except Exception as exc:  # every failure counts: the target is no query error
            errors.append(f"client {index}: {type(exc).__name__}: {exc}")
        finally:
            seconds.extend(engine.seconds)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(MIXED_CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        loaded = _ingest_once(settings, outputs, records, concurrency)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=600)
    return {**loaded, "queries": sum(done), "errors": errors, "seconds": seconds or [0.0]}
