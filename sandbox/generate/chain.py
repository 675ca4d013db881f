"""The article's user-session state machine, simulated for many sessions at once.

A session starts in ``anonymous_visited`` and moves by the transition matrix
:data:`TRANSITIONS` until it reaches the absorbing state ``interest_lost`` (which emits no
event). All sessions step together as NumPy arrays: one iteration per step, on the sessions
still active, so the cost is proportional to the number of events, not sessions x steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATES: tuple[str, ...] = (
    "anonymous_visited",
    "account_created",
    "measurement_recorded",
    "interest_lost",
)
VISIT, ACCOUNT, MEASUREMENT, LOST = range(4)
EVENT_NAMES: tuple[str, ...] = STATES[:LOST]

# Rows: from-state, columns: to-state, in STATES order (the article's diagram).
TRANSITIONS = np.array(
    [
        [0.4, 0.4, 0.0, 0.2],
        [0.0, 0.0, 0.7, 0.3],
        [0.0, 0.0, 0.9, 0.1],
        [0.0, 0.0, 0.0, 1.0],
    ]
)


@dataclass(frozen=True)
class Walks:
    """Every emitted event of every session, in step-major order.

    ``session[i]`` is the session index of event ``i``, ``step[i]`` its 0-based position in the
    session and ``state[i]`` its state (never :data:`LOST`). ``transitions[a, b]`` counts the
    observed moves from state ``a`` to ``b``, including the final move into :data:`LOST`.
    """

    session: np.ndarray
    step: np.ndarray
    state: np.ndarray
    transitions: np.ndarray


def simulate(sessions: int, rng: np.random.Generator, matrix: np.ndarray = TRANSITIONS) -> Walks:
    """Walk ``sessions`` chains from ``anonymous_visited`` to ``interest_lost``."""
    if sessions < 0:
        raise ValueError("sessions must be >= 0")
    n_states = matrix.shape[0]
    cumulative = matrix.cumsum(axis=1)
    cumulative[:, -1] = 1.0  # guard against rounding: every row must end at exactly 1
    active = np.arange(sessions, dtype=np.int64)
    state = np.full(sessions, VISIT, dtype=np.int64)
    transitions = np.zeros(n_states * n_states, dtype=np.int64)
    sessions_parts: list[np.ndarray] = []
    step_parts: list[np.ndarray] = []
    state_parts: list[np.ndarray] = []
    step = 0
    while active.size:
        sessions_parts.append(active)
        step_parts.append(np.full(active.size, step, dtype=np.int32))
        state_parts.append(state)
        u = rng.random(active.size)
        nxt = (u[:, None] < cumulative[state]).argmax(axis=1)
        transitions += np.bincount(state * n_states + nxt, minlength=n_states * n_states)
        keep = nxt != LOST
        active = active[keep]
        state = nxt[keep]
        step += 1

    def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    return Walks(
        session=cat(sessions_parts, np.int64),
        step=cat(step_parts, np.int32),
        state=cat(state_parts, np.int8),
        transitions=transitions.reshape(n_states, n_states),
    )
