"""Terraform outputs: read from the sandbox's own files, never from terraform/ itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.infra import outputs
from sandbox.settings import Settings

NAMES = {
    "bucket_name": "sandbox-events",
    "results_bucket_name": "sandbox-athena-results",
    "json_stream_name": "events_json",
    "parquet_stream_name": "events_parquet",
    "glue_database_name": "events_db",
    "json_table_name": "events_json",
    "parquet_table_name": "events_parquet",
    "athena_workgroup_name": "sandbox-analytics",
    "region": "us-east-1",
}
LAYOUT = {
    "json_prefix": "events_raw/json/name=!{partitionKeyFromQuery:event_name}/d=!{timestamp:yyyy}/",
    "json_error_output_prefix": "errors/json/d=!{timestamp:yyyy}/!{firehose:error-output-type}/",
    "parquet_prefix": "events_raw/parquet/name=!{partitionKeyFromQuery:event_name}/",
    "parquet_error_output_prefix": "errors/!{firehose:error-output-type}/",
}


def _tf_outputs(names: dict[str, str]) -> dict:
    return {k: {"value": v, "type": "string", "sensitive": False} for k, v in names.items()}


def test_the_saved_outputs_file_wins(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    outputs.save_outputs(settings, _tf_outputs(NAMES))
    assert outputs.read_outputs(settings).bucket == "sandbox-events"


def test_without_the_file_the_sandbox_state_is_read(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    state = {"version": 4, "outputs": _tf_outputs({**NAMES, "bucket_name": "from-state"})}
    settings.state.tfstate.write_text(json.dumps(state))
    assert outputs.read_outputs(settings).bucket == "from-state"


def test_production_terraform_is_never_consulted(tmp_path: Path) -> None:
    # terraform/ holding production state (or a backend that would reach AWS): the sandbox,
    # unprovisioned, must say so instead of picking up production names.
    production = tmp_path / "terraform"
    production.mkdir()
    state = {"version": 4, "outputs": _tf_outputs({**NAMES, "bucket_name": "prod-events"})}
    (production / "terraform.tfstate").write_text(json.dumps(state))
    settings = Settings(state_dir=tmp_path / "state", terraform_dir=production)
    with pytest.raises(outputs.OutputsMissingError, match="run `make up`"):
        outputs.read_outputs(settings)


def test_a_corrupt_state_file_means_not_provisioned(tmp_path: Path) -> None:
    (tmp_path / "terraform.tfstate").write_text("{not json")
    with pytest.raises(outputs.OutputsMissingError):
        outputs.read_outputs(Settings(state_dir=tmp_path))


def test_the_lake_layout_is_the_fixed_folder_of_each_stream_prefix(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    outputs.save_outputs(settings, _tf_outputs({**NAMES, **LAYOUT}))
    lake = outputs.read_outputs(settings).lake()
    assert lake.bucket == "sandbox-events"
    assert lake.data_prefixes == ("events_raw/json/", "events_raw/parquet/")
    assert lake.prefixes == (*lake.data_prefixes, "errors/json/", "errors/")
    assert outputs.read_outputs(settings).lake("copy").bucket == "copy"


@pytest.mark.parametrize(
    ("prefix", "folder"),
    [
        ("events/", "events/"),
        ("events/2026", "events/"),
        ("events/d=!{timestamp:yyyy}/", "events/"),
        ("a/b!{firehose:random-string}/", "a/"),
        ("!{timestamp:yyyy}/", ""),
        ("", ""),
    ],
)
def test_fixed_folder(prefix: str, folder: str) -> None:
    assert outputs.fixed_folder(prefix) == folder


def test_outputs_saved_before_the_layout_existed_still_name_the_resources(
    tmp_path: Path,
) -> None:
    settings = Settings(state_dir=tmp_path)
    outputs.save_outputs(settings, _tf_outputs(NAMES))
    read = outputs.read_outputs(settings)
    assert read.json_stream == "events_json"
    with pytest.raises(outputs.OutputsMissingError, match=r"json_prefix.*run `make up`"):
        read.lake()
