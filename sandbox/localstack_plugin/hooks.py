"""LocalStack runtime hooks: ``/_sandbox`` routes, snapshot restore, flush and save on shutdown.

The hooks reach the Firehose provider and the snapshots through
:func:`sandbox.localstack_plugin.runtime.current` (imported when a hook runs, so that loading
the hooks imports nothing of the plugin).
"""

from __future__ import annotations

import contextlib
import threading
import time

from localstack.runtime import hooks

NUDGE_SECONDS = 0.5


@hooks.on_infra_start()
def register_sandbox_routes() -> None:
    from sandbox.localstack_plugin.routes import register

    register()


@hooks.on_infra_ready()
def restore_snapshot() -> None:
    from sandbox.localstack_plugin.runtime import current

    current().snapshots.restore()


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
