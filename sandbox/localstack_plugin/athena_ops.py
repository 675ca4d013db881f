"""Athena metadata operations that moto lacks but Terraform calls on update.

moto 5.1 (bundled with LocalStack 4.14.0) implements CreateWorkGroup/GetWorkGroup/DeleteWorkGroup
and ListTagsForResource, but not UpdateWorkGroup, TagResource or UntagResource; without them
``terraform apply`` fails on any change to a workgroup's configuration or tags. These handlers
edit moto's own Athena backend, so every other operation keeps seeing the same state.

Query execution is not moto's: :mod:`sandbox.localstack_plugin.athena` answers those operations
with the sandbox's DuckDB engine.
"""

from __future__ import annotations

from typing import Any

from localstack.aws.api import CommonServiceException


def _backend(context: Any) -> Any:
    from moto.athena.models import athena_backends

    return athena_backends[context.account_id][context.region]


def _invalid(message: str) -> CommonServiceException:
    return CommonServiceException("InvalidRequestException", message, status_code=400)


def _merge(target: dict, updates: dict) -> None:
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def update_work_group(context: Any, request: dict) -> dict:
    """UpdateWorkGroup: apply ConfigurationUpdates, Description and State to moto's workgroup."""
    backend = _backend(context)
    name = request.get("WorkGroup")
    group = backend.work_groups.get(name)
    if group is None:
        raise _invalid(f"WorkGroup {name} is not found.")
    if "Description" in request:
        group.description = request["Description"]
    if "State" in request:
        group.state = request["State"]
    updates = dict(request.get("ConfigurationUpdates") or {})
    config = group.configuration
    # The *Updates shape renames a few fields and adds Remove* switches (Athena API reference,
    # "WorkGroupConfigurationUpdates" / "ResultConfigurationUpdates").
    result_updates = dict(updates.pop("ResultConfigurationUpdates", None) or {})
    result = config.setdefault("ResultConfiguration", {})
    for remove_flag, field in (
        ("RemoveOutputLocation", "OutputLocation"),
        ("RemoveEncryptionConfiguration", "EncryptionConfiguration"),
        ("RemoveExpectedBucketOwner", "ExpectedBucketOwner"),
        ("RemoveAclConfiguration", "AclConfiguration"),
    ):
        if result_updates.pop(remove_flag, False):
            result.pop(field, None)
    _merge(result, result_updates)
    if updates.pop("RemoveBytesScannedCutoffPerQuery", False):
        config.pop("BytesScannedCutoffPerQuery", None)
    if updates.pop("RemoveCustomerContentEncryptionConfiguration", False):
        config.pop("CustomerContentEncryptionConfiguration", None)
    _merge(config, updates)
    return {}


def _resource_arn(request: dict) -> str:
    arn = request.get("ResourceARN") or ""
    if not arn:
        raise _invalid("ResourceARN is required.")
    return arn


def tag_resource(context: Any, request: dict) -> dict:
    backend = _backend(context)
    arn = _resource_arn(request)
    backend.tagger.tag_resource(arn, request.get("Tags") or [])
    return {}


def untag_resource(context: Any, request: dict) -> dict:
    backend = _backend(context)
    arn = _resource_arn(request)
    backend.tagger.untag_resource_using_names(arn, request.get("TagKeys") or [])
    return {}


def list_tags_for_resource(context: Any, request: dict) -> dict:
    """ListTagsForResource from the tagger the handlers above write to.

    moto answers 400 for a resource without tags; AWS answers an empty list.
    """
    backend = _backend(context)
    arn = _resource_arn(request)
    tags = backend.tagger.list_tags_for_resource(arn).get("Tags", [])
    return {"Tags": tags}


OVERRIDES = {
    "UpdateWorkGroup": update_work_group,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
