"""The sandbox's one settings object, read from the environment in one place.

:func:`load` reads every variable the host side honours, once per command (the CLI passes the
result along through click's context); nothing else reads a setting from ``os.environ`` (the
emulator's and tflocal's child processes get a copy of it).
Variables carry a ``SANDBOX_`` prefix, plus ``TERRAFORM`` and ``MALLOC_ARENA_MAX``; the standard
``AWS_*`` ones are honoured only where they make sense. Credentials are never taken from the
user's real AWS profile: against the local endpoint, :meth:`Settings.session` and
:meth:`Settings.client` use explicit dummy credentials (``test``/``test``) and ignore a named
profile (``AWS_PROFILE``), which boto3 would otherwise fail on when this machine does not know
it. :class:`StateLayout` names every file and folder under the state folder.

:class:`PluginSettings` is the LocalStack plugin's own settings, read once inside LocalStack's
process.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sandbox.errors import SettingsError

if TYPE_CHECKING:
    import boto3

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE_DIR = PROJECT_ROOT / ".sandbox"
# The LocalStack services the platform itself needs: the article's four, IAM/STS for the
# Firehose role, CloudWatch Logs for delivery-error logging and KMS for stream encryption.
PLATFORM_SERVICES = ("s3", "firehose", "glue", "athena", "iam", "sts", "logs", "kms")
# What ``SANDBOX_SERVICES`` defaults to: the platform's services plus the free LocalStack
# services data-platform Terraform commonly touches next to it (VPCs and security groups,
# streams, queues and topics, functions, secrets and parameters, rules and alarms).
DEFAULT_SERVICES = (
    *PLATFORM_SERVICES,
    *("ec2", "kinesis", "sqs", "sns", "lambda", "secretsmanager", "ssm", "events", "cloudwatch"),
)


@dataclass(frozen=True)
class StateLayout:
    """The state folder (``SANDBOX_STATE_DIR``, default ``.sandbox/``): every path under it."""

    root: Path

    @property
    def localstack_dir(self) -> Path:
        """Host mode: LocalStack's HOME, cache, filesystem root and temporary files."""
        return self.root / "localstack"

    @property
    def log_file(self) -> Path:
        return self.root / "localstack.log"

    @property
    def pid_file(self) -> Path:
        return self.root / "localstack.pid"

    @property
    def mode_file(self) -> Path:
        """``host`` or ``docker``: how ``sandbox up`` started the emulator."""
        return self.root / "mode"

    @property
    def docker_dir(self) -> Path:
        """Docker mode: the volume mounted as the container's state folder (docker-compose.yml)."""
        return self.root / "docker"

    @property
    def s3_storage_dir(self) -> Path:
        """LocalStack's S3 object storage (bodies over 512 KiB), this instance's own."""
        return self.localstack_dir / "s3-storage"

    @property
    def persist_dir(self) -> Path:
        """The emulator's snapshots of S3 and Glue (host mode; under ``docker/`` in Docker)."""
        return self.root / "persist"

    def snapshot_dir(self, mode: str | None) -> Path:
        """Where the emulator started in ``mode`` keeps its snapshots, seen from the host."""
        return StateLayout(self.docker_dir).persist_dir if mode == "docker" else self.persist_dir

    @property
    def firehose_wal_dir(self) -> Path:
        """The emulator's Firehose write-ahead logs (``<account>/<region>/<stream>/``)."""
        return self.root / "firehose-wal"

    @property
    def athena_dir(self) -> Path:
        """Athena's query history and prepared statements."""
        return self.root / "athena"

    @property
    def tfstate(self) -> Path:
        return self.root / "terraform.tfstate"

    @property
    def tfstate_backup(self) -> Path:
        return self.root / "terraform.tfstate.backup"

    @property
    def terraform_config(self) -> Path:
        """The working copy of terraform/ that tflocal runs in."""
        return self.root / "terraform-config"

    @property
    def terraform_data(self) -> Path:
        """``TF_DATA_DIR``: ``.terraform`` (providers, modules) of the working copy."""
        return self.root / "terraform-data"

    @property
    def terraformrc(self) -> Path:
        """The Terraform CLI configuration the sandbox writes (plugin cache, mirror)."""
        return self.root / "terraformrc"

    @property
    def terraform_applied(self) -> Path:
        """The fingerprint of terraform/ as last applied against this state (``make up``
        skips ``init``/``apply`` while it matches)."""
        return self.root / "terraform-applied.json"

    @property
    def terraform_log(self) -> Path:
        """The full output of every tflocal run (``make up VERBOSE=1`` shows it as well)."""
        return self.root / "terraform.log"

    @property
    def outputs_file(self) -> Path:
        """``terraform output -json`` after each apply."""
        return self.root / "terraform-outputs.json"

    @property
    def plugin_cache(self) -> Path:
        return self.root / "plugin-cache"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def events_file(self, gzip: bool = False) -> Path:
        """The generated data set that ``generate``/``seed`` write and ``emit`` reads by default;
        its manifest (``events.manifest.json`` beside it) is what ``analyze``/``stats`` check."""
        return self.data_dir / ("events.jsonl.gz" if gzip else "events.jsonl")

    @property
    def seed_ledger(self) -> Path:
        """What earlier seeds sent to this sandbox."""
        return self.data_dir / "seeded.json"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the sandbox (the host side)."""

    host: str = "127.0.0.1"
    port: int = 4566
    region: str = "us-east-1"
    access_key_id: str = "test"
    secret_access_key: str = "test"
    state_dir: Path = DEFAULT_STATE_DIR
    terraform_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "terraform")
    mode: str = "auto"  # auto | host | docker
    startup_timeout: float = 90.0
    # Where a user explicitly points the tools at another endpoint (or real AWS).
    endpoint_override: str | None = None
    # A provider mirror folder, "none", or "auto" (discover one, else the Terraform registry).
    tf_mirror: str = "auto"
    # Providers are unpacked once per checkout (not per state folder: they are ~600 MB).
    tf_plugin_cache: Path = field(
        default_factory=lambda: StateLayout(DEFAULT_STATE_DIR).plugin_cache
    )
    terraform: str = "terraform"  # the terraform executable tflocal runs
    # What is built once per checkout and reused by every state folder (LocalStack's service
    # catalogue, tflocal's provider override, an initialised TF_DATA_DIR): SANDBOX_CACHE_DIR.
    cache_dir: Path = field(default_factory=lambda: DEFAULT_STATE_DIR / "cache")
    malloc_arena_max: str = "2"  # glibc arenas for a host-mode LocalStack
    # Seconds LocalStack may take, after SIGTERM, to deliver every Firehose buffer and save the
    # lake before it is killed: host mode's SIGKILL, and in Docker mode the image supervisor's
    # SHUTDOWN_TIMEOUT (docker-compose.yml); measured in docs/reliability.md, section 3.
    stop_timeout: int = 120
    # The LocalStack services started (SANDBOX_SERVICES); always includes PLATFORM_SERVICES.
    services: tuple[str, ...] = DEFAULT_SERVICES

    @property
    def state(self) -> StateLayout:
        return StateLayout(self.state_dir)

    @property
    def endpoint_url(self) -> str:
        if self.endpoint_override:
            return self.endpoint_override
        return f"http://{self.host}:{self.port}"

    @property
    def is_local(self) -> bool:
        return is_local_endpoint(self.endpoint_url)

    def boto3_kwargs(self) -> dict[str, str]:
        """Keyword arguments for a client of :meth:`session` against the sandbox (dummy
        credentials). Prefer :meth:`client`: ``boto3.client(**kwargs)`` still reads a named
        profile from the environment, and fails on one this machine does not know."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }

    def session(self) -> boto3.session.Session:
        """A new boto3 session for the endpoint.

        Local endpoint: the dummy credentials and the sandbox's region, and no named profile
        (``AWS_PROFILE``/``AWS_DEFAULT_PROFILE`` are ignored: the sandbox never uses a user's
        profile, and boto3 refuses one it cannot find). Another endpoint (allowed explicitly):
        the standard credential chain, profile included.
        """
        import boto3
        import botocore.session

        if not self.is_local:
            return boto3.session.Session(region_name=self.region)
        # botocore's "profile" session variable, with no environment variable behind it.
        core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
        return boto3.session.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            region_name=self.region,
            botocore_session=core,
        )

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client of ``service`` on the endpoint (a new session each call, so it is
        safe to call from any thread); ``kwargs`` go to ``Session.client`` (``config=``...)."""
        endpoint = self.endpoint_url if self.is_local else self.endpoint_override
        return self.session().client(service, endpoint_url=endpoint, **kwargs)


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    """``env[name]``, or ``default`` when it is unset or empty."""
    value = env.get(name)
    return value if value not in (None, "") else default


def is_local_endpoint(url: str | None) -> bool:
    """True when ``url`` points at this machine: its host is ``localhost`` or a loopback IP
    literal (127.0.0.0/8, ``::1``). Any other name is decided by DNS, so it is not local:
    ``127.0.0.1.example.invalid`` or ``localhost.example.com`` may resolve anywhere."""
    if not url:
        return False
    try:
        host = urlparse(url if "://" in url else f"http://{url}").hostname or ""
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (default: this process's environment); no side effects.

    The region is the sandbox's own (``SANDBOX_REGION``, default us-east-1, where terraform/
    deploys), never the user's ``AWS_DEFAULT_REGION``.
    """
    env = os.environ if environ is None else environ

    def get(name: str, default: str) -> str:
        return _get(env, name, default)

    def number(name: str, default: str, kind: type[int] | type[float]) -> Any:
        value = get(name, default)
        try:
            return kind(value)
        except ValueError:
            raise SettingsError(f"{name}={value!r} is not a number; unset it or fix it.") from None

    state_dir = Path(get("SANDBOX_STATE_DIR", str(DEFAULT_STATE_DIR))).resolve()
    return Settings(
        host=get("SANDBOX_HOST", "127.0.0.1"),
        port=number("SANDBOX_PORT", "4566", int),
        region=get("SANDBOX_REGION", "us-east-1"),
        state_dir=state_dir,
        terraform_dir=Path(get("SANDBOX_TERRAFORM_DIR", str(PROJECT_ROOT / "terraform"))),
        mode=get("SANDBOX_MODE", "auto"),
        startup_timeout=number("SANDBOX_STARTUP_TIMEOUT", "90", float),
        endpoint_override=env.get("SANDBOX_ENDPOINT_URL") or None,
        tf_mirror=get("SANDBOX_TF_MIRROR", "auto"),
        tf_plugin_cache=Path(
            get("SANDBOX_TF_PLUGIN_CACHE", str(StateLayout(DEFAULT_STATE_DIR).plugin_cache))
        ),
        terraform=get("TERRAFORM", "terraform"),
        cache_dir=Path(get("SANDBOX_CACHE_DIR", str(DEFAULT_STATE_DIR / "cache"))),
        malloc_arena_max=get("MALLOC_ARENA_MAX", "2"),
        stop_timeout=_stop_timeout(number("SANDBOX_STOP_TIMEOUT", "120", int)),
        services=_services(get("SANDBOX_SERVICES", ",".join(DEFAULT_SERVICES))),
    )


def _services(value: str) -> tuple[str, ...]:
    """``SANDBOX_SERVICES``: LocalStack service names, comma-separated; the platform's own must
    be among them (without them `make up` could not provision terraform/)."""
    names = tuple(dict.fromkeys(n.strip().lower() for n in value.split(",") if n.strip()))
    missing = [name for name in PLATFORM_SERVICES if name not in names]
    if missing:
        raise SettingsError(
            f"SANDBOX_SERVICES lacks {', '.join(missing)}, which the platform needs; add them "
            "or unset SANDBOX_SERVICES."
        )
    return names


def _stop_timeout(seconds: int) -> int:
    # Whole seconds: the image's localstack-supervisor reads SHUTDOWN_TIMEOUT with int(), and
    # treats 0 as "no limit" (signal.alarm(0)); a stop must stay bounded.
    if seconds < 1:
        raise SettingsError(
            f"SANDBOX_STOP_TIMEOUT={seconds} must be at least 1 (seconds); unset it or raise it."
        )
    return seconds


@dataclass(frozen=True)
class PluginSettings:
    """What the sandbox's LocalStack plugin reads, once, inside LocalStack's process.

    The sandbox starts LocalStack with these variables set (``sandbox.infra.localstack``); a
    LocalStack started some other way from this virtual environment gets the defaults, and
    without ``SANDBOX_STATE_DIR`` nothing is persisted.
    """

    state_dir: Path | None = None
    persist: bool = True
    persist_interval: float = 10.0
    region: str = "us-east-1"  # the region LocalStack's own clients use for snapshots
    jq_workers: int = 1
    fast_path: bool = True
    # Worker threads running Athena statements in LocalStack (more queries wait QUEUED); by
    # default one per core, at most 4: DuckDB already spreads each statement over the cores, and
    # on 2 cores 4 workers cut ingestion to ~50 % under query load, 2 to 60-74 %
    # (docs/performance.md, "Mixed load").
    athena_workers: int = 4
    # Accepted Firehose records logged to disk before the call answers (SANDBOX_FIREHOSE_WAL=0:
    # buffers in memory only, lost on a crash); needs a state folder.
    firehose_wal: bool = True

    @property
    def firehose_wal_dir(self) -> Path | None:
        """The Firehose write-ahead logs' folder, or None when they are off."""
        if not self.firehose_wal or self.state_dir is None:
            return None
        return StateLayout(self.state_dir).firehose_wal_dir

    @property
    def persist_enabled(self) -> bool:
        return self.persist and self.state_dir is not None

    @property
    def snapshot_dir(self) -> Path | None:
        return None if self.state_dir is None else StateLayout(self.state_dir).persist_dir

    @property
    def athena_dir(self) -> Path | None:
        """Athena's query history and prepared statements (None: kept in memory only)."""
        return None if self.state_dir is None else StateLayout(self.state_dir).athena_dir

    @property
    def s3_storage_dir(self) -> Path | None:
        """Where the S3 provider keeps bodies (None: a private temporary folder)."""
        return None if self.state_dir is None else StateLayout(self.state_dir).s3_storage_dir


def load_plugin_settings(environ: Mapping[str, str] | None = None) -> PluginSettings:
    """Read the plugin's settings from ``environ`` (default: this process's environment)."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str) -> str:
        return _get(env, name, default)

    state_dir = env.get("SANDBOX_STATE_DIR") or None
    return PluginSettings(
        state_dir=Path(state_dir) if state_dir else None,
        persist=get("SANDBOX_PERSIST", "1") != "0",
        persist_interval=float(get("SANDBOX_PERSIST_INTERVAL", "10")),
        region=get("AWS_DEFAULT_REGION", "us-east-1"),
        jq_workers=int(get("SANDBOX_JQ_WORKERS", "1")),
        fast_path=get("SANDBOX_FIREHOSE_FAST_PATH", "1") != "0",
        athena_workers=max(1, int(get("SANDBOX_ATHENA_WORKERS", str(min(4, os.cpu_count() or 4))))),
        firehose_wal=get("SANDBOX_FIREHOSE_WAL", "1") != "0",
    )
