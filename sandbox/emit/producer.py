"""Sending records to delivery streams with PutRecordBatch: retries, concurrency, reports.

Works with any object that has boto3's ``put_record_batch`` (tests pass a fake). The clients
must be built with botocore's own retries off, so that :func:`put_batch` is the only retry
logic that runs and the counts in the report are true.

Retries (Amazon Data Firehose developer guide, "PutRecordBatch" and "Error handling"):

- a partial failure (``FailedPutCount`` > 0) re-sends only the entries whose
  ``RequestResponses`` item has an ``ErrorCode``, in their original order;
- a throttling or server-side exception (``ThrottlingException``,
  ``ServiceUnavailableException``, HTTP 5xx, connection reset or timeout) re-sends the whole
  pending set;
- waits are exponential with full jitter, and a batch gives up after ``max_attempts`` calls:
  records still failing are counted in ``failed`` with their line numbers;
- ``ResourceNotFoundException`` and other client errors stop the run at once; so does a refused
  connection that persists through all attempts (the emulator is down).

Delivery is at-least-once, as with Firehose itself: a call that timed out may have been
accepted, and its re-send then duplicates records.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from sandbox.emit.batching import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, plan_batches
from sandbox.emit.errors import EmitError, EmulatorDownError, StreamNotFoundError

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "LimitExceededException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalFailureException",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "SlowDown",
    }
)
TRANSIENT_EXCEPTIONS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
FAILED_LINES_KEPT = 100

Sleep = Callable[[float], None]
Batch = tuple[int, int]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8  # calls per batch, the first one included
    base_delay: float = 0.05
    max_delay: float = 5.0

    def delay(self, retry: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(retry - 1))]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (retry - 1)))


@dataclass
class BatchOutcome:
    sent: int = 0
    bytes_sent: int = 0
    failed: list[int] = field(default_factory=list)  # indexes (in the batch) never accepted
    retried: int = 0  # record re-sends
    calls: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)


_Job = Future[tuple[Batch, list[BatchOutcome]]]


@dataclass
class EmitReport:
    """What happened to one stream's share of the file."""

    stream: str
    records: int = 0  # records eligible for sending
    sent: int = 0  # accepted by Firehose
    failed: int = 0  # still rejected after the last attempt
    retried: int = 0  # record re-sends (one record retried twice counts 2)
    rejected_oversize: int = 0  # over 1,000 KiB: never sent
    skipped_bad_lines: int = 0  # not a JSON object, with on_bad_line="skip"
    batches: int = 0  # batches planned
    calls: int = 0  # PutRecordBatch calls, retries included
    bytes_sent: int = 0
    seconds: float = 0.0
    error_codes: dict[str, int] = field(default_factory=dict)  # per-record error counts
    failed_lines: list[int] = field(default_factory=list)  # first FAILED_LINES_KEPT

    @property
    def records_per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes_sent / 1e6 / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        parts = [
            f"{self.stream}: sent {self.sent:,}/{self.records:,}",
            f"failed {self.failed:,}",
            f"retried {self.retried:,}",
            f"oversize {self.rejected_oversize:,}",
        ]
        if self.skipped_bad_lines:
            parts.append(f"bad lines skipped {self.skipped_bad_lines:,}")
        parts.append(
            f"{self.calls:,} calls for {self.batches:,} batches in {self.seconds:.1f} s "
            f"({self.records_per_second:,.0f} records/s, {self.mb_per_second:.1f} MB/s)"
        )
        if self.error_codes:
            parts.append(
                "errors " + ", ".join(f"{c} x{n:,}" for c, n in sorted(self.error_codes.items()))
            )
        return ", ".join(parts)


def put_batch(
    client: Any,
    stream: str,
    records: Sequence[bytes],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Sleep = time.sleep,
    rng: random.Random | None = None,
    endpoint: str = "",
) -> BatchOutcome:
    """Send one batch (already within the limits), retrying failures per the module doc."""
    rng = rng or random.Random()
    outcome = BatchOutcome()
    pending = list(range(len(records)))
    attempt = 0
    while pending:
        attempt += 1
        outcome.calls += 1
        refused = False
        try:
            response = client.put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": records[i]} for i in pending]
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Unknown"))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if code == "ResourceNotFoundException":
                raise StreamNotFoundError(
                    f"delivery stream {stream} not found; run `make up`"
                ) from None
            if code not in RETRYABLE_CODES and status < 500:
                message = str(error.get("Message", "")).splitlines()[0:1]
                raise EmitError(
                    f"PutRecordBatch to {stream} failed: {code}"
                    + (f": {message[0]}" if message else "")
                ) from None
            outcome.error_codes[code] += len(pending)
            still_failing = pending
        except TRANSIENT_EXCEPTIONS as exc:
            refused = isinstance(exc, EndpointConnectionError)
            outcome.error_codes[type(exc).__name__] += len(pending)
            still_failing = pending
        else:
            still_failing = _failed_entries(response, pending, outcome.error_codes)
            if len(still_failing) != len(pending):
                failing = set(still_failing)
                accepted = [i for i in pending if i not in failing] if failing else pending
                outcome.sent += len(accepted)
                outcome.bytes_sent += sum(len(records[i]) for i in accepted)
        if not still_failing:
            break
        if attempt >= policy.max_attempts:
            if refused:
                raise EmulatorDownError(f"no emulator at {endpoint}; run `make up`")
            outcome.failed = list(still_failing)
            break
        outcome.retried += len(still_failing)
        pending = list(still_failing)
        sleep(policy.delay(attempt, rng))
    return outcome


def _failed_entries(response: dict, pending: list[int], codes: Counter[str]) -> list[int]:
    """Indexes of ``pending`` whose entry in ``RequestResponses`` carries an ``ErrorCode``."""
    failed_count = int(response.get("FailedPutCount") or 0)
    entries = response.get("RequestResponses") or []
    if len(entries) != len(pending):
        if failed_count == 0:
            return []
        codes["UnmatchedResponse"] += len(pending)
        return list(pending)  # cannot tell which ones failed: re-send all (at-least-once)
    failed = []
    for index, entry in zip(pending, entries, strict=True):
        code = entry.get("ErrorCode")
        if code:
            codes[str(code)] += 1
            failed.append(index)
    if failed_count and not failed:
        codes["UnmatchedResponse"] += len(pending)
        return list(pending)
    return failed


def send_records(
    stream: str,
    records: Sequence[bytes],
    client_factory: Callable[[], Any],
    *,
    line_numbers: Sequence[int] | None = None,
    concurrency: int = 1,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Sleep = time.sleep,
    on_progress: Callable[[int], None] | None = None,
    endpoint: str = "",
    max_batch_records: int = MAX_BATCH_RECORDS,
    max_batch_bytes: int = MAX_BATCH_BYTES,
) -> EmitReport:
    """Send ``records`` (each within the record limit) to ``stream``; return the report.

    ``client_factory`` is called once per worker thread (boto3 clients are thread-safe, but
    one per thread keeps connection pools and retries independent). ``on_progress`` gets the
    number of records finished (sent or given up) after each batch, from the calling thread.
    """
    reports = send_to_streams(
        [stream],
        records,
        client_factory,
        line_numbers=line_numbers,
        concurrency=concurrency,
        policy=policy,
        sleep=sleep,
        on_progress=(lambda _stream, n: on_progress(n)) if on_progress is not None else None,
        endpoint=endpoint,
        max_batch_records=max_batch_records,
        max_batch_bytes=max_batch_bytes,
    )
    return reports[stream]


def send_to_streams(
    streams: Sequence[str],
    records: Sequence[bytes],
    client_factory: Callable[[], Any],
    *,
    line_numbers: Sequence[int] | None = None,
    concurrency: int = 1,
    policy: RetryPolicy = RetryPolicy(),
    sleep: Sleep = time.sleep,
    on_progress: Callable[[str, int], None] | None = None,
    endpoint: str = "",
    max_batch_records: int = MAX_BATCH_RECORDS,
    max_batch_bytes: int = MAX_BATCH_BYTES,
) -> dict[str, EmitReport]:
    """Send ``records`` to every stream in ``streams``; one report per stream, in order.

    The batches are planned once; each worker takes a batch and sends it to every stream in
    turn, so the streams fill together (one pass over the data, not one per stream) and a
    server receiving the same batch for two streams gets the calls back to back. Each report's
    ``seconds`` is the whole run's. ``on_progress(stream, n)`` is called from the calling
    thread after each batch and stream.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    if len(set(streams)) != len(streams):
        raise ValueError("each stream may be given only once")
    started = time.perf_counter()
    batches = plan_batches([len(r) for r in records], max_batch_records, max_batch_bytes)
    reports = {
        stream: EmitReport(stream=stream, records=len(records), batches=len(batches))
        for stream in streams
    }
    codes: dict[str, Counter[str]] = {stream: Counter() for stream in streams}
    local = threading.local()

    def run(batch: Batch) -> tuple[Batch, list[BatchOutcome]]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = client_factory()
            local.rng = random.Random()
        start, end = batch
        chunk = records[start:end]
        outcomes = [
            put_batch(client, stream, chunk, policy, sleep, local.rng, endpoint)
            for stream in streams
        ]
        return batch, outcomes

    def absorb(batch: Batch, outcomes: list[BatchOutcome]) -> None:
        for stream, outcome in zip(streams, outcomes, strict=True):
            report = reports[stream]
            report.sent += outcome.sent
            report.bytes_sent += outcome.bytes_sent
            report.retried += outcome.retried
            report.calls += outcome.calls
            report.failed += len(outcome.failed)
            codes[stream].update(outcome.error_codes)
            room = FAILED_LINES_KEPT - len(report.failed_lines)
            if outcome.failed and room > 0:
                start = batch[0]
                report.failed_lines.extend(
                    line_numbers[start + i] if line_numbers is not None else start + i + 1
                    for i in outcome.failed[:room]
                )
            if on_progress is not None:
                on_progress(stream, batch[1] - batch[0])

    if concurrency == 1:
        for batch in batches:
            absorb(*run(batch))
    else:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="emit") as pool:
            # Keep a bounded window in flight so progress and memory stay smooth.
            queue = iter(batches)
            inflight: set[_Job] = set()
            try:
                for batch in queue:
                    inflight.add(pool.submit(run, batch))
                    if len(inflight) >= 2 * concurrency:
                        inflight = _drain(inflight, absorb)
                while inflight:
                    inflight = _drain(inflight, absorb)
            except BaseException:
                for future in inflight:
                    future.cancel()
                raise
    elapsed = time.perf_counter() - started
    for stream, report in reports.items():
        report.error_codes = dict(codes[stream])
        report.failed_lines.sort()
        report.seconds = elapsed
    return reports


def _drain(inflight: set[_Job], absorb: Callable[[Batch, list[BatchOutcome]], None]) -> set[_Job]:
    done, rest = wait(inflight, return_when=FIRST_COMPLETED)
    for future in done:
        absorb(*future.result())  # re-raises a worker's error in this thread
    return rest
