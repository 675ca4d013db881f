"""The delivery engine: buffers accepted records and turns them into S3 objects (or, for an
Iceberg destination, into one commit per table: :class:`IcebergCommit`, rendered by
:mod:`~sandbox.firehose.iceberg`'s rules and committed by the sink).

Owns: per-stream state (configuration, buffers, counters), buffering ("Configure buffering
hints": delivery when ``SizeInMBs`` or ``IntervalInSeconds`` is reached, whichever comes
first; the interval counts from the oldest record in the buffer), dynamic partitioning (one
buffer per partition, the active-partition limit), error routing, retries and the accounting
invariant ``accepted = delivered + errored + buffered``.

Lifecycle of a record: ``put_records`` runs the processors outside the lock, then appends the
record to its partition's buffer (or to the stream's error buffer) under the lock: from then on
it is *accepted* and *buffered*. A buffer that is due is detached to the stream's ``ready``
queue, rendered into one or more S3 objects (data object, and a format-conversion-failed error
object when conversion rejects some records) outside the lock, and written by ``sink`` outside
the lock. Records stay *buffered* until ``sink`` returns; only then do they count as
*delivered* or *errored*. A failing ``sink`` (bucket deleted, S3 down) keeps the rendered object
at the head of the stream's ``pending`` queue; every later ``tick``/``flush`` retries it first
and nothing behind it is written before it succeeds, so order is kept and nothing is dropped
("Handle data delivery failures": Firehose keeps retrying an S3 delivery).

Threads: one engine lock guards all state; each stream has a delivery lock so that only one
thread renders and writes that stream's objects at a time (``tick`` skips a busy stream,
``flush`` and a size-triggered ``put_records`` wait for it). An Iceberg stream's commit may take
many seconds: ``tick`` runs it in a thread of its own, and ``put_records`` leaves a full buffer
to the timer instead of committing it before the call answers.

Reconfiguring a stream delivers what it buffered under the old configuration first (objects
named with the old version), then applies the new one. Deleting a stream delivers its buffers
before forgetting it: AWS's DeleteDeliveryStream deletes the stream "and its data" without
delivery guarantees; the sandbox keeps its "nothing lost" promise instead.

Durability: with a ``journal`` (:class:`sandbox.firehose.wal.WriteAheadLog`), ``put_records``
returns only once the call's records are in the log, each buffered record carries its log id, an
object's ids are logged (and synced) before ``sink`` writes it and reported after; what the log
replays comes back through ``put_records(..., ids=...)``, which logs nothing again.

Not reproduced: multi-stage buffering (AWS may hold a partition up to 1.5x the interval),
the 24-hour retry limit after which AWS drops undeliverable data, dynamic buffer growth when
delivery falls behind, and CloudWatch metrics.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
import uuid
from array import array
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.core.limits import (
    DEFAULT_ACTIVE_PARTITIONS,
    MAX_EVALUATED_PREFIX_CHARS,
    MAX_S3_KEY_BYTES,
)
from sandbox.firehose.compression import Compressed, compress, compress_chunks, gzip_compressor
from sandbox.firehose.config import StreamConfig, parse_destination
from sandbox.firehose.conversion import Converter
from sandbox.firehose.error_output import (
    FORMAT_CONVERSION_FAILED,
    PROCESSING_FAILED,
    FailedRecord,
    render_error_lines,
)
from sandbox.firehose.errors import ResourceNotFoundError
from sandbox.firehose.iceberg import (
    ICEBERG_FAILED,
    IcebergTarget,
    RowFailure,
    TablePlan,
    parse_record,
    plan_table,
    record_row,
    route,
)
from sandbox.firehose.jq_worker import JqWorkers
from sandbox.firehose.prefixes import KeyLayout, object_name
from sandbox.firehose.processors import ExtractionFailure, MetadataExtractor, ResultMemo
from sandbox.firehose.wal import IdRun, split_runs

if TYPE_CHECKING:
    from sandbox.firehose.wal import WriteAheadLog

__all__ = ["DeliveryEngine", "IcebergCommit", "S3Object", "iceberg_commit_key"]

CONTENT_TYPE = "application/octet-stream"
ACTIVE_PARTITIONS_EXCEEDED = "DynamicPartitioning.ActivePartitionsLimitExceeded"
PREFIX_TOO_LONG = "DynamicPartitioning.PrefixTooLong"
SCHEMA_UNAVAILABLE = "DataFormatConversion.InvalidSchema"
INTERNAL_ERROR = "InternalError"
# Buffers of one stream rendered at once when several are due (flush, interval): bounds the
# memory of objects being built while letting compression use more than one core.
RENDER_THREADS = 3
_COUNTER_NAMES = (
    "accepted",
    "delivered",
    "errored",
    "buffered",
    "objects",
    "bytes",
    "error_objects",
    "delivery_failures",
)


@dataclass
class S3Object:
    """One object for the sink to PUT."""

    bucket: str
    key: str
    body: bytes
    content_type: str | None = None
    content_encoding: str | None = None


@dataclass
class IcebergCommit(S3Object):
    """One commit to one Iceberg table (Iceberg destinations): what the sink commits instead of
    PUTting an object. ``key`` (``iceberg://<db>/<table>/<commit id>``) names the commit in the
    write-ahead log; the commit carries ``commit_id`` in its snapshot summary, so a replay can
    tell whether it happened."""

    target: IcebergTarget | None = None
    plan: TablePlan | None = None
    commit_id: str = ""
    add_columns: dict[str, Any] = field(default_factory=dict)
    create_schema: Any = None  # a pyiceberg Schema when the table is to be created


ICEBERG_KEY_PREFIX = "iceberg://"


def iceberg_commit_key(database: str, table: str, commit_id: str) -> str:
    return f"{ICEBERG_KEY_PREFIX}{database}/{table}/{commit_id}"


Partition = tuple[str, ...] | None


@dataclass(slots=True)
class _Buffer:
    partition: Partition  # data buffers
    error_type: str | None  # error buffers
    oldest: float
    count: int = 0
    size: int = 0
    chunks: list[tuple[float, list[bytes]]] = field(default_factory=list)
    failures: list[FailedRecord] = field(default_factory=list)
    # GZIP data buffers: the object's bytes, compressed as records arrive (see put_records).
    gzip: Any = None
    gzipped: list[bytes] = field(default_factory=list)
    # With a journal: the log ids of the records, in the order of chunks (or failures).
    ids: list[IdRun] = field(default_factory=list)


@dataclass(slots=True)
class _Write:
    obj: S3Object
    delivered: int
    errored: int
    partition: Partition
    log: tuple[str, str] | None = None  # (errorCode, message) to log once written
    ids: list[IdRun] | None = None  # the journal's ids of the records the object holds
    intent_logged: bool = False


class _Stream:
    def __init__(
        self,
        name: str,
        version: str,
        config: StreamConfig,
        counters: Counter[str],
        memos: dict[tuple[str, tuple[str, ...]], ResultMemo] | None = None,
        jq_workers: JqWorkers | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.config = config
        self.counters = counters
        self.retired = False
        self.puts_in_progress = 0
        self.buffers: dict[tuple[str, Any], _Buffer] = {}
        self.ready: deque[_Buffer] = deque()
        self.pending: deque[_Write] = deque()
        self.partition_refs: Counter[Partition] = Counter()
        self.delivery_lock = threading.Lock()
        keys = tuple(key for _, key in config.layout.partition_keys)
        query = config.processors.query
        self.extractor = None
        if query and keys:
            # Streams with the same query share the results of records they both receive.
            memo = memos.setdefault((query, keys), ResultMemo()) if memos is not None else None
            self.extractor = MetadataExtractor(query, keys, memo, jq_workers)
        self.converter = Converter(config.conversion) if config.conversion else None
        self.gzip_on_put = (
            self.converter is None and config.iceberg is None and config.compression == "GZIP"
        )
        # Iceberg destinations: the routing query, and the tables' own error prefixes.
        self.router: Any = None
        # jq programs are not documented as thread-safe; buffers may render in parallel.
        self.router_lock = threading.Lock()
        self.error_layouts: dict[tuple[str, str], KeyLayout] = {}
        if config.iceberg is not None:
            if config.iceberg.routing_query:
                import jq

                self.router = jq.compile(config.iceberg.routing_query)
            for table in config.iceberg.tables:
                if table.error_prefix:
                    self.error_layouts[(table.database, table.table)] = KeyLayout.from_destination(
                        None, table.error_prefix, dynamic_partitioning=False
                    )

    def idle(self) -> bool:
        return not (self.buffers or self.ready or self.pending or self.puts_in_progress)


def _sink_error_code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return f"S3.{code}"
    return INTERNAL_ERROR


_FAILED = object()  # _process's positions key for the records that failed


def _run(ids: tuple[int, array[int] | None], where: list[int] | None, count: int) -> IdRun:
    """The log ids of ``count`` records of one call: ``where`` are their positions in the
    records given to ``put_records`` (None: all of them), ``ids`` the call's id and offsets."""
    base, offsets = ids
    if where is None:
        return (base, count, offsets)
    if offsets is None:
        return (base, count, array("I", where))
    return (base, count, array("I", [offsets[i] for i in where]))


def _ids(batch: _Buffer) -> list[IdRun] | None:
    return batch.ids or None


class DeliveryEngine:
    """Firehose's S3 delivery, in memory; see the module docstring for the model."""

    def __init__(
        self,
        sink: Callable[[S3Object], None],
        schema_lookup: Callable[[dict], list[tuple[str, str]]],
        clock: Callable[[], float] = time.time,
        log_sink: Callable[[str, str, str], None] | None = None,
        random_string: Callable[[], str] | None = None,
        *,
        active_partition_limit: int = DEFAULT_ACTIVE_PARTITIONS,
        jq_workers: JqWorkers | None = None,
        journal: WriteAheadLog | None = None,
        iceberg: Any = None,
    ) -> None:
        self._sink = sink
        # Iceberg destinations: ``iceberg.schema(target, database, table)`` is the table's
        # current pyiceberg Schema, or None if the table does not exist.
        self._iceberg = iceberg
        # Accepted records are logged here before put_records returns (None: memory only).
        self.journal = journal
        # MetadataExtraction's large batches run in these helper processes (None: in-process).
        # The pool belongs to whoever made the engine (the LocalStack provider); it may serve
        # several engines.
        self._jq_workers = jq_workers
        self._schema_lookup = schema_lookup
        self._clock = clock
        self._log_sink = log_sink
        self._random = random_string
        self.active_partition_limit = active_partition_limit
        self._lock = threading.Lock()
        self._streams: dict[str, _Stream] = {}
        self._retired: list[_Stream] = []
        self._counters: dict[str, Counter[str]] = {}
        self._memos: dict[tuple[str, tuple[str, ...]], ResultMemo] = {}

    # --- control plane -----------------------------------------------------------------------

    def configure_stream(self, name: str, version_id: str, destination: dict) -> None:
        """Create or reconfigure ``name``; what was buffered is delivered first, as before."""
        config = parse_destination(destination)
        with self._lock:
            counters = self._counters.setdefault(name, Counter())
            old = self._streams.get(name)
            self._streams[name] = _Stream(
                name, str(version_id), config, counters, self._memos, self._jq_workers
            )
            if self.journal is not None:  # under the lock: the log's order is the engine's
                self.journal.configured(name, str(version_id), destination)
            if old is not None:
                self._retire(old)
        if old is not None:
            self._drain(old, blocking=True)
            self._cleanup()

    def remove_stream(self, name: str) -> None:
        """Deliver ``name``'s buffers, then forget the stream (see the module docstring)."""
        with self._lock:
            old = self._streams.pop(name, None)
            if old is not None:
                self._retire(old)
        if old is not None:
            if self.journal is not None:
                self.journal.removed(name)
            self._drain(old, blocking=True)
            self._cleanup()

    # --- data plane --------------------------------------------------------------------------

    def put_records(
        self,
        name: str,
        records: list[bytes],
        arrival: float | None = None,
        *,
        ids: tuple[int, array[int] | None] | None = None,
    ) -> None:
        """Accept ``records`` (already validated by the API layer) into ``name``'s buffers.

        With a journal, returns once they are logged; ``ids`` (the journal's replay: the call's
        first id and the records' offsets in it, None for all) says they are logged already.
        """
        arrival = self._clock() if arrival is None else arrival
        journal = self.journal
        prepared = (
            journal.prepare(records, arrival) if journal is not None and ids is None else None
        )
        commit = None
        with self._lock:
            stream = self._streams.get(name)
            if stream is None:
                raise ResourceNotFoundError(f"Firehose {name} not found.")
            if prepared is not None:
                assert journal is not None
                commit = journal.append(name, prepared)
            # Keeps the stream alive (and flushed by tick) even if it is reconfigured or
            # deleted while this call processes its records.
            stream.puts_in_progress += 1
        tracked = ids if commit is None else (commit.base, None)
        try:
            groups, failures, positions = self._process(
                stream, records, arrival, tracked is not None
            )
            if commit is not None:
                commit.wait()  # jq ran while the commit thread wrote and synced
        except BaseException:
            with self._lock:
                stream.puts_in_progress -= 1
            if commit is not None and journal is not None:
                with contextlib.suppress(Exception):
                    journal.abort(name, commit)
            raise
        due = False
        with self._lock:
            stream.puts_in_progress -= 1
            config = stream.config
            for partition, members in groups.items():
                key: tuple[str, Any] = ("data", partition)
                buffer = stream.buffers.get(key)
                if buffer is None:
                    if partition is not None and partition not in stream.partition_refs:
                        problem = self._new_partition_problem(stream, partition, arrival)
                        if problem is not None:
                            failures.extend(
                                FailedRecord(r, arrival, problem[0], problem[1]) for r in members
                            )
                            if tracked is not None:
                                failed = positions.setdefault(_FAILED, [])
                                failed.extend(positions.get(partition) or range(len(records)))
                            continue
                    buffer = _Buffer(partition, None, arrival)
                    if stream.gzip_on_put:
                        buffer.gzip = gzip_compressor()
                    stream.buffers[key] = buffer
                    stream.partition_refs[partition] += 1
                buffer.chunks.append((arrival, members))
                if tracked is not None:
                    buffer.ids.append(_run(tracked, positions.get(partition), len(members)))
                buffer.count += len(members)
                buffer.size += sum(map(len, members))
                if buffer.gzip is not None:
                    # zlib runs without the GIL: compressing now uses the core that the
                    # Python work of the other requests leaves idle, instead of adding the
                    # whole buffer's compression to its delivery (same bytes either way).
                    buffer.gzipped.append(buffer.gzip.compress(self._piece(config, members)))
                if buffer.size >= config.size_bytes:
                    self._detach(stream, key)
                    due = True
            if failures:
                key = ("error", PROCESSING_FAILED)
                buffer = stream.buffers.get(key)
                if buffer is None:
                    buffer = _Buffer(None, PROCESSING_FAILED, arrival)
                    stream.buffers[key] = buffer
                buffer.failures.extend(failures)
                if tracked is not None:
                    buffer.ids.append(_run(tracked, positions.get(_FAILED), len(failures)))
                buffer.count += len(failures)
                buffer.size += sum(len(f.data) for f in failures)
                if buffer.size >= config.size_bytes:
                    self._detach(stream, key)
                    due = True
            stream.counters["accepted"] += len(records)
            stream.counters["buffered"] += len(records)
            if stream.retired:
                # The stream was deleted or reconfigured while this call ran: its records are
                # delivered before the call answers, so once every accepted call has returned
                # everything accepted is in S3 (not left to the next tick).
                for key in list(stream.buffers):
                    self._detach(stream, key)
                due = True
        # A full buffer is delivered before the call answers (back-pressure on the producer),
        # except an Iceberg one: its commit writes a file per partition the buffer touches and
        # may take longer than a client waits for PutRecordBatch; the timer commits it instead.
        if due and (stream.retired or stream.config.iceberg is None):
            self._drain(stream, blocking=True)
        if stream.retired:
            self._cleanup()

    def tick(self) -> None:
        """Deliver every buffer whose size or interval threshold is reached."""
        now = self._clock()
        due: list[_Stream] = []
        with self._lock:
            for stream in [*self._streams.values(), *self._retired]:
                config = stream.config
                for key, buffer in list(stream.buffers.items()):
                    if (
                        stream.retired
                        or buffer.size >= config.size_bytes
                        or now - buffer.oldest >= config.interval_s
                    ):
                        self._detach(stream, key)
                if stream.ready or stream.pending:
                    due.append(stream)
        for stream in due:
            if stream.config.iceberg is not None:
                # A commit may take many seconds (a file per partition): in a thread of its
                # own, so the other streams' intervals keep their time (the stream's delivery
                # lock keeps one delivery at a time; a busy stream is skipped as below).
                threading.Thread(
                    target=self._drain,
                    args=(stream,),
                    kwargs={"blocking": False},
                    name=f"firehose-iceberg-{stream.name}",
                    daemon=True,
                ).start()
                continue
            self._drain(stream, blocking=False)
        self._cleanup()

    def flush(self, name: str | None = None) -> None:
        """Deliver every buffer now (all streams, or ``name``'s); failed writes stay buffered."""
        with self._lock:
            streams = [
                s
                for s in [*self._streams.values(), *self._retired]
                if name is None or s.name == name
            ]
            for stream in streams:
                for key in list(stream.buffers):
                    self._detach(stream, key)
        # Every stream, even one with nothing ready: taking its delivery lock waits for a
        # delivery in progress (tick's), so everything buffered before the call is delivered.
        self._drain_all(streams)
        self._cleanup()

    def _drain_all(self, streams: list[_Stream]) -> None:
        """Drain several streams at once: compression and Parquet writing release the GIL, so
        one stream's gzip runs while another's conversion runs (each stream stays in order)."""
        if len(streams) <= 1:
            for stream in streams:
                self._drain(stream, blocking=True)
            return
        threads = [
            threading.Thread(
                target=self._drain,
                args=(stream,),
                kwargs={"blocking": True},
                name=f"firehose-drain-{stream.name}",
            )
            for stream in streams
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def stats(self) -> dict[str, dict[str, int]]:
        """Per stream: accepted, delivered, errored, buffered records; objects, bytes, ..."""
        with self._lock:
            out: dict[str, dict[str, int]] = {}
            for name, counters in self._counters.items():
                entry = {key: int(counters[key]) for key in _COUNTER_NAMES}
                streams = [s for s in [*self._streams.values(), *self._retired] if s.name == name]
                entry["active_partitions"] = sum(
                    sum(1 for p in s.partition_refs if p is not None) for s in streams
                )
                out[name] = entry
            return out

    def stream_names(self) -> list[str]:
        with self._lock:
            return list(self._streams)

    # --- processing --------------------------------------------------------------------------

    def _process(
        self, stream: _Stream, records: Sequence[bytes], arrival: float, track: bool = False
    ) -> tuple[dict[Partition, list[bytes]], list[FailedRecord], dict[Any, list[int]]]:
        """Records by partition, the failures, and (``track``) each group's positions in
        ``records`` (key ``_FAILED`` for the failures; a group without an entry is all of
        them, in order)."""
        failures: list[FailedRecord] = []
        positions: dict[Any, list[int]] = {}
        if stream.extractor is None:
            return {None: list(records)}, failures, positions
        groups: dict[Partition, list[bytes]] = {}
        records, results = stream.extractor.partition(records)
        for i, (record, result) in enumerate(zip(records, results, strict=True)):
            key: Any = result
            if isinstance(result, ExtractionFailure):
                key = _FAILED
                failures.append(FailedRecord(record, arrival, result.code, result.message))
            else:
                members = groups.get(result)
                if members is None:
                    groups[result] = [record]
                else:
                    members.append(record)
            if track:
                where = positions.get(key)
                if where is None:
                    positions[key] = [i]
                else:
                    where.append(i)
        return groups, failures, positions

    def _new_partition_problem(
        self, stream: _Stream, partition: tuple[str, ...], arrival: float
    ) -> tuple[str, str] | None:
        """Why a new partition cannot be opened (called under the lock), or None."""
        active = sum(1 for p in stream.partition_refs if p is not None)
        if active >= self.active_partition_limit:
            # "Data buffering and dynamic partitioning": once the active partitions reach the
            # limit, "the rest of the records in the delivery stream are delivered to the
            # specified S3 error bucket prefix".
            return (
                ACTIVE_PARTITIONS_EXCEEDED,
                "The number of active partitions has exceeded the configured limit "
                f"({self.active_partition_limit}).",
            )
        layout = stream.config.layout
        mapping = dict(zip(layout.partition_keys, partition, strict=True))
        prefix = layout.data_prefix(self._moment(stream, arrival), mapping, self._random_11)
        if len(prefix) > MAX_EVALUATED_PREFIX_CHARS:
            return (
                PREFIX_TOO_LONG,
                f"The evaluated S3 prefix is {len(prefix)} characters long; Prefix cannot be "
                f"greater than {MAX_EVALUATED_PREFIX_CHARS} characters after it is evaluated.",
            )
        # S3 keys are at most 1,024 bytes of UTF-8 ("Naming Amazon S3 objects"); a key S3 would
        # reject must not reach the sink, where it would block the stream's queue for ever.
        # Object name: <stream>-<version>-yyyy-MM-dd-HH-mm-ss-<36-char uuid><extension>.
        key_bytes = len(prefix.encode()) + len(stream.name.encode()) + 80
        if key_bytes > MAX_S3_KEY_BYTES:
            return (
                PREFIX_TOO_LONG,
                f"The object key would be about {key_bytes} bytes long; S3 keys cannot exceed "
                f"{MAX_S3_KEY_BYTES} bytes.",
            )
        return None

    # --- delivery ----------------------------------------------------------------------------

    def _retire(self, stream: _Stream) -> None:
        stream.retired = True
        for key in list(stream.buffers):
            self._detach(stream, key)
        self._retired.append(stream)

    @staticmethod
    def _detach(stream: _Stream, key: tuple[str, Any]) -> None:
        stream.ready.append(stream.buffers.pop(key))

    def _drain(self, stream: _Stream, *, blocking: bool) -> None:
        if not stream.delivery_lock.acquire(blocking=blocking):
            return
        try:
            while True:
                batches: list[_Buffer] = []
                with self._lock:
                    if stream.pending:
                        write: _Write | None = stream.pending[0]
                    elif stream.ready:
                        write = None
                        while stream.ready and len(batches) < RENDER_THREADS:
                            batches.append(stream.ready.popleft())
                    else:
                        return
                if write is not None:
                    if not self._attempt(stream, write):
                        return
                    continue
                for batch, writes in zip(batches, self._render_all(stream, batches), strict=True):
                    with self._lock:
                        stream.pending.extend(writes)
                        if batch.error_type is None:
                            for w in writes:
                                if w.delivered:
                                    stream.partition_refs[w.partition] += 1
                            self._release(stream, batch.partition)
        finally:
            stream.delivery_lock.release()

    def _render_all(self, stream: _Stream, batches: list[_Buffer]) -> list[list[_Write]]:
        """Render detached buffers, several at once (gzip and the Parquet writer release the
        GIL); the results keep the buffers' order, which is the order objects are written."""
        if len(batches) == 1:
            return [self._render(stream, batches[0])]
        results: list[list[_Write]] = [[] for _ in batches]
        errors: list[BaseException] = []

        def render(i: int) -> None:
            try:
                results[i] = self._render(stream, batches[i])
            except BaseException as error:  # _render catches Exception; keep anything else
                errors.append(error)

        threads = [
            threading.Thread(target=render, args=(i,), name=f"firehose-render-{stream.name}")
            for i in range(len(batches))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        return results

    @staticmethod
    def _release(stream: _Stream, partition: Partition) -> None:
        stream.partition_refs[partition] -= 1
        if stream.partition_refs[partition] <= 0:
            del stream.partition_refs[partition]

    def _attempt(self, stream: _Stream, write: _Write) -> bool:
        journal = self.journal
        try:
            if journal is not None and write.ids is not None and not write.intent_logged:
                # Logged before the PUT: at replay, the object's existence decides whether
                # these records are delivered (exactly once either way).
                journal.delivering(stream.name, write.obj.bucket, write.obj.key, write.ids)
                write.intent_logged = True
            self._sink(write.obj)
        except Exception as error:  # any sink failure: keep the object, retry later
            with self._lock:
                stream.counters["delivery_failures"] += 1
            self._log(
                stream,
                _sink_error_code(error),
                f"Failed to deliver s3://{write.obj.bucket}/{write.obj.key}: {error}",
            )
            return False
        with self._lock:
            stream.pending.popleft()
            counters = stream.counters
            counters["delivered"] += write.delivered
            counters["errored"] += write.errored
            counters["buffered"] -= write.delivered + write.errored
            counters["objects"] += 1
            counters["bytes"] += len(write.obj.body)
            if write.errored:
                counters["error_objects"] += 1
            if write.delivered:
                self._release(stream, write.partition)
        if journal is not None and write.ids is not None:
            journal.delivered(stream.name, write.ids)
        if write.log is not None:
            self._log(stream, *write.log)
        return True

    def _log(self, stream: _Stream, code: str, message: str) -> None:
        target = stream.config.log_target
        if target is None or self._log_sink is None:
            return
        event = {
            "deliveryStreamName": stream.name,
            "deliveryStreamVersionId": stream.version,
            "destination": f"arn:aws:s3:::{stream.config.bucket}",
            "errorCode": code,
            "message": message,
        }
        with contextlib.suppress(Exception):
            self._log_sink(target[0], target[1], json.dumps(event))

    def _moment(self, stream: _Stream, epoch: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(epoch, stream.config.time_zone or dt.UTC)

    def _random_suffix(self) -> str:
        return self._random() if self._random else str(uuid.uuid4())

    def _random_11(self) -> str:
        return self._random()[:11] if self._random else str(uuid.uuid4())[:11]

    def _error_write(
        self,
        stream: _Stream,
        failures: list[FailedRecord],
        error_type: str,
        oldest: float,
        catalog: dict[str, Any] | None = None,
        ids: list[IdRun] | None = None,
        layout: KeyLayout | None = None,
    ) -> _Write:
        config = stream.config
        now = self._clock()
        body = render_error_lines(failures, error_type, now, catalog)
        packed = compress(body, config.compression)
        moment = self._moment(stream, oldest)
        key = (
            (layout or config.layout).error_output_prefix(moment, error_type, self._random_11)
            + object_name(stream.name, stream.version, moment, self._random_suffix())
            + packed.extension
        )
        obj = S3Object(config.bucket, key, packed.body, CONTENT_TYPE, packed.content_encoding)
        first = failures[0]
        log = (
            first.code,
            f"{len(failures)} record(s) delivered to the error output: {first.message}",
        )
        return _Write(obj, 0, len(failures), None, log, ids)

    def _render(self, stream: _Stream, batch: _Buffer) -> list[_Write]:
        """Turn a detached buffer into objects; never raises, never loses a record."""
        try:
            if batch.error_type is not None:
                return [
                    self._error_write(
                        stream, batch.failures, batch.error_type, batch.oldest, ids=_ids(batch)
                    )
                ]
            return self._render_data(stream, batch)
        except Exception as error:  # a bug or an unexpected library error: keep the records
            failures = list(batch.failures) or [
                FailedRecord(record, arrival, INTERNAL_ERROR, f"Delivery failed: {error}")
                for arrival, members in batch.chunks
                for record in members
            ]
            error_type = batch.error_type or PROCESSING_FAILED
            return [self._error_write(stream, failures, error_type, batch.oldest, ids=_ids(batch))]

    def _render_data(self, stream: _Stream, batch: _Buffer) -> list[_Write]:
        config = stream.config
        if config.iceberg is not None:
            return self._render_iceberg(stream, batch, config.iceberg)
        moment = self._moment(stream, batch.oldest)
        mapping = (
            dict(zip(config.layout.partition_keys, batch.partition, strict=True))
            if batch.partition is not None
            else None
        )
        prefix = config.layout.data_prefix(moment, mapping, self._random_11)
        name = object_name(stream.name, stream.version, moment, self._random_suffix())
        writes: list[_Write] = []
        if stream.converter is not None:
            records = [record for _, members in batch.chunks for record in members]
            converter = stream.converter
            catalog = converter.data_catalog_table()
            try:
                columns = self._schema_lookup(converter.schema_configuration)
                result = converter.convert(records, columns)
            except Exception as error:
                arrivals = [arrival for arrival, members in batch.chunks for _ in members]
                failures = [
                    FailedRecord(r, a, SCHEMA_UNAVAILABLE, f"Could not read the schema: {error}")
                    for r, a in zip(records, arrivals, strict=True)
                ]
                return [
                    self._error_write(
                        stream,
                        failures,
                        FORMAT_CONVERSION_FAILED,
                        batch.oldest,
                        catalog,
                        ids=_ids(batch),
                    )
                ]
            kept, failed = _ids(batch), None
            if kept is not None and result.failures:
                kept, failed = split_runs(kept, sorted(f.index for f in result.failures))
            if result.body is not None:
                extension = config.file_extension or converter.extension
                obj = S3Object(config.bucket, prefix + name + extension, result.body, CONTENT_TYPE)
                writes.append(_Write(obj, result.converted, 0, batch.partition, ids=kept))
            if result.failures:
                arrivals = [arrival for arrival, members in batch.chunks for _ in members]
                failures = [
                    FailedRecord(records[f.index], arrivals[f.index], f.code, f.message)
                    for f in result.failures
                ]
                writes.append(
                    self._error_write(
                        stream, failures, FORMAT_CONVERSION_FAILED, batch.oldest, catalog, failed
                    )
                )
            return writes
        if batch.gzip is not None:
            packed = Compressed(b"".join([*batch.gzipped, batch.gzip.flush()]), ".gz", "gzip")
        else:
            # Chunk by chunk: a 64 MiB buffer is never joined into one body first.
            pieces = (self._piece(config, members) for _, members in batch.chunks if members)
            packed = compress_chunks(pieces, config.compression)
        extension = config.file_extension or packed.extension
        obj = S3Object(
            config.bucket,
            prefix + name + extension,
            packed.body,
            CONTENT_TYPE,
            packed.content_encoding,
        )
        count = sum(len(members) for _, members in batch.chunks)
        return [_Write(obj, count, 0, batch.partition, ids=_ids(batch))]

    def _render_iceberg(
        self, stream: _Stream, batch: _Buffer, target: IcebergTarget
    ) -> list[_Write]:
        """One commit per destination table, and the records that cannot be delivered to the
        error output (``S3ErrorOutputPrefix`` of their table, else S3Configuration's)."""
        from sandbox.firehose import iceberg as ib

        records = [record for _, members in batch.chunks for record in members]
        arrivals = [arrival for arrival, members in batch.chunks for _ in members]
        failed: dict[tuple[str, str] | None, list[tuple[int, RowFailure]]] = {}
        groups: dict[tuple[str, str], list[tuple[int, str, dict[str, Any]]]] = {}
        for i, data in enumerate(records):
            parsed = parse_record(data)
            if isinstance(parsed, RowFailure):
                where: Any = parsed
            else:
                with stream.router_lock:
                    where = route(target, parsed, stream.router)
            if isinstance(where, RowFailure):
                failed.setdefault(None, []).append((i, where))
                continue
            assert isinstance(parsed, dict)
            groups.setdefault((where.database, where.table), []).append(
                (i, where.operation, parsed)
            )
        writes: list[_Write] = []
        all_ids = _ids(batch)
        for (database, table), items in groups.items():
            table_config = target.table(database, table)
            problems = failed.setdefault((database, table), [])
            try:
                schema = self._iceberg.schema(target, database, table)
            except Exception as error:  # the catalog did not answer: retried as a whole
                raise RuntimeError(f"Glue table {database}.{table}: {error}") from error
            add_columns: dict[str, Any] = {}
            create_schema = None
            unknown: list[str] = []
            objects = [obj for _, _, obj in items]
            if schema is None:
                if not target.table_creation:
                    problems.extend(
                        (i, RowFailure(ib.TABLE_NOT_FOUND, f"Table {database}.{table} not found."))
                        for i, _, _ in items
                    )
                    continue
                columns, unknown = ib.new_columns(objects, set())
                schema = create_schema = ib.schema_with(None, columns)
            elif target.schema_evolution:
                add_columns, unknown = ib.new_columns(objects, set(schema.column_names))
                if add_columns:
                    schema = ib.schema_with(schema, add_columns)
            if unknown:
                kept_items = []
                for item in items:
                    nested = [name for name in unknown if item[2].get(name) is not None]
                    if nested:
                        problems.append((item[0], ib.evolution_failure(nested[0])))
                    else:
                        kept_items.append(item)
                items = kept_items
            rows: list[tuple[int, str, dict[str, Any]]] = []
            for i, operation, obj in items:
                row = record_row(obj, schema)
                if isinstance(row, RowFailure):
                    problems.append((i, row))
                else:
                    rows.append((i, operation, row))
            keys = (table_config.unique_keys if table_config else ()) or tuple(
                schema.identifier_field_names()
            )
            plan, plan_failures = plan_table(database, table, keys, rows)
            problems.extend(plan_failures)
            if not plan.positions:
                continue
            commit_id = self._random_suffix()
            commit = IcebergCommit(
                stream.config.bucket,
                iceberg_commit_key(database, table, commit_id),
                b"",
                target=target,
                plan=plan,
                commit_id=commit_id,
                add_columns=add_columns,
                create_schema=create_schema,
            )
            ids = split_runs(all_ids, plan.positions)[1] if all_ids is not None else None
            writes.append(_Write(commit, len(plan.positions), 0, None, ids=ids))
        for table_key, problems in failed.items():
            if not problems:
                continue
            problems.sort(key=lambda item: item[0])
            positions = [i for i, _ in problems]
            failures = [
                FailedRecord(records[i], arrivals[i], problem.code, problem.message)
                for i, problem in problems
            ]
            ids = split_runs(all_ids, positions)[1] if all_ids is not None else None
            error_type = PROCESSING_FAILED if table_key is None else ICEBERG_FAILED
            layout = stream.error_layouts.get(table_key) if table_key is not None else None
            writes.append(
                self._error_write(
                    stream, failures, error_type, batch.oldest, ids=ids, layout=layout
                )
            )
        return writes

    @staticmethod
    def _piece(config: StreamConfig, members: list[bytes]) -> bytes:
        """The object bytes of one chunk of records (AppendDelimiterToRecord: "\\n" after each)."""
        if config.processors.append_delimiter:
            return b"\n".join(members) + b"\n"
        return b"".join(members)

    def _cleanup(self) -> None:
        with self._lock:
            self._retired = [s for s in self._retired if not s.idle()]
            live = {s.name for s in [*self._streams.values(), *self._retired]}
            for name in list(self._counters):
                if name not in live:
                    del self._counters[name]
            used = {
                (s.extractor.query, s.extractor.keys)
                for s in [*self._streams.values(), *self._retired]
                if s.extractor is not None
            }
            for key in list(self._memos):
                if key not in used:
                    del self._memos[key]
