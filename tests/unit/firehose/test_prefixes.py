"""Prefix expressions, their create-time rules and evaluated keys."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.firehose.errors import InvalidArgumentError
from sandbox.firehose.prefixes import KeyLayout, object_name, parse_prefix

AT = dt.datetime(2018, 8, 27, 10, 30, 0, tzinfo=dt.UTC)


def layout(prefix, error=None, dynamic=False):
    return KeyLayout.from_destination(prefix, error, dynamic_partitioning=dynamic)


# Examples table of "Custom prefixes for Amazon S3 objects" (evaluated at 10:30 UTC, 27 Aug 2018).
def test_documented_example_expressions_everywhere() -> None:
    keys = layout(
        "myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}",
        "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/"
        "!{timestamp:dd}",
    )
    assert keys.data_prefix(AT, random_string=lambda: "5abf82daaa5") == (
        "myFirehose/DeliveredYear=2018/anyMonth/rand=5abf82daaa5"
    )
    assert keys.error_output_prefix(AT, "processing-failed") == (
        "myFirehoseFailures/processing-failed/2018/anyMonth/27"
    )


def test_documented_example_hive_style_with_quoted_literals() -> None:
    keys = layout(
        "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
        "hour=!{timestamp:HH}/",
        "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/"
        "!{firehose:error-output-type}",
    )
    assert keys.data_prefix(AT) == "myPrefix/year=2018/month=08/day=27/hour=10/"
    assert keys.error_output_prefix(AT, "processing-failed") == (
        "myErrorPrefix/year=2018/month=08/day=27/hour=10/processing-failed"
    )


def test_no_prefix_defaults_to_the_hourly_time_prefix() -> None:
    keys = layout(None)
    assert keys.data_prefix(AT) == "2018/08/27/10/"
    assert keys.error_output_prefix(AT, "processing-failed") == "processing-failed/2018/08/27/10/"


def test_static_prefix_gets_the_time_appended_without_a_slash() -> None:
    keys = layout("myFirehosePrefix")
    assert keys.data_prefix(AT) == "myFirehosePrefix2018/08/27/10/"
    assert keys.error_output_prefix(AT, "format-conversion-failed") == (
        "myFirehosePrefixformat-conversion-failed/2018/08/27/10/"
    )
    assert layout("logs/").data_prefix(AT) == "logs/2018/08/27/10/"


def test_prefix_with_any_expression_gets_nothing_appended() -> None:
    keys = layout("x/!{firehose:random-string}/", "e/!{firehose:error-output-type}/")
    assert keys.data_prefix(AT, random_string=lambda: "r") == "x/r/"


def test_article_prefixes_with_partition_keys() -> None:
    keys = layout(
        "events_raw/json/name=!{partitionKeyFromQuery:event_name}/d=!{timestamp:yyyy-MM-dd}/",
        "errors/json/d=!{timestamp:yyyy-MM-dd}/!{firehose:error-output-type}/",
        dynamic=True,
    )
    assert keys.partition_keys == (("partitionKeyFromQuery", "event_name"),)
    prefix = keys.data_prefix(AT, {("partitionKeyFromQuery", "event_name"): "account_created"})
    assert prefix == "events_raw/json/name=account_created/d=2018-08-27/"
    assert keys.error_output_prefix(AT, "processing-failed") == (
        "errors/json/d=2018-08-27/processing-failed/"
    )


def test_every_timestamp_in_one_key_is_the_same_instant() -> None:
    keys = layout("!{timestamp:ss}/!{timestamp:ss}/", "e/!{firehose:error-output-type}")
    first, second, _ = keys.data_prefix(AT).split("/")
    assert first == second == "00"


def test_random_string_is_new_for_each_use_and_11_characters() -> None:
    parsed = parse_prefix("!{firehose:random-string}/!{firehose:random-string}")
    first, second = parsed.render(AT).split("/")
    assert len(first) == len(second) == 11
    assert first != second


@pytest.mark.parametrize(
    ("prefix", "error", "dynamic", "message"),
    [
        ("!{timestamp:yyyy}", None, False, "ErrorOutputPrefix cannot be null or empty"),
        ("a/!{firehose:error-output-type}", "e/!{firehose:error-output-type}", False, "Prefix"),
        ("a/", "e/!{timestamp:yyyy}/", False, "must contain !{firehose:error-output-type}"),
        ("a/!{nope:x}", "e/!{firehose:error-output-type}", False, "namespace"),
        ("a/!{firehose:other}", "e/!{firehose:error-output-type}", False, "firehose namespace"),
        ("a/!{timestamp:yyyy", "e/!{firehose:error-output-type}", False, "!{"),
        ("a/!{timestamp:bbbb}", "e/!{firehose:error-output-type}", False, "DateTimeFormatter"),
        ("a/!{timestamp:}", "e/!{firehose:error-output-type}", False, "no value"),
        (
            "a/!{partitionKeyFromQuery:k}/",
            "e/!{firehose:error-output-type}",
            False,
            "only when dynamic partitioning is enabled",
        ),
        ("a/!{partitionKeyFromQuery:k}/", None, True, "ErrorOutputPrefix cannot be null"),
        ("a/!{timestamp:yyyy}/", "e/!{firehose:error-output-type}", True, "at least one"),
        (
            "a/!{partitionKeyFromQuery:k}/",
            "e/!{firehose:error-output-type}/!{partitionKeyFromQuery:k}",
            True,
            "ErrorOutputPrefix cannot contain partitionKeyFromQuery",
        ),
    ],
)
def test_invalid_prefixes_are_rejected_with_invalid_argument(
    prefix: str, error: str | None, dynamic: bool, message: str
) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        layout(prefix, error, dynamic)
    assert raised.value.code == "InvalidArgumentException"
    assert message in raised.value.message
    assert raised.value.message.startswith("Ths supplied prefix(es) do not satisfy")


def test_object_name_format() -> None:
    assert object_name("stream", "3", AT, "uuid") == "stream-3-2018-08-27-10-30-00-uuid"


@given(st.text(alphabet=st.characters(blacklist_characters="!"), max_size=40))
def test_text_without_expressions_is_kept_verbatim(text: str) -> None:
    parsed = parse_prefix(text)
    assert not parsed.has_expressions
    assert parsed.render(AT) == text
    assert layout(text).data_prefix(AT) == text + "2018/08/27/10/"


@given(st.text(alphabet="!{}:abtimestampyMd/-'", max_size=40))
def test_parser_only_ever_raises_invalid_argument(text: str) -> None:
    try:
        parsed = parse_prefix(text)
    except InvalidArgumentError:
        return
    # Whatever parsed renders, and literal text round-trips around the expressions.
    rendered = parsed.render(AT, error_type="processing-failed", random_string=lambda: "R")
    assert isinstance(rendered, str)
    assert "!{" not in rendered or "!{" in "".join(s for s in parsed.segments if isinstance(s, str))
