"""``generate()``: sessions -> events -> one sorted JSON Lines file (optionally gzip) + manifest.

Determinism: every random draw comes from child generators of ``SeedSequence(seed)``, one per
concern, so the same seed gives byte-identical output (for a given NumPy version, which the
manifest records). Gzip output is deterministic too (no file name, mtime 0 in the header).
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from sandbox.generate import events as ev
from sandbox.generate.chain import (
    ACCOUNT,
    EVENT_NAMES,
    LOST,
    MEASUREMENT,
    STATES,
    VISIT,
    simulate,
)
from sandbox.generate.manifest import Manifest, manifest_path

DEFAULT_SESSIONS = 100_000
DEFAULT_SEED = 42
DEFAULT_END = date(2023, 7, 31)  # the article's data ends in July 2023
DEFAULT_SPAN_DAYS = 3 * 365
DEFAULT_DUPLICATE_RATE = 0.01
DEFAULT_MEAN_GAP_SECONDS = 2 * 86400.0  # a user comes back every other day or so
GZIP_LEVEL = 6


def generate(
    sessions: int,
    seed: int,
    out: Path,
    gzip: bool = False,
    end: date = DEFAULT_END,
    *,
    span_days: int = DEFAULT_SPAN_DAYS,
    duplicate_rate: float = DEFAULT_DUPLICATE_RATE,
    mean_gap_seconds: float = DEFAULT_MEAN_GAP_SECONDS,
) -> Manifest:
    """Write ``sessions`` synthetic user sessions to ``out`` and its manifest; return it.

    Timestamps fall in the ``span_days`` days ending with ``end`` (inclusive), increasing
    within each session. About ``duplicate_rate`` of the events appear twice (identical
    lines). Lines are sorted by ``payload_md5``.
    """
    if sessions < 0:
        raise ValueError("sessions must be >= 0")
    if span_days < 1:
        raise ValueError("span_days must be >= 1")
    if not 0.0 <= duplicate_rate <= 1.0:
        raise ValueError("duplicate_rate must be within [0, 1]")
    started = time.perf_counter()
    chain_rng, attr_rng, time_rng, value_rng, dup_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )

    walks = simulate(sessions, chain_rng)
    attrs = ev.session_attributes(sessions, attr_rng)

    offsets = ev.session_offsets(walks.session, walks.step, time_rng, mean_gap_seconds)
    durations = np.zeros(sessions, dtype=np.int64)
    np.maximum.at(durations, walks.session, offsets)
    window_end = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) + 86400
    starts = ev.session_starts(durations, time_rng, window_end - span_days * 86400, window_end)

    # Work group by group (one payload template each); "grouped order" = visits, accounts,
    # measurements, each in simulation order.
    groups = [np.flatnonzero(walks.state == state) for state in (VISIT, ACCOUNT, MEASUREMENT)]
    grouped = np.concatenate(groups)
    session = walks.session[grouped]
    state = walks.state[grouped]
    secs = starts[session] + offsets[grouped]
    n_visits, n_accounts = groups[0].size, groups[1].size
    bounds = np.cumsum([0, *(g.size for g in groups)])

    def part(values: np.ndarray, state_: int) -> np.ndarray:
        return values[bounds[state_] : bounds[state_ + 1]]

    sid = attrs.session_id[session].tolist()
    os_names = [f"Android {v}".encode() for v in ev.ANDROID_VERSIONS]
    visit_os = [
        os_names[i]
        for i in ev.visit_os_index(attrs, part(session, VISIT), walks.step[groups[0]]).tolist()
    ]
    account_ids = attrs.account_id
    acc_of_account = [account_ids[i] for i in part(session, ACCOUNT).tolist()]
    acc_of_measurement = [account_ids[i] for i in part(session, MEASUREMENT).tolist()]
    cents = ev.measurement_cents(attrs, part(session, MEASUREMENT), value_rng)
    values = ev.format_cents(cents)

    sid_v, sid_a, sid_m = sid[:n_visits], sid[n_visits : bounds[2]], sid[bounds[2] :]
    tv, ta, tm = (ev.PAYLOAD_TEMPLATES[s] for s in (VISIT, ACCOUNT, MEASUREMENT))
    payloads = [tv % args for args in zip(visit_os, sid_v, strict=True)]
    payloads += [ta % args for args in zip(acc_of_account, sid_a, strict=True)]
    payloads += [tm % args for args in zip(acc_of_measurement, values, sid_m, strict=True)]
    digests = np.frombuffer(ev.md5_digests(payloads), dtype=np.uint8).reshape(-1, 16)
    del payloads
    hexes = ev.hex_digests(digests).tolist()
    tstamps = ev.format_tstamps(secs).tolist()

    lv, la, lm = (ev.LINE_TEMPLATES[s] for s in (VISIT, ACCOUNT, MEASUREMENT))
    hx_v, hx_a, hx_m = hexes[:n_visits], hexes[n_visits : bounds[2]], hexes[bounds[2] :]
    ts_v, ts_a, ts_m = tstamps[:n_visits], tstamps[n_visits : bounds[2]], tstamps[bounds[2] :]
    lines = [lv % args for args in zip(ts_v, visit_os, sid_v, hx_v, strict=True)]
    lines += [la % args for args in zip(ts_a, acc_of_account, sid_a, hx_a, strict=True)]
    lines += [lm % args for args in zip(ts_m, acc_of_measurement, values, sid_m, hx_m, strict=True)]
    assert len(lines) == grouped.size and n_accounts == len(acc_of_account)

    duplicated = dup_rng.random(grouped.size) < duplicate_rate
    order, distinct_md5 = _md5_order(digests)
    rows = np.repeat(order, 1 + duplicated[order])
    line_array = np.empty(len(lines), dtype=object)
    line_array[:] = lines
    del lines
    content = b"\n".join(line_array[rows].tolist()) + (b"\n" if rows.size else b"")
    del line_array

    file_bytes = gzip_module.compress(content, GZIP_LEVEL, mtime=0) if gzip else content
    _write_atomically(out, file_bytes)
    elapsed = time.perf_counter() - started

    names = list(EVENT_NAMES)
    distinct_per_name = np.bincount(state, minlength=len(names))
    dups_per_name = np.bincount(state[duplicated], minlength=len(names))
    per_session_states = np.zeros((sessions, len(names)), dtype=bool)
    per_session_states[session, state] = True
    funnel_counts = per_session_states.sum(axis=0).tolist()
    measurement_count = int(cents.size)
    total_cents = int(cents.sum())
    manifest = Manifest(
        file=out.name,
        gzip=gzip,
        seed=seed,
        sessions=sessions,
        end=end.isoformat(),
        span_days=span_days,
        duplicate_rate=duplicate_rate,
        events_total=int(rows.size),
        events_distinct=int(grouped.size),
        duplicates=int(duplicated.sum()),
        distinct_payload_md5=distinct_md5,
        events_per_name={
            n: int(d + u) for n, d, u in zip(names, distinct_per_name, dups_per_name, strict=True)
        },
        distinct_events_per_name={n: int(d) for n, d in zip(names, distinct_per_name, strict=True)},
        duplicates_per_name={n: int(u) for n, u in zip(names, dups_per_name, strict=True)},
        tstamp_min=ev.format_tstamps(secs.min(keepdims=True))[0].decode() if secs.size else None,
        tstamp_max=ev.format_tstamps(secs.max(keepdims=True))[0].decode() if secs.size else None,
        funnel={
            "sessions_with_visit": int(funnel_counts[VISIT]),
            "sessions_with_account": int(funnel_counts[ACCOUNT]),
            "sessions_with_measurement": int(funnel_counts[MEASUREMENT]),
        },
        accounts_created=len(set(acc_of_account)),
        measurements={
            "count": measurement_count,
            "sum": round(total_cents / 100, 2),
            "min": round(int(cents.min()) / 100, 2) if measurement_count else None,
            "max": round(int(cents.max()) / 100, 2) if measurement_count else None,
            "mean": round(total_cents / 100 / measurement_count, 6) if measurement_count else None,
        },
        transitions={
            STATES[a]: {STATES[b]: int(walks.transitions[a, b]) for b in range(len(STATES))}
            for a in range(LOST)
        },
        bytes=len(file_bytes),
        sha256=hashlib.sha256(file_bytes).hexdigest(),
        content_bytes=len(content),
        content_sha256=hashlib.sha256(content).hexdigest() if gzip else "",
        generation_seconds=round(elapsed, 3),
        events_per_second=round(rows.size / elapsed, 1) if elapsed > 0 else 0.0,
        numpy_version=np.__version__,
    )
    if not gzip:
        manifest.content_sha256 = manifest.sha256
    manifest.write(manifest_path(out))
    return manifest


def _md5_order(digests: np.ndarray) -> tuple[np.ndarray, int]:
    """Order of the events by md5 (= by ``payload_md5`` hex), and the distinct md5 count."""
    if digests.shape[0] == 0:
        return np.empty(0, dtype=np.int64), 0
    words = np.ascontiguousarray(digests).view(">u8")  # (n, 2): big-endian halves sort like hex
    hi, lo = words[:, 0], words[:, 1]
    order = np.argsort(hi, kind="stable")
    hi_sorted, lo_sorted = hi[order], lo[order]
    same_hi = hi_sorted[1:] == hi_sorted[:-1]
    if np.any(same_hi & (lo_sorted[1:] != lo_sorted[:-1])):
        order = np.lexsort((lo, hi))  # 64-bit prefix tie: rare, sort on the full digest
        hi_sorted, lo_sorted = hi[order], lo[order]
        same_hi = hi_sorted[1:] == hi_sorted[:-1]
    same = same_hi & (lo_sorted[1:] == lo_sorted[:-1])
    return order, int(order.size - same.sum())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a data file is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
