"""LocalStack runtime hooks: the ``/_sandbox`` HTTP routes and the flush on shutdown."""

from __future__ import annotations

from localstack.runtime import hooks


@hooks.on_infra_start()
def register_sandbox_routes() -> None:
    from sandbox.localstack_plugin.routes import register

    register()


# Priority 10 runs before LocalStack stops its services (they stop at -10), so the internal S3
# client can still write the buffers out.
@hooks.on_infra_shutdown(priority=10)
def flush_on_shutdown() -> None:
    from sandbox.localstack_plugin.routes import flush_everything

    flush_everything()
