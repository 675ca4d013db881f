"""Snapshots of S3 and Glue: round trip, incremental saves, crash-safe index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox import persistence
from tests.unit.moto_aws import REGION


def _populate(s3: Any, glue: Any) -> None:
    s3.create_bucket(Bucket="lake")
    s3.put_bucket_encryption(
        Bucket="lake",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket="lake",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_object(
        Bucket="lake",
        Key="events_raw/json/name=a/d=2026-11-26/x.gz",
        Body=b"\x1f\x8bgz",
        ContentEncoding="gzip",
    )
    s3.put_object(Bucket="lake", Key="odd key/../é?.json", Body=b"{}")
    glue.create_database(DatabaseInput={"Name": "db"})
    glue.create_table(
        DatabaseName="db",
        TableInput={
            "Name": "t",
            "StorageDescriptor": {
                "Columns": [{"Name": "c", "Type": "string"}],
                "Location": "s3://lake/events_raw/json/",
            },
            "PartitionKeys": [{"Name": "name", "Type": "string"}],
        },
    )
    glue.batch_create_partition(
        DatabaseName="db",
        TableName="t",
        PartitionInputList=[
            {"Values": [v], "StorageDescriptor": {"Location": f"s3://lake/x/name={v}/"}}
            for v in ("a", "b")
        ],
    )


def test_round_trip_restores_objects_settings_and_catalogue(
    s3_glue: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, glue = s3_glue
    _populate(s3, glue)
    saved = persistence.export_snapshot(s3, glue, tmp_path)
    assert (saved.buckets, saved.objects, saved.tables, saved.partitions) == (1, 2, 1, 2)

    # wipe the emulator, as a restart does
    for key in ("events_raw/json/name=a/d=2026-11-26/x.gz", "odd key/../é?.json"):
        s3.delete_object(Bucket="lake", Key=key)
    s3.delete_bucket(Bucket="lake")
    glue.delete_database(Name="db")

    restored = persistence.import_snapshot(s3, glue, tmp_path, REGION)
    assert restored.errors == []
    assert (restored.buckets, restored.objects, restored.partitions) == (1, 2, 2)
    obj = s3.get_object(Bucket="lake", Key="events_raw/json/name=a/d=2026-11-26/x.gz")
    assert obj["Body"].read() == b"\x1f\x8bgz"
    assert obj["ContentEncoding"] == "gzip"
    assert s3.get_object(Bucket="lake", Key="odd key/../é?.json")["Body"].read() == b"{}"
    rules = s3.get_bucket_encryption(Bucket="lake")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    values = sorted(
        p["Values"][0] for p in glue.get_partitions(DatabaseName="db", TableName="t")["Partitions"]
    )
    assert values == ["a", "b"]


def test_second_save_rewrites_only_changed_objects_and_drops_deleted_ones(
    s3_glue: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, glue = s3_glue
    _populate(s3, glue)
    persistence.export_snapshot(s3, glue, tmp_path)
    again = persistence.export_snapshot(s3, glue, tmp_path)
    assert again.objects == 2 and again.objects_written == 0
    s3.delete_object(Bucket="lake", Key="odd key/../é?.json")
    s3.put_object(Bucket="lake", Key="new.json", Body=b"[]")
    third = persistence.export_snapshot(s3, glue, tmp_path)
    assert third.objects == 2 and third.objects_written == 1
    bodies = list((tmp_path / "objects").rglob("*"))
    assert len([b for b in bodies if b.is_file()]) == 2


def test_restore_into_an_emulator_that_already_has_the_resources(
    s3_glue: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, glue = s3_glue
    _populate(s3, glue)
    persistence.export_snapshot(s3, glue, tmp_path)
    report = persistence.import_snapshot(s3, glue, tmp_path, REGION)
    assert report.errors == [] and report.objects == 2


def test_no_snapshot_restores_nothing(s3_glue: tuple[Any, Any], tmp_path: Path) -> None:
    s3, glue = s3_glue
    report = persistence.import_snapshot(s3, glue, tmp_path, REGION)
    assert report.buckets == 0 and report.objects == 0


def test_an_unfinished_index_write_keeps_the_previous_snapshot(
    s3_glue: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, glue = s3_glue
    _populate(s3, glue)
    persistence.export_snapshot(s3, glue, tmp_path)
    before = json.loads((tmp_path / "index.json").read_text())
    (tmp_path / "leftover.tmp").write_text("{half")  # what a crash mid-write leaves
    assert persistence.read_index(tmp_path) == before


def test_glue_tags_survive_a_restart(s3_glue: tuple[Any, Any], tmp_path: Path) -> None:
    # Terraform's default_tags land on the Glue database; lost tags made the first `make up`
    # after a restart plan an in-place update of aws_glue_catalog_database.
    s3, glue = s3_glue
    _populate(s3, glue)
    db_arn = f"arn:aws:glue:{REGION}:123456789012:database/db"
    table_arn = f"arn:aws:glue:{REGION}:123456789012:table/db/t"
    glue.tag_resource(ResourceArn=db_arn, TagsToAdd={"Project": "sandbox", "ManagedBy": "tf"})
    glue.tag_resource(ResourceArn=table_arn, TagsToAdd={"Owner": "data"})
    persistence.export_snapshot(s3, glue, tmp_path)

    # a restarted emulator: no database, no tags
    glue.untag_resource(ResourceArn=db_arn, TagsToRemove=["Project", "ManagedBy"])
    glue.untag_resource(ResourceArn=table_arn, TagsToRemove=["Owner"])
    glue.delete_database(Name="db")

    assert persistence.import_snapshot(s3, glue, tmp_path, REGION).errors == []
    assert glue.get_tags(ResourceArn=db_arn)["Tags"] == {"Project": "sandbox", "ManagedBy": "tf"}
    assert glue.get_tags(ResourceArn=table_arn)["Tags"] == {"Owner": "data"}
