"""The Terraform outputs, which every stage reads instead of hard-coding resource names.

``make up`` (``sandbox up``) saves ``terraform output -json`` to ``<state>/terraform-outputs.json``
after each apply; :func:`read_outputs` reads that file, or, when it is missing, the outputs
recorded in the sandbox's own state file (``<state>/terraform.tfstate``). It never runs
``terraform`` in ``terraform/``: there, a production backend (S3 state) would be read with the
user's real credentials, or local production state would hand production names to the sandbox.

Also owns the lake layout those outputs describe (:class:`LakeLayout`): the fixed folder in front
of each stream's prefix and error output prefix, which the seed report and ``make stats`` list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sandbox.errors import SandboxError
from sandbox.settings import Settings


class OutputsMissingError(SandboxError):
    """The platform has not been provisioned yet."""


def fixed_folder(prefix: str) -> str:
    """The folder a Firehose prefix always writes below: its text before the first ``!{``
    expression, cut back to the last ``/`` (``events_raw/json/name=!{...}/`` ->
    ``events_raw/json/``; ``""`` when the first folder is already an expression)."""
    head = prefix.split("!{", 1)[0]
    return head[: head.rfind("/") + 1]


# Outputs fields -> the terraform/outputs.tf output each one is read from.
_REQUIRED = {
    "bucket": "bucket_name",
    "results_bucket": "results_bucket_name",
    "json_stream": "json_stream_name",
    "parquet_stream": "parquet_stream_name",
    "database": "glue_database_name",
    "json_table": "json_table_name",
    "parquet_table": "parquet_table_name",
    "workgroup": "athena_workgroup_name",
    "region": "region",
}
_OPTIONAL = {
    "json_prefix": "json_prefix",
    "json_error_output_prefix": "json_error_output_prefix",
    "parquet_prefix": "parquet_prefix",
    "parquet_error_output_prefix": "parquet_error_output_prefix",
    # The Iceberg stream and table (terraform/ since issue 18).
    "iceberg_stream": "iceberg_stream_name",
    "iceberg_table": "iceberg_table_name",
    "iceberg_table_location": "iceberg_table_location",
    "iceberg_error_output_prefix": "iceberg_error_output_prefix",
}


@dataclass(frozen=True)
class LakeLayout:
    """Where the two delivery streams write in the sink bucket (from the Terraform outputs)."""

    bucket: str
    json_data: str
    parquet_data: str
    json_errors: str
    parquet_errors: str

    @property
    def data_prefixes(self) -> tuple[str, ...]:
        return _unique((self.json_data, self.parquet_data))

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Data folders first, then error output folders, each once."""
        return _unique((self.json_data, self.parquet_data, self.json_errors, self.parquet_errors))


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


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
    # Optional so that outputs saved before these existed still serve emit and query;
    # :meth:`lake` says to re-run `make up` when they are missing.
    json_prefix: str | None = None
    json_error_output_prefix: str | None = None
    parquet_prefix: str | None = None
    parquet_error_output_prefix: str | None = None
    iceberg_stream: str | None = None
    iceberg_table: str | None = None
    iceberg_table_location: str | None = None
    iceberg_error_output_prefix: str | None = None

    @classmethod
    def from_terraform(cls, raw: dict) -> Outputs:
        def value(name: str) -> str:
            found = optional(name)
            if found is None:
                raise OutputsMissingError(f"Terraform output {name!r} is missing; run `make up`.")
            return found

        def optional(name: str) -> str | None:
            item: Any = raw.get(name)
            if isinstance(item, dict):
                item = item.get("value")
            return None if item is None else str(item)

        fields: dict[str, Any] = {field: value(output) for field, output in _REQUIRED.items()}
        fields.update({field: optional(output) for field, output in _OPTIONAL.items()})
        return cls(**fields)

    def lake(self, bucket: str | None = None) -> LakeLayout:
        """The layout of the sink bucket (or of ``bucket``, a copy laid out the same way)."""
        prefixes = {
            "json_prefix": self.json_prefix,
            "parquet_prefix": self.parquet_prefix,
            "json_error_output_prefix": self.json_error_output_prefix,
            "parquet_error_output_prefix": self.parquet_error_output_prefix,
        }
        missing = [name for name, prefix in prefixes.items() if prefix is None]
        if missing:
            raise OutputsMissingError(
                f"Terraform outputs {', '.join(missing)} are missing (provisioned by an older "
                "terraform/); run `make up`."
            )
        json_data, parquet_data, json_errors, parquet_errors = (
            fixed_folder(prefix or "") for prefix in prefixes.values()
        )
        return LakeLayout(
            bucket or self.bucket, json_data, parquet_data, json_errors, parquet_errors
        )


def save_outputs(settings: Settings, raw: dict) -> None:
    path = settings.state.outputs_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=2, sort_keys=True))


def read_outputs(settings: Settings) -> Outputs:
    """The provisioned platform's names; a clear error when ``make up`` has not run."""
    path = settings.state.outputs_file
    if path.exists():
        return Outputs.from_terraform(json.loads(path.read_text()))
    try:
        raw = json.loads(settings.state.tfstate.read_text()).get("outputs") or {}
    except (OSError, ValueError, AttributeError):
        raw = {}
    if not raw:
        raise OutputsMissingError("The platform is not provisioned; run `make up`.")
    return Outputs.from_terraform(raw)
