"""Terraform create -> update -> destroy of a second copy of the platform on the sandbox.

The copy gets its own names (so the session's platform is untouched) and its own state; the
update changes tags, descriptions, a Glue column and two streams' buffering (the JSON and the
Iceberg one), which exercises Glue UpdateTable/UpdateDatabase, Firehose UpdateDestination and the
tagging APIs; the Iceberg table comes and goes with the rest.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from sandbox.infra.terraform import Terraform
from sandbox.settings import Settings
from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _copy_terraform(target: Path) -> Path:
    shutil.copytree(
        ROOT / "terraform",
        target,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "localstack_providers_*"),
    )
    return target


def _write_vars(folder: Path, name: str, extra: str = "") -> None:
    (folder / "lifecycle.auto.tfvars").write_text(
        f'project = "{name}"\n'
        f'firehose_stream_name = "{name}"\n'
        f'glue_database_name = "{name}_db"\n'
        "force_destroy = true\n" + extra
    )


def test_create_update_destroy(sandbox: SandboxHandle, tmp_path: Path) -> None:
    name = f"lc{uuid.uuid4().hex[:8]}"
    folder = _copy_terraform(tmp_path / "terraform")
    _write_vars(folder, name)
    settings = Settings(
        port=sandbox.settings.port, state_dir=tmp_path / "state", terraform_dir=folder
    )
    terraform = Terraform(settings)
    terraform.init()
    terraform.apply()
    outputs = terraform.outputs()
    database = outputs["glue_database_name"]["value"]
    json_stream = outputs["json_stream_name"]["value"]
    glue = sandbox.client("glue")
    firehose = sandbox.client("firehose")
    assert glue.get_table(DatabaseName=database, Name="events_json")["Table"]
    before = firehose.describe_delivery_stream(DeliveryStreamName=json_stream)
    version_before = int(before["DeliveryStreamDescription"]["VersionId"])
    # The Iceberg table (Glue's CreateTable with IcebergInput) and the stream into it.
    iceberg_stream = outputs["iceberg_stream_name"]["value"]
    iceberg_table = glue.get_table(DatabaseName=database, Name="events_iceberg")["Table"]
    assert iceberg_table["Parameters"]["table_type"] == "ICEBERG"
    iceberg_before = firehose.describe_delivery_stream(DeliveryStreamName=iceberg_stream)
    iceberg_version = int(iceberg_before["DeliveryStreamDescription"]["VersionId"])

    # update: tags, a description, a new column and the JSON stream's buffering interval
    _write_vars(
        folder,
        name,
        'tags = { Owner = "lifecycle-test" }\njson_buffering_interval_seconds = 120\n'
        "iceberg_buffering_interval_seconds = 30\n",
    )
    glue_tf = folder / "glue.tf"
    text = glue_tf.read_text()
    text = text.replace(
        'description   = "Raw events as newline-delimited',
        'description   = "UPDATED raw events as newline-delimited',
        1,
    )
    column = '    columns {\n      name = "payload_md5"\n      type = "string"\n    }\n'
    assert column in text
    text = text.replace(
        column,
        column + '\n    columns {\n      name = "app_version"\n      type = "string"\n    }\n',
        1,
    )
    glue_tf.write_text(text)
    terraform.apply()
    plan = terraform.plan()
    assert plan.empty, plan.output

    table = glue.get_table(DatabaseName=database, Name="events_json")["Table"]
    assert table["Description"].startswith("UPDATED")
    columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    assert columns == ["tstamp", "payload", "payload_md5", "app_version"]
    after = firehose.describe_delivery_stream(DeliveryStreamName=json_stream)
    description = after["DeliveryStreamDescription"]
    destination = description["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["BufferingHints"]["IntervalInSeconds"] == 120
    assert int(description["VersionId"]) > version_before
    tags = firehose.list_tags_for_delivery_stream(DeliveryStreamName=json_stream)["Tags"]
    assert {"Key": "Owner", "Value": "lifecycle-test"} in tags
    iceberg_after = firehose.describe_delivery_stream(DeliveryStreamName=iceberg_stream)
    iceberg_description = iceberg_after["DeliveryStreamDescription"]
    iceberg_destination = iceberg_description["Destinations"][0]["IcebergDestinationDescription"]
    assert iceberg_destination["BufferingHints"]["IntervalInSeconds"] == 30
    assert int(iceberg_description["VersionId"]) > iceberg_version

    terraform.run("destroy", "-input=false", "-auto-approve", f"-state={terraform.state}")
    with pytest.raises(ClientError) as info:
        glue.get_database(Name=database)
    assert info.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert json_stream not in firehose.list_delivery_streams()["DeliveryStreamNames"]
    assert iceberg_stream not in firehose.list_delivery_streams()["DeliveryStreamNames"]
