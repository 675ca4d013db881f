"""The provisioned platform: every resource of terraform/ exists on the emulator as configured.

These assert through the AWS APIs on the endpoint (not through Terraform's state), so they fail
when the emulator silently drops configuration.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

EXPECTED_QUERY = (
    '{event_name:.name, event_date:.tstamp | split(".")[0] | '
    'strptime("%Y-%m-%d %H:%M:%S") | strftime("%Y-%m")}'
)


def _stream(sandbox: SandboxHandle, name: str) -> dict:
    description = sandbox.client("firehose").describe_delivery_stream(DeliveryStreamName=name)
    return description["DeliveryStreamDescription"]


def _extended(stream: dict) -> dict:
    return stream["Destinations"][0]["ExtendedS3DestinationDescription"]


def _processors(destination: dict) -> dict[str, dict[str, str]]:
    config = destination["ProcessingConfiguration"]
    assert config["Enabled"] is True
    return {
        p["Type"]: {x["ParameterName"]: x["ParameterValue"] for x in p.get("Parameters", [])}
        for p in config["Processors"]
    }


def test_buckets_are_encrypted_and_private(sandbox: SandboxHandle) -> None:
    s3 = sandbox.client("s3")
    for bucket in (sandbox.outputs.bucket, sandbox.outputs.results_bucket):
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        algorithm = rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        assert algorithm in ("AES256", "aws:kms")
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), block


@pytest.mark.parametrize(
    ("kind", "serde", "input_format", "classification"),
    [
        (
            "json",
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hadoop.mapred.TextInputFormat",
            "json",
        ),
        (
            "parquet",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "parquet",
        ),
    ],
)
def test_glue_tables_match_the_article(
    sandbox: SandboxHandle, kind: str, serde: str, input_format: str, classification: str
) -> None:
    outputs = sandbox.outputs
    name = outputs.json_table if kind == "json" else outputs.parquet_table
    table = sandbox.client("glue").get_table(DatabaseName=outputs.database, Name=name)["Table"]
    descriptor = table["StorageDescriptor"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Parameters"]["classification"] == classification
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        ("tstamp", "timestamp"),
        ("payload", "string"),
        ("payload_md5", "string"),
    ]
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [
        ("name", "string"),
        ("d", "string"),
    ]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == serde
    assert descriptor["InputFormat"] == input_format
    assert descriptor["Location"] == f"s3://{outputs.bucket}/events_raw/{kind}/"


def test_json_stream_partitions_compresses_and_encrypts(sandbox: SandboxHandle) -> None:
    stream = _stream(sandbox, sandbox.outputs.json_stream)
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfiguration"]["Status"] == "ENABLED"
    assert stream["DeliveryStreamEncryptionConfiguration"]["KeyType"] == "AWS_OWNED_CMK"
    destination = _extended(stream)
    assert destination["BucketARN"] == f"arn:aws:s3:::{sandbox.outputs.bucket}"
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["Prefix"] == (
        "events_raw/json/name=!{partitionKeyFromQuery:event_name}/d=!{timestamp:yyyy-MM-dd}/"
    )
    assert "!{firehose:error-output-type}" in destination["ErrorOutputPrefix"]
    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    assert destination["BufferingHints"]["SizeInMBs"] >= 64
    assert destination["BufferingHints"]["IntervalInSeconds"] > 0
    processors = _processors(destination)
    assert processors["MetadataExtraction"] == {
        "JsonParsingEngine": "JQ-1.6",
        "MetadataExtractionQuery": EXPECTED_QUERY,
    }
    assert "AppendDelimiterToRecord" in processors
    assert destination["CloudWatchLoggingOptions"]["Enabled"] is True


def test_parquet_stream_converts_with_the_glue_schema(sandbox: SandboxHandle) -> None:
    stream = _stream(sandbox, sandbox.outputs.parquet_stream)
    assert stream["DeliveryStreamEncryptionConfiguration"]["Status"] == "ENABLED"
    destination = _extended(stream)
    assert destination["CompressionFormat"] == "UNCOMPRESSED"
    assert destination["Prefix"].startswith("events_raw/parquet/name=")
    conversion = destination["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "HiveJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    schema = conversion["SchemaConfiguration"]
    assert schema["DatabaseName"] == sandbox.outputs.database
    assert schema["TableName"] == sandbox.outputs.parquet_table
    assert "MetadataExtraction" in _processors(destination)


def test_firehose_role_is_least_privilege(sandbox: SandboxHandle) -> None:
    iam = sandbox.client("iam")
    stream = _stream(sandbox, sandbox.outputs.json_stream)
    role_name = _extended(stream)["RoleARN"].rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "firehose.amazonaws.com"}
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    assert names
    document = iam.get_role_policy(RoleName=role_name, PolicyName=names[0])["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    actions: set[str] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        assert "*" not in resources, statement
        listed = statement["Action"]
        actions |= {listed} if isinstance(listed, str) else set(listed)
    assert {"s3:PutObject", "glue:GetTable", "logs:PutLogEvents"} <= actions
    assert not any(a.endswith(":*") for a in actions)


def test_athena_workgroup_writes_to_the_results_bucket(sandbox: SandboxHandle) -> None:
    group = sandbox.client("athena").get_work_group(WorkGroup=sandbox.outputs.workgroup)
    location = group["WorkGroup"]["Configuration"]["ResultConfiguration"]["OutputLocation"]
    assert location.startswith(f"s3://{sandbox.outputs.results_bucket}/")


def test_log_groups_exist_for_delivery_errors(sandbox: SandboxHandle) -> None:
    stream = _stream(sandbox, sandbox.outputs.json_stream)
    group = _extended(stream)["CloudWatchLoggingOptions"]["LogGroupName"]
    logs = sandbox.client("logs")
    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in found] == [group]


def test_second_plan_has_no_changes(sandbox: SandboxHandle) -> None:
    plan = sandbox.terraform.plan()
    assert plan.empty, plan.output
