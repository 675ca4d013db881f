"""Map functions and operators."""

from tests.sql.harness import Fails, table

MAP = "https://trino.io/docs/current/functions/map.html"
M = "MAP(ARRAY['a', 'b'], ARRAY[1, 2])"

CASES = [
    *table(
        MAP,
        [
            (M, "{a=1, b=2}"),
            (f"{M}['b']", "2"),
            (f"{M}['c']", Fails("Key not present in map")),
            (f"element_at({M}, 'a')", "1"),
            (f"element_at({M}, 'c')", None),
            (f"cardinality({M})", "2"),
            (f"map_keys({M})", "[a, b]"),
            (f"map_values({M})", "[1, 2]"),
            ("map()", "{}"),
            ("cardinality(map())", "0"),
            (
                "map_concat(MAP(ARRAY['a'], ARRAY[1]), MAP(ARRAY['a', 'b'], ARRAY[2, 3]))",
                "{a=2, b=3}",
            ),
            (
                (
                    "map_filter(MAP(ARRAY[10, 20, 30], ARRAY['a', "
                    "NULL, 'c']), (k, v) -> v IS NOT NULL)"
                ),
                "{10=a, 30=c}",
            ),
            (
                "map_filter(MAP(ARRAY['k1', 'k2', 'k3'], ARRAY[20, 3, 15]), (k, v) -> v > 10)",
                "{k1=20, k3=15}",
            ),
            ("transform_keys(MAP(ARRAY[1, 2], ARRAY['a', 'b']), (k, v) -> k + 1)", "{2=a, 3=b}"),
            (
                "transform_values(MAP(ARRAY[1, 2], ARRAY[10, 20]), (k, v) -> v * 2)",
                "{1=20, 2=40}",
            ),
            (
                (
                    "transform_values(MAP(ARRAY['a', 'b'], ARRAY[1, "
                    "2]), (k, v) -> k || CAST(v AS varchar))"
                ),
                "{a=a1, b=b2}",
            ),
            ("map_from_entries(ARRAY[(1, 'x'), (2, 'y')])", "{1=x, 2=y}"),
            ("multimap_from_entries(ARRAY[(1, 'x'), (2, 'y'), (1, 'z')])", "{1=[x, z], 2=[y]}"),
            ("MAP(ARRAY[1], ARRAY[1, 2])", Fails("Key and value arrays must be the same length")),
            ("MAP(ARRAY[1, 1], ARRAY['a', 'b'])", Fails("Duplicate map keys")),
            ("MAP(ARRAY['a', NULL], ARRAY[1, 2])", Fails("map key cannot be null")),
            ("typeof(MAP(ARRAY['a'], ARRAY[1]))", "map(varchar(1), integer)"),
            (f"contains(map_keys({M}), 'a')", "true"),
            (f"{M} = MAP(ARRAY['b', 'a'], ARRAY[2, 1])", "true"),
            (
                "map_zip_with(MAP(ARRAY[1, 2], ARRAY[1, 3]), MAP(ARRAY[2, 3], ARRAY[4, 9]), "
                "(k, v1, v2) -> coalesce(v1, 0) + coalesce(v2, 0))",
                "{1=1, 2=7, 3=9}",
            ),
            ("MAP(ARRAY[1], ARRAY[MAP(ARRAY['x'], ARRAY[2])])[1]['x']", "2"),
        ],
    ),
]
