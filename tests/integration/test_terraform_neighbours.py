"""A user's own Terraform applies next to the platform (``terraform_neighbours/main.tf``).

Data-platform Terraform touches more than the lake: the default VPC and its subnets (data
sources), a security group and an S3 gateway endpoint, an encrypted SQS queue, SNS, a
Kinesis stream, SSM parameters, a Secrets Manager secret, KMS, CloudWatch Logs, a function's IAM
role, an EventBridge schedule and a CloudWatch alarm, and it reads the
platform's bucket and delivery stream. All of it is applied with tflocal, the way ``make up``
applies ``terraform/``, on the session's sandbox (``Settings.services``: the default
``SANDBOX_SERVICES``); then the resources are read back through the AWS APIs, a second plan has
nothing to do, and ``destroy`` removes them again.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from sandbox.infra.terraform import Terraform
from sandbox.settings import Settings
from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).with_name("terraform_neighbours")


def test_a_vpc_security_group_queue_and_parameters_apply_next_to_the_platform(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    name = f"nb{uuid.uuid4().hex[:8]}"
    config = tmp_path / "terraform"
    config.mkdir()
    (config / "main.tf").write_text((CONFIG / "main.tf").read_text())
    (config / "run.auto.tfvars.json").write_text(
        json.dumps(
            {
                "name": name,
                "lake_bucket": sandbox.outputs.bucket,
                "json_stream": sandbox.outputs.json_stream,
            }
        )
    )
    settings = Settings(
        port=sandbox.settings.port, state_dir=tmp_path / "state", terraform_dir=config
    )
    terraform = Terraform(settings)
    started = time.monotonic()
    terraform.init()
    terraform.apply()
    applied = time.monotonic()
    outputs = {key: item["value"] for key, item in terraform.outputs().items()}

    ec2, sqs, ssm = (sandbox.client(s) for s in ("ec2", "sqs", "ssm"))
    (group,) = ec2.describe_security_groups(GroupIds=[outputs["security_group_id"]])[
        "SecurityGroups"
    ]
    assert group["VpcId"] == outputs["vpc_id"]
    assert group["IpPermissions"][0]["FromPort"] == 443
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["All"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "120"
    parameter = ssm.get_parameter(Name=f"/{name}/lake/bucket")["Parameter"]
    assert parameter["Value"] == sandbox.outputs.bucket
    assert outputs["account_id"] == "000000000000" and outputs["partition"] == "aws"
    assert sandbox.client("events").list_targets_by_rule(Rule=f"{name}-nightly-compaction")[
        "Targets"
    ]
    assert sandbox.client("cloudwatch").describe_alarms(AlarmNames=[f"{name}-firehose-delivery"])[
        "MetricAlarms"
    ]

    plan = terraform.plan()
    assert plan.empty, plan.output  # what the emulator answers reads back as applied
    planned = time.monotonic()

    terraform.run("destroy", "-input=false", "-auto-approve", f"-state={terraform.state}")
    print(
        f"init+apply {applied - started:.0f}s, plan {planned - applied:.0f}s, "
        f"destroy {time.monotonic() - planned:.0f}s"
    )
    queues = sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert queues == []
    # The platform next door is untouched.
    assert sandbox.client("s3").head_bucket(Bucket=sandbox.outputs.bucket)
