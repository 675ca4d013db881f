"""The Firehose write-ahead log: framing, group commit, replay after a crash, compaction.

A file system in memory stands in for the disk: ``crash()`` forgets every byte written but not
synced, as a power cut would (a ``kill -9`` keeps more: what ``write`` handed the kernel).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from array import array

import pytest

from sandbox.firehose import DeliveryEngine, S3Object
from sandbox.firehose.wal import (
    Configure,
    Records,
    Removed,
    WalUnavailable,
    WriteAheadLog,
    split_runs,
)
from tests.unit.firehose.article import ARTICLE_COLUMNS, article_destinations, article_records

T0 = 1_690_800_000.0


class Crash(Exception):
    pass


class MemoryFile:
    def __init__(self, fs: MemoryFS, path: str) -> None:
        self.fs, self.path = fs, path

    def write(self, data: bytes) -> None:
        if self.fs.fail_write:
            raise OSError(28, "No space left on device")
        self.fs.pending.setdefault(self.path, bytearray()).extend(data)

    def sync(self) -> None:
        self.fs.syncs += 1
        if self.fs.sync_delay:
            time.sleep(self.fs.sync_delay)
        if self.fs.crash_on_sync:
            raise Crash("killed between write and sync")
        with self.fs.lock:
            self.fs.files.setdefault(self.path, bytearray()).extend(
                self.fs.pending.pop(self.path, b"")
            )

    def close(self) -> None:
        pass


class MemoryFS:
    """Durable bytes per file, plus bytes written but not yet synced."""

    def __init__(self) -> None:
        self.files: dict[str, bytearray] = {}
        self.pending: dict[str, bytearray] = {}
        self.dirs: set[str] = set()
        self.syncs = 0
        self.sync_delay = 0.0
        self.crash_on_sync = False
        self.fail_write = False
        self.lock = threading.Lock()

    def crash(self) -> None:
        self.pending.clear()
        self.crash_on_sync = False

    def makedirs(self, path: str) -> None:
        while path and path not in self.dirs:
            self.dirs.add(path)
            path = path.rsplit("/", 1)[0]

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix) :].split("/")[0] for p in [*self.files, *self.dirs]}
        return sorted(n for n in names if n and any(p.startswith(prefix + n) for p in names | {""}))

    def read(self, path: str) -> bytes:
        return bytes(self.files.get(path, b"")) + bytes(self.pending.get(path, b""))

    def append(self, path: str) -> MemoryFile:
        self.files.setdefault(path, bytearray())
        return MemoryFile(self, path)

    def truncate(self, path: str, size: int) -> None:
        self.files[path] = self.files[path][:size]
        self.pending.pop(path, None)

    def remove(self, path: str) -> None:
        self.files.pop(path, None)
        self.pending.pop(path, None)

    def rmdir(self, path: str) -> None:
        if not any(p.startswith(path + "/") for p in self.files):
            self.dirs.discard(path)

    def sync_dir(self, path: str) -> None:
        pass

    def listing(self) -> list[str]:
        return sorted(p for p in self.files)


def _listdir(fs: MemoryFS, path: str) -> list[str]:
    prefix = path.rstrip("/") + "/"
    out = set()
    for p in [*fs.files, *fs.dirs]:
        if p.startswith(prefix):
            out.add(p[len(prefix) :].split("/")[0])
    return sorted(out)


MemoryFS.listdir = _listdir  # type: ignore[method-assign]

DESTINATION = {"BucketARN": "arn:aws:s3:::sink", "Prefix": "p/", "BufferingHints": {}}


def wal(fs: MemoryFS, **kwargs) -> WriteAheadLog:
    return WriteAheadLog("/wal", fs, **kwargs)


def stream_log(fs: MemoryFS, **kwargs) -> WriteAheadLog:
    """A log on ``fs`` in which the stream ``s`` is configured (to ``DESTINATION``)."""
    log = wal(fs, **kwargs)
    log.configured("s", "1", DESTINATION)
    return log


def append(log: WriteAheadLog, stream: str, records: list[bytes], arrival: float = T0) -> int:
    commit = log.append(stream, log.prepare(records, arrival))
    commit.wait()
    return commit.base


def replayed(steps) -> list[bytes]:
    return [r for s in steps if isinstance(s, Records) for r in s.records]


def test_records_and_intents_replay_exactly_what_no_existing_object_holds() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    first = append(log, "s", [b"a", b"b"])
    append(log, "s", [b"c"], arrival=T0 + 5)
    append(log, "s", [b"d", b"e"])
    log.delivering("s", "sink", "k1", [(first, 2, None)])
    log.delivering("s", "sink", "gone", [(first + 3, 2, array("I", [1]))])
    log.close()

    (replay,) = wal(fs).recover(lambda bucket, key: key == "k1")
    assert replay.stream == "s"
    assert isinstance(replay.steps[0], Configure) and replay.steps[0].destination == DESTINATION
    records = [s for s in replay.steps if isinstance(s, Records)]
    # "gone" was never written: "e" is delivered again, with the rest of its call
    assert [(r.records, r.arrival) for r in records] == [([b"c"], T0 + 5), ([b"d", b"e"], T0)]
    assert replay.records == 3 and replay.delivered == 2


def test_a_torn_last_frame_is_cut_off_and_the_log_goes_on() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    append(log, "s", [b"kept"])
    log.close()
    (path,) = fs.listing()
    whole = len(fs.files[path])
    fs.files[path].extend(b"\x40\x00\x00\x00garbage")  # a frame cut by the crash

    again = wal(fs)
    (replay,) = again.recover(lambda b, k: False)
    assert replayed(replay.steps) == [b"kept"]
    assert replay.problems and "dropped" in replay.problems[0]
    assert len(fs.files[path]) == whole  # truncated back to the last whole frame
    append(again, "s", [b"next"])  # a new segment after the torn one
    again.close()
    (replay,) = wal(fs).recover(lambda b, k: False)
    assert replayed(replay.steps) == [b"kept", b"next"]


def test_a_corrupted_frame_is_not_replayed() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    append(log, "s", [b"one"])
    append(log, "s", [b"two"])
    log.close()
    (path,) = fs.listing()
    fs.files[path][-3] ^= 0xFF  # a flipped bit in the last frame's trailer
    (replay,) = wal(fs).recover(lambda b, k: False)
    assert replayed(replay.steps) == [b"one"]


def test_a_crash_between_write_and_sync_loses_only_unacknowledged_calls() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    append(log, "s", [b"acknowledged"])
    fs.crash_on_sync = True
    with pytest.raises(WalUnavailable):
        append(log, "s", [b"never acknowledged"])
    with pytest.raises(WalUnavailable):  # the log refuses from then on
        log.append("s", log.prepare([b"later"], T0))
    fs.crash()  # the unsynced write is gone
    (replay,) = wal(fs).recover(lambda b, k: False)
    assert replayed(replay.steps) == [b"acknowledged"]


def test_a_failed_write_fails_the_call() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    fs.fail_write = True
    with pytest.raises(WalUnavailable, match="No space left"):
        append(log, "s", [b"x"])


def test_replay_is_idempotent() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    base = append(log, "s", [b"a", b"b", b"c"])
    log.delivering("s", "sink", "k", [(base, 1, array("I", [1]))])
    log.close()
    first = wal(fs).recover(lambda b, k: True)
    second = wal(fs).recover(lambda b, k: True)
    assert first == second
    assert replayed(first[0].steps) == [b"a", b"c"]
    (step,) = [s for s in first[0].steps if isinstance(s, Records)]
    assert list(step.offsets or []) == [0, 2]


def test_group_commit_shares_syncs_between_concurrent_calls() -> None:
    fs = MemoryFS()
    fs.sync_delay = 0.005
    log = stream_log(fs)
    threads, calls = 16, 40

    def produce(t: int) -> None:
        for i in range(calls):
            append(log, "s", [f"{t}-{i}".encode()])

    workers = [threading.Thread(target=produce, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    log.close()
    assert log.rounds < threads * calls / 4, log.rounds  # far fewer syncs than calls
    (replay,) = wal(fs).recover(lambda b, k: False)
    got = replayed(replay.steps)
    assert sorted(got) == sorted(f"{t}-{i}".encode() for t in range(threads) for i in range(calls))


def test_compaction_drops_delivered_segments_once_their_objects_are_durable() -> None:
    fs = MemoryFS()
    now = [T0]
    log = stream_log(fs, segment_bytes=200, clock=lambda: now[0])
    bases = [append(log, "s", [b"x" * 150]) for _ in range(4)]
    before = fs.listing()
    for base in bases[:3]:
        log.delivering("s", "sink", f"k{base}", [(base, 1, None)])
        log.delivered("s", [(base, 1, None)])
    assert len(before) == 4
    log.compact(T0 - 1)  # objects not durable yet
    time.sleep(0.05)
    log.sync()
    assert set(before) <= set(fs.listing())
    log.compact(T0)
    time.sleep(0.05)
    log.sync()
    # the three oldest segments went, in order; the fourth's record is live
    assert not set(before[:3]) & set(fs.listing()) and before[3] in fs.listing()
    log.close()
    (replay,) = wal(fs).recover(lambda b, k: True)
    assert replayed(replay.steps) == [b"x" * 150]


def test_a_deleted_streams_log_goes_after_its_last_delivery() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    base = append(log, "s", [b"a"])
    log.removed("s")
    log.compact(T0 + 10**9)
    log.sync()
    assert fs.listing()  # still undelivered
    log.delivering("s", "sink", "k", [(base, 1, None)])
    log.delivered("s", [(base, 1, None)])
    log.compact(time.time() + 1)
    time.sleep(0.05)
    log.sync()
    assert fs.listing() == []
    assert "/wal/s" not in fs.dirs


def test_a_deleted_streams_undelivered_records_are_replayed_then_deleted_again() -> None:
    fs = MemoryFS()
    log = stream_log(fs)
    append(log, "s", [b"a"])
    log.removed("s")
    log.close()
    (replay,) = wal(fs).recover(lambda b, k: False)
    assert [type(s) for s in replay.steps] == [Configure, Records, Removed]


def test_split_runs_separates_conversion_failures() -> None:
    runs = [(10, 3, None), (20, 2, array("I", [4, 7]))]
    kept, failed = split_runs(runs, [1, 4])
    assert [(b, c, list(o) if o is not None else None) for b, c, o in kept] == [
        (10, 2, [0, 2]),
        (20, 1, [4]),
    ]
    assert [(b, c, list(o or [])) for b, c, o in failed] == [(10, 1, [1]), (20, 1, [7])]


# --- through the engine ------------------------------------------------------------------------


class CrashingSink:
    """Stores objects; after ``budget`` objects, the next PUT "kills the process"."""

    def __init__(self, budget: int | None = None) -> None:
        self.objects: dict[str, S3Object] = {}
        self.budget = budget

    def __call__(self, obj: S3Object) -> None:
        if self.budget is not None:
            if self.budget == 0:
                raise Crash("killed during the PUT")
            self.budget -= 1
        self.objects[obj.key] = obj


def _engine(fs: MemoryFS, sink: CrashingSink) -> DeliveryEngine:
    counter = iter(range(10**9))
    return DeliveryEngine(
        sink,
        lambda _schema: list(ARTICLE_COLUMNS),
        clock=lambda: T0,
        random_string=lambda: f"uuid{next(counter):06d}",
        journal=wal(fs),
    )


def _lines(objects: dict[str, S3Object]) -> list[bytes]:
    out: list[bytes] = []
    for obj in objects.values():
        body = gzip.decompress(obj.body) if obj.key.endswith(".gz") else obj.body
        if obj.key.startswith("errors/"):
            out.extend(base64_raw(line) for line in body.splitlines())
        else:
            out.extend(body.splitlines())
    return out


def base64_raw(line: bytes) -> bytes:
    import base64

    return base64.b64decode(json.loads(line)["rawData"])


@pytest.mark.parametrize("budget", [0, 1, 2, 4])
def test_a_crash_during_delivery_delivers_every_record_exactly_once_after_replay(
    budget: int,
) -> None:
    fs = MemoryFS()
    destination = article_destinations()["json"]
    records = [*article_records(900), b"not json", b"{}"]
    sink = CrashingSink(budget)
    engine = _engine(fs, sink)
    engine.configure_stream("json", "1", destination)
    for start in range(0, len(records), 300):
        engine.put_records("json", records[start : start + 300])
    engine.flush()  # some objects written, then the "crash" stops the rest
    assert engine.journal is not None
    engine.journal.close()
    fs.crash()

    after = CrashingSink()
    replaying = _engine(fs, after)
    assert replaying.journal is not None
    for replay in replaying.journal.recover(lambda b, k: k in sink.objects):
        for step in replay.steps:
            if isinstance(step, Configure):
                replaying.configure_stream(replay.stream, step.version, step.destination)
            elif isinstance(step, Records):
                replaying.put_records(
                    replay.stream, step.records, step.arrival, ids=(step.base, step.offsets)
                )
    replaying.flush()
    delivered = _lines(sink.objects) + _lines(after.objects)
    assert sorted(delivered) == sorted(records)
    stats = replaying.stats()["json"]
    assert stats["accepted"] == len(records) - len(_lines(sink.objects))
    # and once everything is delivered, the log empties
    replaying.journal.compact(time.time() + 1)
    time.sleep(0.05)
    replaying.journal.sync()
    replaying.journal.close()
    assert all(p.endswith(".wal") for p in fs.listing())
    replays = wal(fs).recover(lambda b, k: k in sink.objects or k in after.objects)
    assert sum(r.records for r in replays) == 0


def test_conversion_failures_and_replay_keep_every_record_once() -> None:
    fs = MemoryFS()
    destination = article_destinations()["parquet"]
    good = article_records(50)
    bad = [json.dumps({"name": "account_created", "tstamp": "2023-06-18 14:27:52.x"}).encode()]
    sink = CrashingSink(1)  # the data object is written, the error object is not
    engine = _engine(fs, sink)
    engine.configure_stream("parquet", "1", destination)
    engine.put_records("parquet", good[:25] + bad + good[25:])
    engine.flush()
    assert engine.journal is not None
    engine.journal.close()
    (replay,) = wal(fs).recover(lambda b, k: k in sink.objects)
    again = replayed(replay.steps)
    written = sum(1 for k in sink.objects if not k.startswith("errors/"))
    assert written >= 1
    # what was written is never replayed; what was not is, exactly
    assert all(r in good + bad for r in again)
    assert len(again) + sum(_parquet_rows(o) for o in sink.objects.values()) == len(good) + 1


def _parquet_rows(obj: S3Object) -> int:
    import io

    import pyarrow.parquet as pq

    if obj.key.startswith("errors/"):
        return len(obj.body.splitlines())
    return int(pq.read_metadata(io.BytesIO(obj.body)).num_rows)
