"""The delivery engine: buffering, keys, partitions, error output, retries, accounting."""

import base64
import copy
import gzip
import io
import json
import random
import threading

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.firehose import DeliveryEngine, FirehoseError, S3Object
from tests.unit.firehose.article import ARTICLE_COLUMNS, article_destinations

T0 = 1_690_800_000.0  # 2023-07-31 10:40:00 UTC


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Sink:
    """Collects objects; can be told to fail (e.g. the bucket was deleted)."""

    def __init__(self) -> None:
        self.objects: list[S3Object] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, obj: S3Object) -> None:
        if self.fail:
            error = RuntimeError("NoSuchBucket")
            error.response = {"Error": {"Code": "NoSuchBucket"}}  # type: ignore[attr-defined]
            raise error
        with self.lock:
            self.objects.append(obj)

    def object_keys(self) -> list[str]:
        return sorted(o.key for o in self.objects)

    def lines(self, prefix: str = "") -> list[bytes]:
        out = []
        for obj in self.objects:
            if obj.key.startswith(prefix):
                body = gzip.decompress(obj.body) if obj.key.endswith(".gz") else obj.body
                out.extend(body.splitlines())
        return out


def make(clock=None, sink=None, **kwargs):
    sink = sink or Sink()
    counter = iter(range(10**9))
    engine = DeliveryEngine(
        sink,
        lambda _schema: list(ARTICLE_COLUMNS),
        clock=clock or Clock(),
        random_string=lambda: f"uuid{next(counter)}",
        **kwargs,
    )
    return engine, sink


def event(name: str, tstamp: str = "2023-06-18 14:27:52.000000", **extra) -> bytes:
    return json.dumps(
        {"name": name, "tstamp": tstamp, "payload": "{}", "payload_md5": "m", **extra}
    ).encode()


def balanced(stats: dict) -> bool:
    return stats["accepted"] == stats["delivered"] + stats["errored"] + stats["buffered"]


# --- keys and layout -----------------------------------------------------------------------


def test_plain_stream_key_layout_and_concatenation() -> None:
    engine, sink = make()
    engine.configure_stream("plain", "1", {"BucketARN": "arn:aws:s3:::bucket"})
    engine.put_records("plain", [b"a", b"b", b"c"])
    engine.flush()
    (obj,) = sink.objects
    assert obj.bucket == "bucket"
    assert obj.key == "2023/07/31/10/plain-1-2023-07-31-10-40-00-uuid0"
    assert obj.body == b"abc"  # no delimiter without AppendDelimiterToRecord
    assert obj.content_type == "application/octet-stream"


def test_article_json_stream_layout() -> None:
    engine, sink = make()
    engine.configure_stream("events_json", "1", article_destinations()["json"])
    engine.put_records("events_json", [event("anonymous_visited"), event("account_created")])
    engine.flush()
    assert sink.object_keys() == [
        "events_raw/json/name=account_created/d=2023-07-31/"
        "events_json-1-2023-07-31-10-40-00-uuid1.gz",
        "events_raw/json/name=anonymous_visited/d=2023-07-31/"
        "events_json-1-2023-07-31-10-40-00-uuid0.gz",
    ]
    for obj in sink.objects:
        assert obj.content_encoding == "gzip"
        assert gzip.decompress(obj.body).endswith(b"}\n")  # newline-delimited records


def test_article_parquet_stream_layout_and_schema() -> None:
    engine, sink = make()
    engine.configure_stream("events_parquet", "1", article_destinations()["parquet"])
    engine.put_records("events_parquet", [event("measurement_recorded")] * 3)
    engine.flush()
    (obj,) = sink.objects
    assert obj.key == (
        "events_raw/parquet/name=measurement_recorded/d=2023-07-31/"
        "events_parquet-1-2023-07-31-10-40-00-uuid0.parquet"
    )
    table = pq.read_table(io.BytesIO(obj.body))
    assert table.column_names == ["tstamp", "payload", "payload_md5"]
    assert table.num_rows == 3


def test_timestamp_is_the_oldest_records_arrival_in_custom_time_zone() -> None:
    clock = Clock()
    engine, sink = make(clock)
    destination = {
        "BucketARN": "arn:aws:s3:::b",
        "Prefix": "t=!{timestamp:yyyy-MM-dd'T'HH:mm}/",
        "ErrorOutputPrefix": "e/!{firehose:error-output-type}/",
        "CustomTimeZone": "Asia/Tokyo",
        "FileExtension": ".json",
        "CompressionFormat": "GZIP",
    }
    engine.configure_stream("tz", "7", destination)
    engine.put_records("tz", [b"1"])
    clock.now += 3600
    engine.put_records("tz", [b"2"])
    engine.flush()
    (obj,) = sink.objects
    assert obj.key == "t=2023-07-31T19:40/tz-7-2023-07-31-19-40-00-uuid0.json"
    assert gzip.decompress(obj.body) == b"12"


# --- buffering -----------------------------------------------------------------------------


def test_interval_trigger_counts_from_the_oldest_record() -> None:
    clock = Clock()
    engine, sink = make(clock)
    destination = {
        "BucketARN": "arn:aws:s3:::b",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    }
    engine.configure_stream("s", "1", destination)
    engine.put_records("s", [b"x"])
    clock.now += 59
    engine.put_records("s", [b"y"])
    engine.tick()
    assert sink.objects == []
    clock.now += 1
    engine.tick()
    assert [o.body for o in sink.objects] == [b"xy"]


def test_size_trigger_delivers_without_waiting_for_a_tick() -> None:
    engine, sink = make()
    destination = {
        "BucketARN": "arn:aws:s3:::b",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 900},
    }
    engine.configure_stream("s", "1", destination)
    record = b"r" * 100_000
    for _ in range(10):
        engine.put_records("s", [record])
    assert sink.objects == []
    engine.put_records("s", [record])  # 1.1 MB >= 1 MiB
    assert len(sink.objects) == 1 and len(sink.objects[0].body) == 1_100_000
    stats = engine.stats()["s"]
    assert (stats["delivered"], stats["buffered"]) == (11, 0)


def test_default_buffering_hints_are_aws_defaults() -> None:
    clock = Clock()
    engine, sink = make(clock)
    engine.configure_stream("s", "1", {"BucketARN": "arn:aws:s3:::b"})
    engine.put_records("s", [b"x"])
    clock.now += 299
    engine.tick()
    assert sink.objects == []
    clock.now += 1
    engine.tick()
    assert len(sink.objects) == 1


def test_one_buffer_per_partition_each_with_its_own_interval() -> None:
    clock = Clock()
    engine, sink = make(clock)
    engine.configure_stream("j", "1", article_destinations()["json"])
    engine.put_records("j", [event("anonymous_visited")])
    clock.now += 30
    engine.put_records("j", [event("account_created")])
    clock.now += 30
    engine.tick()
    assert [k.split("/")[2] for k in sink.object_keys()] == ["name=anonymous_visited"]
    clock.now += 30
    engine.tick()
    assert len(sink.objects) == 2


# --- error output --------------------------------------------------------------------------


def test_processing_failures_go_to_the_error_prefix_in_awss_shape() -> None:
    engine, sink = make()
    engine.configure_stream("j", "1", article_destinations()["json"])
    engine.put_records("j", [event("anonymous_visited"), b"not json", b'{"name": "x"}'])
    engine.flush()
    errors = [o for o in sink.objects if o.key.startswith("errors/")]
    assert len(errors) == 1
    assert errors[0].key.startswith("errors/json/d=2023-07-31/processing-failed/j-1-2023-07-31-")
    assert errors[0].key.endswith(".gz")
    documents = [json.loads(line) for line in gzip.decompress(errors[0].body).splitlines()]
    assert documents[0] == {
        "attemptsMade": 1,
        "arrivalTimestamp": int(T0 * 1000),
        "errorCode": "DynamicPartitioning.MetadataExtractionFailed",
        "errorMessage": "Non JSON record provided",
        "attemptEndingTimestamp": int(T0 * 1000),
        "rawData": base64.b64encode(b"not json").decode(),
    }
    assert base64.b64decode(documents[1]["rawData"]) == b'{"name": "x"}'
    stats = engine.stats()["j"]
    assert (stats["accepted"], stats["delivered"], stats["errored"]) == (3, 1, 2)


def test_format_conversion_failures_in_awss_shape() -> None:
    engine, sink = make()
    engine.configure_stream("p", "1", article_destinations()["parquet"])
    engine.put_records(
        "p", [event("account_created"), event("account_created", tstamp="2023-02-30 10:00:00.0")]
    )
    engine.flush()
    (error,) = [o for o in sink.objects if o.key.startswith("errors/")]
    assert error.key.startswith("errors/parquet/d=2023-07-31/format-conversion-failed/p-1-")
    (document,) = [json.loads(line) for line in error.body.splitlines()]
    assert document["lastErrorCode"] == "DataFormatConversion.MalformedData"
    assert document["dataCatalogTable"]["tableName"] == "events_parquet"
    assert {"attemptsMade", "arrivalTimestamp", "attemptEndingTimestamp", "rawData"} <= set(
        document
    )
    stats = engine.stats()["p"]
    assert (stats["delivered"], stats["errored"], stats["buffered"]) == (1, 1, 0)


def test_schema_lookup_failure_routes_the_batch_to_the_error_output() -> None:
    sink = Sink()

    def no_table(_schema: dict) -> list[tuple[str, str]]:
        raise LookupError("EntityNotFoundException: table events_parquet not found")

    engine = DeliveryEngine(sink, no_table, clock=Clock())
    engine.configure_stream("p", "1", article_destinations()["parquet"])
    engine.put_records("p", [event("a"), event("b")])
    engine.flush()
    stats = engine.stats()["p"]
    assert (stats["delivered"], stats["errored"], stats["buffered"]) == (0, 2, 0)
    assert all("format-conversion-failed" in o.key for o in sink.objects)


def test_default_error_prefix_without_error_output_prefix() -> None:
    engine, sink = make()
    destination = copy.deepcopy(article_destinations()["parquet"])
    destination.update(Prefix="lake/", DynamicPartitioningConfiguration={"Enabled": False})
    destination.pop("ErrorOutputPrefix")
    destination.pop("ProcessingConfiguration")
    engine.configure_stream("p", "1", destination)
    engine.put_records("p", [b"{bad"])
    engine.flush()
    (obj,) = sink.objects
    assert obj.key == "lake/format-conversion-failed/2023/07/31/10/p-1-2023-07-31-10-40-00-uuid1"


def test_active_partition_limit_sends_the_excess_to_the_error_output() -> None:
    engine, sink = make(active_partition_limit=2)
    engine.configure_stream("j", "1", article_destinations()["json"])
    engine.put_records("j", [event("a"), event("b"), event("c"), event("a")])
    assert engine.stats()["j"]["active_partitions"] == 2
    engine.flush()
    (error,) = [o for o in sink.objects if o.key.startswith("errors/")]
    (document,) = [json.loads(line) for line in gzip.decompress(error.body).splitlines()]
    assert document["errorCode"] == "DynamicPartitioning.ActivePartitionsLimitExceeded"
    assert "active partitions has exceeded" in document["errorMessage"]
    assert engine.stats()["j"]["delivered"] == 3
    # Delivered partitions are no longer active: a new one fits again.
    engine.put_records("j", [event("c")])
    assert engine.stats()["j"]["errored"] == 1


def test_prefix_longer_than_512_characters_fails_the_record() -> None:
    engine, sink = make()
    engine.configure_stream("j", "1", article_destinations()["json"])
    engine.put_records("j", [event("x" * 600)])
    engine.flush()
    assert engine.stats()["j"]["errored"] == 1
    assert all(o.key.startswith("errors/") for o in sink.objects)


# --- failures, retries, lifecycle ----------------------------------------------------------


def test_sink_failure_keeps_records_buffered_and_retries_in_order() -> None:
    logs: list[tuple[str, str, str]] = []
    clock = Clock()
    sink = Sink()
    engine, _ = make(clock, sink, log_sink=lambda *event: logs.append(event))
    destination = {
        "BucketARN": "arn:aws:s3:::b",
        "CloudWatchLoggingOptions": {
            "Enabled": True,
            "LogGroupName": "/aws/kinesisfirehose/s",
            "LogStreamName": "DestinationDelivery",
        },
    }
    engine.configure_stream("s", "1", destination)
    sink.fail = True
    engine.put_records("s", [b"1"])
    engine.flush()
    engine.put_records("s", [b"2"])
    engine.flush()
    stats = engine.stats()["s"]
    assert (stats["buffered"], stats["delivered"], stats["delivery_failures"]) == (2, 0, 2)
    group, log_stream, message = logs[0]
    assert (group, log_stream) == ("/aws/kinesisfirehose/s", "DestinationDelivery")
    assert json.loads(message)["errorCode"] == "S3.NoSuchBucket"
    sink.fail = False
    engine.tick()
    assert [o.body for o in sink.objects] == [b"1", b"2"]
    stats = engine.stats()["s"]
    assert (stats["buffered"], stats["delivered"]) == (0, 2)


def test_reconfigure_delivers_under_the_old_version_first() -> None:
    engine, sink = make()
    engine.configure_stream("s", "1", {"BucketARN": "arn:aws:s3:::b", "Prefix": "old/"})
    engine.put_records("s", [b"x"])
    engine.configure_stream("s", "2", {"BucketARN": "arn:aws:s3:::b", "Prefix": "new/"})
    assert [o.key.split("/")[0] + "|" + o.key.rsplit("/", 1)[1][:4] for o in sink.objects] == [
        "old|s-1-"
    ]
    engine.put_records("s", [b"y"])
    engine.flush()
    assert sink.objects[-1].key.startswith("new/2023/07/31/10/s-2-")
    assert engine.stats()["s"]["delivered"] == 2


def test_remove_stream_delivers_then_forgets() -> None:
    engine, sink = make()
    engine.configure_stream("s", "1", {"BucketARN": "arn:aws:s3:::b"})
    engine.put_records("s", [b"x"])
    engine.remove_stream("s")
    assert [o.body for o in sink.objects] == [b"x"]
    assert "s" not in engine.stats()
    with pytest.raises(FirehoseError) as raised:
        engine.put_records("s", [b"y"])
    assert raised.value.code == "ResourceNotFoundException"


def test_a_put_racing_a_delete_is_delivered_before_it_answers() -> None:
    """A call accepted while DeleteDeliveryStream ran is in S3 when it returns: no tick needed."""
    engine, sink = make()
    engine.configure_stream("s", "1", {"BucketARN": "arn:aws:s3:::b"})
    entered, release = threading.Event(), threading.Event()
    process = engine._process

    def slow_process(*args, **kwargs):
        entered.set()
        release.wait(5)
        return process(*args, **kwargs)

    engine._process = slow_process  # type: ignore[method-assign]
    put = threading.Thread(target=engine.put_records, args=("s", [b"late"]))
    put.start()
    assert entered.wait(5)
    engine.remove_stream("s")  # the put is in progress: nothing of it is buffered yet
    release.set()
    put.join(5)
    assert [o.body for o in sink.objects] == [b"late"]
    assert "s" not in engine.stats()


def test_remove_stream_with_a_failing_sink_keeps_retrying() -> None:
    engine, sink = make()
    engine.configure_stream("s", "1", {"BucketARN": "arn:aws:s3:::b"})
    engine.put_records("s", [b"x"])
    sink.fail = True
    engine.remove_stream("s")
    assert engine.stats()["s"]["buffered"] == 1
    sink.fail = False
    engine.tick()
    assert [o.body for o in sink.objects] == [b"x"]
    assert "s" not in engine.stats()


# --- accounting ----------------------------------------------------------------------------


def test_concurrent_producers_lose_and_duplicate_nothing() -> None:
    clock = Clock()
    engine, sink = make(clock)
    destination = copy.deepcopy(article_destinations()["json"])
    destination["BufferingHints"] = {"SizeInMBs": 1, "IntervalInSeconds": 60}
    engine.configure_stream("j", "1", destination)
    producers, per_producer = 8, 1500
    stop = threading.Event()
    violations: list[dict] = []

    def produce(worker: int) -> None:
        rng = random.Random(worker)
        for start in range(0, per_producer, 100):
            batch = []
            for i in range(start, start + 100):
                if rng.random() < 0.05:
                    batch.append(b"bad %d %d" % (worker, i))
                else:
                    name = rng.choice(["a", "b", "c"])
                    batch.append(event(name, uid=f"{worker}-{i}"))
            engine.put_records("j", batch)

    def ticker() -> None:
        while not stop.is_set():
            clock.now += 7
            engine.tick()
            stats = engine.stats().get("j")
            if stats and not balanced(stats):
                violations.append(stats)

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(producers)]
    tick_thread = threading.Thread(target=ticker)
    tick_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    tick_thread.join()
    engine.flush()
    stats = engine.stats()["j"]
    assert not violations
    assert stats["accepted"] == producers * per_producer
    assert stats["buffered"] == 0 and balanced(stats)
    delivered = [json.loads(line)["uid"] for line in sink.lines("events_raw/")]
    errors = [json.loads(line) for line in sink.lines("errors/")]
    assert len(delivered) == len(set(delivered)) == stats["delivered"]
    assert len(errors) == stats["errored"]
    assert len(delivered) + len(errors) == producers * per_producer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["put", "tick", "advance", "flush", "fail", "recover"]),
            st.lists(
                st.one_of(
                    st.binary(max_size=20),
                    st.sampled_from([b"a", b"b"]).map(lambda n: event(n.decode())),
                ),
                max_size=6,
            ),
        ),
        max_size=25,
    )
)
def test_fuzz_accounting_invariant(operations) -> None:
    clock = Clock()
    engine, sink = make(clock)
    engine.configure_stream("j", "1", article_destinations()["json"])
    engine.configure_stream("p", "1", article_destinations()["parquet"])
    sent = 0
    for op, records in operations:
        if op == "put" and records:
            for name in ("j", "p"):
                engine.put_records(name, records)
            sent += len(records)
        elif op == "tick":
            engine.tick()
        elif op == "advance":
            clock.now += 61
        elif op == "flush":
            engine.flush()
        elif op == "fail":
            sink.fail = True
        elif op == "recover":
            sink.fail = False
        for stats in engine.stats().values():
            assert balanced(stats)
    sink.fail = False
    engine.flush()
    for stats in engine.stats().values():
        assert stats["accepted"] == sent
        assert stats["buffered"] == 0
        assert balanced(stats)
