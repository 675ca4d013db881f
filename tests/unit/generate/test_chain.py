"""The simulated chain follows the article's transition matrix."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox.generate.chain import (
    ACCOUNT,
    LOST,
    MEASUREMENT,
    TRANSITIONS,
    VISIT,
    simulate,
)


def expected_events_per_session(matrix: np.ndarray = TRANSITIONS) -> float:
    """Mean number of events before absorption (fundamental matrix of the absorbing chain)."""
    q = matrix[:LOST, :LOST]
    fundamental = np.linalg.inv(np.eye(q.shape[0]) - q)
    return float(fundamental[VISIT].sum())


@pytest.fixture(scope="module")
def walks():
    return simulate(200_000, np.random.default_rng(2023))


def test_matrix_is_the_articles():
    assert TRANSITIONS[VISIT].tolist() == [0.4, 0.4, 0.0, 0.2]
    assert TRANSITIONS[ACCOUNT].tolist() == [0.0, 0.0, 0.7, 0.3]
    assert TRANSITIONS[MEASUREMENT].tolist() == [0.0, 0.0, 0.9, 0.1]
    assert TRANSITIONS[LOST].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert np.allclose(TRANSITIONS.sum(axis=1), 1.0)


def test_transition_frequencies_match_the_matrix(walks):
    counts = walks.transitions
    for state in (VISIT, ACCOUNT, MEASUREMENT):
        n = counts[state].sum()
        assert n > 50_000
        observed = counts[state] / n
        expected = TRANSITIONS[state]
        # Five binomial standard errors: the seed is fixed, so this never flakes, yet a wrong
        # probability (off by even 0.01) fails.
        tolerance = 5 * np.sqrt(expected * (1 - expected) / n) + 1e-12
        assert np.all(np.abs(observed - expected) <= tolerance), (state, observed, expected)


def test_transitions_recounted_from_the_walks(walks):
    order = np.lexsort((walks.step, walks.session))
    session, state = walks.session[order], walks.state[order]
    same = session[1:] == session[:-1]
    recount = np.zeros((4, 4), dtype=np.int64)
    np.add.at(recount, (state[:-1][same], state[1:][same]), 1)
    last = np.append(~same, True)
    np.add.at(recount, (state[last], LOST), 1)
    assert (recount == walks.transitions).all()


def test_sessions_start_with_a_visit_and_never_emit_lost(walks):
    assert (walks.state[walks.step == 0] == VISIT).all()
    assert np.unique(walks.session[walks.step == 0]).size == 200_000
    assert not (walks.state == LOST).any()


def test_sessions_follow_the_state_order(walks):
    # visits, then at most one account, then measurements: states never decrease.
    order = np.lexsort((walks.step, walks.session))
    session, state = walks.session[order], walks.state[order]
    same = session[1:] == session[:-1]
    assert (state[1:][same] >= state[:-1][same]).all()
    accounts_per_session = np.bincount(walks.session[walks.state == ACCOUNT], minlength=200_000)
    assert accounts_per_session.max() == 1


def test_expected_events_per_session_is_seven(walks):
    # 1/0.6 visits + 2/3 * (1 account + 0.7 * 10 measurements) = 5/3 + 16/3 = 7
    assert expected_events_per_session() == pytest.approx(7.0)
    mean = walks.session.size / 200_000
    # sd of events per session is about 8.5; 5 standard errors
    assert mean == pytest.approx(7.0, abs=5 * 8.5 / np.sqrt(200_000))


def test_zero_sessions():
    walks = simulate(0, np.random.default_rng(1))
    assert walks.session.size == 0
    assert walks.transitions.sum() == 0
