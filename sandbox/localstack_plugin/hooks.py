"""LocalStack runtime hooks: ``/_sandbox`` routes, snapshot restore, flush and save on shutdown."""

from __future__ import annotations

from localstack.runtime import hooks


@hooks.on_infra_start()
def register_sandbox_routes() -> None:
    from sandbox.localstack_plugin.routes import register

    register()


@hooks.on_infra_ready()
def restore_snapshot() -> None:
    from sandbox.localstack_plugin import persistence_hooks

    persistence_hooks.restore()


# Priority 10 runs before LocalStack stops its services (they stop at -10), so the internal S3
# client can still write the buffers out; the snapshot is saved after that (priority 5).
@hooks.on_infra_shutdown(priority=10)
def flush_on_shutdown() -> None:
    from sandbox.localstack_plugin.routes import flush_everything

    flush_everything()


@hooks.on_infra_shutdown(priority=5)
def save_snapshot_on_shutdown() -> None:
    from sandbox.localstack_plugin import persistence_hooks

    persistence_hooks.final_save()
