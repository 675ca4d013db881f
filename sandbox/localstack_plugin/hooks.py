"""LocalStack runtime hooks: ``/_sandbox`` routes, snapshot restore (then the Firehose
write-ahead log's replay and the restored streams' engines), flush and save on shutdown.

The hooks reach the Firehose provider and the snapshots through
:func:`sandbox.localstack_plugin.runtime.current` (imported when a hook runs, so that loading
the hooks imports nothing of the plugin).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import time
from typing import Any

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)
NUDGE_SECONDS = 0.1


@hooks.on_infra_start()
def register_sandbox_routes() -> None:
    from sandbox.localstack_plugin.routes import register

    register()
    # First registered, so the last atexit handler to run (they run in reverse order).
    atexit.register(_exit_without_finalising)


_stopped = threading.Event()  # set once the shutdown hooks delivered and saved everything


def _exit_without_finalising() -> None:
    """End the process once everything is delivered and saved, without Python's finalisation.

    After LocalStack's shutdown the interpreter's finalisation runs full garbage collections over
    LocalStack's heap (botocore models, moto backends, IAM's managed policies) several times
    while it clears the modules: measured 3-9 s on a loaded 2-core machine (gdb: the main
    thread in ``gc_collect_main`` from ``finalize_modules``), i.e. most of ``make down``. Nothing
    of ours needs it: the Firehose buffers were delivered, the snapshot saved and fsynced, and
    the other atexit handlers (thread pools, multiprocessing) already ran. Only after a graceful
    shutdown (SIGTERM); any other exit finalises as usual.
    """
    if not _stopped.is_set():
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


@hooks.on_infra_ready()
def restore_snapshot() -> None:
    from sandbox.localstack_plugin.runtime import current

    runtime = current()
    # After the lake's restore: a logged delivery counts only if its object is in the lake;
    # before ``restored``: `sandbox up` returns once restored streams accept records.
    runtime.snapshots.restore(on_restored=lambda: replay_firehose_log(runtime))
    runtime.trimmer.start()


def _restored_streams() -> list[tuple[str, str, str, str, dict]]:
    """(account, region, name, version, extended S3 destination) of every stream in
    LocalStack's Firehose stores (restored from the snapshot) that the sandbox delivers."""
    from localstack.services.firehose.models import firehose_stores

    from sandbox.firehose import api

    streams = []
    for account, region, store in firehose_stores.iter_stores():
        for name, description in list(store.delivery_streams.items()):
            found = api.delivered_destination(description)
            if found is not None:
                streams.append((account, region, name, str(description["VersionId"]), found[1]))
    return streams


def replay_firehose_log(runtime: Any) -> None:
    """Give accepted records the previous process did not deliver back to the engines, and
    configure an engine for every restored stream the log did not name."""
    from sandbox.localstack_plugin.delivery import snapshot_horizon

    streams = _restored_streams()
    if runtime.settings.firehose_wal_dir is None and not streams:
        return
    if runtime.firehose is None:  # not loaded eagerly: load it now, its log is replayed
        with contextlib.suppress(Exception):
            from localstack.services.plugins import SERVICE_PLUGINS

            SERVICE_PLUGINS.require("firehose")
    provider = runtime.firehose
    if provider is None:
        return
    engines = provider.engines
    if runtime.settings.persist_enabled:
        # Delivered records leave the log once a snapshot holds their objects.
        engines.durable_horizon = snapshot_horizon(runtime.snapshots.status)
    if runtime.settings.firehose_wal_dir is not None:
        try:
            engines.recover()
        except Exception:
            LOG.exception("Replaying the Firehose write-ahead log failed")
    for account, region, name, version, destination in streams:
        engine = engines.engine_for(account, region)
        if name not in engine.stream_names():  # the log's replay configured it otherwise
            try:
                engine.configure_stream(name, version, destination)
            except Exception:
                LOG.exception("Firehose %s: the restored stream cannot be delivered", name)


# Priority 10 runs before LocalStack stops its services (they stop at -10), so the internal S3
# client can still write the buffers out; the snapshot is saved after that (priority 5).
@hooks.on_infra_shutdown(priority=10)
def flush_on_shutdown() -> None:
    from sandbox.localstack_plugin.runtime import current

    current().shutdown_firehose()


@hooks.on_infra_shutdown(priority=5)
def save_snapshot_on_shutdown() -> None:
    from sandbox.localstack_plugin.runtime import current

    current().snapshots.final_save()
    _stopped.set()
    wake_event_loop_until_stopped()


def wake_event_loop_until_stopped() -> None:
    """Work around a shutdown race in LocalStack 4.14.0's hypercorn runtime server.

    ``HypercornRuntimeServer.shutdown()`` runs in the shutdown thread and calls
    ``loop.stop()`` directly, not through ``call_soon_threadsafe``. When the event loop has
    already handled the shutdown's other callbacks and gone back to ``select()`` with nothing
    scheduled, nothing wakes it to notice the stop: the process idles until ``sandbox down``
    SIGKILLs it 60 s later (seen about one stop in five on a busy machine). Everything of ours is
    delivered and saved by then, so only the wait is lost; waking the loop every
    ``NUDGE_SECONDS`` until it stops makes the exit prompt.
    """
    try:
        from localstack.runtime.current import get_current_runtime

        loop = get_current_runtime().components.runtime_server.loop  # type: ignore[attr-defined]
    except Exception:  # another server implementation, or no runtime: nothing to nudge
        return

    def nudge() -> None:
        while loop.is_running():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                loop.call_soon_threadsafe(lambda: None)
            time.sleep(NUDGE_SECONDS)

    threading.Thread(target=nudge, name="sandbox-loop-nudge", daemon=True).start()
