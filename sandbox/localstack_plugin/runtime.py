"""The plugin's state in LocalStack's process, reached through one accessor: :func:`current`.

Owns: the :class:`PluginRuntime` of this process, i.e. the plugin's settings (read from the
environment once, on first use), the Firehose provider LocalStack created (registered by its
factory in :mod:`~sandbox.localstack_plugin.providers`), the lake's snapshots, the short
path's counters and the memory trimmer. The hooks, the ``/_sandbox`` routes and the
PutRecordBatch short path reach the provider only through it; tests :func:`install` a runtime
of their own, with their own :class:`~sandbox.settings.PluginSettings`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from sandbox.localstack_plugin.memory import Trimmer
from sandbox.localstack_plugin.persistence_hooks import Snapshots
from sandbox.settings import PluginSettings, load_plugin_settings

if TYPE_CHECKING:
    from sandbox.localstack_plugin.athena import SandboxAthena
    from sandbox.localstack_plugin.firehose import SandboxFirehoseProvider

__all__ = ["PluginRuntime", "current", "install"]

LOG = logging.getLogger(__name__)


class PluginRuntime:
    """What the plugin keeps for the life of one LocalStack process."""

    def __init__(self, settings: PluginSettings) -> None:
        self.settings = settings
        self.snapshots = Snapshots(settings)
        # Gives the memory freed after a large delivery back to the system (started by a hook).
        self.trimmer = Trimmer()
        self.firehose: SandboxFirehoseProvider | None = None
        # LocalStack's S3 provider (the engine's in-process lake reads call it).
        self.s3: Any = None
        # The Athena provider's query executor (worker pool, executions).
        self.athena: SandboxAthena | None = None
        # How many PutRecordBatch calls took the short path, and why others did not.
        self.fast_path_counters: Counter[str] = Counter()

    def register_firehose(self, provider: SandboxFirehoseProvider) -> None:
        """Make ``provider`` the one the hooks, routes and short path reach (the latest wins)."""
        self.firehose = provider

    def register_s3(self, provider: Any) -> None:
        """Make ``provider`` the S3 provider the engine's lake reads call (the latest wins)."""
        self.s3 = provider

    def register_athena(self, provider: SandboxAthena) -> None:
        """Make ``provider`` the Athena query executor of this process (the latest wins)."""
        self.athena = provider

    def firehose_stats(self) -> dict[str, Any]:
        return self.firehose.engines.stats() if self.firehose is not None else {}

    def flush_firehose(self, stream: str | None = None) -> None:
        if self.firehose is not None:
            self.firehose.engines.flush(stream)

    def shutdown_firehose(self) -> None:
        """Deliver every buffer before LocalStack stops S3; a failure is logged, not raised."""
        if self.firehose is None:
            return
        try:
            self.firehose.engines.shutdown()
        except Exception:
            LOG.exception("Flushing Firehose buffers at shutdown failed")


_lock = threading.Lock()
_current: PluginRuntime | None = None


def current() -> PluginRuntime:
    """This process's runtime, made from the environment's settings on first use."""
    global _current
    runtime = _current
    if runtime is None:
        with _lock:
            if _current is None:
                _current = PluginRuntime(load_plugin_settings())
            runtime = _current
    return runtime


def install(runtime: PluginRuntime | None) -> PluginRuntime | None:
    """Replace this process's runtime (tests; None: made again on next use); returns the old."""
    global _current
    with _lock:
        previous, _current = _current, runtime
    return previous
