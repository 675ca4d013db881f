"""put_batch / send_records: partial-failure retries, the retry bound, errors, concurrency."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from sandbox.emit.errors import EmitError, EmulatorDownError, StreamNotFoundError
from sandbox.emit.producer import RetryPolicy, put_batch, send_records

RECORDS = [b'{"n": %d}' % i for i in range(10)]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_all_accepted_in_one_call(fake):
    outcome = put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert (outcome.sent, outcome.calls, outcome.retried, outcome.failed) == (10, 1, 0, [])
    assert fake.sent() == RECORDS
    assert outcome.bytes_sent == sum(map(len, RECORDS))


def test_partial_failure_resends_only_the_failed_entries_in_order(helpers):
    fake = helpers.FakeFirehose(script=[helpers.fail_entries(1, 3, 8)])
    sleeps = Sleeps()
    outcome = put_batch(fake, "s", RECORDS, sleep=sleeps)
    assert [len(batch) for _, batch in fake.calls] == [10, 3]
    assert fake.calls[1][1] == [RECORDS[1], RECORDS[3], RECORDS[8]]
    assert (outcome.sent, outcome.retried, outcome.calls, outcome.failed) == (10, 3, 2, [])
    assert outcome.error_codes == {"ServiceUnavailableException": 3}
    assert len(sleeps) == 1


def test_failures_of_a_retry_are_mapped_back_to_the_original_records(helpers):
    # first call: 2, 5, 7 fail; second call (2, 5, 7): its entry 1 (record 5) fails again
    fake = helpers.FakeFirehose(script=[helpers.fail_entries(2, 5, 7), helpers.fail_entries(1)])
    outcome = put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert [batch for _, batch in fake.calls[1:]] == [
        [RECORDS[2], RECORDS[5], RECORDS[7]],
        [RECORDS[5]],
    ]
    assert (outcome.sent, outcome.retried, outcome.calls) == (10, 4, 3)


def test_retry_bound_gives_up_and_reports_what_still_failed(helpers):
    fake = helpers.FakeFirehose(script=[helpers.fail_records(RECORDS[0], RECORDS[4])] * 5)
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=0.3)
    outcome = put_batch(fake, "s", RECORDS, policy=policy, sleep=sleeps, rng=random.Random(1))
    assert outcome.calls == 5
    assert outcome.failed == [0, 4]
    assert outcome.sent == 8
    assert outcome.retried == 2 * 4
    assert [b for _, b in fake.calls[1:]] == [[RECORDS[0], RECORDS[4]]] * 4
    # exponential caps 0.1, 0.2, 0.3 (capped), 0.3 with full jitter below each cap
    assert len(sleeps) == 4
    assert all(0 <= s <= cap for s, cap in zip(sleeps, [0.1, 0.2, 0.3, 0.3], strict=True))


def test_backoff_is_exponential_with_full_jitter():
    policy = RetryPolicy(base_delay=0.05, max_delay=5.0)
    rng = random.Random(7)
    for retry, cap in [(1, 0.05), (2, 0.1), (5, 0.8), (20, 5.0)]:
        delays = [policy.delay(retry, rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= cap
        assert max(delays) > cap / 2  # spread over the range, not a fixed wait


@pytest.mark.parametrize(
    "code,status", [("ThrottlingException", 400), ("ServiceUnavailableException", 503)]
)
def test_throttling_and_unavailable_retry_the_whole_batch(helpers, code, status):
    fake = helpers.FakeFirehose(script=[helpers.raise_(helpers.client_error(code, status))])
    outcome = put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert [len(b) for _, b in fake.calls] == [10, 10]
    assert (outcome.sent, outcome.retried, outcome.failed) == (10, 10, [])
    assert outcome.error_codes == {code: 10}


def test_server_errors_retry_by_status(helpers):
    fake = helpers.FakeFirehose(script=[helpers.raise_(helpers.client_error("Weird", 500))])
    assert put_batch(fake, "s", RECORDS, sleep=Sleeps()).sent == 10


def test_read_timeout_is_retried(helpers):
    timeout = ReadTimeoutError(endpoint_url="http://127.0.0.1:4566")
    fake = helpers.FakeFirehose(script=[helpers.raise_(timeout)])
    outcome = put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert outcome.sent == 10 and outcome.error_codes == {"ReadTimeoutError": 10}


def test_missing_stream_stops_at_once(helpers):
    fake = helpers.FakeFirehose(streams=())
    with pytest.raises(StreamNotFoundError, match="delivery stream s not found; run `make up`"):
        put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert len(fake.calls) == 1


def test_other_client_errors_stop_without_retry(helpers):
    error = helpers.client_error("InvalidArgumentException")
    fake = helpers.FakeFirehose(script=[helpers.raise_(error)])
    with pytest.raises(EmitError, match="PutRecordBatch to s failed: InvalidArgumentException"):
        put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert len(fake.calls) == 1


def test_a_refused_connection_that_persists_means_the_emulator_is_down(helpers):
    refused = EndpointConnectionError(endpoint_url="http://127.0.0.1:4566")
    fake = helpers.FakeFirehose(script=[helpers.raise_(refused)] * 3)
    with pytest.raises(EmulatorDownError, match="no emulator at http://x; run `make up`"):
        put_batch(
            fake, "s", RECORDS, RetryPolicy(max_attempts=3), sleep=Sleeps(), endpoint="http://x"
        )


def test_a_refused_connection_that_recovers_is_just_a_retry(helpers):
    refused = EndpointConnectionError(endpoint_url="http://127.0.0.1:4566")
    fake = helpers.FakeFirehose(script=[helpers.raise_(refused)])
    assert put_batch(fake, "s", RECORDS, sleep=Sleeps()).sent == 10


def test_response_that_cannot_be_matched_resends_everything(helpers):
    fake = helpers.FakeFirehose(script=[lambda d: {"FailedPutCount": 2, "RequestResponses": []}])
    outcome = put_batch(fake, "s", RECORDS, sleep=Sleeps())
    assert [len(b) for _, b in fake.calls] == [10, 10]
    assert outcome.sent == 10


def test_send_records_batches_and_reports(fake):
    records = [b'{"i": %d}' % i for i in range(1234)]
    report = send_records("s", records, lambda: fake)
    assert [len(b) for _, b in fake.calls] == [500, 500, 234]
    assert fake.sent() == records
    assert (report.sent, report.batches, report.calls, report.failed) == (1234, 3, 3, 0)
    assert report.bytes_sent == sum(map(len, records))
    assert report.seconds > 0 and report.records_per_second > 0 and report.mb_per_second > 0


def test_send_records_reports_failed_line_numbers(helpers):
    fake = helpers.FakeFirehose(script=[helpers.fail_entries(1)] * 2)
    report = send_records(
        "s",
        RECORDS[:3],
        lambda: fake,
        line_numbers=[10, 20, 30],
        policy=RetryPolicy(max_attempts=2),
        sleep=Sleeps(),
    )
    assert (report.sent, report.failed, report.failed_lines) == (2, 1, [20])
    assert "failed 1" in report.summary()


def test_concurrency_sends_every_record_exactly_once_one_client_per_thread(helpers):
    records = [b'{"i": %d}' % i for i in range(5003)]
    clients: list = []

    def factory():
        client = helpers.FakeFirehose()
        clients.append(client)
        return client

    progress: list[int] = []
    report = send_records("s", records, factory, concurrency=4, on_progress=progress.append)
    assert 1 <= len(clients) <= 4
    sent = [d for c in clients for d in c.sent()]
    assert sorted(sent) == sorted(records)
    assert all(len(b) <= 500 for c in clients for _, b in c.calls)
    assert report.sent == 5003 and report.batches == 11 and sum(progress) == 5003


def test_concurrency_propagates_a_workers_error(helpers):
    def factory():
        return helpers.FakeFirehose(streams=())

    records = [b"{}"] * 3000
    with pytest.raises(StreamNotFoundError):
        send_records("s", records, factory, concurrency=3)
