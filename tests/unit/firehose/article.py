"""The article's delivery streams as test data, read from ``terraform/`` (never a copy of it).

:func:`article_destinations` turns each ``aws_kinesis_firehose_delivery_stream``'s
``extended_s3_configuration`` block into the boto3 shape the engine takes (what
``DescribeDeliveryStream`` answers), resolving ``local.*``, ``var.*`` (their defaults) and other
resources' configured attributes; ARNs Terraform only knows after an apply get stand-ins.
Left out: ``cloudwatch_logging_options`` (a test gives the engine its own log sink) and a null
``kms_key_arn``. :data:`ARTICLE_QUERY` is the MetadataExtraction query, :data:`ARTICLE_COLUMNS`
the Parquet table's columns, and :func:`article_records` synthetic events of the article's shape.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import random
import re
import time
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM_DIR = Path(__file__).resolve().parents[3] / "terraform"
ROLE_ARN = "arn:aws:iam::000000000000:role/firehose"
_REFERENCE = re.compile(r"\$\{([^{}]*)\}")
_LEFT_OUT = {"cloudwatch_logging_options"}
_EVENTS = ("anonymous_visited", "account_created", "measurement_recorded")


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name


@functools.cache
def _terraform() -> dict[str, Any]:
    """Every file's locals, variable defaults and resources, by name."""
    config: dict[str, Any] = {"local": {}, "var": {}, "resource": {}}
    for path in sorted(TERRAFORM_DIR.glob("*.tf")):
        with path.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get("locals", []):
            config["local"].update(block)
        for block in parsed.get("variable", []):
            for name, body in block.items():
                config["var"][_unquote(name)] = body.get("default")
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    config["resource"][f"{_unquote(kind)}.{_unquote(name)}"] = body
    return config


class _Resolver:
    def __init__(self, stand_ins: dict[str, str]) -> None:
        self.config = _terraform()
        self.stand_ins = stand_ins

    def reference(self, expression: str) -> Any:
        expression = expression.strip()
        if expression in self.stand_ins:
            return self.stand_ins[expression]
        scope, _, name = expression.partition(".")
        if scope in ("local", "var") and name in self.config[scope]:
            return self.value(self.config[scope][name])
        resource, _, attribute = expression.rpartition(".")
        body = self.config["resource"].get(resource)
        if body is not None and attribute in body:
            return self.value(body[attribute])
        raise KeyError(f"tests/unit/firehose/article.py cannot resolve ${{{expression}}}")

    def value(self, raw: Any) -> Any:
        """A string as Terraform evaluates it: a quoted template, or one pure reference."""
        if not isinstance(raw, str):
            return raw
        if raw.startswith('"') and raw.endswith('"'):
            return _REFERENCE.sub(lambda m: str(self.reference(m.group(1))), json.loads(raw))
        whole = _REFERENCE.fullmatch(raw)
        return self.reference(whole.group(1)) if whole else raw


def _api_name(name: str) -> str:
    """``error_output_prefix`` -> ``ErrorOutputPrefix``, ``role_arn`` -> ``RoleARN``."""
    camel = "".join(part.capitalize() for part in name.split("_"))
    return camel[:-3] + "ARN" if camel.endswith("Arn") else camel


def _api_shape(body: dict[str, Any], resolve: _Resolver) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in body.items():
        if name.startswith("__") or name in _LEFT_OUT:
            continue
        if name in ("buffering_size", "buffering_interval"):
            field = "SizeInMBs" if name == "buffering_size" else "IntervalInSeconds"
            out.setdefault("BufferingHints", {})[field] = resolve.value(raw)
        elif isinstance(raw, list) and raw and isinstance(raw[0], dict):
            blocks = [_api_shape(block, resolve) for block in raw]
            # Repeated blocks are lists in the API; the others hold one block each.
            out[_api_name(name)] = blocks if name in ("processors", "parameters") else blocks[0]
        elif (value := resolve.value(raw)) is not None:
            out[_api_name(name)] = value
    for processor in out.get("Processors", []):
        processor.setdefault("Parameters", [])
    return out


@functools.cache
def _destinations(bucket: str) -> dict[str, dict[str, Any]]:
    resolve = _Resolver(
        {
            "aws_iam_role.firehose.arn": ROLE_ARN,
            'aws_s3_bucket.this["sink"].arn': f"arn:aws:s3:::{bucket}",
        }
    )
    streams = {
        key.removeprefix("aws_kinesis_firehose_delivery_stream."): body
        for key, body in resolve.config["resource"].items()
        if key.startswith("aws_kinesis_firehose_delivery_stream.")
    }
    return {  # the article's two extended S3 streams (the Iceberg one has no such block)
        kind: _api_shape(body["extended_s3_configuration"][0], resolve)
        for kind, body in streams.items()
        if "extended_s3_configuration" in body
    }


def article_destinations(bucket: str = "sink") -> dict[str, dict[str, Any]]:
    """The Terraform streams' extended S3 destinations (``json``, ``parquet``), as boto3 dicts
    (a fresh copy each call: tests may change them)."""
    return copy.deepcopy(_destinations(bucket))


def _metadata_query() -> str:
    for processor in _destinations("sink")["json"]["ProcessingConfiguration"]["Processors"]:
        for parameter in processor["Parameters"]:
            if parameter["ParameterName"] == "MetadataExtractionQuery":
                return str(parameter["ParameterValue"])
    raise KeyError("the JSON stream has no MetadataExtractionQuery")


def _parquet_columns() -> list[tuple[str, str]]:
    resolve = _Resolver({'aws_s3_bucket.this["sink"].id': "sink"})
    table = resolve.config["resource"]["aws_glue_catalog_table.events_parquet"]
    columns = table["storage_descriptor"][0]["columns"]
    return [(resolve.value(c["name"]), resolve.value(c["type"])) for c in columns]


ARTICLE_QUERY = _metadata_query()
ARTICLE_COLUMNS = _parquet_columns()


def article_records(n_records: int, seed: int = 7) -> list[bytes]:
    """``n_records`` synthetic events shaped like the article's (about 230 bytes each)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    start = 1_609_459_200  # 2021-01-01
    out = []
    for i in range(n_records):
        tstamp = time.strftime(
            "%Y-%m-%d %H:%M:%S.000000", time.gmtime(start + rng.randrange(86400 * 940))
        )
        payload = json.dumps(
            {
                "dvce_os": f"Android {rng.randint(2, 4)}.{rng.randint(0, 4)}.{rng.randint(0, 5)}",
                "session_id": "".join(rng.choice(letters) for _ in range(20)),
            }
        )
        record = {
            "name": _EVENTS[rng.randrange(3)],
            "tstamp": tstamp,
            "payload": payload,
            "payload_md5": hashlib.md5(f"{i}{payload}".encode()).hexdigest(),
        }
        out.append(json.dumps(record).encode())
    return out
