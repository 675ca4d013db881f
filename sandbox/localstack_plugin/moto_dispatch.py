"""Dispatch tables that hand every operation of a service to LocalStack's bundled moto.

LocalStack 4.14.0 ships no generated API for Glue, so the operation list comes from the
botocore service spec; each handler forwards the parsed request to moto with ``call_moto``.
Operations moto lacks answer 501 (``NotImplementedError``), as LocalStack does elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], Any]


def moto_dispatch_table(service_name: str, overrides: dict[str, Handler] | None = None) -> dict:
    """A dispatch table with one moto-forwarding handler per operation of ``service_name``."""
    from localstack.aws.spec import load_service
    from localstack.services.moto import call_moto

    def forward(context: Any, _request: Any) -> Any:
        return call_moto(context)

    table: dict[str, Handler] = dict.fromkeys(load_service(service_name).operation_names, forward)
    table.update(overrides or {})
    return table
