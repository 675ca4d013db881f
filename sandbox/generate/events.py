"""Session attributes and the byte-exact rendering of events as the article's JSON lines.

Pure functions over NumPy arrays: no I/O. Everything is built as ``bytes`` (never ``str``) so
the hot path does no encoding, and the only per-event Python work left is one ``%`` format for
the payload, one ``hashlib.md5`` call and one ``%`` format for the line.

A line is exactly what ``json.dumps`` (default separators) gives for the article's records::

    {"name": "anonymous_visited", "tstamp": "2023-06-18 14:27:52.000000", "payload":
    "{\\"dvce_os\\": \\"Android 4.3.1\\", \\"session_id\\": \\"FQMDaWRSHuZGMOJKzQIn\\"}",
    "payload_md5": "000016e7e672dddb6b7cdd607c4e372b"}

(one line in the file).

The payload string is itself ``json.dumps(payload, sort_keys=True)`` (its keys happen to be in
alphabetical order already), so ``payload_md5 == md5(payload)`` can be checked from the line
alone. Every field value is ASCII letters, digits, ``.``, ``@`` or space, so no JSON escaping
beyond the payload's quotes is ever needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from math import gcd

import numpy as np

from sandbox.generate.chain import ACCOUNT, EVENT_NAMES, MEASUREMENT, VISIT

# Android release numbers, as a device's OS string "Android <version>" (the article's dvce_os).
# fmt: off
ANDROID_VERSIONS: tuple[str, ...] = (
    "1.0", "1.1", "1.5", "1.6", "2.0", "2.0.1", "2.1", "2.2", "2.2.1", "2.2.2", "2.2.3", "2.3",
    "2.3.1", "2.3.2", "2.3.3", "2.3.4", "2.3.5", "2.3.6", "2.3.7", "3.0", "3.1", "3.2", "3.2.1",
    "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "4.0", "4.0.1", "4.0.2", "4.0.3", "4.0.4", "4.1",
    "4.1.1", "4.1.2", "4.2", "4.2.1", "4.2.2", "4.3", "4.3.1", "4.4", "4.4.1", "4.4.2", "4.4.3",
    "4.4.4", "5.0", "5.0.1", "5.0.2", "5.1", "5.1.1", "6.0", "6.0.1", "7.0", "7.1", "7.1.1",
    "7.1.2", "8.0.0", "8.1.0", "9", "10", "11", "12", "13",
)
FIRST_NAMES: tuple[str, ...] = (
    "adam", "alice", "anna", "ben", "carla", "chen", "david", "elena", "emma", "felix", "grace",
    "hana", "ivan", "jakub", "james", "julia", "karim", "laura", "leo", "lucia", "maria", "mateo",
    "mia", "nina", "noah", "olga", "omar", "paula", "rafael", "sara", "tom", "zoe",
)
LAST_NAMES: tuple[str, ...] = (
    "anderson", "baker", "costa", "dubois", "evans", "fischer", "garcia", "hansen", "ito",
    "jensen", "kowalski", "lopez", "martin", "meyer", "nakamura", "novak", "oliveira", "petrov",
    "quinn", "rossi", "schmidt", "silva", "smith", "tanaka", "torres", "novotny", "walker",
    "wang", "weber", "young",
)
# fmt: on
# RFC 2606 reserved domains: the e-mail-like ids can never be real addresses.
DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net")

SESSION_ID_LENGTH = 20
_LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)

TSTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # the article's (Hive) timestamp format
TSTAMP_WIDTH = 26

PAYLOAD_TEMPLATES: dict[int, bytes] = {
    VISIT: b'{"dvce_os": "%s", "session_id": "%s"}',
    ACCOUNT: b'{"account_id": "%s", "session_id": "%s"}',
    MEASUREMENT: b'{"account_id": "%s", "measurement": %s, "session_id": "%s"}',
}


def line_template(state: int) -> bytes:
    """``%``-template of a whole line: args are tstamp, the payload's fields, md5 hex."""
    escaped_payload = PAYLOAD_TEMPLATES[state].replace(b'"', b'\\"')
    return (
        b'{"name": "'
        + EVENT_NAMES[state].encode()
        + b'", "tstamp": "%s", "payload": "'
        + escaped_payload
        + b'", "payload_md5": "%s"}'
    )


LINE_TEMPLATES: dict[int, bytes] = {state: line_template(state) for state in PAYLOAD_TEMPLATES}


@dataclass(frozen=True)
class SessionAttributes:
    """Per-session values; arrays indexed by session."""

    session_id: np.ndarray  # S20, unique
    account_id: list[bytes]  # e-mail-like, unique
    os_offset: np.ndarray  # index of the first visit's Android version
    os_stride: np.ndarray  # step between the versions of successive visits (coprime with N)
    measurement_mean: np.ndarray  # per-user mean of the measurements


def random_letters(rng: np.random.Generator, count: int, length: int) -> np.ndarray:
    """``count`` random ``[A-Za-z]{length}`` strings as a fixed-width bytes array."""
    codes = _LETTERS[rng.integers(0, _LETTERS.size, size=(count, length))]
    return np.ascontiguousarray(codes).view(f"S{length}").ravel()


def session_attributes(sessions: int, rng: np.random.Generator) -> SessionAttributes:
    session_id = random_letters(rng, sessions, SESSION_ID_LENGTH)
    # 52**20 values make a clash astronomically rare, but redraw so uniqueness is a guarantee.
    while sessions:
        _, first = np.unique(session_id, return_index=True)
        clash = np.setdiff1d(np.arange(sessions), first)
        if clash.size == 0:
            break
        session_id[clash] = random_letters(rng, clash.size, SESSION_ID_LENGTH)

    # A number distinct per session makes the e-mail-like ids unique by construction.
    serial = rng.permutation(sessions)
    first_names = rng.integers(0, len(FIRST_NAMES), sessions).tolist()
    last_names = rng.integers(0, len(LAST_NAMES), sessions).tolist()
    domains = rng.integers(0, len(DOMAINS), sessions).tolist()
    account_id = [
        f"{FIRST_NAMES[f]}.{LAST_NAMES[la]}{s}@{DOMAINS[d]}".encode()
        for f, la, s, d in zip(first_names, last_names, serial.tolist(), domains, strict=True)
    ]

    n_os = len(ANDROID_VERSIONS)
    strides = np.array([s for s in range(1, n_os) if gcd(s, n_os) == 1])
    return SessionAttributes(
        session_id=session_id,
        account_id=account_id,
        os_offset=rng.integers(0, n_os, sessions),
        os_stride=strides[rng.integers(0, strides.size, sessions)],
        measurement_mean=10.0 + 170.0 * rng.random(sessions),
    )


def visit_os_index(attrs: SessionAttributes, session: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Android version of each visit: distinct across a session's visits (up to N of them),
    so no two events ever share a payload and ``payload_md5`` identifies an event."""
    n_os = len(ANDROID_VERSIONS)
    return (attrs.os_offset[session] + step.astype(np.int64) * attrs.os_stride[session]) % n_os


def measurement_cents(
    attrs: SessionAttributes, session: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Measurements in hundredths: normal around the user's mean, sd = mean / 10, >= 0.01."""
    mean = attrs.measurement_mean[session]
    values = rng.normal(mean, mean / 10.0)
    cents = np.maximum(np.rint(values * 100.0), 1).astype(np.int64)
    return distinct_within_sessions(session, cents)


def distinct_within_sessions(session: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Nudge equal values of one session up by a cent until all differ.

    Two equal measurements of one user would have identical payloads, hence the same
    ``payload_md5`` as a duplicate; at two decimals that happens to ~0.4% of them.
    """
    cents = cents.copy()
    while cents.size:
        if int(cents.max()) < 1 << 24 and int(session.max()) < 1 << 38:
            order = np.argsort((session.astype(np.int64) << 24) | cents)  # one key: faster
        else:
            order = np.lexsort((cents, session))
        s, c = session[order], cents[order]
        clash = (s[1:] == s[:-1]) & (c[1:] == c[:-1])
        if not clash.any():
            break
        cents[order[1:][clash]] += 1
    return cents


# "%d.%s" % (cents // 100, _FRACTION[cents % 100]) is exactly repr(round(cents / 100, 2)):
# the shortest decimal that round-trips, which is what json.dumps writes for a float.
_FRACTION: tuple[bytes, ...] = tuple((f"{f:02d}".rstrip("0") or "0").encode() for f in range(100))


def format_cents(cents: np.ndarray) -> list[bytes]:
    whole = (cents // 100).tolist()
    frac = (cents % 100).tolist()
    table = _FRACTION
    return [b"%d.%s" % (w, table[f]) for w, f in zip(whole, frac, strict=True)]


def session_offsets(
    session: np.ndarray, step: np.ndarray, rng: np.random.Generator, mean_gap_seconds: float
) -> np.ndarray:
    """Seconds since the session's first event: 0, then increasing by gaps of >= 1 s."""
    gaps = 1 + np.floor(rng.exponential(mean_gap_seconds, session.size)).astype(np.int64)
    gaps[step == 0] = 0
    order = np.lexsort((step, session))  # session-major, steps ascending
    cumulative = np.cumsum(gaps[order])
    first = step[order] == 0
    base = np.maximum.accumulate(np.where(first, cumulative, 0))
    offsets = np.empty_like(cumulative)
    offsets[order] = cumulative - base
    return offsets


def session_starts(
    durations: np.ndarray, rng: np.random.Generator, window_start: int, window_end: int
) -> np.ndarray:
    """Uniform start times such that a whole session fits in ``[window_start, window_end)``."""
    latest = window_end - 1 - durations
    room = np.maximum(latest - window_start, 0)
    return latest - np.floor(rng.random(durations.size) * (room + 1)).astype(np.int64)


def format_tstamps(epoch_seconds: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS.000000`` for each epoch second, as an S26 array (vectorised)."""
    secs = np.asarray(epoch_seconds, dtype=np.int64)
    days, rem = np.divmod(secs, 86400)
    hour, rem = np.divmod(rem, 3600)
    minute, second = np.divmod(rem, 60)
    # civil_from_days (H. Hinnant): proleptic Gregorian date from days since 1970-01-01.
    z = days + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)

    out = np.empty((secs.size, TSTAMP_WIDTH), dtype=np.uint8)
    out[:] = np.frombuffer(b"0000-00-00 00:00:00.000000", dtype=np.uint8)

    def put(start: int, width: int, values: np.ndarray) -> None:
        for i in range(width):
            out[:, start + width - 1 - i] = _DIGITS[(values // 10**i) % 10]

    put(0, 4, year)
    put(5, 2, month)
    put(8, 2, day)
    put(11, 2, hour)
    put(14, 2, minute)
    put(17, 2, second)
    return out.view(f"S{TSTAMP_WIDTH}").ravel()


def md5_digests(payloads: Sequence[bytes]) -> bytes:
    """The 16-byte md5 digests of ``payloads``, concatenated."""
    md5 = hashlib.md5
    return b"".join([md5(p).digest() for p in payloads])


def hex_digests(digests: np.ndarray) -> np.ndarray:
    """(n, 16) uint8 digests -> S32 lowercase hex (vectorised ``hexdigest``)."""
    out = np.empty((digests.shape[0], 32), dtype=np.uint8)
    out[:, 0::2] = _HEX[digests >> 4]
    out[:, 1::2] = _HEX[digests & 15]
    return out.view("S32").ravel()
