from __future__ import annotations

import pytest

from sandbox.query.engine.pricing import (
    GB,
    MB,
    TB,
    Prices,
    Volumes,
    athena_cost,
    billed_bytes,
    firehose_billed_bytes,
    monthly_costs,
)


def test_athena_minimum_and_rounding() -> None:
    assert billed_bytes(0) == 10 * MB
    assert billed_bytes(10 * MB + 1) == 11 * MB
    assert athena_cost(TB) == pytest.approx(5.0)
    assert athena_cost(1) == pytest.approx(10 * MB / TB * 5)
    assert athena_cost(TB, billable=False) == 0.0


def test_prices_are_variables() -> None:
    prices = Prices(athena_usd_per_tb=6.25, athena_min_bytes=0)
    assert athena_cost(MB, prices) == pytest.approx(MB / TB * 6.25)


def test_firehose_bills_records_in_5kb_steps() -> None:
    assert firehose_billed_bytes(2, 1000) == 2 * 5 * 1024
    assert firehose_billed_bytes(1, 12 * 1024) == 15 * 1024


def test_the_articles_cost_table_is_reproduced() -> None:
    # The article: 700k events of ~1 kB -> Firehose $0.10; 100 full scans daily -> Athena $0.73.
    volumes = Volumes(
        events_per_stream=700_000,
        avg_event_bytes=236,
        stored_bytes=84 * MB,
        objects_delivered=36,
        glue_objects=3,
        json_full_scan_bytes=int(44.1 * MB),
        parquet_full_scan_bytes=int(39.5 * MB),
        streams=1,
    )
    lines = {line.service: line for line in monthly_costs(volumes, 100)}
    assert lines["Kinesis Data Firehose"].usd == pytest.approx(700_000 * 5 * 1024 / GB * 0.029)
    assert round(lines["Kinesis Data Firehose"].usd, 2) == 0.10
    assert lines["Glue"].usd == 0
    assert lines["Athena (JSON table)"].usd == pytest.approx(3000 * 45 * MB / TB * 5)
    assert round(lines["Athena (JSON table)"].usd, 2) == 0.64
