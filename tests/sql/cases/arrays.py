"""Array functions and operators, lambda functions on arrays, UNNEST."""

from tests.sql.harness import Fails, table

ARRAY = "https://trino.io/docs/current/functions/array.html"
LAMBDA = "https://trino.io/docs/current/functions/lambda.html"
SELECT = "https://trino.io/docs/current/sql/select.html"
ATHENA = "https://docs.aws.amazon.com/athena/latest/ug/flattening-arrays.html"

CASES = [
    *table(
        ARRAY,
        [
            ("ARRAY[1, 2, 3][1]", "1"),
            ("ARRAY[1, 2, 3][3]", "3"),
            (
                "ARRAY[1, 2, 3][4]",
                Fails("Array subscript must be less than or equal to array length"),
            ),
            ("ARRAY[1, 2, 3][0]", Fails("SQL array indices start at 1")),
            ("ARRAY[ARRAY[1, 2], ARRAY[3]][1][2]", "2"),
            ("element_at(ARRAY[1, 2, 3], 2)", "2"),
            ("element_at(ARRAY[1, 2, 3], -1)", "3"),
            ("element_at(ARRAY[1, 2, 3], 4)", None),
            ("element_at(ARRAY[1, 2, 3], 0)", Fails("SQL array indices start at 1")),
            ("cardinality(ARRAY[1, 2, 3])", "3"),
            ("cardinality(ARRAY[])", "0"),
            ("ARRAY[]", "[]"),
            ("ARRAY['a', NULL]", "[a, null]"),
            ("contains(ARRAY[1, 2, 3], 2)", "true"),
            ("contains(ARRAY[1, 2, 3], 5)", "false"),
            ("contains(ARRAY[1, NULL], 2)", None),
            ("contains(ARRAY[1, NULL], 1)", "true"),
            ("contains(ARRAY['a', 'b'], 'b')", "true"),
            ("array_position(ARRAY[1, 2, 3], 2)", "2"),
            ("array_position(ARRAY[1, 2, 3], 5)", "0"),
            ("array_distinct(ARRAY[1, 2, 1, 3])", "[1, 2, 3]"),
            ("array_distinct(ARRAY[3, 1, 3, 2, 1])", "[3, 1, 2]"),
            ("array_max(ARRAY[1, 3, 2])", "3"),
            ("array_min(ARRAY[1, 3, 2])", "1"),
            ("array_max(ARRAY[1, NULL])", None),
            ("array_join(ARRAY[1, 2, 3], ',')", "1,2,3"),
            ("array_join(ARRAY['a', NULL, 'b'], ',')", "a,b"),
            ("array_join(ARRAY['a', NULL, 'b'], ',', 'x')", "a,x,b"),
            ("array_remove(ARRAY[1, 2, 1], 1)", "[2]"),
            ("array_sort(ARRAY[3, 1, 2])", "[1, 2, 3]"),
            ("array_sort(ARRAY[3, NULL, 1])", "[1, 3, null]"),
            ("array_sort(ARRAY['b', 'a', 'c'])", "[a, b, c]"),
            (
                "array_sort(ARRAY[3, 2, 5, 1, 2], (x, y) -> IF(x < y, 1, IF(x = y, 0, -1)))",
                "[5, 3, 2, 2, 1]",
            ),
            ("array_union(ARRAY[1, 2], ARRAY[2, 3])", "[1, 2, 3]"),
            ("array_intersect(ARRAY[1, 2, 3], ARRAY[2, 3, 4])", "[2, 3]"),
            ("array_except(ARRAY[1, 2, 3], ARRAY[2])", "[1, 3]"),
            ("arrays_overlap(ARRAY[1, 2], ARRAY[2, 3])", "true"),
            ("arrays_overlap(ARRAY[1, 2], ARRAY[3, 4])", "false"),
            ("concat(ARRAY[1, 2], ARRAY[3])", "[1, 2, 3]"),
            ("ARRAY[1, 2] || ARRAY[3]", "[1, 2, 3]"),
            ("ARRAY[1, 2] || 3", "[1, 2, 3]"),
            ("0 || ARRAY[1]", "[0, 1]"),
            ("flatten(ARRAY[ARRAY[1, 2], ARRAY[3]])", "[1, 2, 3]"),
            ("reverse(ARRAY[1, 2, 3])", "[3, 2, 1]"),
            ("sequence(1, 5)", "[1, 2, 3, 4, 5]"),
            ("sequence(5, 1)", "[5, 4, 3, 2, 1]"),
            ("sequence(1, 10, 3)", "[1, 4, 7, 10]"),
            ("sequence(1, 5, -1)", Fails("sequence stop value should be greater")),
            (
                "sequence(DATE '2020-01-01', DATE '2020-01-03')",
                "[2020-01-01, 2020-01-02, 2020-01-03]",
            ),
            ("slice(ARRAY[1, 2, 3, 4], 2, 2)", "[2, 3]"),
            ("slice(ARRAY[1, 2, 3, 4], -2, 2)", "[3, 4]"),
            ("slice(ARRAY[1, 2, 3, 4], 5, 2)", "[]"),
            ("repeat('x', 3)", "[x, x, x]"),
            ("repeat(1, 0)", "[]"),
            ("trim_array(ARRAY[1, 2, 3], 1)", "[1, 2]"),
            ("ngrams(ARRAY['foo', 'bar', 'baz'], 2)", "[[foo, bar], [bar, baz]]"),
            ("ngrams(ARRAY['foo', 'bar', 'baz', 'foo'], 3)", "[[foo, bar, baz], [bar, baz, foo]]"),
            ("ngrams(ARRAY['foo', 'bar', 'baz', 'foo'], 4)", "[[foo, bar, baz, foo]]"),
            ("ngrams(ARRAY['foo', 'bar', 'baz', 'foo'], 5)", "[[foo, bar, baz, foo]]"),
            ("ngrams(ARRAY[1, 2, 3, 4], 2)", "[[1, 2], [2, 3], [3, 4]]"),
            ("ARRAY[1, 2, 3] = ARRAY[1, 2, 3]", "true"),
            ("typeof(ARRAY['a'])", "array(varchar(1))"),
            ("array_agg_x_is_not_a_function(ARRAY[1])", Fails("Function not registered")),
        ],
    ),
    *table(
        LAMBDA,
        [
            ("transform(ARRAY[1, 2, 3], x -> x * 2)", "[2, 4, 6]"),
            ("transform(ARRAY['a', 'b'], x -> upper(x))", "[A, B]"),
            ("filter(ARRAY[1, 2, 3], x -> x > 1)", "[2, 3]"),
            ("filter(ARRAY[5, NULL, 7], x -> x IS NOT NULL)", "[5, 7]"),
            ("reduce(ARRAY[1, 2, 3], 0, (s, x) -> s + x, s -> s)", "6"),
            ("reduce(ARRAY[5, 20, 50], 0, (s, x) -> s + x, s -> s * 2)", "150"),
            ("zip_with(ARRAY[1, 2], ARRAY[3, 4], (x, y) -> x + y)", "[4, 6]"),
            ("zip_with(ARRAY['a', 'b'], ARRAY['c', 'd'], (x, y) -> concat(x, y))", "[ac, bd]"),
            ("any_match(ARRAY[1, 2, 3], x -> x > 2)", "true"),
            ("any_match(ARRAY[1, 2, 3], x -> x > 5)", "false"),
            ("all_match(ARRAY[1, 2, 3], x -> x > 0)", "true"),
            ("all_match(ARRAY[1, 2, 3], x -> x > 1)", "false"),
            ("none_match(ARRAY[1, 2, 3], x -> x > 5)", "true"),
            ("none_match(ARRAY[1, 2, 3], x -> x > 2)", "false"),
        ],
    ),
    *table(
        SELECT,
        [
            ("SELECT x FROM UNNEST(ARRAY[1, 2, 3]) AS t(x)", [("1",), ("2",), ("3",)]),
            (
                "SELECT * FROM UNNEST(ARRAY['a', 'b']) WITH ORDINALITY AS t(x, n)",
                [("a", "1"), ("b", "2")],
            ),
            (
                "SELECT * FROM UNNEST(ARRAY[1, 2], ARRAY['a', 'b', 'c']) AS t(n, s)",
                [("1", "a"), ("2", "b"), (None, "c")],
            ),
            (
                "SELECT * FROM UNNEST(MAP(ARRAY['a', 'b'], ARRAY[1, 2])) AS t(k, v) ORDER BY k",
                [("a", "1"), ("b", "2")],
            ),
            (
                "SELECT id, x FROM (VALUES (1, ARRAY[10, 20])) AS t(id, xs) "
                "CROSS JOIN UNNEST(xs) AS u(x) ORDER BY x",
                [("1", "10"), ("1", "20")],
            ),
            (
                "SELECT id, x, n FROM (VALUES (1, ARRAY[10, 20])) AS t(id, xs) "
                "CROSS JOIN UNNEST(xs) WITH ORDINALITY AS u(x, n) ORDER BY n",
                [("1", "10", "1"), ("1", "20", "2")],
            ),
        ],
    ),
    *table(
        ATHENA,
        [
            (
                "SELECT department, name FROM (VALUES ('eng', ARRAY['Sharon', 'John'])) "
                "AS t(department, names) CROSS JOIN UNNEST(names) AS u(name) ORDER BY name",
                [("eng", "John"), ("eng", "Sharon")],
            ),
            ("SELECT cardinality(ARRAY['a', 'b', 'c']) AS n", "3"),
        ],
    ),
]
