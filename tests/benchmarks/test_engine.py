"""The engine-alone stage of ``make bench`` on the Terraform streams (read from terraform/)."""

from __future__ import annotations

from benchmarks.engine import streams_throughput
from tests.unit.firehose.article import ARTICLE_COLUMNS, article_destinations, article_records


def test_streams_throughput_delivers_every_record_of_every_stream() -> None:
    records = article_records(2000)
    result = streams_throughput(article_destinations(), records, ARTICLE_COLUMNS)
    assert result["records"] == result["delivered"] == 2 * len(records)
    assert result["errored"] == 0
    assert result["records_per_s"] > 0 and result["objects"] > 0
