"""Snapshots of the services' in-memory state: Firehose, IAM, CloudWatch Logs, Athena, STS,
KMS, and what users add next to the platform (SQS, SNS, SSM, Secrets Manager, EventBridge,
CloudWatch, EC2).

The lake (S3, Glue) has its own snapshot and journal (:mod:`sandbox.persistence`); this module
keeps everything else a user or Terraform created, in every account and region, so that after
``make down`` / ``make up`` the platform is as it was with no ``terraform apply``: delivery
streams (configuration, version, encryption, tags), IAM roles and policies, log groups and
streams, Athena workgroups, named queries and data catalogs (the query history and prepared
statements are kept by the Athena provider, :mod:`sandbox.query.api.history`), KMS keys with
their key material, SQS queues with their messages, SNS topics and subscriptions, SSM
parameters, secrets, event buses and rules, alarms, VPCs, subnets and security groups.

How: LocalStack's own state API. Each service's containers are found the way LocalStack's
(Pro) persistence finds them (:class:`localstack.state.inspect.ReflectionStateLocator`: the
``<service>_stores`` :class:`~localstack.services.stores.AccountRegionBundle` and moto's
``<service>_backends``), and their data -- each store's attributes and each moto backend --
is serialised with LocalStack's state pickler (:mod:`localstack.state.pickle`,
dill). A restore writes the data back *into* the live containers (the bundles and backend
dicts stay the objects every provider holds; a moto backend is replaced whole), one file per
service in ``<persist>/services/<service>.pickle``, written to a temporary file, fsynced, then
renamed.

Not kept: AWS-managed IAM policies that nothing is attached to (every fresh IAM backend makes
them again; saving them would add megabytes to every snapshot); CloudWatch metric data
(LocalStack keeps it in SQLite under a temporary folder it clears at start); scheduled work
restarts from the restored rules and alarms at their next evaluation. Services other than
:data:`SERVICES` start empty: Kinesis (its streams live in kinesis-mock, a separate process
whose files LocalStack's temporary folder holds), Lambda (functions need Docker to run here).
A pickle from another LocalStack or moto version may not load: the restore then fails as a
whole (``restore_error``; `make clean` discards the state), never a platform with some services
silently missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.persistence import write_durably

LOG = logging.getLogger(__name__)

SERVICES = (
    "firehose",
    "iam",
    "logs",
    "athena",
    "sts",
    "kms",
    # What users add next to the platform (Settings.services' defaults beyond the platform's).
    "sqs",
    "sns",
    "ssm",
    "secretsmanager",
    "events",
    "cloudwatch",
    "ec2",
)
FOLDER = "services"
FORMAT = 2  # 1: a development version that kept backends as dicts
_PARTITION_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
_ATTEMPTS = 3  # a request changing a dict while it is pickled: the pickler raises, try again
# Attributes LocalStack sets on each store to link it to its bundle (not data).
_STORE_LINKS = {"_global", "_universal", "_service_name", "_account_id", "_region_name"}


@dataclass
class ServiceReport:
    """What one save or restore did, per service: how many stores / backends, bytes."""

    services: dict[str, dict[str, int]] = field(default_factory=dict)
    written: int = 0  # services whose file changed (a save writes only those)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"services": self.services, "written": self.written, "errors": self.errors}


def _containers(service: str) -> tuple[Any, Any]:
    """(LocalStack's AccountRegionBundle or None, moto's BackendDict or None) of ``service``.

    Not LocalStack's ``ServiceBackendCollectorVisitor``: it drops a container that is still
    empty (falsy), which is exactly what a fresh process has to be restored into.
    """
    from localstack.services.stores import AccountRegionBundle
    from localstack.state.inspect import ReflectionStateLocator
    from moto.core.base_backend import BackendDict

    found: dict[str, Any] = {}

    class Collector:
        def visit(self, container: Any) -> None:
            if isinstance(container, AccountRegionBundle):
                found["localstack"] = container
            elif isinstance(container, BackendDict):
                found["moto"] = container

    ReflectionStateLocator(service=service).accept_state_visitor(Collector())  # type: ignore[arg-type]
    return found.get("localstack"), found.get("moto")


def capture(service: str) -> dict[str, Any]:
    """The state of ``service``'s containers (what :func:`apply` takes): each LocalStack store's
    attributes with the cross-region and cross-account ones, and each moto backend whole (its
    objects point back at it: moto's IAM ``AccountSummary`` holds its backend)."""
    bundle, backends = _containers(service)
    state: dict[str, Any] = {"format": FORMAT, "stores": [], "regional": {}, "universal": {}}
    if bundle is not None:
        state["universal"] = dict(bundle._universal)
        for account, regions in dict.items(bundle):
            state["regional"][account] = dict(regions._global)
            for region, store in dict.items(regions):
                attrs = {k: v for k, v in store.__dict__.items() if k not in _STORE_LINKS}
                state["stores"].append((account, region, attrs))
    state["backends"] = []
    if backends is not None:
        for account, regions in dict.items(backends):
            for region, backend in dict.items(regions):
                state["backends"].append((account, region, backend))
    return state


def apply(service: str, state: dict[str, Any]) -> None:
    """Write ``state`` (from :func:`capture`) into ``service``'s live containers."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"saved in format {found}, this sandbox reads format {FORMAT}")
    bundle, backends = _containers(service)
    if bundle is not None:
        bundle._universal.update(state.get("universal") or {})
        for account, attrs in (state.get("regional") or {}).items():
            bundle[account]._global.update(attrs)
        for account, region, attrs in state.get("stores") or []:
            bundle[account][region].__dict__.update(attrs)
    if backends is not None:
        for account, region, backend in state.get("backends") or []:
            dict.__setitem__(backends[account], region, backend)


def _parameter_dict(account: str, region: str, items: dict, attrs: dict) -> Any:
    """moto's SSM ``ParameterDict`` again (a defaultdict whose constructor takes the account
    and region, which pickle's defaultdict reduction does not pass)."""
    from moto.ssm.models import ParameterDict

    made = ParameterDict(account, region)
    made.__dict__.update(attrs)
    dict.update(made, items)
    return made


def _pickler() -> type:
    from localstack.state.pickle import Pickler
    from moto.iam.models import AWSManagedPolicy
    from moto.ssm.models import ParameterDict

    class StatePickler(Pickler):
        """An AWS-managed IAM policy nothing is attached to is saved by name only."""

        def persistent_id(self, obj: Any) -> Any:
            if isinstance(obj, AWSManagedPolicy) and not obj.attachment_count:
                return ("aws-managed-policy", obj.account_id, obj.partition, obj.name)
            return None

        def reducer_override(self, obj: Any) -> Any:
            if type(obj) is ParameterDict:
                attrs = dict(obj.__dict__)
                return _parameter_dict, (obj.account_id, obj.region_name, dict(obj), attrs)
            return NotImplemented

    return StatePickler


def _unpickler() -> type:
    import dill

    class StateUnpickler(dill.Unpickler):
        """Gives a policy saved by name the one a fresh IAM backend would make."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._policies: dict[tuple[str, str], dict[str, Any]] = {}

        def persistent_load(self, pid: Any) -> Any:
            kind, account, partition, name = pid
            if kind != "aws-managed-policy":
                raise ValueError(f"unknown persistent id {pid!r}")
            return self._aws_policies(account, partition)[name]

        def _aws_policies(self, account: str, partition: str) -> dict[str, Any]:
            if (account, partition) not in self._policies:
                from moto.iam.aws_managed_policies import aws_managed_policies_data
                from moto.iam.models import AWSManagedPolicy

                region = _PARTITION_REGIONS.get(partition, "us-east-1")  # sets the partition
                self._policies[(account, partition)] = {
                    name: AWSManagedPolicy.from_data(name, account, region, data)
                    for name, data in json.loads(aws_managed_policies_data).items()
                }
            return self._policies[(account, partition)]

    return StateUnpickler


def dumps(state: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    _pickler()(buffer).dump(state)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    return _unpickler()(io.BytesIO(data)).load()


def _serialised(service: str) -> tuple[dict[str, Any], bytes]:
    """:func:`capture` and :func:`dumps`, again if a request changed the state meanwhile
    ("dictionary changed size during iteration"); requests are not held off while it runs."""
    for attempt in range(_ATTEMPTS):
        try:
            state = capture(service)
            return state, dumps(state)
        except RuntimeError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


class ServiceSnapshots:
    """Save and restore :data:`SERVICES` under ``<root>/services/``."""

    def __init__(self, root: Path, services: Iterable[str] = SERVICES) -> None:
        self.folder = root / FOLDER
        self.services = tuple(services)
        self._digests: dict[str, str] = {}

    def save(self) -> ServiceReport:
        """Serialise every service; rewrite only the files whose content changed."""
        report = ServiceReport()
        self.folder.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            state, data = _serialised(service)
            digest = hashlib.sha256(data).hexdigest()
            report.services[service] = _counts(state, len(data))
            if self._digests.get(service) == digest:
                continue
            write_durably(self.folder / f"{service}.pickle", data)
            self._digests[service] = digest
            report.written += 1
        return report

    def restore(self) -> ServiceReport:
        """Load each service's file into its containers; a file that cannot be loaded is
        reported (``errors``; the caller fails the restore)."""
        report = ServiceReport()
        for service in self.services:
            path = self.folder / f"{service}.pickle"
            if not path.exists():
                continue
            try:
                data = path.read_bytes()
                state = loads(data)
                apply(service, state)
            except Exception as exc:
                LOG.exception("Restoring %s from %s failed", service, path)
                report.errors.append(f"{service}: {type(exc).__name__}: {exc}")
                continue
            self._digests[service] = hashlib.sha256(data).hexdigest()
            report.services[service] = _counts(state, len(data))
        return report


def _counts(state: dict[str, Any], size: int) -> dict[str, int]:
    return {"stores": len(state["stores"]), "backends": len(state["backends"]), "bytes": size}
