from __future__ import annotations

import datetime as dt

import pytest

from sandbox.query.catalog.glue import Column, Table
from sandbox.query.catalog.projection import (
    add_interval,
    format_java,
    parse_java,
    projected_partitions,
)
from sandbox.query.errors import QueryError, UnsupportedError

NOW = dt.datetime(2026, 11, 26, 16, 5, 0)


def table(params: dict[str, str], keys: tuple[str, ...] = ("name", "d")) -> Table:
    return Table(
        database="events_db",
        name="events_projected",
        location="s3://lake/events_raw/json/",
        columns=(Column("payload", "string"),),
        partition_keys=tuple(Column(k, "string") for k in keys),
        parameters={"projection.enabled": "true", **params},
    )


ENUM = {"projection.name.type": "enum", "projection.name.values": "a,b"}


def test_enum_and_date_projection() -> None:
    t = table(
        {
            **ENUM,
            "projection.d.type": "date",
            "projection.d.format": "yyyy-MM-dd",
            "projection.d.range": "2026-11-24,NOW",
        }
    )
    parts = projected_partitions(t, now=NOW)
    assert [p.values for p in parts] == [
        (n, d) for n in ("a", "b") for d in ("2026-11-24", "2026-11-25", "2026-11-26")
    ]
    assert parts[0].location == "s3://lake/events_raw/json/name=a/d=2026-11-24/"


def test_filters_narrow_the_projection() -> None:
    t = table(
        {
            **ENUM,
            "projection.d.type": "date",
            "projection.d.format": "yyyy-MM-dd",
            "projection.d.range": "NOW-2DAYS,NOW",
        }
    )
    parts = projected_partitions(t, {"name": {"b"}, "d": {"2026-11-25"}}, now=NOW)
    assert [p.values for p in parts] == [("b", "2026-11-25")]


def test_monthly_date_with_interval() -> None:
    t = table(
        {
            **ENUM,
            "projection.d.type": "date",
            "projection.d.format": "yyyy-MM",
            "projection.d.range": "2026-01,2026-12",
            "projection.d.interval": "5",
        }
    )
    assert [p.values[1] for p in projected_partitions(t, {"name": {"a"}}, now=NOW)] == [
        "2026-01",
        "2026-06",
        "2026-11",
    ]


def test_hourly_date_requires_a_unit() -> None:
    params = {
        **ENUM,
        "projection.d.type": "date",
        "projection.d.format": "yyyy/MM/dd/HH",
        "projection.d.range": "NOW-2HOURS,NOW",
    }
    with pytest.raises(QueryError, match=r"interval\.unit is required"):
        projected_partitions(table(params), now=NOW)
    params["projection.d.interval.unit"] = "HOURS"
    assert [p.values[1] for p in projected_partitions(table(params), {"name": {"a"}}, now=NOW)] == [
        "2026/11/26/14",
        "2026/11/26/15",
        "2026/11/26/16",
    ]


def test_integer_projection_with_digits() -> None:
    t = table(
        {
            **ENUM,
            "projection.d.type": "integer",
            "projection.d.range": "1,10",
            "projection.d.interval": "4",
            "projection.d.digits": "3",
        }
    )
    assert [p.values[1] for p in projected_partitions(t, {"name": {"a"}})] == ["001", "005", "009"]


def test_injected_needs_one_static_value() -> None:
    t = table({**ENUM, "projection.d.type": "injected"})
    with pytest.raises(QueryError, match="CONSTRAINT_VIOLATION"):
        projected_partitions(t)
    with pytest.raises(QueryError, match="CONSTRAINT_VIOLATION"):
        projected_partitions(t, {"d": {"x", "y"}})
    assert [p.values for p in projected_partitions(t, {"d": {"x"}})] == [("a", "x"), ("b", "x")]


def test_storage_location_template() -> None:
    t = table(
        {
            **ENUM,
            "projection.d.type": "injected",
            "storage.location.template": "s3://other/${d}/events/${name}",
        }
    )
    (part,) = projected_partitions(t, {"d": {"2026"}, "name": {"a"}})
    assert part.location == "s3://other/2026/events/a/"


def test_missing_projection_config_is_an_error() -> None:
    with pytest.raises(QueryError, match=r"projection\.d\.type is missing"):
        projected_partitions(table(ENUM))


def test_month_arithmetic_clamps_like_java_time() -> None:
    assert add_interval(dt.datetime(2026, 1, 31), 1, "MONTHS") == dt.datetime(2026, 2, 28)
    assert add_interval(dt.datetime(2024, 2, 29), 1, "YEAR") == dt.datetime(2025, 2, 28)
    assert add_interval(dt.datetime(2026, 1, 1), -1, "WEEKS") == dt.datetime(2025, 12, 25)


def test_java_format_and_parse_round_trip() -> None:
    moment = dt.datetime(2023, 7, 3, 4, 5, 6)
    assert format_java(moment, "yyyy-MM-dd") == "2023-07-03"
    assert format_java(moment, "yyyyMM") == "202307"
    assert format_java(moment, "yyyy/MM/dd/HH") == "2023/07/03/04"
    assert format_java(moment, "dd-MMM-yy") == "03-Jul-23"
    assert parse_java("2023-07-03", "yyyy-MM-dd") == dt.datetime(2023, 7, 3)
    assert parse_java("202307", "yyyyMM") == dt.datetime(2023, 7, 1)
    # Letters the former converter refused, now from the shared implementation.
    assert format_java(moment, "YYYY-'W'ww") == "2023-W27"
    assert parse_java("2023-W27", "YYYY-'W'ww") == dt.datetime(2023, 7, 2)


def test_parse_java_mismatch_is_named() -> None:
    with pytest.raises(UnsupportedError, match="does not match"):
        parse_java("2023/07", "yyyy-MM")


def test_week_based_projection() -> None:
    t = table(
        {
            **ENUM,
            "projection.d.type": "date",
            "projection.d.format": "YYYY-'W'ww",
            "projection.d.range": "2023-W52,2024-W02",
            "projection.d.interval": "7",
            "projection.d.interval.unit": "DAYS",
        }
    )
    values = sorted({p.values[1] for p in projected_partitions(t, now=NOW)})
    assert values == ["2023-W52", "2024-W01", "2024-W02"]
