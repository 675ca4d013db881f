"""Firehose's write-ahead log: an accepted record is on disk before PutRecord(Batch) answers.

Owns: the log of one delivery engine (one account and region), with group commit, replay after
a crash and compaction. Real Firehose keeps accepted records durably until they are delivered;
the engine keeps them in memory, so without this log a ``kill -9`` loses every buffered record.

Layout: ``<root>/<stream, %-quoted>/<8-digit number>.wal`` segment files. A segment is a
sequence of frames ``length (u32) | CRC-32 (u32) | type (1 byte) | payload`` (little endian;
the CRC covers the type and the payload), of these types:

- ``C`` the stream's configuration: JSON ``{"version", "destination", "next_id"}``; every
  segment starts with one, so older segments can be deleted;
- ``R`` one call's accepted records: the records' lengths (u32 each), the records, then the
  first record id (u64), the arrival time (f64) and the count (u32). Ids count up per stream;
- ``A`` a call written to the log but not accepted after all (its first id): never replayed;
- ``M`` a delivery intent, written (and synced) *before* the S3 PUT: the bucket and key of the
  object about to hold these record ids. At replay, records whose intent names an object that
  exists are delivered; if the object is missing (the PUT never happened, or S3 lost it) they
  are delivered again, so each record ends up in exactly one object;
- ``X`` the stream was deleted (its buffers are delivered; the folder goes once they are).

Group commit: callers encode their frame in their own thread and queue it; one commit thread
writes everything queued, for every stream, then syncs each file it wrote (``fdatasync``) and
wakes all the callers of that round at once: concurrent calls share one write and one sync, and
a call returns only once its frame is durable. While a round syncs, the next one queues.

Replay (:meth:`WriteAheadLog.recover`): reads every segment, truncates a torn last frame (a
crash in the middle of a write), and returns per stream the steps to re-apply in log order
(configure, records with their arrival time and ids, delete). It writes nothing else, so a crash
during replay just replays again.

Compaction (:meth:`WriteAheadLog.compact`): the oldest segments whose records are all delivered
into objects that are themselves durable (the caller's horizon: every object written before that
time survives a crash) are deleted, in order (a segment's intents only name records of that
segment or older ones); the segment being written is closed and deleted the same way. A deleted
stream's folder goes when its last segment does.

File-system seam: :class:`FileSystem` (``OsFileSystem`` in production; tests pass one that
forgets what was written but not synced).

Limits: the log is as durable as the disk's ``fdatasync``: a disk that lies about it, a lost or
corrupted state folder, or a corrupted frame in the middle of a segment (the rest of that
segment is skipped) loses records. A failed write or sync (disk full) makes the log refuse every
later call (``ServiceUnavailableException``) until the emulator restarts.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
import time
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, unquote

from sandbox.firehose.errors import FirehoseError

__all__ = [
    "Configure",
    "FileSystem",
    "IdRun",
    "OsFileSystem",
    "Records",
    "Removed",
    "Replay",
    "WalUnavailable",
    "WriteAheadLog",
    "split_runs",
]

# Record ids of one call: (first id of the call, count, offsets within the call or None for
# 0..count-1). An object's records are a list of runs.
IdRun = tuple[int, int, "array[int] | None"]

SEGMENT_BYTES = 64 << 20
SUFFIX = ".wal"
_HEAD = struct.Struct("<IIB")
_RECORDS = struct.Struct("<QdI")
_RUN = struct.Struct("<QIB")
_MARK = struct.Struct("<HH")
_BASE = struct.Struct("<Q")
CONFIG, RECORDS, ABORT, MARK, REMOVED = b"C", b"R", b"A", b"M", b"X"


class WalUnavailable(FirehoseError):
    """The log cannot write: nothing more can be accepted durably."""

    code = "ServiceUnavailableException"


# --- file-system seam ----------------------------------------------------------------------------


class AppendFile(Protocol):
    def write(self, data: bytes) -> None: ...
    def sync(self) -> None: ...
    def close(self) -> None: ...


class FileSystem(Protocol):
    def makedirs(self, path: str) -> None: ...
    def listdir(self, path: str) -> list[str]: ...
    def read(self, path: str) -> bytes: ...
    def append(self, path: str) -> AppendFile: ...
    def truncate(self, path: str, size: int) -> None: ...
    def remove(self, path: str) -> None: ...
    def rmdir(self, path: str) -> None: ...
    def sync_dir(self, path: str) -> None: ...


class _OsFile:
    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def sync(self) -> None:
        os.fdatasync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


class OsFileSystem:
    """The real file system (``fdatasync`` for data, ``fsync`` of the folder for new files)."""

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def listdir(self, path: str) -> list[str]:
        try:
            return os.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def read(self, path: str) -> bytes:
        with open(path, "rb") as handle:
            return handle.read()

    def append(self, path: str) -> AppendFile:
        return _OsFile(path)

    def truncate(self, path: str, size: int) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)

    def remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)

    def rmdir(self, path: str) -> None:
        with contextlib.suppress(OSError):  # not empty (a new stream of the same name), or gone
            os.rmdir(path)

    def sync_dir(self, path: str) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- frames --------------------------------------------------------------------------------------


def _frame(kind: bytes, payload: bytes) -> bytes:
    return _HEAD.pack(len(payload), zlib.crc32(payload, zlib.crc32(kind)), kind[0]) + payload


def _frames(data: bytes) -> tuple[list[tuple[bytes, memoryview]], int]:
    """The whole frames at the start of ``data`` and the length they cover (a torn or
    corrupted frame and everything after it are not returned)."""
    view = memoryview(data)
    out: list[tuple[bytes, memoryview]] = []
    offset = 0
    while offset + _HEAD.size <= len(data):
        length, crc, kind = _HEAD.unpack_from(data, offset)
        start = offset + _HEAD.size
        end = start + length
        if end > len(data):
            break
        payload = view[start:end]
        tag = bytes((kind,))
        if zlib.crc32(payload, zlib.crc32(tag)) != crc:
            break
        out.append((tag, payload))
        offset = end
    return out, offset


def _encode_runs(runs: Iterable[IdRun]) -> bytes:
    parts: list[bytes] = []
    for base, count, offsets in runs:
        parts.append(_RUN.pack(base, count, 0 if offsets is None else 1))
        if offsets is not None:
            parts.append(offsets.tobytes())
    return b"".join(parts)


def _decode_runs(payload: memoryview) -> list[IdRun]:
    runs: list[IdRun] = []
    offset = 0
    while offset < len(payload):
        base, count, kind = _RUN.unpack_from(payload, offset)
        offset += _RUN.size
        offsets = None
        if kind:
            offsets = array("I")
            offsets.frombytes(payload[offset : offset + 4 * count])
            offset += 4 * count
        runs.append((base, count, offsets))
    return runs


def run_ids(run: IdRun) -> Iterable[int]:
    base, count, offsets = run
    return range(base, base + count) if offsets is None else (base + o for o in offsets)


def split_runs(runs: Sequence[IdRun], picked: Sequence[int]) -> tuple[list[IdRun], list[IdRun]]:
    """Split ``runs`` (records in order) at the flat positions ``picked`` (ascending): the
    runs of the records not picked, and of those picked (a conversion's failures)."""
    kept: list[IdRun] = []
    chosen: list[IdRun] = []
    i = 0
    start = 0
    for base, count, offsets in runs:
        end = start + count
        if i >= len(picked) or picked[i] >= end:
            kept.append((base, count, offsets))
            start = end
            continue
        inside = set()
        while i < len(picked) and picked[i] < end:
            inside.add(picked[i] - start)
            i += 1
        every = range(count) if offsets is None else offsets
        keep = array("I", (o for j, o in enumerate(every) if j not in inside))
        pick = array("I", (o for j, o in enumerate(every) if j in inside))
        if keep:
            kept.append((base, len(keep), keep))
        chosen.append((base, len(pick), pick))
        start = end
    return kept, chosen


# --- replay steps --------------------------------------------------------------------------------


@dataclass
class Configure:
    version: str
    destination: dict[str, Any]


@dataclass
class Records:
    base: int
    arrival: float
    records: list[bytes]
    offsets: array[int] | None  # None: every record of the call, in order


@dataclass
class Removed:
    pass


@dataclass
class Replay:
    """One stream's history to re-apply, in log order, and what replay found."""

    stream: str
    steps: list[Configure | Records | Removed] = field(default_factory=list)
    records: int = 0  # records to deliver again
    delivered: int = 0  # records found in an object that exists
    problems: list[str] = field(default_factory=list)


# --- the log -------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Segment:
    number: int
    path: str
    first_id: int
    outstanding: int = 0  # records not yet delivered
    done_at: float = 0.0  # when the last of its records was delivered
    size: int = 0
    queued: int = 0  # frames queued but not yet written
    file: AppendFile | None = None
    new: bool = True  # not yet created on disk


@dataclass(eq=False)
class _Log:
    name: str
    folder: str
    version: str = ""
    destination: dict[str, Any] = field(default_factory=dict)
    next_id: int = 0
    next_number: int = 1
    segments: list[_Segment] = field(default_factory=list)
    current: _Segment | None = None
    removed: bool = False


class _Round:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None

    def wait(self) -> None:
        self.done.wait()
        if self.error is not None:
            raise WalUnavailable(
                f"The service is unavailable: the write-ahead log failed ({self.error})."
            ) from self.error


class Commit:
    """A queued frame: ``base`` is its calls's first record id; :meth:`wait` until durable."""

    __slots__ = ("_round", "base", "count")

    def __init__(self, base: int, count: int, round_: _Round) -> None:
        self.base = base
        self.count = count
        self._round = round_

    def wait(self) -> None:
        self._round.wait()


@dataclass(frozen=True)
class Prepared:
    """A call's records encoded outside any lock (:meth:`WriteAheadLog.prepare`)."""

    count: int
    arrival: float
    body: bytes  # lengths then records
    crc: int  # CRC-32 of the frame type and body


class WriteAheadLog:
    """The log of one engine; see the module docstring."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        fs: FileSystem | None = None,
        *,
        segment_bytes: int = SEGMENT_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = os.fspath(root)
        self.fs: FileSystem = fs if fs is not None else OsFileSystem()
        self.segment_bytes = segment_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._logs: dict[str, _Log] = {}
        self._queue: list[tuple[_Segment, tuple[bytes, ...]]] = []
        self._round = _Round()
        self._horizon: float | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._broken: BaseException | None = None
        self.rounds = 0  # commit rounds (write + sync), for tests and stats

    # --- the engine's side ----------------------------------------------------------------

    def configured(self, stream: str, version: str, destination: dict[str, Any]) -> None:
        """``stream`` is (re)configured: later records belong to this configuration."""
        with self._lock:
            log = self._log(stream)
            log.version, log.destination, log.removed = str(version), destination, False
            current = log.current
            if self._segment(log) is current:  # a new segment starts with this configuration
                self._enqueue(log, CONFIG, self._config_payload(log))

    @staticmethod
    def prepare(records: Sequence[bytes], arrival: float) -> Prepared:
        """Encode a call's records (outside any lock: the CRC of the bulk is computed here)."""
        body = array("I", map(len, records)).tobytes() + b"".join(records)
        return Prepared(len(records), arrival, body, zlib.crc32(body, zlib.crc32(RECORDS)))

    def append(self, stream: str, prepared: Prepared) -> Commit:
        """Queue one call's records (cheap: call it under the engine's lock, so the log's order
        is the engine's); ``Commit.wait()`` returns once they are durable."""
        with self._lock:
            log = self._log(stream)
            segment = self._segment(log)
            base = log.next_id
            log.next_id += prepared.count
            # The ids go last, so that the CRC continues from the body's (computed outside).
            trailer = _RECORDS.pack(base, prepared.arrival, prepared.count)
            crc = zlib.crc32(trailer, prepared.crc)
            head = _HEAD.pack(len(prepared.body) + len(trailer), crc, RECORDS[0])
            segment.outstanding += prepared.count
            round_ = self._enqueue_raw(segment, head, prepared.body, trailer)
            return Commit(base, prepared.count, round_)

    def abort(self, stream: str, commit: Commit) -> None:
        """The call of ``commit`` failed after all: its records are never replayed."""
        with self._lock:
            log = self._log(stream)
            round_ = self._enqueue(log, ABORT, _BASE.pack(commit.base))
            self._forget(log, [(commit.base, commit.count, None)])
        round_.wait()

    def delivering(self, stream: str, bucket: str, key: str, runs: Sequence[IdRun]) -> None:
        """Before the PUT of ``bucket/key``: the intent that it holds ``runs`` (durable on
        return)."""
        b, k = bucket.encode(), key.encode()
        payload = _MARK.pack(len(b), len(k)) + b + k + _encode_runs(runs)
        with self._lock:
            round_ = self._enqueue(self._log(stream), MARK, payload)
        round_.wait()

    def delivered(self, stream: str, runs: Sequence[IdRun]) -> None:
        """After the PUT succeeded: these records may go once the object is durable."""
        with self._lock:
            log = self._logs.get(stream)
            if log is not None:
                self._forget(log, runs)

    def removed(self, stream: str) -> None:
        """``stream`` is deleted; its folder goes once its records are delivered."""
        with self._lock:
            log = self._log(stream)
            log.removed = True
            round_ = self._enqueue(log, REMOVED, b"")
        round_.wait()

    def compact(self, horizon: float) -> None:
        """Delete what is delivered into objects written before ``horizon`` (asynchronous)."""
        with self._lock:
            if self._closed:
                return
            self._horizon = horizon if self._horizon is None else max(self._horizon, horizon)
            self._ensure_thread()
            self._wake.notify()

    def sync(self) -> None:
        """Wait until everything queued so far is written and synced (tests, shutdown)."""
        with self._lock:
            if not self._queue and self._horizon is None:
                return
            round_ = self._round
            self._ensure_thread()
            self._wake.notify()
        round_.done.wait()

    def close(self) -> None:
        """Write what is queued, then stop the commit thread and close the files."""
        with self._lock:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        with self._lock:
            for log in self._logs.values():
                for segment in log.segments:
                    if segment.file is not None:
                        segment.file.close()
                        segment.file = None

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {
                name: {
                    "segments": len(log.segments),
                    "outstanding": sum(s.outstanding for s in log.segments),
                    "bytes": sum(s.size for s in log.segments),
                }
                for name, log in self._logs.items()
            }

    # --- replay ---------------------------------------------------------------------------

    def recover(self, exists: Callable[[str, str], bool]) -> list[Replay]:
        """Read the log left by the previous process; ``exists(bucket, key)`` tells whether an
        object is in S3 now. Call once, before anything is appended."""
        replays: list[Replay] = []
        for entry in sorted(self.fs.listdir(self.root)):
            folder = os.path.join(self.root, entry)
            numbers = sorted(
                int(name[: -len(SUFFIX)])
                for name in self.fs.listdir(folder)
                if name.endswith(SUFFIX) and name[: -len(SUFFIX)].isdigit()
            )
            if numbers:
                replays.append(self._recover_stream(unquote(entry), folder, numbers, exists))
        return replays

    def _recover_stream(
        self, name: str, folder: str, numbers: list[int], exists: Callable[[str, str], bool]
    ) -> Replay:
        replay = Replay(name)
        log = _Log(name, folder, next_number=numbers[-1] + 1)
        events: list[tuple[bytes, Any, _Segment]] = []
        marks: list[tuple[str, str, list[IdRun]]] = []
        aborted: set[int] = set()
        for number in numbers:
            path = os.path.join(folder, f"{number:08d}{SUFFIX}")
            data = self.fs.read(path)
            frames, good = _frames(data)
            if good < len(data):
                replay.problems.append(
                    f"{path}: {len(data) - good} bytes after the last whole frame dropped"
                )
                self.fs.truncate(path, good)
            segment = _Segment(number, path, -1, size=good, new=False)
            log.segments.append(segment)
            for kind, payload in frames:
                if kind == CONFIG:
                    header = json.loads(bytes(payload))
                    if segment.first_id == -1:  # the segment's first frame
                        segment.first_id = int(header["next_id"])
                    log.next_id = max(log.next_id, int(header["next_id"]))
                    events.append((kind, header, segment))
                elif kind == RECORDS:
                    base, arrival, count = _RECORDS.unpack_from(
                        payload, len(payload) - _RECORDS.size
                    )
                    events.append((kind, (base, arrival, count, payload), segment))
                    log.next_id = max(log.next_id, base + count)
                elif kind == ABORT:
                    aborted.add(_BASE.unpack_from(payload)[0])
                elif kind == MARK:
                    blen, klen = _MARK.unpack_from(payload)
                    start = _MARK.size
                    bucket = bytes(payload[start : start + blen]).decode()
                    key = bytes(payload[start + blen : start + blen + klen]).decode()
                    marks.append((bucket, key, _decode_runs(payload[start + blen + klen :])))
                elif kind == REMOVED:
                    events.append((kind, None, segment))
            if segment.first_id == -1:
                segment.first_id = log.next_id
        done: dict[int, set[int]] = {}  # call's first id -> offsets delivered
        checked: dict[tuple[str, str], bool] = {}
        for bucket, key, runs in marks:
            if (bucket, key) not in checked:
                checked[(bucket, key)] = bool(exists(bucket, key))
            if checked[(bucket, key)]:
                for base, count, offsets in runs:
                    done.setdefault(base, set()).update(
                        range(count) if offsets is None else offsets
                    )
        config: dict[str, Any] | None = None
        live = False
        for kind, value, segment in events:
            if kind == CONFIG:
                same = config is not None and (config["version"], config["destination"]) == (
                    value["version"],
                    value["destination"],
                )
                if not (live and same):  # segments repeat the configuration
                    replay.steps.append(Configure(str(value["version"]), value["destination"]))
                config, live = value, True
            elif kind == REMOVED:
                if live:
                    replay.steps.append(Removed())
                live = False
            else:
                base, arrival, count, payload = value
                if base in aborted:
                    continue
                seen = done.get(base) or set()
                todo = [i for i in range(count) if i not in seen]
                replay.delivered += count - len(todo)
                if not todo:
                    continue
                if config is None:
                    replay.problems.append(f"records {base}.. have no configuration; skipped")
                    continue
                if not live:  # accepted by a call still running when the stream was deleted
                    replay.steps.append(Configure(str(config["version"]), config["destination"]))
                    live = True
                    replay.steps.append(
                        Records(base, arrival, _records(payload, count, todo), None)
                    )
                    replay.steps.append(Removed())
                    live = False
                else:
                    offsets = None if len(todo) == count else array("I", todo)
                    replay.steps.append(
                        Records(base, arrival, _records(payload, count, todo), offsets)
                    )
                replay.records += len(todo)
                segment.outstanding += len(todo)
        if config is not None:
            log.version, log.destination = str(config["version"]), config["destination"]
        log.removed = not live
        with self._lock:
            self._logs[name] = log
        return replay

    # --- internals (called with the lock held) --------------------------------------------

    def _log(self, stream: str) -> _Log:
        log = self._logs.get(stream)
        if log is None:
            folder = os.path.join(self.root, quote(stream, safe="") or "%00")
            if folder.endswith(os.sep + ".") or folder.endswith(os.sep + ".."):
                folder = folder.replace(".", "%2E")
            log = self._logs[stream] = _Log(stream, folder)
        return log

    @staticmethod
    def _config_payload(log: _Log) -> bytes:
        return json.dumps(
            {"version": log.version, "destination": log.destination, "next_id": log.next_id},
            default=str,
        ).encode()

    def _segment(self, log: _Log) -> _Segment:
        segment = log.current
        if segment is None or segment.size >= self.segment_bytes:
            segment = _Segment(
                log.next_number,
                os.path.join(log.folder, f"{log.next_number:08d}{SUFFIX}"),
                log.next_id,
            )
            log.next_number += 1
            log.segments.append(segment)
            log.current = segment
            self._enqueue_raw(segment, _frame(CONFIG, self._config_payload(log)))
        return segment

    def _enqueue(self, log: _Log, kind: bytes, payload: bytes) -> _Round:
        segment = self._segment(log)
        return self._enqueue_raw(segment, _frame(kind, payload))

    def _enqueue_raw(self, segment: _Segment, *parts: bytes) -> _Round:
        if self._broken is not None:
            raise WalUnavailable(
                f"The service is unavailable: the write-ahead log failed ({self._broken})."
            )
        if self._closed:
            raise WalUnavailable("The service is unavailable: the write-ahead log is closed.")
        self._queue.append((segment, parts))
        segment.size += sum(map(len, parts))
        segment.queued += 1
        self._ensure_thread()
        self._wake.notify()
        return self._round

    def _forget(self, log: _Log, runs: Iterable[IdRun]) -> None:
        firsts = [s.first_id for s in log.segments]
        now = self._clock()
        for base, count, _ in runs:
            i = bisect_right(firsts, base) - 1
            if i >= 0:
                segment = log.segments[i]
                segment.outstanding -= count
                segment.done_at = max(segment.done_at, now)

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="sandbox-firehose-wal", daemon=True
            )
            self._thread.start()

    # --- the commit thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and self._horizon is None and not self._closed:
                    self._wake.wait()
                if self._closed and not self._queue:
                    self._round.done.set()
                    return
                queue, self._queue = self._queue, []
                round_, self._round = self._round, _Round()
                horizon, self._horizon = self._horizon, None
            if queue:
                try:
                    self._write(queue)
                except BaseException as error:  # disk full, I/O error: refuse from now on
                    round_.error = error
                    with self._lock:
                        self._broken = error
                with self._lock:
                    for segment, _ in queue:
                        segment.queued -= 1
                self.rounds += 1
            round_.done.set()
            if horizon is not None:
                with contextlib.suppress(OSError):  # retried at the next request
                    self._compact(horizon)

    def _write(self, queue: list[tuple[_Segment, tuple[bytes, ...]]]) -> None:
        order: list[_Segment] = []
        parts: dict[int, list[bytes]] = {}
        for segment, pieces in queue:
            key = id(segment)
            if key not in parts:
                parts[key] = []
                order.append(segment)
            parts[key].extend(pieces)
        for segment in order:
            if segment.file is None:
                folder = os.path.dirname(segment.path)
                if segment.new:
                    self.fs.makedirs(folder)
                segment.file = self.fs.append(segment.path)
                if segment.new:
                    self.fs.sync_dir(folder)
                    segment.new = False
            segment.file.write(b"".join(parts[id(segment)]))
        for segment in order:
            assert segment.file is not None
            segment.file.sync()

    def _compact(self, horizon: float) -> None:
        gone: list[_Segment] = []
        folders: list[str] = []
        with self._lock:
            for name, log in list(self._logs.items()):
                while log.segments:
                    segment = log.segments[0]
                    if segment.outstanding > 0 or segment.queued > 0 or segment.done_at > horizon:
                        break
                    if segment is log.current:
                        log.current = None
                    gone.append(log.segments.pop(0))
                if log.removed and not log.segments:
                    del self._logs[name]
                    folders.append(log.folder)
        for segment in gone:
            if segment.file is not None:
                segment.file.close()
                segment.file = None
            self.fs.remove(segment.path)
        for folder in folders:
            self.fs.rmdir(folder)


def _records(payload: memoryview, count: int, todo: list[int]) -> list[bytes]:
    lengths = array("I")
    lengths.frombytes(payload[: 4 * count])
    offset = 4 * count
    bounds: list[tuple[int, int]] = []
    for length in lengths:
        bounds.append((offset, offset + length))
        offset += length
    return [bytes(payload[bounds[i][0] : bounds[i][1]]) for i in todo]
