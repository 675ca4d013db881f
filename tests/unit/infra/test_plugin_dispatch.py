"""The LocalStack plugin's dispatch: every Glue/Athena operation reaches moto or our handler."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from localstack.aws.spec import load_service

from sandbox.localstack_plugin import athena_ops, providers
from sandbox.localstack_plugin.moto_dispatch import moto_dispatch_table

ROOT = Path(__file__).resolve().parents[3]


def test_glue_table_covers_every_operation_of_the_spec() -> None:
    table = moto_dispatch_table("glue")
    assert set(table) == set(load_service("glue").operation_names)
    assert {"CreateTable", "GetPartitions", "BatchCreatePartition", "GetTags"} <= set(table)


def test_athena_overrides_replace_the_moto_forwarders() -> None:
    table = moto_dispatch_table("athena", athena_ops.OVERRIDES)
    assert table["UpdateWorkGroup"] is athena_ops.update_work_group
    assert table["TagResource"] is athena_ops.tag_resource
    assert table["UntagResource"] is athena_ops.untag_resource
    # everything else is still forwarded to moto
    assert table["CreateWorkGroup"] is table["GetWorkGroup"]
    assert table["CreateWorkGroup"] is not athena_ops.update_work_group


def test_forwarder_calls_moto_with_the_request_context(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    monkeypatch.setattr("localstack.services.moto.call_moto", lambda ctx: seen.append(ctx) or {})
    table = moto_dispatch_table("glue")
    sentinel = object()
    assert table["GetDatabase"](sentinel, {}) == {}
    assert seen == [sentinel]


def test_entry_points_name_the_plugin_specs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    entry_points = project["project"]["entry-points"]["localstack.aws.provider"]
    for name, target in entry_points.items():
        module, _, attribute = target.partition(":")
        assert module == "sandbox.localstack_plugin.providers"
        spec = getattr(providers, attribute)
        assert f"{spec.namespace}" == "localstack.aws.provider"
        assert spec.name == name


class _Context:
    account_id = "000000000000"
    region = "eu-west-1"


def test_update_work_group_edits_moto_state() -> None:
    from moto.athena.models import athena_backends

    backend = athena_backends[_Context.account_id][_Context.region]
    backend.create_work_group(
        "wg-unit", {"ResultConfiguration": {"OutputLocation": "s3://a/"}}, "before", []
    )
    athena_ops.update_work_group(
        _Context(),
        {
            "WorkGroup": "wg-unit",
            "Description": "after",
            "ConfigurationUpdates": {
                "ResultConfigurationUpdates": {"OutputLocation": "s3://b/"},
                "PublishCloudWatchMetricsEnabled": True,
            },
        },
    )
    group = backend.work_groups["wg-unit"]
    assert group.description == "after"
    assert group.configuration["ResultConfiguration"]["OutputLocation"] == "s3://b/"
    assert group.configuration["PublishCloudWatchMetricsEnabled"] is True
    athena_ops.update_work_group(
        _Context(),
        {
            "WorkGroup": "wg-unit",
            "ConfigurationUpdates": {"ResultConfigurationUpdates": {"RemoveOutputLocation": True}},
        },
    )
    assert "OutputLocation" not in group.configuration["ResultConfiguration"]


def test_update_of_a_missing_work_group_is_an_invalid_request() -> None:
    from localstack.aws.api import CommonServiceException

    with pytest.raises(CommonServiceException) as info:
        athena_ops.update_work_group(_Context(), {"WorkGroup": "nope"})
    assert info.value.code == "InvalidRequestException"


def test_tags_round_trip_through_the_tagger() -> None:
    arn = "arn:aws:athena:eu-west-1:000000000000:workgroup/tagged"
    athena_ops.tag_resource(_Context(), {"ResourceARN": arn, "Tags": [{"Key": "a", "Value": "1"}]})
    athena_ops.tag_resource(_Context(), {"ResourceARN": arn, "Tags": [{"Key": "b", "Value": "2"}]})
    athena_ops.untag_resource(_Context(), {"ResourceARN": arn, "TagKeys": ["a"]})
    assert athena_ops.list_tags_for_resource(_Context(), {"ResourceARN": arn}) == {
        "Tags": [{"Key": "b", "Value": "2"}]
    }
