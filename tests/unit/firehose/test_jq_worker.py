"""jq in helper processes gives exactly the in-process results, and falls back when it cannot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.firehose.jq_worker import JqWorkers, WorkerUnavailable
from sandbox.firehose.processors import MetadataExtractor, compile_query
from tests.unit.firehose.article import ARTICLE_QUERY, article_records

KEYS = ["event_name", "event_date"]


@pytest.fixture
def workers() -> Iterator[JqWorkers]:
    pool = JqWorkers(1)
    try:
        yield pool
    finally:
        pool.close()


def mixed_batch() -> list[bytes]:
    records = article_records(500)
    records[3] = b"not json"
    records[10] = b'{"name": "a"}'  # the query fails: no tstamp
    records[20] = b"\xff\xfe"  # not UTF-8
    records[30] = b"[1,"  # joins with the next line unless framed
    records[31] = b"2]"
    records[40] = b'{"name": "a", "tstamp": "2023-01-01 00:00:00.0"} {"x": 1}'
    records[50] = b""
    return records


def test_worker_answers_are_what_jq_returns_in_process(workers: JqWorkers) -> None:
    text = "\n".join(f"[{i},{r.decode()}]" for i, r in enumerate(article_records(300)))
    assert workers.run(ARTICLE_QUERY, text) == compile_query(ARTICLE_QUERY).input_text(text).all()


def test_jq_errors_come_back_as_value_errors(workers: JqWorkers) -> None:
    with pytest.raises(ValueError):
        workers.run(ARTICLE_QUERY, "[0, {bad")


def test_extraction_through_workers_equals_in_process(workers: JqWorkers) -> None:
    records = mixed_batch()
    with_workers = MetadataExtractor(ARTICLE_QUERY, KEYS, workers=workers).extract(records)
    in_process = MetadataExtractor(ARTICLE_QUERY, KEYS).extract(records)
    assert with_workers == in_process
    assert workers.failures == 0


def test_a_dead_worker_means_in_process_then_a_new_worker(workers: JqWorkers) -> None:
    records = article_records(500)
    extractor = MetadataExtractor(ARTICLE_QUERY, KEYS, workers=workers)
    expected = extractor.extract(records)
    worker = workers._idle.get_nowait()
    worker.process.kill()
    worker.process.wait()
    workers._idle.put(worker)
    assert extractor.extract(records) == expected  # evaluated in-process
    assert workers.failures == 1
    assert extractor.extract(records) == expected  # a fresh worker
    assert workers.failures == 1


def test_small_batches_stay_in_process(workers: JqWorkers) -> None:
    MetadataExtractor(ARTICLE_QUERY, KEYS, workers=workers).extract(article_records(5))
    assert workers._started == 0


def test_a_closed_pool_is_unavailable() -> None:
    pool = JqWorkers(1)
    pool.close()
    with pytest.raises(WorkerUnavailable):
        pool.run(ARTICLE_QUERY, "[0, {}]")
    with pytest.raises(ValueError):
        JqWorkers(0)


def test_an_engine_hands_its_workers_to_the_streams_extractors(workers: JqWorkers) -> None:
    from sandbox.firehose import DeliveryEngine
    from tests.unit.firehose.article import article_destinations

    written: list = []
    engine = DeliveryEngine(written.append, lambda schema: [], jq_workers=workers)
    engine.configure_stream("s", "1", article_destinations()["json"])
    engine.put_records("s", article_records(500))
    engine.flush()
    assert workers._started == 1  # the 500-record batch went to the worker
    assert engine.stats()["s"]["delivered"] == 500
