"""Every conformance case is answered as Athena answers it, or refused: never a wrong answer."""

from __future__ import annotations

import duckdb
import pytest

from tests.sql.areas import areas
from tests.sql.harness import CORRECT, REFUSED, Case, classify, connection

CASES = [
    pytest.param(case, id=f"{area}-{number:03d}")
    for area, cases in areas().items()
    for number, case in enumerate(cases)
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return connection()


def test_the_suite_is_large_enough() -> None:
    assert len(CASES) >= 400


def test_every_case_names_its_source() -> None:
    sources = [p.values[0].source for p in CASES]
    assert all(s.startswith("https://") for s in sources)


@pytest.mark.parametrize("case", CASES)
def test_case(con: duckdb.DuckDBPyConnection, case: Case) -> None:
    outcome = classify(con, case)
    assert outcome.status in (CORRECT, REFUSED), (
        f"{outcome.status}: {case.statement!r} gave {outcome.got!r} {outcome.detail}, "
        f"Athena gives {case.expected!r} ({case.source})"
    )
