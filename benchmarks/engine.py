"""Engine-alone throughput: the ceiling the LocalStack HTTP path is measured against.

Owns :func:`streams_throughput`: one :class:`~sandbox.firehose.engine.DeliveryEngine` (no HTTP,
no LocalStack) configured with the destinations the Terraform streams have once deployed
(:func:`benchmarks.stages.deployed_destinations` reads them with ``DescribeDeliveryStream``) and
the Parquet table's columns, fed every batch on every stream in turn, as the emitter sends them
over HTTP, then flushed. The sink only counts bytes, so the figure is the engine's own cost (jq,
partitioning, compression, conversion), single-threaded.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.firehose.engine import DeliveryEngine, S3Object

__all__ = ["streams_throughput"]


def streams_throughput(
    destinations: dict[str, dict[str, Any]],
    records: list[bytes],
    columns: list[tuple[str, str]],
    batch: int = 500,
) -> dict[str, Any]:
    """Records/s of one engine fed every batch on every stream (no HTTP), flushed at the end."""
    written = {"objects": 0, "bytes": 0}

    def sink(obj: S3Object) -> None:
        written["objects"] += 1
        written["bytes"] += len(obj.body)

    schema = list(columns)
    engine = DeliveryEngine(sink, lambda _schema: schema)
    for name, destination in destinations.items():
        engine.configure_stream(name, "1", destination)
    started = time.perf_counter()
    for i in range(0, len(records), batch):
        chunk = records[i : i + batch]
        for name in destinations:
            engine.put_records(name, chunk)
    engine.flush()
    elapsed = time.perf_counter() - started
    stats = engine.stats()
    total = len(records) * len(destinations)
    for counters in stats.values():
        assert counters["accepted"] == counters["delivered"] + counters["errored"]
    return {
        "records": total,
        "seconds": round(elapsed, 3),
        "records_per_s": round(total / elapsed),
        "mb_per_s": round(sum(map(len, records)) * len(destinations) / elapsed / 1e6, 2),
        "objects": written["objects"],
        "bytes_written": written["bytes"],
        "delivered": sum(c["delivered"] for c in stats.values()),
        "errored": sum(c["errored"] for c in stats.values()),
    }
