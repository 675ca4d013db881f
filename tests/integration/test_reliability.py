"""Accounting under load: 8 concurrent producers, >100k records, nothing lost or duplicated.

Each producer has its own boto3 client and sends batches of mixed-size records, some of them
bad (not JSON, no ``name``, a timestamp the Hive SerDe rejects), round-robin to the article's two
Terraform streams (64 MB / 60 s buffers: delivered by the flush) and to a stream of this test's
own with a 1 MB / 1 s buffer, so that size-triggered deliveries (inside PutRecordBatch) and
interval-triggered ones (the timer thread) run while the producers write. Every record carries a
unique id; after the flush each stream's records are read back from the lake and the error
output and matched by id, and the counters of ``GET /_sandbox/firehose/stats`` are checked
against what was sent ("accepted = delivered + error output", issue 7).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sandbox.infra import admin
from tests.conftest import SandboxHandle
from tests.integration import lake

pytestmark = pytest.mark.integration

PRODUCERS = 8
RECORDS_PER_PRODUCER = 13_000  # 104,000 in all
MAX_CALL_BYTES = 4_000_000  # under PutRecordBatch's 4 MiB
NAMES = ("anonymous_visited", "account_created", "measurement_recorded")
NAME_WEIGHTS = (70, 25, 5)  # a rarely written partition fills by interval, not by size
PAD_SIZES = ((40, 300), (1_000, 4_000), (20_000, 60_000))
PAD_WEIGHTS = (85, 13, 2)
BAD_EVERY = 97  # one record in 97 is bad, of one of the three kinds below
MIB = 1024 * 1024


@dataclass
class Sent:
    """What one stream was sent: every id, and which ids must land where."""

    ids: list[str] = field(default_factory=list)
    to_lake: set[str] = field(default_factory=set)
    to_errors: set[str] = field(default_factory=set)


def _records(run: str, producer: int, rng: random.Random) -> list[tuple[str, str, bytes]]:
    """(id, kind, data) for one producer; kind is good | not_json | no_name | bad_tstamp."""
    out = []
    for n in range(RECORDS_PER_PRODUCER):
        uid = f"{run}-{producer}-{n}"
        low, high = rng.choices(PAD_SIZES, PAD_WEIGHTS)[0]
        name = rng.choices(NAMES, NAME_WEIGHTS)[0]
        record: dict[str, Any] = {
            "name": name,
            "tstamp": f"2023-06-{1 + n % 28:02d} 14:27:{n % 60:02d}.000000",
            "payload": json.dumps({"uid": uid, "pad": "x" * rng.randint(low, high)}),
            "payload_md5": uid,
        }
        kind = "good"
        if n % BAD_EVERY == BAD_EVERY - 1:
            kind = ("not_json", "no_name", "bad_tstamp")[(n // BAD_EVERY) % 3]
        if kind == "not_json":
            data = f"not json {uid} {'y' * rng.randint(0, 200)}".encode()
        else:
            if kind == "no_name":
                del record["name"]
            elif kind == "bad_tstamp":  # passes the JQ query (reads up to "."), fails the SerDe
                record["tstamp"] = "2023-06-18 14:27:52.not-a-fraction"
            data = json.dumps(record).encode()
        out.append((uid, kind, data))
    return out


def _batches(records: list[tuple[str, str, bytes]]) -> list[list[tuple[str, str, bytes]]]:
    batches: list[list[tuple[str, str, bytes]]] = [[]]
    size = 0
    for item in records:
        if len(batches[-1]) == 500 or size + len(item[2]) > MAX_CALL_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += len(item[2])
    return batches


_ID = re.compile(rb"[0-9a-f]{8}-\d+-\d+")


def _id_of(data: bytes) -> str:
    try:
        return str(json.loads(data)["payload_md5"])
    except (ValueError, KeyError, TypeError):
        match = _ID.search(data)
        assert match, data[:80]
        return match.group(0).decode()


def _check_once(name: str, found: list[str], expected: set[str]) -> None:
    counts = Counter(found)
    duplicated = sorted(uid for uid, n in counts.items() if n > 1)
    missing = expected - counts.keys()
    unexpected = counts.keys() - expected
    assert not duplicated, f"{name}: {len(duplicated)} duplicated, e.g. {duplicated[:3]}"
    assert not missing, f"{name}: {len(missing)} missing, e.g. {sorted(missing)[:3]}"
    assert not unexpected, f"{name}: {len(unexpected)} misrouted, e.g. {sorted(unexpected)[:3]}"


def _delta(after: dict[str, int], before: dict[str, int], key: str) -> int:
    return int(after.get(key, 0)) - int(before.get(key, 0))


def test_concurrent_producers_lose_and_duplicate_nothing(sandbox: SandboxHandle) -> None:
    run = uuid.uuid4().hex[:8]
    s3, firehose = sandbox.client("s3"), sandbox.client("firehose")
    bucket = sandbox.outputs.bucket
    json_stream, parquet_stream = sandbox.outputs.json_stream, sandbox.outputs.parquet_stream
    extra = f"load-{run}"
    extra_prefix, extra_errors = f"tests/{extra}/data/", f"tests/{extra}/errors/"
    lake.create_stream(
        firehose,
        extra,
        lake.dynamic_destination(bucket, extra_prefix, extra_errors, size_mb=1, interval_s=1),
    )
    streams = (json_stream, parquet_stream, extra)
    lake_prefix = {
        json_stream: "events_raw/json/",
        parquet_stream: "events_raw/parquet/",
        extra: extra_prefix,
    }
    error_prefix = {
        json_stream: "errors/json/",
        parquet_stream: "errors/parquet/",
        extra: extra_errors,
    }
    before_keys = {
        p: set(lake.listing(s3, bucket, p)) for p in (*lake_prefix.values(), *error_prefix.values())
    }
    before_stats = admin.stats(sandbox.settings)

    # Generate first, so that the producers only send.
    work = []
    sent = {stream: Sent() for stream in streams}
    for producer in range(PRODUCERS):
        batches = _batches(_records(run, producer, random.Random(f"{run}-{producer}")))
        plan = [(streams[(producer + i) % 3], batch) for i, batch in enumerate(batches)]
        for stream, batch in plan:
            for uid, kind, _ in batch:
                sent[stream].ids.append(uid)
                lands_in_lake = kind == "good" or (
                    kind == "bad_tstamp" and stream != parquet_stream
                )
                (sent[stream].to_lake if lands_in_lake else sent[stream].to_errors).add(uid)
        work.append(plan)
    total = sum(len(s.ids) for s in sent.values())
    total_bytes = sum(len(d) for plan in work for _, batch in plan for _, _, d in batch)
    assert total >= 100_000

    failures: list[str] = []
    barrier = threading.Barrier(PRODUCERS)

    def produce(plan: list[tuple[str, list[tuple[str, str, bytes]]]]) -> None:
        client = boto3.session.Session().client(
            "firehose",
            # no SDK retries: a retried call could duplicate records and hide a failure
            config=Config(retries={"max_attempts": 0}, read_timeout=300, connect_timeout=10),
            **sandbox.settings.boto3_kwargs(),
        )
        barrier.wait()
        for stream, batch in plan:
            try:
                response = client.put_record_batch(
                    DeliveryStreamName=stream, Records=[{"Data": d} for _, _, d in batch]
                )
            except Exception as error:  # any failure is a test failure, reported below
                failures.append(f"{stream}: {error}")
                return
            if response["FailedPutCount"]:
                failures.append(f"{stream}: FailedPutCount {response['FailedPutCount']}")

    threads = [threading.Thread(target=produce, args=(plan,)) for plan in work]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    send_seconds = time.monotonic() - started
    assert not failures, failures[:5]

    # What the extra stream delivered by itself while the producers wrote (before any flush).
    unflushed = {key: lake.body(s3, bucket, key) for key in lake.listing(s3, bucket, extra_prefix)}
    flush_started = time.monotonic()
    for stream in streams:
        admin.flush(sandbox.settings, stream)
    flush_seconds = time.monotonic() - flush_started
    after_stats = admin.stats(sandbox.settings)

    figures: dict[str, Any] = {
        "records": total,
        "MB": round(total_bytes / 1e6, 1),
        "send_s": round(send_seconds, 1),
        "records_per_s": round(total / send_seconds),
        "flush_s": round(flush_seconds, 1),
    }
    for stream in streams:
        before, after = before_stats.get(stream, {}), after_stats[stream]
        expected = sent[stream]
        accepted = _delta(after, before, "accepted")
        delivered = _delta(after, before, "delivered")
        errored = _delta(after, before, "errored")
        figures[stream] = {"sent": len(expected.ids), "delivered": delivered, "errored": errored}
        assert after["buffered"] == 0, (stream, after)
        assert accepted == len(expected.ids), stream
        assert delivered == len(expected.to_lake), stream
        assert errored == len(expected.to_errors), stream
        assert after["accepted"] == after["delivered"] + after["errored"] + after["buffered"]

    read_started = time.monotonic()
    for stream in streams:
        new_data = sorted(
            set(lake.listing(s3, bucket, lake_prefix[stream])) - before_keys[lake_prefix[stream]]
        )
        new_errors = sorted(
            set(lake.listing(s3, bucket, error_prefix[stream])) - before_keys[error_prefix[stream]]
        )
        if stream == parquet_stream:
            found = lake.parquet_column(s3, bucket, new_data, "payload_md5")
        else:
            found = []
            for key in new_data:
                partition = key[len(lake_prefix[stream]) :].split("/")[0].removeprefix("name=")
                for line in lake.lines(s3, bucket, [key]):
                    record = json.loads(line)
                    assert record["name"] == partition, key
                    found.append(record["payload_md5"])
        ours = [uid for uid in found if uid.startswith(run)]
        _check_once(f"{stream} lake", ours, sent[stream].to_lake)
        raw = [lake.raw(d) for d in lake.error_documents(s3, bucket, new_errors)]
        _check_once(f"{stream} errors", [_id_of(r) for r in raw], sent[stream].to_errors)
    figures["read_back_s"] = round(time.monotonic() - read_started, 1)

    # Both triggers fired on the 1 MB / 1 s stream while the producers were writing.
    by_size = by_interval = 0
    for data in unflushed.values():
        raw_bytes = len(data) - data.count(b"\n")  # AppendDelimiterToRecord adds one per record
        if raw_bytes >= MIB:
            by_size += 1
        else:
            by_interval += 1
    figures[extra]["objects_by_size"] = by_size
    figures[extra]["objects_by_interval"] = by_interval
    print(f"\nload test figures: {json.dumps(figures)}")
    assert by_size > 0 and by_interval > 0, figures[extra]
    firehose.delete_delivery_stream(DeliveryStreamName=extra)
