"""The Terraform outputs, which every stage reads instead of hard-coding resource names.

``make up`` (``sandbox up``) saves ``terraform output -json`` to ``<state>/terraform-outputs.json``
after each apply; :func:`read_outputs` reads that file, or, when it is missing, the outputs
recorded in the sandbox's own state file (``<state>/terraform.tfstate``). It never runs
``terraform`` in ``terraform/``: there, a production backend (S3 state) would be read with the
user's real credentials, or local production state would hand production names to the sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sandbox.settings import Settings


class OutputsMissingError(RuntimeError):
    """The platform has not been provisioned yet."""


@dataclass(frozen=True)
class Outputs:
    bucket: str
    results_bucket: str
    json_stream: str
    parquet_stream: str
    database: str
    json_table: str
    parquet_table: str
    workgroup: str
    region: str

    @classmethod
    def from_terraform(cls, raw: dict) -> Outputs:
        def value(name: str) -> str:
            item = raw.get(name)
            if item is None:
                raise OutputsMissingError(f"Terraform output {name!r} is missing; run `make up`.")
            return str(item["value"] if isinstance(item, dict) else item)

        return cls(
            bucket=value("bucket_name"),
            results_bucket=value("results_bucket_name"),
            json_stream=value("json_stream_name"),
            parquet_stream=value("parquet_stream_name"),
            database=value("glue_database_name"),
            json_table=value("json_table_name"),
            parquet_table=value("parquet_table_name"),
            workgroup=value("athena_workgroup_name"),
            region=value("region"),
        )


def outputs_file(settings: Settings) -> Path:
    return settings.state_dir / "terraform-outputs.json"


def save_outputs(settings: Settings, raw: dict) -> None:
    path = outputs_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=2, sort_keys=True))


def read_outputs(settings: Settings) -> Outputs:
    """The provisioned platform's names; a clear error when ``make up`` has not run."""
    path = outputs_file(settings)
    if path.exists():
        return Outputs.from_terraform(json.loads(path.read_text()))
    state = settings.state_dir / "terraform.tfstate"
    try:
        raw = json.loads(state.read_text()).get("outputs") or {}
    except (OSError, ValueError, AttributeError):
        raw = {}
    if not raw:
        raise OutputsMissingError("The platform is not provisioned; run `make up`.")
    return Outputs.from_terraform(raw)
