"""Aggregate functions, FILTER, grouping sets, window functions, over small inline tables."""

from tests.sql.harness import Fails, table

AGGREGATE = "https://trino.io/docs/current/functions/aggregate.html"
WINDOW = "https://trino.io/docs/current/functions/window.html"
SELECT = "https://trino.io/docs/current/sql/select.html"
T = "WITH t(x) AS (VALUES 1, 2, 3, 4, 5) "
KV = "WITH t(k, v) AS (VALUES ('a', 1), ('b', 2), ('a', 3)) "
N = "WITH t(x) AS (VALUES 1, NULL, 3) "

CASES = [
    *table(
        AGGREGATE,
        [
            (T + "SELECT count(*) FROM t", "5"),
            (N + "SELECT count(x) FROM t", "2"),
            (N + "SELECT count(*) FROM t", "3"),
            (T + "SELECT sum(x) FROM t", "15"),
            (T + "SELECT avg(x) FROM t", "3.0"),
            (T + "SELECT min(x), max(x) FROM t", [("1", "5")]),
            (N + "SELECT sum(x) FROM t", "4"),
            (N + "SELECT avg(x) FROM t", "2.0"),
            ("WITH t(x) AS (VALUES 1) SELECT sum(x) FROM t WHERE x > 1", None),
            ("WITH t(x) AS (VALUES 1) SELECT count(x) FROM t WHERE x > 1", "0"),
            ("WITH t(x) AS (VALUES DECIMAL '1.10', DECIMAL '2.20') SELECT sum(x) FROM t", "3.30"),
            (T + "SELECT count_if(x > 2) FROM t", "3"),
            (
                "WITH t(x) AS (VALUES DECIMAL '1.5', DECIMAL '2.0') SELECT avg(x) FROM t",
                "1.8",
            ),
            ("WITH t(x) AS (VALUES 1.5e0, 2.5e0) SELECT sum(x) FROM t", "4.0"),
            ("WITH t(x) AS (VALUES 1, 2) SELECT typeof(avg(x)) FROM t", "double"),
            ("SELECT typeof(sum(x)) FROM (VALUES 1, 2) AS t(x)", "bigint"),
            (
                "SELECT sum(x) FROM (VALUES 9223372036854775807, 1) AS t(x)",
                Fails("bigint addition overflow"),
            ),
            (
                T + "SELECT bool_and(x > 0), bool_or(x > 4), every(x > 1) FROM t",
                [("true", "true", "false")],
            ),
            (T + "SELECT array_agg(x ORDER BY x DESC) FROM t", "[5, 4, 3, 2, 1]"),
            (T + "SELECT sum(x) FILTER (WHERE x > 2) FROM t", "12"),
            (T + "SELECT count(DISTINCT x % 2) FROM t", "2"),
            (KV + "SELECT max_by(k, v), min_by(k, v) FROM t", [("a", "a")]),
            (KV + "SELECT max_by(v, v, 2) FROM t", "[3, 2]"),
            (T + "SELECT approx_distinct(x) FROM t", "5"),
            (KV + "SELECT approx_distinct(k) FROM t", "2"),
            (T + "SELECT approx_distinct(x, 0.01) FROM t", "5"),
            (T + "SELECT approx_percentile(x, 0.5) FROM t", "3"),
            (T + "SELECT approx_percentile(x, ARRAY[0.2, 1.0]) FROM t", "[1, 5]"),
            (T + "SELECT variance(x) FROM t", "2.5"),
            (T + "SELECT var_pop(x) FROM t", "2.0"),
            (T + "SELECT stddev(x) FROM t", "1.5811388300841898"),
            (T + "SELECT stddev_pop(x) FROM t", "1.4142135623730951"),
            ("WITH t(x) AS (VALUES 1) SELECT stddev(x) FROM t", None),
            (KV + "SELECT map_agg(k, v) FROM t WHERE v < 3", "{a=1, b=2}"),
            (KV + "SELECT histogram(k) FROM t", "{a=2, b=1}"),
            (KV + "SELECT multimap_agg(k, v) FROM t WHERE k = 'b'", "{b=[2]}"),
            ("WITH t(x, y) AS (VALUES (1, 2), (2, 4), (3, 6)) SELECT corr(x, y) FROM t", "1.0"),
            (
                "WITH t(x, y) AS (VALUES (1, 2), (2, 4), (3, 6)) SELECT regr_slope(y, x) FROM t",
                "2.0",
            ),
            (
                "WITH t(x, y) AS (VALUES (1, 2), (2, 4), (3, 6)) SELECT covar_samp(x, y) FROM t",
                "2.0",
            ),
            ("WITH t(x) AS (VALUES 1, 4) SELECT geometric_mean(x) FROM t", "2.0"),
            ("WITH t(x) AS (VALUES 'a') SELECT arbitrary(x) FROM t", "a"),
            ("WITH t(x) AS (VALUES 'a') SELECT any_value(x) FROM t", "a"),
            (
                T + "SELECT listagg(CAST(x AS varchar), ',') WITHIN GROUP (ORDER BY x) FROM t",
                "1,2,3,4,5",
            ),
            ("WITH t(x) AS (VALUES 5, 3) SELECT bitwise_and_agg(x) FROM t", "1"),
            (KV + "SELECT k, sum(v) FROM t GROUP BY k ORDER BY k", [("a", "4"), ("b", "2")]),
            (KV + "SELECT k, count(*) FROM t GROUP BY k HAVING count(*) > 1", [("a", "2")]),
        ],
    ),
    *table(
        SELECT,
        [
            (
                KV + "SELECT k, sum(v) FROM t GROUP BY ROLLUP (k) ORDER BY k",
                [("a", "4"), ("b", "2"), (None, "6")],
            ),
            (
                KV
                + (
                    "SELECT k, grouping(k), sum(v) FROM t GROUP "
                    "BY GROUPING SETS ((k), ()) ORDER BY k"
                ),
                [("a", "0", "4"), ("b", "0", "2"), (None, "1", "6")],
            ),
            (KV + "SELECT count(*) FROM t GROUP BY CUBE (k) ORDER BY 1", [("1",), ("2",), ("3",)]),
        ],
    ),
    *table(
        WINDOW,
        [
            (
                T + "SELECT x, row_number() OVER (ORDER BY x DESC) FROM t ORDER BY x LIMIT 2",
                [("1", "5"), ("2", "4")],
            ),
            (
                "WITH t(x) AS (VALUES 1, 1, 2) SELECT x, rank() OVER (ORDER BY x), "
                "dense_rank() OVER (ORDER BY x) FROM t ORDER BY x",
                [("1", "1", "1"), ("1", "1", "1"), ("2", "3", "2")],
            ),
            (
                T + "SELECT x, lag(x) OVER (ORDER BY x), lead(x, 2) OVER (ORDER BY x) FROM t "
                "ORDER BY x LIMIT 2",
                [("1", None, "3"), ("2", "1", "4")],
            ),
            (
                T + "SELECT x, sum(x) OVER (ORDER BY x) FROM t ORDER BY x LIMIT 3",
                [("1", "1"), ("2", "3"), ("3", "6")],
            ),
            (
                T + "SELECT x, first_value(x) OVER (ORDER BY x DESC) FROM t ORDER BY x LIMIT 1",
                [("1", "5")],
            ),
            (
                T + "SELECT x, ntile(2) OVER (ORDER BY x) FROM t ORDER BY x DESC LIMIT 1",
                [("5", "2")],
            ),
            (
                T + "SELECT x, percent_rank() OVER (ORDER BY x) FROM t ORDER BY x LIMIT 2",
                [("1", "0.0"), ("2", "0.25")],
            ),
            (
                T + "SELECT x, cume_dist() OVER (ORDER BY x) FROM t ORDER BY x LIMIT 1",
                [("1", "0.2")],
            ),
            (
                KV + "SELECT k, v, sum(v) OVER (PARTITION BY k) FROM t ORDER BY v",
                [("a", "1", "4"), ("b", "2", "2"), ("a", "3", "4")],
            ),
        ],
    ),
]
