"""The Python side of the translation: HyperLogLog accuracy, URL parts, Java's double text."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest

from sandbox.query.dialect import udfs
from sandbox.query.dialect.translate import translate
from sandbox.query.engine import duck


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    duck.prepare_sql(connection)
    return connection


def test_trinos_bucket_counts() -> None:
    # ApproximateCountDistinct: 2^ceil(log2((1.04 / e)^2)) buckets.
    assert udfs.buckets_for(0.023) == 2048
    assert udfs.buckets_for(0.0040625) == 65536
    assert udfs.buckets_for(0.26) == 16
    with pytest.raises(ValueError, match="Max standard error"):
        udfs.buckets_for(0.3)


def _relative_errors(
    con: duckdb.DuckDBPyConnection, n: int, error: float, runs: int
) -> list[float]:
    sql = translate(f"SELECT approx_distinct(x, {error}) FROM t")
    errors = []
    for run in range(runs):
        con.execute(
            f"CREATE OR REPLACE TABLE t AS SELECT md5(CAST(i AS VARCHAR) || '-{run}') AS x "
            f"FROM range({n}) r(i)"
        )
        (estimate,) = con.execute(sql.replace('"default".', "")).fetchone() or (0,)
        errors.append(estimate / n - 1)
    return errors


@pytest.mark.parametrize(("n", "error"), [(10_000, 0.023), (20_000, 0.01)])
def test_approx_distinct_is_within_trinos_standard_error(
    con: duckdb.DuckDBPyConnection, n: int, error: float
) -> None:
    # Issue 14 measured DuckDB's approx_count_distinct 14% low on 10,000 values. Over 12 data
    # sets the root-mean-square error stays near the documented standard error, and no
    # single estimate is off by more than 4 standard errors.
    errors = _relative_errors(con, n, error, runs=12)
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert rms < error * 1.3, (rms, errors)
    assert max(abs(e) for e in errors) < 4 * error


def test_approx_distinct_is_exact_while_small_and_zero_when_empty(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute("CREATE OR REPLACE TABLE t AS SELECT i % 700 AS x FROM range(5000) r(i)")
    sql = translate("SELECT approx_distinct(x) FROM t").replace('"default".', "")
    assert con.execute(sql).fetchone() == (700,)
    empty = translate("SELECT approx_distinct(x) FROM t WHERE x < 0").replace('"default".', "")
    assert con.execute(empty).fetchone() == (0,)


def test_hll_estimate_on_random_hashes() -> None:
    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**63, 200_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    assert abs(udfs.hll_estimate(hashes, 2048) / 200_000 - 1) < 0.08


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e7, "1.0E7"),
        (1e-4, "1.0E-4"),
        (1.5, "1.5"),
        (123456789.123, "1.23456789123E8"),
        (0.001, "0.001"),
        (-0.0, "-0.0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_java_double_text(value: float, text: str) -> None:
    assert udfs.java_double_text(value) == text


def test_url_functions() -> None:
    url = "http://user@example.com:8080/a%20b/x.html?q=1&r=a+b#frag"
    assert udfs.url_part(url, "host") == "example.com"
    assert udfs.url_part(url, "path") == "/a b/x.html"
    assert udfs.url_part(url, "query") == "q=1&r=a+b"
    assert udfs.url_port(url) == 8080
    assert udfs.url_parameter(url, "r") == "a b"
    assert udfs.url_part("http://x.com", "query") is None
    assert udfs.url_port("http://x.com:99999/") is None  # java.net.URI rejects it
    assert udfs.url_encode("a b&c~*") == "a+b%26c%7E*"


@pytest.mark.parametrize(
    ("duckdb_type", "trino"),
    [
        ("INTEGER[]", "array(integer)"),
        ("MAP(VARCHAR, DOUBLE[])", "map(varchar, array(double))"),
        ('STRUCT(a INTEGER, "b c" VARCHAR)', "row(a integer, b c varchar)"),
        ("DECIMAL(18,3)", "decimal(18,3)"),
        ("FLOAT", "real"),
        ("BLOB", "varbinary"),
    ],
)
def test_trino_type_names(duckdb_type: str, trino: str) -> None:
    assert udfs.trino_type_name(duckdb_type) == trino


def test_decimal_division_rounds_half_up() -> None:
    assert udfs.decimal_divide("10.00", "3.00", 2) == "3.33"
    assert udfs.decimal_divide("-7.5", "2", 1) == "-3.8"
    with pytest.raises(ZeroDivisionError):
        udfs.decimal_divide("1", "0", 0)
