"""The plugin's handlers in LocalStack's request chain: each added once per process, in order.

LocalStack's handler chain is one per process; the plugin extends its ``preprocess_request``
composite (the extension point LocalStack's own S3 provider uses for its CORS handler), whichever
provider asks first, and a handler that should see a request before another is put before it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rolo.gateway.chain import Handler

_lock = threading.Lock()


def add_preprocess_handler(handler: Handler[Any], *, before: Handler[Any] | None = None) -> None:
    """Add ``handler`` to ``preprocess_request`` unless it is there already (idempotent): just
    before ``before`` when that one is in the chain, else last."""
    from localstack.aws.handlers import preprocess_request

    with _lock:
        handlers = preprocess_request.handlers
        if handler in handlers:
            return
        if before is not None and before in handlers:
            handlers.insert(handlers.index(before), handler)
        else:
            preprocess_request.append(handler)
