"""Wiring of the delivery engine inside LocalStack: one engine per account and region.

Owns: :class:`DeliveryEngines` (a provider's engines and the timer thread that delivers buffers
when their interval elapses) and the S3/Glue/Logs callbacks the engines use (LocalStack's
internal clients). The Firehose provider makes one and hands it its jq workers, which every
engine it creates gets. The AWS behaviour itself is in :mod:`sandbox.firehose`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sandbox.firehose import DeliveryEngine, S3Object
from sandbox.firehose.jq_worker import JqWorkers

LOG = logging.getLogger(__name__)

TICK_SECONDS = 0.5
DEFAULT_ACCOUNT = "000000000000"


def _clients(account_id: str, region: str) -> Any:
    from localstack.aws.connect import connect_to

    return connect_to(aws_access_key_id=account_id, region_name=region)


def _sink(account_id: str, region: str):
    def put(obj: S3Object) -> None:
        s3 = _clients(account_id, region).s3
        kwargs: dict[str, Any] = {"Bucket": obj.bucket, "Key": obj.key, "Body": obj.body}
        if obj.content_type:
            kwargs["ContentType"] = obj.content_type
        if obj.content_encoding:
            kwargs["ContentEncoding"] = obj.content_encoding
        # Objects carry the bucket's default encryption, applied by S3 itself (as in AWS).
        s3.put_object(**kwargs)

    return put


def _schema_lookup(account_id: str, region: str):
    def lookup(schema: dict) -> list[tuple[str, str]]:
        glue = _clients(account_id, schema.get("Region") or region).glue
        kwargs = {"DatabaseName": schema["DatabaseName"], "Name": schema["TableName"]}
        if schema.get("CatalogId"):
            kwargs["CatalogId"] = schema["CatalogId"]
        table = glue.get_table(**kwargs)["Table"]
        columns = table.get("StorageDescriptor", {}).get("Columns", [])
        return [(c["Name"], c["Type"]) for c in columns]

    return lookup


def _log_sink(account_id: str, region: str):
    def log(group: str, stream: str, message: str) -> None:
        logs = _clients(account_id, region).logs
        try:
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
            )
        except Exception as exc:  # a missing log group must not stop delivery
            LOG.warning("Firehose error log to %s/%s failed: %s", group, stream, exc)

    return log


class DeliveryEngines:
    """A provider's delivery engines, one per account and region, and their interval timer."""

    def __init__(
        self, jq_workers: JqWorkers | None = None, tick_seconds: float = TICK_SECONDS
    ) -> None:
        self.jq_workers = jq_workers
        self.tick_seconds = tick_seconds
        self._lock = threading.Lock()
        self._engines: dict[tuple[str, str], DeliveryEngine] = {}
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()

    def engine_for(self, account_id: str, region: str) -> DeliveryEngine:
        key = (account_id, region)
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                engine = DeliveryEngine(
                    sink=_sink(account_id, region),
                    schema_lookup=_schema_lookup(account_id, region),
                    log_sink=_log_sink(account_id, region),
                    jq_workers=self.jq_workers,
                )
                self._engines[key] = engine
            self._ensure_timer()
            return engine

    def engines(self) -> dict[tuple[str, str], DeliveryEngine]:
        with self._lock:
            return dict(self._engines)

    def _ensure_timer(self) -> None:
        if self._timer is None or not self._timer.is_alive():
            self._stop.clear()
            self._timer = threading.Thread(
                target=self._run_timer, name="sandbox-firehose-timer", daemon=True
            )
            self._timer.start()

    def _run_timer(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            for engine in self.engines().values():
                try:
                    engine.tick()
                except Exception:
                    LOG.exception("Firehose buffer delivery failed; records stay buffered")

    def flush(self, stream: str | None = None) -> None:
        for engine in self.engines().values():
            engine.flush(stream)

    def stats(self) -> dict[str, Any]:
        """Per stream (``<account>/<name>`` outside the default account): the counters."""
        result: dict[str, Any] = {}
        for (account_id, region), engine in self.engines().items():
            for name, counters in engine.stats().items():
                result[name if account_id == DEFAULT_ACCOUNT else f"{account_id}/{name}"] = {
                    **counters,
                    "region": region,
                }
        return result

    def shutdown(self) -> None:
        """Deliver everything, then stop the timer; name what could not be delivered."""
        self.flush()
        self._stop.set()
        # Records whose delivery still fails (e.g. the bucket was deleted) die with the
        # process: say so in the log instead of losing them silently.
        for name, counters in self.stats().items():
            if counters.get("buffered"):
                LOG.error(
                    "Firehose %s: %d buffered records could not be delivered before shutdown "
                    "(%d failed delivery attempts); they are lost",
                    name,
                    counters["buffered"],
                    counters.get("delivery_failures", 0),
                )
