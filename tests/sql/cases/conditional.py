"""Conditional expressions, comparison and logical operators, NULL semantics."""

from tests.sql.harness import Fails, table

CONDITIONAL = "https://trino.io/docs/current/functions/conditional.html"
COMPARISON = "https://trino.io/docs/current/functions/comparison.html"
LOGICAL = "https://trino.io/docs/current/functions/logical.html"

CASES = [
    *table(
        "https://trino.io/docs/current/functions/uuid.html",
        [("typeof(uuid())", "uuid"), ("uuid() = uuid()", "false")],
    ),
    *table(
        CONDITIONAL,
        [
            ("IF(1 > 0, 'yes', 'no')", "yes"),
            ("IF(false, 1)", None),
            ("IF(NULL, 1, 2)", "2"),
            ("CASE WHEN 1 = 2 THEN 'a' WHEN 2 = 2 THEN 'b' ELSE 'c' END", "b"),
            ("CASE 3 WHEN 1 THEN 'one' WHEN 3 THEN 'three' END", "three"),
            ("CASE 4 WHEN 1 THEN 'one' END", None),
            ("coalesce(NULL, 2, 3)", "2"),
            ("coalesce(NULL, NULL)", None),
            ("nullif(1, 1)", None),
            ("nullif(1, 2)", "1"),
            ("try(1 / 0)", None),
            ("try(CAST('a' AS integer))", None),
            ("coalesce(try(CAST('x' AS bigint)), -1)", "-1"),
        ],
    ),
    *table(
        COMPARISON,
        [
            ("1 BETWEEN 0 AND 2", "true"),
            ("3 NOT BETWEEN 0 AND 2", "true"),
            ("NULL = NULL", None),
            ("NULL IS NULL", "true"),
            ("1 IS NOT NULL", "true"),
            ("1 IS DISTINCT FROM NULL", "true"),
            ("NULL IS NOT DISTINCT FROM NULL", "true"),
            ("1 IN (1, 2)", "true"),
            ("3 IN (1, NULL)", None),
            ("3 NOT IN (1, 2)", "true"),
            ("1 = 1.0", "true"),
            ("'a' <> 'b'", "true"),
            ("greatest(1, 5, 3)", "5"),
            ("least('b', 'a')", "a"),
            ("least(1, NULL)", None),
            ("1 = ANY (VALUES 1, 2)", "true"),
            ("3 > ALL (VALUES 1, 2)", "true"),
            ("1 < 'a'", Fails("Cannot apply operator")),
        ],
    ),
    *table(
        LOGICAL,
        [
            ("true AND NULL", None),
            ("false AND NULL", "false"),
            ("true OR NULL", "true"),
            ("false OR NULL", None),
            ("NOT NULL", None),
            ("NOT true", "false"),
            ("true AND true", "true"),
        ],
    ),
]
