"""generate(): file schema, md5s, duplicates, determinism, and the manifest against a recount."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.generate import generate, manifest_path, read_manifest
from sandbox.generate.chain import EVENT_NAMES, STATES, TRANSITIONS
from sandbox.generate.events import TSTAMP_FORMAT

SESSIONS = 3000
SEED = 11
END = date(2023, 7, 31)

PAYLOAD_KEYS = {
    "anonymous_visited": ["dvce_os", "session_id"],
    "account_created": ["account_id", "session_id"],
    "measurement_recorded": ["account_id", "measurement", "session_id"],
}
SESSION_ID = re.compile(r"^[A-Za-z]{20}$")
ACCOUNT_ID = re.compile(r"^[a-z]+\.[a-z]+\d+@example\.(com|org|net)$")
DVCE_OS = re.compile(r"^Android \d+(\.\d+)*$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "events.jsonl"
    manifest = generate(SESSIONS, SEED, out, end=END)
    lines = out.read_bytes().decode().splitlines()
    return out, manifest, lines, [json.loads(line) for line in lines]


def test_every_line_is_the_articles_record_shape(generated):
    _, _, lines, records = generated
    for line, record in zip(lines, records, strict=True):
        assert list(record) == ["name", "tstamp", "payload", "payload_md5"]
        assert json.dumps(record) == line  # default separators, key order, escaping
        assert record["name"] in EVENT_NAMES
        datetime.strptime(record["tstamp"], TSTAMP_FORMAT)
        assert record["tstamp"].endswith(".000000")
        payload = json.loads(record["payload"])
        assert list(payload) == PAYLOAD_KEYS[record["name"]]
        assert SESSION_ID.match(payload["session_id"])
        if "dvce_os" in payload:
            assert DVCE_OS.match(payload["dvce_os"])
        if "account_id" in payload:
            assert ACCOUNT_ID.match(payload["account_id"])
        if "measurement" in payload:
            value = payload["measurement"]
            assert isinstance(value, float) and value > 0 and round(value, 2) == value


def test_payload_md5_is_md5_of_sorted_keys_payload(generated):
    for record in generated[3]:
        canonical = json.dumps(json.loads(record["payload"]), sort_keys=True)
        assert canonical == record["payload"]
        assert hashlib.md5(canonical.encode()).hexdigest() == record["payload_md5"]


def test_file_is_sorted_by_payload_md5(generated):
    md5s = [r["payload_md5"] for r in generated[3]]
    assert md5s == sorted(md5s)


def test_duplicates_are_identical_adjacent_lines_and_md5_identifies_an_event(generated):
    _, manifest, lines, records = generated
    by_md5: dict[str, set[str]] = defaultdict(set)
    for line, record in zip(lines, records, strict=True):
        by_md5[record["payload_md5"]].add(line)
    assert all(len(variants) == 1 for variants in by_md5.values())
    assert max(Counter(lines).values()) == 2
    assert len(by_md5) == len(set(lines)) == manifest.events_distinct


def test_duplicate_ratio_is_about_one_percent(tmp_path):
    manifest = generate(20_000, 3, tmp_path / "e.jsonl")
    n = manifest.events_distinct
    ratio = manifest.duplicates / n
    assert ratio == pytest.approx(0.01, abs=5 * (0.01 * 0.99 / n) ** 0.5)


def test_timestamps_increase_within_sessions_and_stay_in_the_window(generated):
    _, manifest, _, records = generated
    sessions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record in set(map(json.dumps, records)):
        r = json.loads(record)
        sessions[json.loads(r["payload"])["session_id"]].append((r["tstamp"], r["name"]))
    assert len(sessions) == SESSIONS
    window_start = datetime(2023, 8, 1) - timedelta(days=manifest.span_days)
    rank = {name: i for i, name in enumerate(EVENT_NAMES)}
    for events in sessions.values():
        events.sort()
        stamps = [t for t, _ in events]
        assert len(set(stamps)) == len(stamps)  # strictly increasing
        assert [rank[n] for _, n in events] == sorted(rank[n] for _, n in events)
        assert events[0][1] == "anonymous_visited"
        assert datetime.strptime(stamps[0], TSTAMP_FORMAT) >= window_start
        assert datetime.strptime(stamps[-1], TSTAMP_FORMAT) < datetime(2023, 8, 1)


def recount(path: Path) -> dict:
    """Everything the manifest claims, recomputed from the file alone."""
    raw = path.read_bytes()
    content = gzip.decompress(raw) if path.suffix == ".gz" else raw
    lines = content.decode().splitlines()
    distinct_lines = set(lines)
    records = [json.loads(line) for line in distinct_lines]
    payloads = [json.loads(r["payload"]) for r in records]
    names = [r["name"] for r in records]
    sessions_with: dict[str, set[str]] = defaultdict(set)
    for name, p in zip(names, payloads, strict=True):
        sessions_with[name].add(p["session_id"])
    values = [p["measurement"] for p in payloads if "measurement" in p]
    walks: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r, p in zip(records, payloads, strict=True):
        walks[p["session_id"]].append((r["tstamp"], r["name"]))
    transitions = {a: dict.fromkeys(STATES, 0) for a in EVENT_NAMES}
    for events in walks.values():
        chain = [n for _, n in sorted(events)] + ["interest_lost"]
        for a, b in itertools.pairwise(chain):
            transitions[a][b] += 1
    stamps = sorted(r["tstamp"] for r in records)
    return {
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "content_bytes": len(content),
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "events_total": len(lines),
        "events_distinct": len(distinct_lines),
        "duplicates": len(lines) - len(distinct_lines),
        "distinct_payload_md5": len({r["payload_md5"] for r in records}),
        "events_per_name": dict(Counter(json.loads(line)["name"] for line in lines)),
        "distinct_events_per_name": dict(Counter(names)),
        "tstamp_min": stamps[0],
        "tstamp_max": stamps[-1],
        "funnel": {
            "sessions_with_visit": len(sessions_with["anonymous_visited"]),
            "sessions_with_account": len(sessions_with["account_created"]),
            "sessions_with_measurement": len(sessions_with["measurement_recorded"]),
        },
        "accounts_created": len(
            {
                p["account_id"]
                for p, n in zip(payloads, names, strict=True)
                if n == "account_created"
            }
        ),
        "measurements": {
            "count": len(values),
            "sum": round(sum(round(v * 100) for v in values) / 100, 2),
            "min": min(values),
            "max": max(values),
        },
        "transitions": transitions,
    }


@pytest.mark.parametrize("compress", [False, True])
def test_manifest_matches_a_recount_of_the_file(tmp_path, compress):
    out = tmp_path / ("events.jsonl.gz" if compress else "events.jsonl")
    manifest = generate(SESSIONS, SEED, out, gzip=compress, end=END)
    assert manifest_path(out) == tmp_path / "events.manifest.json"
    assert read_manifest(out) == manifest
    truth = recount(out)
    got = manifest.to_dict()
    for key, value in truth.items():
        if key == "measurements":
            assert {k: got[key][k] for k in value} == value
        else:
            assert got[key] == value, key
    assert manifest.sessions == SESSIONS and manifest.seed == SEED and manifest.gzip is compress
    assert manifest.file == out.name
    assert sum(manifest.duplicates_per_name.values()) == manifest.duplicates
    assert manifest.distinct_payload_md5 == manifest.events_distinct
    assert manifest.accounts_created == manifest.funnel["sessions_with_account"]


def test_manifest_transitions_match_the_matrix_on_a_large_sample(tmp_path):
    manifest = generate(50_000, 99, tmp_path / "e.jsonl")
    for a, row in manifest.transitions.items():
        n = sum(row.values())
        for b, count in row.items():
            p = TRANSITIONS[STATES.index(a), STATES.index(b)]
            assert abs(count / n - p) <= 5 * (p * (1 - p) / n) ** 0.5 + 1e-12, (a, b)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = generate(500, 1, tmp_path / "a.jsonl")
    b = generate(500, 1, tmp_path / "b.jsonl")
    c = generate(500, 2, tmp_path / "c.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert a.sha256 == b.sha256 != c.sha256
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_gzip_output_is_deterministic_and_holds_the_same_lines(tmp_path):
    plain = generate(500, 1, tmp_path / "p.jsonl")
    one = generate(500, 1, tmp_path / "x" / "one.jsonl.gz", gzip=True)
    two = generate(500, 1, tmp_path / "y" / "two.jsonl.gz", gzip=True)
    assert one.sha256 == two.sha256
    assert one.content_sha256 == plain.sha256
    raw = gzip.decompress((tmp_path / "x" / "one.jsonl.gz").read_bytes())
    assert raw == (tmp_path / "p.jsonl").read_bytes()


def test_end_date_moves_the_window(tmp_path):
    manifest = generate(300, 1, tmp_path / "e.jsonl", end=date(2020, 1, 15))
    assert manifest.tstamp_max is not None and manifest.tstamp_max < "2020-01-16"
    assert manifest.end == "2020-01-15"


def test_zero_sessions_gives_an_empty_file(tmp_path):
    manifest = generate(0, 1, tmp_path / "e.jsonl")
    assert (tmp_path / "e.jsonl").read_bytes() == b""
    assert manifest.events_total == 0 and manifest.tstamp_min is None


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(-1, 1, tmp_path / "e.jsonl")
    with pytest.raises(ValueError):
        generate(1, 1, tmp_path / "e.jsonl", duplicate_rate=2.0)
