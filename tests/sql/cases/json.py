"""JSON functions and the JSON type (casts both ways)."""

from tests.sql.harness import Fails, table

JSON = "https://trino.io/docs/current/functions/json.html"
ATHENA = "https://docs.aws.amazon.com/athena/latest/ug/extracting-data-from-JSON.html"
DOC = '\'{"a": {"b": 1}, "c": [1, 2], "s": "x"}\''

CASES = [
    *table(
        JSON,
        [
            ("json_parse('[1, 2, 3]')", "[1,2,3]"),
            ("json_parse('\"abc\"')", '"abc"'),
            ('json_parse(\'{"a": 1, "b": [1, 2]}\')', '{"a":1,"b":[1,2]}'),
            ("json_parse('not json')", Fails("Cannot convert value to JSON")),
            ("json_format(JSON '[1, 2, 3]')", "[1,2,3]"),
            ("json_format(JSON '\"a\"')", '"a"'),
            ("json_format(json_parse('{\"a\": 1}'))", '{"a":1}'),
            ("typeof(json_parse('1'))", "json"),
            ("typeof(JSON '1')", "json"),
            ("JSON '[1, 2]'", "[1,2]"),
            ("CAST(JSON '\"abc\"' AS VARCHAR)", "abc"),
            ("CAST(JSON '123' AS VARCHAR)", "123"),
            ("CAST(JSON 'true' AS VARCHAR)", "true"),
            ("CAST(JSON '{\"a\": 1}' AS VARCHAR)", Fails("Cannot cast")),
            ("CAST(JSON 'null' AS VARCHAR)", None),
            ("CAST(JSON '[1, 2]' AS ARRAY(INTEGER))", "[1, 2]"),
            ('CAST(JSON \'{"a": 1, "b": 2}\' AS MAP(VARCHAR, INTEGER))', "{a=1, b=2}"),
            ("CAST(JSON '1' AS BIGINT)", "1"),
            ("CAST(JSON 'true' AS BOOLEAN)", "true"),
            ("CAST(JSON '1.5' AS DOUBLE)", "1.5"),
            ("CAST(1 AS JSON)", "1"),
            ("CAST('abc' AS JSON)", '"abc"'),
            ("CAST(ARRAY[1, 2] AS JSON)", "[1,2]"),
            ("CAST(true AS JSON)", "true"),
            ("CAST(NULL AS JSON)", None),
            ("CAST(MAP(ARRAY['k'], ARRAY[1]) AS JSON)", '{"k":1}'),
            ("json_array_length('[1, 2, 3]')", "3"),
            ("json_array_length('{\"a\": 1}')", None),
            ("json_array_length('[]')", "0"),
            ('json_array_get(\'["a", [3, 9], "c"]\', 0)', '"a"'),
            ('json_array_get(\'["a", [3, 9], "c"]\', 1)', "[3,9]"),
            ('json_array_get(\'["c", [3, 9], "a"]\', -1)', '"a"'),
            ('json_array_get(\'["a", [3, 9], "c"]\', 10)', None),
            ("json_array_contains('[1, 2, 3]', 2)", "true"),
            ("json_array_contains('[1, 2, 3]', 4)", "false"),
            ("json_array_contains('[\"a\", \"b\"]', 'b')", "true"),
            ('json_size(\'{"x": {"a": 1, "b": 2}}\', \'$.x\')', "2"),
            ("json_size('{\"x\": [1, 2, 3]}', '$.x')", "3"),
            ('json_size(\'{"x": {"a": 1, "b": 2}}\', \'$.x.a\')', "0"),
            (f"json_extract({DOC}, '$.a')", '{"b":1}'),
            (f"json_extract({DOC}, '$.c[1]')", "2"),
            (f"json_extract({DOC}, '$.missing')", None),
            (f"json_extract_scalar({DOC}, '$.a.b')", "1"),
            (f"json_extract_scalar({DOC}, '$.s')", "x"),
            (f"json_extract_scalar({DOC}, '$.c')", None),
            ("json_extract_scalar('[1, 2, 3]', '$[1]')", "2"),
            ("is_json_scalar('1')", "true"),
            ("is_json_scalar('[1, 2, 3]')", "false"),
            (f"CAST(json_extract({DOC}, '$.c') AS ARRAY(BIGINT))", "[1, 2]"),
            ("typeof(json_extract('{\"a\": 1}', '$.a'))", "json"),
            ("ARRAY[JSON '1', JSON '\"a\"'][2]", '"a"'),
            ("json_extract('{\"a\": \"x\"}', '$.a') = 'x'", Fails("Cannot apply operator")),
            ("json_parse('1') = json_parse('1')", "true"),
            ("json_value('{\"a\": 1}', 'lax $.a')", "1"),
            ("json_query('{\"a\": [1, 2]}', 'lax $.a')", "[1,2]"),
        ],
    ),
    *table(
        ATHENA,
        [
            (
                (
                    'json_extract_scalar(\'{"name": "Susan Smith", '
                    '"org": "engineering"}\', \'$.name\')'
                ),
                "Susan Smith",
            ),
            (
                'json_extract(\'{"name": "Susan Smith", "projects": [{"name": "p1"}]}\', '
                "'$.projects[0].name')",
                '"p1"',
            ),
            (
                (
                    'json_array_length(json_extract(\'{"projects": '
                    '[{"n": 1}, {"n": 2}]}\', \'$.projects\'))'
                ),
                "2",
            ),
            ("json_array_contains(json_parse('[\"x\", \"y\"]'), 'x')", "true"),
        ],
    ),
]
