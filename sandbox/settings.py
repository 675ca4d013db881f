"""The sandbox's one settings object, read from the environment in one place.

Variables carry a ``SANDBOX_`` prefix; the standard ``AWS_*`` ones are honoured where they make
sense. Credentials are never taken from the user's real AWS profile: the sandbox always uses
explicit dummy credentials (``test``/``test``) unless the user targets real AWS on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localstack.cloud"})


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the sandbox."""

    host: str = "127.0.0.1"
    port: int = 4566
    region: str = "us-east-1"
    access_key_id: str = "test"
    secret_access_key: str = "test"
    state_dir: Path = field(default_factory=lambda: PROJECT_ROOT / ".sandbox")
    terraform_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "terraform")
    mode: str = "auto"  # auto | host | docker
    startup_timeout: float = 90.0
    # Where a user explicitly points the tools at another endpoint (or real AWS).
    endpoint_override: str | None = None

    @property
    def endpoint_url(self) -> str:
        if self.endpoint_override:
            return self.endpoint_override
        return f"http://{self.host}:{self.port}"

    @property
    def is_local(self) -> bool:
        return is_local_endpoint(self.endpoint_url)

    @property
    def localstack_dir(self) -> Path:
        return self.state_dir / "localstack"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "localstack.pid"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    def events_file(self, gzip: bool = False) -> Path:
        """The generated data set that ``generate``/``seed`` write and ``emit`` reads by default;
        its manifest (``events.manifest.json`` beside it) is what ``analyze``/``stats`` check."""
        return self.data_dir / ("events.jsonl.gz" if gzip else "events.jsonl")

    def boto3_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.client`` against the sandbox (dummy credentials)."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }


def is_local_endpoint(url: str | None) -> bool:
    """True when ``url`` points at this machine (loopback), never at real AWS."""
    if not url:
        return False
    host = urlparse(url if "://" in url else f"http://{url}").hostname or ""
    return host in LOCAL_HOSTS or host.startswith("127.")


def load() -> Settings:
    """Read the settings from the environment.

    The region is the sandbox's own (``SANDBOX_REGION``, default us-east-1, where terraform/
    deploys), never the user's ``AWS_DEFAULT_REGION``. When the endpoint is local, a named AWS
    profile is removed from this process's environment: the sandbox uses dummy credentials, and
    boto3 would otherwise fail on a profile this machine does not know.
    """
    settings = Settings(
        host=_env("SANDBOX_HOST", "127.0.0.1"),
        port=int(_env("SANDBOX_PORT", "4566")),
        region=_env("SANDBOX_REGION", "us-east-1"),
        state_dir=Path(_env("SANDBOX_STATE_DIR", str(PROJECT_ROOT / ".sandbox"))).resolve(),
        terraform_dir=Path(_env("SANDBOX_TERRAFORM_DIR", str(PROJECT_ROOT / "terraform"))),
        mode=_env("SANDBOX_MODE", "auto"),
        startup_timeout=float(_env("SANDBOX_STARTUP_TIMEOUT", "90")),
        endpoint_override=os.environ.get("SANDBOX_ENDPOINT_URL") or None,
    )
    if settings.is_local:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(name, None)
    return settings


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

    @property
    def persist_enabled(self) -> bool:
        return self.persist and self.state_dir is not None

    @property
    def snapshot_dir(self) -> Path | None:
        return None if self.state_dir is None else self.state_dir / "persist"


def load_plugin_settings(environ: Mapping[str, str] | None = None) -> PluginSettings:
    """Read the plugin's settings from ``environ`` (default: this process's environment)."""
    env = os.environ if environ is None else environ

    def get(name: str, default: str) -> str:
        value = env.get(name)
        return value if value not in (None, "") else default

    state_dir = env.get("SANDBOX_STATE_DIR") or None
    return PluginSettings(
        state_dir=Path(state_dir) if state_dir else None,
        persist=get("SANDBOX_PERSIST", "1") != "0",
        persist_interval=float(get("SANDBOX_PERSIST_INTERVAL", "10")),
        region=get("AWS_DEFAULT_REGION", "us-east-1"),
        jq_workers=int(get("SANDBOX_JQ_WORKERS", "1")),
        fast_path=get("SANDBOX_FIREHOSE_FAST_PATH", "1") != "0",
    )
