"""The Iceberg destination's pure rules: validation, description, routing, rows, commit plans."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import jq
import pytest
from pyiceberg.schema import Schema
from pyiceberg.types import (
    BooleanType,
    DoubleType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
)

from sandbox.firehose import iceberg
from sandbox.firehose.config import parse_destination
from sandbox.firehose.errors import InvalidArgumentError

ROLE = "arn:aws:iam::000000000000:role/firehose"
CATALOG = "arn:aws:glue:us-east-1:000000000000:catalog"


def configuration(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "RoleARN": ROLE,
        "CatalogConfiguration": {"CatalogARN": CATALOG},
        "S3Configuration": {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::sink"},
        "DestinationTableConfigurationList": [
            {"DestinationDatabaseName": "db", "DestinationTableName": "events"}
        ],
    }
    base.update(overrides)
    return base


def routing(query: str) -> dict[str, Any]:
    return {
        "Enabled": True,
        "Processors": [
            {
                "Type": "MetadataExtraction",
                "Parameters": [
                    {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                ],
            }
        ],
    }


SCHEMA = Schema(
    NestedField(1, "name", StringType(), required=False),
    NestedField(2, "tstamp", TimestampType(), required=False),
    NestedField(3, "count", LongType(), required=False),
    NestedField(4, "ratio", DoubleType(), required=False),
    NestedField(5, "ok", BooleanType(), required=False),
    NestedField(6, "id", StringType(), required=True),
)


# --- configuration -----------------------------------------------------------------------------


def test_description_applies_awss_defaults_and_round_trips_the_configuration() -> None:
    described = iceberg.description_from_configuration(configuration())
    assert described["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert described["RetryOptions"] == {"DurationInSeconds": 300}
    assert described["S3BackupMode"] == "FailedDataOnly"
    assert described["AppendOnly"] is False
    s3 = described["S3DestinationDescription"]
    assert s3["BucketARN"] == "arn:aws:s3:::sink"
    assert s3["CompressionFormat"] == "UNCOMPRESSED"
    assert s3["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}
    assert "S3Configuration" not in described
    assert (
        described["DestinationTableConfigurationList"]
        == (configuration()["DestinationTableConfigurationList"])
    )


def test_the_engine_configuration_of_an_iceberg_destination() -> None:
    config = parse_destination(
        iceberg.description_from_configuration(
            configuration(BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
        )
    )
    assert config.iceberg is not None
    assert config.bucket == "sink"
    assert (config.size_bytes, config.interval_s) == (1024 * 1024, 0.0)
    assert config.iceberg.account_id == "000000000000"
    assert config.iceberg.table("db", "events") is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CatalogConfiguration": {}}, "CatalogARN is required"),
        (
            {"CatalogConfiguration": {"CatalogARN": CATALOG + "/s3tablescatalog/b"}},
            "not reproduced",
        ),
        ({"S3BackupMode": "AllData"}, "AllData is not reproduced"),
        ({"DestinationTableConfigurationList": []}, "must not be empty unless"),
        (
            {
                "DestinationTableConfigurationList": [
                    {"DestinationDatabaseName": "db", "DestinationTableName": "t"},
                    {"DestinationDatabaseName": "db", "DestinationTableName": "t"},
                ]
            },
            "twice",
        ),
        (
            {
                "DestinationTableConfigurationList": [
                    {
                        "DestinationDatabaseName": "db",
                        "DestinationTableName": "t",
                        "UniqueKeys": ["id", "id"],
                    }
                ]
            },
            "must not repeat",
        ),
        ({"BufferingHints": {"SizeInMBs": 3}}, "vice versa"),
        ({"ProcessingConfiguration": routing("{a: .b")}, "not a valid JQ expression"),
        (
            {
                "ProcessingConfiguration": {
                    "Enabled": True,
                    "Processors": [{"Type": "Lambda", "Parameters": []}],
                }
            },
            "Lambda is not reproduced",
        ),
    ],
)
def test_invalid_destinations_are_refused_with_invalid_argument(
    change: dict[str, Any], message: str
) -> None:
    described = iceberg.description_from_configuration(configuration(**change))
    with pytest.raises(InvalidArgumentError, match=message):
        iceberg.validate_iceberg_configuration(described)


def test_a_routing_query_alone_is_enough() -> None:
    described = iceberg.description_from_configuration(
        configuration(
            DestinationTableConfigurationList=[],
            ProcessingConfiguration=routing(
                '{destinationDatabaseName: "db", destinationTableName: .t}'
            ),
        )
    )
    iceberg.validate_iceberg_configuration(described)


def test_update_merges_and_replaces_the_table_list() -> None:
    current = iceberg.description_from_configuration(configuration())
    merged = iceberg.updated_description(
        current,
        {
            "BufferingHints": {"SizeInMBs": 2, "IntervalInSeconds": 10},
            "S3Configuration": {"ErrorOutputPrefix": "errors/"},
            "DestinationTableConfigurationList": [
                {"DestinationDatabaseName": "db", "DestinationTableName": "other"}
            ],
        },
    )
    assert merged["BufferingHints"] == {"SizeInMBs": 2, "IntervalInSeconds": 10}
    assert merged["S3DestinationDescription"]["ErrorOutputPrefix"] == "errors/"
    assert merged["S3DestinationDescription"]["BucketARN"] == "arn:aws:s3:::sink"
    assert [t["DestinationTableName"] for t in merged["DestinationTableConfigurationList"]] == [
        "other"
    ]
    assert merged["RoleARN"] == ROLE


# --- routing -----------------------------------------------------------------------------------


def target(**overrides: Any) -> iceberg.IcebergTarget:
    return iceberg.iceberg_target(
        iceberg.description_from_configuration(configuration(**overrides))
    )


def test_a_single_table_takes_every_record_as_an_insert() -> None:
    assert iceberg.route(target(), {"a": 1}, None) == iceberg.Route("db", "events", "insert")


def test_the_jq_query_routes_each_record_with_its_operation() -> None:
    query = '{destinationDatabaseName: "db", destinationTableName: .kind, operation: .op}'
    program = jq.compile(query)
    routed = iceberg.route(
        target(ProcessingConfiguration=routing(query)), {"kind": "a", "op": "UPDATE"}, program
    )
    assert routed == iceberg.Route("db", "a", "update")
    failed = iceberg.route(target(), {"kind": "a", "op": "merge"}, program)
    assert isinstance(failed, iceberg.RowFailure)
    assert failed.code == iceberg.UNKNOWN_OPERATION
    missing = iceberg.route(
        target(DestinationTableConfigurationList=[]),
        {"op": "insert"},
        jq.compile("{operation: .op}"),
    )
    assert isinstance(missing, iceberg.RowFailure) and missing.code == iceberg.ROUTING_FAILED


def test_records_that_are_not_json_objects_fail() -> None:
    assert isinstance(iceberg.parse_record(b"[1, 2]"), iceberg.RowFailure)
    assert isinstance(iceberg.parse_record(b'{"a": '), iceberg.RowFailure)
    assert iceberg.parse_record(b'{"a": 1}') == {"a": 1}


# --- rows --------------------------------------------------------------------------------------


def test_a_record_maps_to_the_schema_by_column_name() -> None:
    row = iceberg.record_row(
        {
            "name": "a",
            "tstamp": "2023-06-01 14:27:05.250000",
            "count": "7",
            "ratio": 1,
            "ok": "true",
            "id": "k",
            "extra": "dropped",
        },
        SCHEMA,
    )
    assert row == {
        "name": "a",
        "tstamp": dt.datetime(2023, 6, 1, 14, 27, 5, 250000),
        "count": 7,
        "ratio": 1.0,
        "ok": True,
        "id": "k",
    }


def test_timestamps_in_microseconds_and_iso_8601() -> None:
    micros = int(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC).timestamp() * 1_000_000)
    for value in (micros, "2024-01-02T03:04:05Z", "2024-01-02T05:04:05+02:00"):
        row = iceberg.record_row({"tstamp": value, "id": "k"}, SCHEMA)
        assert isinstance(row, dict)
        assert row["tstamp"] == dt.datetime(2024, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({"name": "a"}, iceberg.MISSING_COLUMN),
        ({"id": None}, iceberg.MISSING_COLUMN),
        ({"id": "k", "count": 1.5}, iceberg.INVALID_VALUE),
        ({"id": "k", "count": True}, iceberg.INVALID_VALUE),
        ({"id": "k", "tstamp": "yesterday"}, iceberg.INVALID_VALUE),
        ({"id": "k", "ok": "maybe"}, iceberg.INVALID_VALUE),
    ],
)
def test_records_that_do_not_fit_the_schema_fail(record: dict[str, Any], code: str) -> None:
    failure = iceberg.record_row(record, SCHEMA)
    assert isinstance(failure, iceberg.RowFailure)
    assert failure.code == code


def test_strings_take_other_json_values_as_json_text() -> None:
    row = iceberg.record_row({"id": {"a": [1, 2]}, "name": 3}, SCHEMA)
    assert isinstance(row, dict)
    assert (row["id"], row["name"]) == ('{"a":[1,2]}', "3")


def test_new_columns_are_inferred_from_json_values() -> None:
    found, unknown = iceberg.new_columns(
        [{"id": "k", "n": 1, "x": 1.5}, {"flag": True, "nested": {"a": 1}, "s": "t", "null": None}],
        {"id"},
    )
    assert found == {
        "n": LongType(),
        "x": DoubleType(),
        "flag": BooleanType(),
        "s": StringType(),
    }
    assert unknown == ["nested"]
    evolved = iceberg.schema_with(SCHEMA, found)
    assert evolved.column_names[-4:] == ["n", "x", "flag", "s"]
    assert evolved.find_field("n").field_id == 7


# --- commit plans ------------------------------------------------------------------------------


def test_updates_keep_the_last_row_of_each_key() -> None:
    items = [
        (0, "update", {"id": "a", "v": 1}),
        (1, "update", {"id": "b", "v": 2}),
        (2, "update", {"id": "a", "v": 3}),
        (3, "delete", {"id": "b", "v": None}),
        (4, "insert", {"id": "c", "v": 5}),
    ]
    plan, failures = iceberg.plan_table("db", "t", ("id",), items)
    assert failures == []
    assert sorted(plan.delete_keys) == [("a",), ("b",)]
    assert plan.rows == [{"id": "a", "v": 3}, {"id": "c", "v": 5}]
    assert plan.positions == [0, 1, 2, 3, 4]  # every record delivered by the one commit


def test_an_insert_before_a_delete_of_its_key_does_not_survive() -> None:
    items = [(0, "insert", {"id": "a"}), (1, "delete", {"id": "a"}), (2, "insert", {"id": "a"})]
    plan, _ = iceberg.plan_table("db", "t", ("id",), items)
    assert plan.delete_keys == [("a",)]
    assert plan.rows == [{"id": "a"}]


def test_updates_without_unique_keys_fail_and_inserts_append() -> None:
    items = [(0, "insert", {"id": "a"}), (1, "update", {"id": "a"}), (2, "insert", {"id": "a"})]
    plan, failures = iceberg.plan_table("db", "t", (), items)
    assert plan.rows == [{"id": "a"}, {"id": "a"}]
    assert plan.delete_keys == []
    assert [(i, f.code) for i, f in failures] == [(1, iceberg.NO_UNIQUE_KEYS)]
    assert plan.positions == [0, 2]


def test_a_null_unique_key_fails() -> None:
    plan, failures = iceberg.plan_table("db", "t", ("id",), [(0, "update", {"id": None})])
    assert not plan.positions
    assert failures[0][1].code == iceberg.MISSING_COLUMN


def test_records_round_trip_through_json() -> None:
    # What the engine does per record: bytes -> object -> route -> row.
    data = json.dumps({"name": "a", "tstamp": "2023-06-01 00:00:00", "id": "k"}).encode()
    parsed = iceberg.parse_record(data)
    assert isinstance(parsed, dict)
    assert iceberg.route(target(), parsed, None) == iceberg.Route("db", "events", "insert")
    assert isinstance(iceberg.record_row(parsed, SCHEMA), dict)


# --- the engine with an Iceberg destination -------------------------------------------------


class FakeTables:
    """Glue's Iceberg tables in memory: their schemas, and the commits the sink receives."""

    def __init__(self, schemas: dict[tuple[str, str], Schema]) -> None:
        self.schemas = schemas

    def schema(self, _target: Any, database: str, table: str) -> Schema | None:
        return self.schemas.get((database, table))


def test_the_engine_commits_per_table_and_accounts_for_every_record() -> None:
    from sandbox.firehose.engine import DeliveryEngine, IcebergCommit

    written: list[Any] = []
    engine = DeliveryEngine(
        sink=written.append,
        schema_lookup=lambda _schema: [],
        iceberg=FakeTables({("db", "a"): SCHEMA, ("db", "b"): SCHEMA}),
        random_string=lambda: "0123456789abcdef",
    )
    query = '{destinationDatabaseName: "db", destinationTableName: .t, operation: .op}'
    engine.configure_stream(
        "s",
        "1",
        iceberg.description_from_configuration(
            configuration(
                DestinationTableConfigurationList=[
                    {
                        "DestinationDatabaseName": "db",
                        "DestinationTableName": "a",
                        "UniqueKeys": ["id"],
                    }
                ],
                ProcessingConfiguration=routing(query),
                S3Configuration={
                    "RoleARN": ROLE,
                    "BucketARN": "arn:aws:s3:::sink",
                    "ErrorOutputPrefix": "errors/",
                },
            )
        ),
    )
    records = [
        {"t": "a", "op": "update", "id": "k1", "count": 1},
        {"t": "a", "op": "update", "id": "k1", "count": 2},
        {"t": "b", "op": "insert", "id": "k2"},
        {"t": "b", "op": "update", "id": "k3"},  # table b has no unique keys
        {"t": "missing", "id": "k4"},  # no such table, no table creation
        {"t": "a", "id": "k5", "count": "many"},
    ]
    engine.put_records("s", [json.dumps(r).encode() for r in records] + [b"not json"])
    engine.flush()
    commits = [w for w in written if isinstance(w, IcebergCommit)]
    errors = [w for w in written if not isinstance(w, IcebergCommit)]
    by_table = {c.plan.table: c.plan for c in commits if c.plan is not None}
    assert by_table["a"].delete_keys == [("k1",)]
    assert [r["count"] for r in by_table["a"].rows] == [2]
    assert [r["id"] for r in by_table["b"].rows] == ["k2"]
    assert all(c.key.startswith("iceberg://db/") for c in commits)
    failed = [json.loads(line) for e in errors for line in e.body.splitlines()]
    assert sorted(d["errorCode"] for d in failed) == sorted(
        [
            iceberg.NO_UNIQUE_KEYS,
            iceberg.TABLE_NOT_FOUND,
            iceberg.INVALID_VALUE,
            iceberg.INVALID_RECORD,
        ]
    )
    assert {e.key.split("/")[1] for e in errors} == {"iceberg-failed", "processing-failed"}
    counters = engine.stats()["s"]
    assert counters["accepted"] == 7
    assert counters["delivered"] == 3 and counters["errored"] == 4 and counters["buffered"] == 0


def test_a_full_iceberg_buffer_is_committed_by_the_timer_not_the_put() -> None:
    from sandbox.firehose.engine import DeliveryEngine, IcebergCommit

    written: list[Any] = []
    engine = DeliveryEngine(
        sink=written.append,
        schema_lookup=lambda _schema: [],
        iceberg=FakeTables({("db", "events"): SCHEMA}),
    )
    engine.configure_stream(
        "s",
        "1",
        iceberg.description_from_configuration(
            configuration(BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
        ),
    )
    big = json.dumps({"id": "k", "name": "x" * 600_000}).encode()
    engine.put_records("s", [big, big])  # 1.2 MB: the buffer is full
    assert written == []  # the call did not wait for the commit
    assert engine.stats()["s"]["buffered"] == 2
    engine.tick()  # commits in a thread of its own
    deadline = time.monotonic() + 5
    while not written and time.monotonic() < deadline:
        time.sleep(0.01)
    engine.flush()  # waits for that delivery to finish
    assert [type(w) for w in written] == [IcebergCommit]
    assert engine.stats()["s"]["delivered"] == 2


def test_a_tables_own_error_prefix_takes_its_failed_records() -> None:
    from sandbox.firehose.engine import DeliveryEngine

    written: list[Any] = []
    engine = DeliveryEngine(
        sink=written.append,
        schema_lookup=lambda _schema: [],
        iceberg=FakeTables({("db", "events"): SCHEMA}),
    )
    engine.configure_stream(
        "s",
        "1",
        iceberg.description_from_configuration(
            configuration(
                DestinationTableConfigurationList=[
                    {
                        "DestinationDatabaseName": "db",
                        "DestinationTableName": "events",
                        "S3ErrorOutputPrefix": "tables/events/!{firehose:error-output-type}/",
                    }
                ],
                S3Configuration={
                    "RoleARN": ROLE,
                    "BucketARN": "arn:aws:s3:::sink",
                    "ErrorOutputPrefix": "errors/",
                },
            )
        ),
    )
    engine.put_records("s", [b'{"name": "no id"}', b"not json"])
    engine.flush()
    keys = sorted(w.key for w in written)
    assert keys[0].startswith("errors/processing-failed/")  # not routable: the stream's prefix
    assert keys[1].startswith("tables/events/iceberg-failed/")  # the table's own prefix
