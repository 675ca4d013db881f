"""The services' state snapshot: moto backends and LocalStack stores saved and restored in place."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack.services.firehose.models import firehose_stores
from moto.athena.models import athena_backends
from moto.iam.models import AWSManagedPolicy, iam_backends
from moto.logs.models import logs_backends

from sandbox.localstack_plugin import service_state

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


@pytest.fixture
def account() -> Iterator[str]:
    """An account of this test's own; its state is dropped afterwards."""
    account = f"{random.randrange(10**11, 10**12)}"
    yield account
    for container in (iam_backends, logs_backends, athena_backends, firehose_stores):
        dict.pop(container, account, None)


def _fill(account: str) -> None:
    iam = iam_backends[account]["global"]
    iam.create_role("etl", TRUST, "/", None, "a role", [{"Key": "t", "Value": "1"}], None)
    logs_backends[account]["eu-west-1"].create_log_group("/sandbox/g", {"k": "v"})
    athena_backends[account]["us-east-1"].create_work_group(
        "wg", {}, "a workgroup", [{"Key": "w", "Value": "g"}]
    )
    store = firehose_stores[account]["us-east-1"]
    store.delivery_streams["s"] = {"DeliveryStreamName": "s", "VersionId": "3"}
    store.TAGS.tag_resource("arn:s", [{"Key": "a", "Value": "b"}])


def _drop(account: str) -> None:
    """What a fresh LocalStack process has of ``account``: nothing."""
    for container in (iam_backends, logs_backends, athena_backends, firehose_stores):
        dict.pop(container, account, None)


def test_every_service_comes_back_into_the_live_containers(tmp_path: Path, account: str) -> None:
    _fill(account)
    saved = service_state.ServiceSnapshots(tmp_path).save()
    assert saved.written == len(service_state.SERVICES) and not saved.errors
    _drop(account)
    with pytest.raises(Exception, match="etl"):
        iam_backends[account]["global"].get_role("etl")

    restored = service_state.ServiceSnapshots(tmp_path).restore()

    assert restored.errors == []
    role = iam_backends[account]["global"].get_role("etl")
    assert role.description == "a role"
    assert iam_backends[account]["global"].list_role_tags("etl", None)[0] == [
        {"Key": "t", "Value": "1"}
    ]
    assert "/sandbox/g" in logs_backends[account]["eu-west-1"].groups
    athena = athena_backends[account]["us-east-1"]
    assert "wg" in athena.work_groups
    store = firehose_stores[account]["us-east-1"]
    assert store.delivery_streams["s"]["VersionId"] == "3"
    # a cross-region attribute: the tags are seen from every region of the account
    assert firehose_stores[account]["eu-west-1"].TAGS.list_tags_for_resource("arn:s") == {
        "Tags": [{"Key": "a", "Value": "b"}]
    }


def test_a_save_rewrites_only_what_changed(tmp_path: Path, account: str) -> None:
    _fill(account)
    snapshots = service_state.ServiceSnapshots(tmp_path)
    snapshots.save()
    assert snapshots.save().written == 0
    logs_backends[account]["eu-west-1"].create_log_group("/sandbox/h", {})
    assert snapshots.save().written == 1


def test_an_aws_managed_policy_is_saved_by_name(tmp_path: Path, account: str) -> None:
    data = {
        "DefaultVersionId": "v1",
        "Path": "/",
        "Document": {"Version": "2012-10-17", "Statement": []},
        "CreateDate": "2020-01-01T00:00:00+00:00",
        "UpdateDate": "2020-01-01T00:00:00+00:00",
    }
    name = "AmazonS3ReadOnlyAccess"
    unattached = AWSManagedPolicy.from_data(name, account, "us-east-1", data)
    attached = AWSManagedPolicy.from_data(name, account, "us-east-1", data)
    attached.attachment_count = 1
    small = service_state.dumps({"p": unattached})
    assert len(small) < len(service_state.dumps({"p": attached}))
    loaded = service_state.loads(small)["p"]
    assert loaded.arn == f"arn:aws:iam::aws:policy/{name}" and loaded.attachment_count == 0
    assert service_state.loads(service_state.dumps({"p": attached}))["p"].attachment_count == 1


def test_a_file_of_another_format_fails_the_restore(tmp_path: Path) -> None:
    folder = tmp_path / service_state.FOLDER
    folder.mkdir()
    (folder / "iam.pickle").write_bytes(service_state.dumps({"format": 1, "backends": []}))
    report = service_state.ServiceSnapshots(tmp_path).restore()
    assert report.errors and "format 1" in report.errors[0]


def test_a_state_changed_while_it_is_pickled_is_pickled_again(
    tmp_path: Path, account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(account)
    real, failures = service_state.dumps, iter([True])

    def racing(state: dict) -> bytes:
        if next(failures, False):
            raise RuntimeError("dictionary changed size during iteration")
        return real(state)

    monkeypatch.setattr(service_state, "dumps", racing)
    report = service_state.ServiceSnapshots(tmp_path).save()
    assert report.written == len(service_state.SERVICES) and not report.errors


def _round_trip(tmp_path: Path, service: str, drop: Any) -> None:
    """Save ``service``, drop what a fresh process would not have, restore it in place."""
    assert service in service_state.SERVICES  # what the plugin saves at every snapshot
    snapshots = service_state.ServiceSnapshots(tmp_path, services=(service,))
    assert snapshots.save().errors == []
    drop()
    restored = service_state.ServiceSnapshots(tmp_path, services=(service,)).restore()
    assert restored.errors == [] and restored.services[service]["bytes"] > 0


def test_a_queue_and_its_messages_come_back(tmp_path: Path, account: str) -> None:
    from localstack.aws.api.sqs import Message
    from localstack.services.sqs.models import StandardQueue, sqs_stores

    queue = StandardQueue("jobs", "us-east-1", account, tags={"team": "data"})
    queue.put(Message(MessageId="m-1", Body="hello", MD5OfBody="x"))
    sqs_stores[account]["us-east-1"].queues["jobs"] = queue
    _round_trip(tmp_path, "sqs", lambda: dict.pop(sqs_stores, account))
    restored = sqs_stores[account]["us-east-1"].queues["jobs"]
    assert restored is not queue and restored.tags == {"team": "data"}
    received = restored.receive(num_messages=1, wait_time_seconds=0)
    assert [m.message["Body"] for m in received.successful] == ["hello"]
    dict.pop(sqs_stores, account, None)


def test_a_kms_key_still_decrypts_what_it_encrypted(tmp_path: Path, account: str) -> None:
    """The key material is in the snapshot: ciphertext made before a restart stays readable."""
    from localstack.services.kms.models import KmsKey, deserialize_ciphertext_blob, kms_stores

    key = KmsKey(account_id=account, region="us-east-1")
    kms_stores[account]["us-east-1"].keys[key.metadata["KeyId"]] = key
    blob = key.encrypt(b"lake key")
    _round_trip(tmp_path, "kms", lambda: dict.pop(kms_stores, account))
    restored = kms_stores[account]["us-east-1"].keys[key.metadata["KeyId"]]
    assert restored is not key
    assert restored.decrypt(deserialize_ciphertext_blob(blob)) == b"lake key"
    dict.pop(kms_stores, account, None)


def test_parameters_secrets_and_a_vpc_come_back(tmp_path: Path, account: str) -> None:
    """moto's SSM (its ParameterDict needs a reducer of its own), Secrets Manager and EC2."""
    from moto.ec2.models import ec2_backends
    from moto.secretsmanager.models import secretsmanager_backends
    from moto.ssm.models import ssm_backends

    ssm_backends[account]["eu-west-1"].put_parameter(
        name="/app/dsn",
        description="",
        value="postgres://db",
        parameter_type="String",
        allowed_pattern=None,
        keyid=None,
        overwrite=False,
        tags=[],
        data_type="text",
        tier=None,
        policies=None,
    )
    secretsmanager_backends[account]["eu-west-1"].create_secret(
        name="token",
        secret_string="s3cr3t",
        secret_binary=None,
        description=None,
        tags=None,
        kms_key_id=None,
        client_request_token=None,
        replica_regions=[],
        force_overwrite=False,
    )
    vpc = ec2_backends[account]["eu-west-1"].create_vpc("10.17.0.0/16")
    for service, backends in (
        ("ssm", ssm_backends),
        ("secretsmanager", secretsmanager_backends),
        ("ec2", ec2_backends),
    ):
        _round_trip(tmp_path / service, service, lambda b=backends: dict.pop(b, account))
    parameter = ssm_backends[account]["eu-west-1"].get_parameter("/app/dsn")
    assert parameter.value == "postgres://db"
    secret = secretsmanager_backends[account]["eu-west-1"].get_secret_value("token", None, None)
    assert secret["SecretString"] == "s3cr3t"
    assert ec2_backends[account]["eu-west-1"].get_vpc(vpc.id).cidr_block == "10.17.0.0/16"
    for backends in (ssm_backends, secretsmanager_backends, ec2_backends):
        dict.pop(backends, account, None)
