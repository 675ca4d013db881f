"""The vectorised formatting helpers agree with the standard library, value for value."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sandbox.generate import events as ev
from sandbox.generate.chain import ACCOUNT, MEASUREMENT, VISIT


@given(st.lists(st.integers(min_value=-(10**10), max_value=4 * 10**9), min_size=1, max_size=50))
def test_format_tstamps_matches_datetime(seconds):
    got = [b.decode() for b in ev.format_tstamps(np.array(seconds)).tolist()]
    want = [datetime.fromtimestamp(s, UTC).strftime(ev.TSTAMP_FORMAT) for s in seconds]
    assert got == want


def test_format_tstamps_leap_days_and_century_edges():
    days = ["2000-02-29", "1900-03-01", "2024-02-29", "2023-12-31", "2100-02-28", "1970-01-01"]
    stamps = [datetime.fromisoformat(f"{d}T23:59:59+00:00") for d in days]
    got = ev.format_tstamps(np.array([int(s.timestamp()) for s in stamps])).tolist()
    assert [g.decode() for g in got] == [s.strftime(ev.TSTAMP_FORMAT) for s in stamps]


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50))
def test_format_cents_is_json_float_repr(cents):
    got = ev.format_cents(np.array(cents, dtype=np.int64))
    assert [g.decode() for g in got] == [json.dumps(round(c / 100, 2)) for c in cents]


def test_hex_digests_match_hexdigest():
    payloads = [b"", b"a", b'{"x": 1}', bytes(range(256))]
    digests = np.frombuffer(ev.md5_digests(payloads), dtype=np.uint8).reshape(-1, 16)
    got = [h.decode() for h in ev.hex_digests(digests).tolist()]
    assert got == [hashlib.md5(p).hexdigest() for p in payloads]


def test_line_templates_render_what_json_dumps_writes():
    samples = {
        VISIT: (b"Android 4.3.1", b"FQMDaWRSHuZGMOJKzQIn"),
        ACCOUNT: (b"anna.smith7@example.com", b"FQMDaWRSHuZGMOJKzQIn"),
        MEASUREMENT: (b"anna.smith7@example.com", b"72.5", b"FQMDaWRSHuZGMOJKzQIn"),
    }
    for state, fields in samples.items():
        payload = ev.PAYLOAD_TEMPLATES[state] % fields
        parsed = json.loads(payload)
        assert json.dumps(parsed, sort_keys=True).encode() == payload
        md5 = hashlib.md5(payload).hexdigest()
        line = ev.LINE_TEMPLATES[state] % (b"2023-06-18 14:27:52.000000", *fields, md5.encode())
        record = {
            "name": ev.EVENT_NAMES[state],
            "tstamp": "2023-06-18 14:27:52.000000",
            "payload": payload.decode(),
            "payload_md5": md5,
        }
        assert line == json.dumps(record).encode()


def test_the_articles_sample_line_has_our_shape():
    article = (
        b'{"name": "anonymous_visited", "tstamp": "2023-06-18 14:27:52.000000", "payload": '
        b'"{\\"dvce_os\\": \\"Android 4.3.1\\", \\"session_id\\": \\"FQMDaWRSHuZGMOJKzQIn\\"}", '
        b'"payload_md5": "000016e7e672dddb6b7cdd607c4e372b"}'
    )
    ours = ev.LINE_TEMPLATES[VISIT] % (
        b"2023-06-18 14:27:52.000000",
        b"Android 4.3.1",
        b"FQMDaWRSHuZGMOJKzQIn",
        b"000016e7e672dddb6b7cdd607c4e372b",
    )
    assert ours == article


def test_session_offsets_increase_within_sessions():
    rng = np.random.default_rng(5)
    session = np.array([0, 1, 2, 0, 2, 0])
    step = np.array([0, 0, 0, 1, 1, 2])
    offsets = ev.session_offsets(session, step, rng, mean_gap_seconds=100.0)
    assert offsets[[0, 1, 2]].tolist() == [0, 0, 0]
    assert 0 < offsets[3] < offsets[5]
    assert offsets[4] > 0


def test_session_starts_fit_sessions_in_the_window():
    rng = np.random.default_rng(5)
    durations = np.array([0, 10, 999, 5000])
    starts = ev.session_starts(durations, rng, window_start=1000, window_end=2000)
    assert (starts[:3] >= 1000).all()
    assert (starts + durations <= 1999).all()


def test_measurements_are_distinct_within_a_session():
    session = np.array([0, 0, 0, 1, 1, 0])
    cents = np.array([500, 500, 501, 500, 500, 500])
    out = ev.distinct_within_sessions(session, cents)
    assert len(set(out[session == 0].tolist())) == 4
    assert len(set(out[session == 1].tolist())) == 2
    assert cents.tolist() == [500, 500, 501, 500, 500, 500]  # input untouched


def test_visit_os_differs_between_visits_of_a_session():
    attrs = ev.session_attributes(1000, np.random.default_rng(3))
    n = len(ev.ANDROID_VERSIONS)
    session = np.repeat(np.arange(1000), n)
    step = np.tile(np.arange(n), 1000)
    idx = ev.visit_os_index(attrs, session, step).reshape(1000, n)
    assert all(len(set(row)) == n for row in idx.tolist())


def test_session_and_account_ids_are_unique():
    attrs = ev.session_attributes(50_000, np.random.default_rng(3))
    assert np.unique(attrs.session_id).size == 50_000
    assert len(set(attrs.account_id)) == 50_000
