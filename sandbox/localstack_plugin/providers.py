"""LocalStack service providers contributed by the sandbox (selected by ``PROVIDER_OVERRIDE_*``).

Each factory is a plux ``PluginSpec`` in the ``localstack.aws.provider`` namespace, named
``<service>:sandbox``. Imports are deferred into the factories so that LocalStack only imports
what a selected provider needs.
"""

from __future__ import annotations

from typing import Any

from localstack.services.plugins import Service, aws_provider


class _MotoBackedProvider:
    """A provider object for services served entirely by moto (no LocalStack API class)."""

    def __init__(self, service: str) -> None:
        self.service = service


def _moto_service(service_name: str, overrides: dict | None = None) -> Any:
    from localstack.aws.skeleton import Skeleton
    from localstack.aws.spec import load_service

    from sandbox.localstack_plugin.moto_dispatch import moto_dispatch_table

    table = moto_dispatch_table(service_name, overrides)
    service = Service(name=service_name, skeleton=Skeleton(load_service(service_name), table))
    # LocalStack reads the provider for state visitors and lifecycle hooks; none here.
    service._provider = _MotoBackedProvider(service_name)  # type: ignore[assignment]
    return service


@aws_provider(api="s3", name="sandbox")
def s3_sandbox() -> Any:
    """LocalStack's S3, storing bodies under this instance's state folder, writes journaled."""
    from sandbox.localstack_plugin.runtime import current
    from sandbox.localstack_plugin.s3 import make_service

    return make_service(current().settings)


@aws_provider(api="glue", name="sandbox")
def glue_sandbox() -> Any:
    """Glue Data Catalog from moto's Glue backend (databases, tables, partitions, tags), with
    CreateTable making Iceberg tables from ``OpenTableFormatInput`` as AWS Glue does."""
    from sandbox.localstack_plugin import glue

    return _moto_service("glue", glue.overrides())


@aws_provider(api="athena", name="sandbox")
def athena_sandbox() -> Any:
    """Athena's query API run by the sandbox's DuckDB engine; workgroups, named queries, data
    catalogs and tags from moto, plus the ops moto lacks."""
    from sandbox.localstack_plugin import athena_fast_path, athena_keepalive
    from sandbox.localstack_plugin.athena import SandboxAthena
    from sandbox.localstack_plugin.runtime import current

    runtime = current()
    provider = SandboxAthena(runtime.settings)
    runtime.register_athena(provider)  # the query executor the plugin owns
    athena_fast_path.install()  # polling and paging without LocalStack's generic parsing
    athena_keepalive.install()  # Athena clients keep their connections (no Connection: close)
    return _moto_service("athena", provider.overrides())


@aws_provider(api="firehose", name="sandbox")
def firehose_sandbox() -> Any:
    """LocalStack's Firehose with delivery handed to the sandbox's delivery engine."""
    from sandbox.localstack_plugin import fast_path
    from sandbox.localstack_plugin.firehose import SandboxFirehoseProvider
    from sandbox.localstack_plugin.runtime import current

    runtime = current()
    provider = SandboxFirehoseProvider(runtime.settings)
    runtime.register_firehose(provider)  # what the hooks, routes and short path reach
    if runtime.settings.fast_path:
        fast_path.install()  # PutRecordBatch without LocalStack's generic parsing
    return Service.for_provider(provider)
