"""Statement shape: output names, VALUES, FETCH/OFFSET/LIMIT, set operations, subqueries, joins."""

from tests.sql.harness import Fails, table

SELECT = "https://trino.io/docs/current/sql/select.html"
VALUES = "https://trino.io/docs/current/sql/values.html"
ATHENA = "https://docs.aws.amazon.com/athena/latest/ug/select.html"
X = "(VALUES 1, 1, 2, 3) AS t(x)"

CASES = [
    *table(
        SELECT,
        [
            ("SELECT 1 AS a, 2 AS a", [("1", "2")], ("a", "a")),
            ("SELECT 1, 2", [("1", "2")], ("_col0", "_col1")),
            ("SELECT 1 AS a, 2", [("1", "2")], ("a", "_col1")),
            (
                "SELECT a.x, b.x FROM (VALUES 1) AS a(x) JOIN (VALUES 1) AS b(x) ON a.x = b.x",
                [("1", "1")],
                ("x", "x"),
            ),
            (f"SELECT x FROM {X} ORDER BY x FETCH FIRST 1 ROWS WITH TIES", [("1",), ("1",)]),
            (f"SELECT x FROM {X} ORDER BY x FETCH FIRST 2 ROWS ONLY", [("1",), ("1",)]),
            (f"SELECT x FROM {X} ORDER BY x OFFSET 2 ROWS", [("2",), ("3",)]),
            (f"SELECT x FROM {X} ORDER BY x OFFSET 1 LIMIT 2", [("1",), ("2",)]),
            (f"SELECT x FROM {X} ORDER BY x DESC LIMIT 1", [("3",)]),
            (f"SELECT DISTINCT x FROM {X} ORDER BY x", [("1",), ("2",), ("3",)]),
            (
                "SELECT x FROM (VALUES 1, NULL, 2) AS t(x) ORDER BY x DESC",
                [("2",), ("1",), (None,)],
            ),
            ("SELECT x FROM (VALUES 1, NULL, 2) AS t(x) ORDER BY x", [("1",), ("2",), (None,)]),
            (
                "SELECT x FROM (VALUES 1, NULL, 2) AS t(x) ORDER BY x NULLS FIRST",
                [(None,), ("1",), ("2",)],
            ),
            ("SELECT 1 UNION SELECT 1", [("1",)]),
            ("SELECT 1 UNION ALL SELECT 1", [("1",), ("1",)]),
            ("SELECT x FROM (VALUES 1, 2) AS t(x) INTERSECT SELECT 2", [("2",)]),
            ("SELECT x FROM (VALUES 1, 2) AS t(x) EXCEPT SELECT 2", [("1",)]),
            (f"SELECT count(*) FROM {X} WHERE x IN (SELECT 1)", "2"),
            (f"SELECT (SELECT max(x) FROM {X})", "3"),
            ("SELECT EXISTS (SELECT 1)", "true"),
            (
                "SELECT a.x, b.y FROM (VALUES 1, 2) AS a(x) "
                "LEFT JOIN (VALUES (1, 'one')) AS b(x, y) ON a.x = b.x ORDER BY a.x",
                [("1", "one"), ("2", None)],
            ),
            (
                "SELECT count(*) FROM (VALUES 1, 2) AS a(x) CROSS JOIN (VALUES 1, 2, 3) AS b(y)",
                "6",
            ),
            (
                "WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT y FROM b",
                "2",
            ),
            (
                "SELECT x FROM (VALUES 3, 1, 2) AS t(x) ORDER BY 1",
                [("1",), ("2",), ("3",)],
            ),
            ("SELECT ROW(1, 'a').field0", Fails("Column 'field0' cannot be resolved")),
            ("SELECT CAST(ROW(1, 'a') AS ROW(n integer, s varchar)).s", "a"),
            ("SELECT r.n FROM (SELECT CAST(ROW(5) AS ROW(n integer)) AS r)", "5"),
        ],
    ),
    *table(
        VALUES,
        [
            ("VALUES 1, 2, 3", [("1",), ("2",), ("3",)]),
            ("VALUES (1, 'a'), (2, 'b')", [("1", "a"), ("2", "b")]),
            (
                "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, name) ORDER BY id DESC",
                [("2", "b"), ("1", "a")],
            ),
            ("SELECT count(*) FROM (VALUES 1, 2, 3) AS t(x)", "3"),
        ],
    ),
    *table(
        ATHENA,
        [
            (
                "WITH sales(region, amount) AS (VALUES ('east', 10), ('west', 20), ('east', 5)) "
                "SELECT region, sum(amount) AS total FROM sales "
                "GROUP BY region ORDER BY total DESC",
                [("west", "20"), ("east", "15")],
                ("region", "total"),
            ),
            ("SELECT 'Hello' AS \"greeting\"", [("Hello",)], ("greeting",)),
        ],
    ),
]
