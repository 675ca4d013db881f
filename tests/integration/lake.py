"""Helpers for the reliability tests: build streams, read the lake and the error output back;
bring up and SIGKILL a sandbox of a test module's own."""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from sandbox.infra import localstack
from sandbox.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::000000000000:role/sandbox-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def own_sandbox(folder: Path, **env: str) -> tuple[Settings, dict[str, str]]:
    """The settings of a sandbox of a test module's own, and the environment to run its
    ``sandbox`` command line in: a free port, host mode, the state under ``folder`` and its own
    copy of terraform/ (so that tflocal's override file never collides with another run's);
    ``env`` adds variables (``SANDBOX_FIREHOSE_WAL="0"``...)."""
    terraform_dir = folder / "terraform"
    shutil.copytree(
        ROOT / "terraform",
        terraform_dir,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "localstack_providers_*"),
    )
    settings = Settings(
        port=free_port(),
        state_dir=folder / "state",
        terraform_dir=terraform_dir,
        mode="host",
        startup_timeout=180.0,
    )
    child = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_"))}
    child.update(
        {
            "SANDBOX_PORT": str(settings.port),
            "SANDBOX_STATE_DIR": str(settings.state_dir),
            "SANDBOX_TERRAFORM_DIR": str(terraform_dir),
            "SANDBOX_MODE": "host",
            "SANDBOX_STARTUP_TIMEOUT": "180",
            **env,
        }
    )
    return settings, child


def kill(settings: Settings) -> None:
    """SIGKILL the sandbox's LocalStack (its process group); wait up to 30 s for its port."""
    pid = localstack.read_pid(settings)
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # reap it when this process started it
    deadline = time.monotonic() + 30
    while localstack.port_in_use(settings.host, settings.port) and time.monotonic() < deadline:
        time.sleep(0.1)


def dynamic_destination(
    bucket: str,
    prefix: str,
    error_prefix: str,
    *,
    query: str = "{event_name: .name}",
    size_mb: int = 64,
    interval_s: int = 900,
    **extra: Any,
) -> dict[str, Any]:
    """An extended S3 destination partitioned by ``event_name`` with newline-delimited records."""
    return {
        "RoleARN": ROLE,
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "Prefix": prefix + "name=!{partitionKeyFromQuery:event_name}/",
        "ErrorOutputPrefix": error_prefix + "!{firehose:error-output-type}/",
        "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {
            "Enabled": True,
            "Processors": [
                {
                    "Type": "MetadataExtraction",
                    "Parameters": [
                        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": query},
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    ],
                },
                {"Type": "AppendDelimiterToRecord"},
            ],
        },
        **extra,
    }


def plain_destination(
    bucket: str, prefix: str, *, size_mb: int = 64, interval_s: int = 900
) -> dict[str, Any]:
    """An extended S3 destination without processors: records concatenated as sent."""
    return {
        "RoleARN": ROLE,
        "BucketARN": f"arn:aws:s3:::{bucket}",
        "Prefix": prefix,
        "BufferingHints": {"SizeInMBs": size_mb, "IntervalInSeconds": interval_s},
    }


def create_stream(firehose: Any, name: str, destination: dict[str, Any]) -> None:
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration=destination,
    )


def listing(s3: Any, bucket: str, prefix: str = "") -> dict[str, str]:
    """Every key under ``prefix`` with its ETag."""
    found: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.update({item["Key"]: item["ETag"] for item in page.get("Contents", [])})
    return found


def body(s3: Any, bucket: str, key: str) -> bytes:
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(data) if key.endswith(".gz") else data


def lines(s3: Any, bucket: str, keys: Iterable[str]) -> list[bytes]:
    """Newline-delimited records of the (possibly gzip'd) objects ``keys``."""
    out: list[bytes] = []
    for key in keys:
        out += body(s3, bucket, key).splitlines()
    return out


def parquet_column(s3: Any, bucket: str, keys: Iterable[str], column: str) -> list[Any]:
    values: list[Any] = []
    for key in keys:
        table = pq.read_table(io.BytesIO(body(s3, bucket, key)), columns=[column])
        values += table.column(0).to_pylist()
    return values


def error_documents(s3: Any, bucket: str, keys: Iterable[str]) -> list[dict[str, Any]]:
    """The error-output documents (one JSON object per line) of ``keys``."""
    return [json.loads(line) for line in lines(s3, bucket, keys) if line.strip()]


def raw(document: dict[str, Any]) -> bytes:
    return base64.b64decode(document["rawData"])


def error_code(document: dict[str, Any]) -> str:
    # Processing failures carry errorCode; format-conversion failures lastErrorCode (AWS's shapes).
    return str(document.get("errorCode") or document.get("lastErrorCode"))


def wait_for[T](check: Callable[[], T], timeout: float, interval: float = 0.25) -> T:
    """Poll ``check`` until it returns something truthy; its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def empty_bucket(s3: Any, bucket: str) -> None:
    keys = list(listing(s3, bucket))
    for start in range(0, len(keys), 1000):
        s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]], "Quiet": True},
        )
