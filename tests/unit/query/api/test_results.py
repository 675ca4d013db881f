"""GetQueryResults pages: ``page_json`` writes exactly ``json.dumps`` of the page's document."""

from __future__ import annotations

import json

import pytest

from sandbox.query.api.results import ResultsPage, page_json

COLUMNS = [
    {"CatalogName": "hive", "Name": "n", "Label": "n", "Type": "integer", "Precision": 10},
    {"Name": "text", "Type": "varchar", "CaseSensitive": True, "Nullable": "UNKNOWN"},
]


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [[]],
        [["1", "a"], ["2", "b"]],
        [["1", None], [None, None], [None]],
        [['quote " backslash \\ slash /', "tab\tnewline\nnul\x00"]],
        [["é", "\u2028", "😀 astral", "null", "{k=1, j=null}", ""]],
    ],
    ids=["no rows", "no cells", "plain", "nulls", "escapes", "non-ascii"],
)
@pytest.mark.parametrize("token", [None, "cXVlcnk6MTAwMA=="])
def test_page_json_is_json_dumps_of_the_document(rows, token):
    page = ResultsPage(update_count=0, column_info=COLUMNS, rows=rows, next_token=token)
    assert page_json(page) == json.dumps(page.api())


def test_the_document_has_athenas_shape():
    page = ResultsPage(update_count=3, column_info=COLUMNS, rows=[["1", None]], next_token="t")
    assert page.api() == {
        "UpdateCount": 3,
        "ResultSet": {
            "Rows": [{"Data": [{"VarCharValue": "1"}, {}]}],
            "ResultSetMetadata": {"ColumnInfo": COLUMNS},
        },
        "NextToken": "t",
    }
    assert "NextToken" not in ResultsPage(0, COLUMNS, []).api()


@pytest.mark.parametrize("cell", [1, 1.5, b"bytes", True])
def test_a_cell_that_is_not_text_is_refused(cell):
    with pytest.raises(TypeError):
        page_json(ResultsPage(0, COLUMNS, [["a", cell]]))
