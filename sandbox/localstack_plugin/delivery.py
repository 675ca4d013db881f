"""Wiring of the delivery engine inside LocalStack: one engine per account and region.

Owns: :class:`DeliveryEngines` (a provider's engines and the timer thread that delivers buffers
when their interval elapses) and the S3/Glue/Logs callbacks the engines use (LocalStack's
internal clients), including the Iceberg destination's tables (a pyiceberg Glue catalog whose
Glue and S3 requests go through those internal clients). The Firehose provider makes one and
hands it its jq workers, which every engine it creates gets. The AWS behaviour itself is in
:mod:`sandbox.firehose`.

With a write-ahead log folder (``<state>/firehose-wal/<account>/<region>/``), each engine gets a
:class:`~sandbox.firehose.wal.WriteAheadLog`; :meth:`DeliveryEngines.recover` replays what the
previous process left (after the lake's restore: an object's existence decides whether its
records were delivered), and the timer compacts the logs up to :attr:`durable_horizon` (every
object written before it survives a crash: the start of the last completed snapshot).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.firehose.jq_worker import JqWorkers
from sandbox.firehose.wal import Configure, Records, Removed, Replay, WriteAheadLog

if TYPE_CHECKING:
    from sandbox.firehose import DeliveryEngine, S3Object
    from sandbox.firehose.iceberg_writer import IcebergTables

LOG = logging.getLogger(__name__)

TICK_SECONDS = 0.5
DEFAULT_ACCOUNT = "000000000000"
# How long a Firehose call waits for the replay of the write-ahead log at start.
RECOVERY_WAIT_SECONDS = 120.0


def _clients(account_id: str, region: str) -> Any:
    from localstack.aws.connect import connect_to

    return connect_to(aws_access_key_id=account_id, region_name=region)


def _iceberg_tables(account_id: str, region: str) -> IcebergTables:
    """The account's Iceberg tables through a pyiceberg Glue catalog on this LocalStack's own
    gateway, every Glue and S3 request handled in process (no HTTP to itself: it also works
    while LocalStack shuts down, when it answers 503 to HTTP requests)."""

    def catalog(table_region: str | None, account: str | None, warehouse: str | None) -> Any:
        from sandbox.iceberg.catalog import glue_catalog
        from sandbox.localstack_plugin.athena import gateway_endpoint

        host, port = gateway_endpoint()
        made = glue_catalog(
            f"http://{host}:{port}",
            table_region or region,
            account or account_id,
            warehouse=warehouse,
        )
        # LocalStack's internal clients run requests in process and are still served while it
        # shuts down (a request to its own gateway, even in process, is answered 503 then).
        internal = _clients(account or account_id, table_region or region)
        made.glue = internal.glue
        # Data, manifest and metadata files through the internal S3 client as well.
        from sandbox.iceberg.fileio import ClientFileIO

        file_io = ClientFileIO(internal.s3)
        made._load_file_io = lambda properties=None, location=None: file_io  # type: ignore[method-assign]
        return made

    from sandbox.firehose.iceberg_writer import IcebergTables

    return IcebergTables(catalog)


def _sink(account_id: str, region: str, tables: IcebergTables | None = None):
    def put(obj: S3Object) -> None:
        from sandbox.firehose.engine import IcebergCommit

        if isinstance(obj, IcebergCommit):
            assert tables is not None
            tables.commit(obj)
            return
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


def _exists(account_id: str, region: str) -> Callable[[str, str], bool]:
    tables: list[IcebergTables] = []

    def exists(bucket: str, key: str) -> bool:
        from sandbox.firehose.engine import ICEBERG_KEY_PREFIX

        if key.startswith(ICEBERG_KEY_PREFIX):  # an Iceberg commit: is it in the table's history?
            database, table, commit_id = key[len(ICEBERG_KEY_PREFIX) :].split("/", 2)
            if not tables:
                tables.append(_iceberg_tables(account_id, region))
            try:
                return tables[0].committed(database, table, commit_id)
            except Exception as exc:  # unknown: deliver again (the commit checks its id too)
                LOG.warning("Firehose replay: Iceberg table %s.%s: %s", database, table, exc)
                return False
        try:
            _clients(account_id, region).s3.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code not in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
                # Unknown: deliver again rather than risk losing the records.
                LOG.warning("Firehose replay: HEAD s3://%s/%s failed: %s", bucket, key, exc)
            return False
        return True

    return exists


def snapshot_horizon(status: Callable[[], dict[str, Any]]) -> Callable[[], float]:
    """The durability horizon of the lake's snapshots: the start of the last completed one
    (``status()`` is :meth:`Snapshots.status`); objects written before it are in it."""

    def horizon() -> float:
        last = status().get("last_save") or {}
        if not last.get("at"):
            return float("-inf")
        return float(last["at"]) - float(last.get("seconds") or 0.0) - 1.0

    return horizon


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
        self,
        jq_workers: JqWorkers | None = None,
        tick_seconds: float = TICK_SECONDS,
        *,
        wal_dir: Path | None = None,
    ) -> None:
        self.jq_workers = jq_workers
        self.tick_seconds = tick_seconds
        # Where each engine's write-ahead log lives (None: buffers in memory only).
        self.wal_dir = wal_dir
        # Objects written before this time survive a crash (see snapshot_horizon); the
        # default, "now", fits a lake that is not persisted at all.
        self.durable_horizon: Callable[[], float] = time.time
        self._lock = threading.Lock()
        self._engines: dict[tuple[str, str], DeliveryEngine] = {}
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()
        self._recovered = threading.Event()
        if wal_dir is None:
            self._recovered.set()
        self.recovery: dict[str, Any] = {}

    def engine_for(self, account_id: str, region: str) -> DeliveryEngine:
        """The engine of an account and region (once the log's replay is done)."""
        self._wait_recovered()
        return self._engine(account_id, region)

    def _wait_recovered(self) -> None:
        if not self._recovered.is_set() and not self._recovered.wait(RECOVERY_WAIT_SECONDS):
            LOG.warning("Firehose: the write-ahead log's replay did not finish; going on")
            self._recovered.set()

    def _engine(self, account_id: str, region: str) -> DeliveryEngine:
        key = (account_id, region)
        with self._lock:
            engine = self._engines.get(key)
            if engine is None:
                # Imported with the first engine, not with the provider: the engine brings
                # pyarrow (``conversion``), which a start with no stream to restore never needs.
                from sandbox.firehose import DeliveryEngine

                journal = None
                if self.wal_dir is not None:
                    journal = WriteAheadLog(self.wal_dir / account_id / region)
                tables = _iceberg_tables(account_id, region)
                engine = DeliveryEngine(
                    sink=_sink(account_id, region, tables),
                    schema_lookup=_schema_lookup(account_id, region),
                    log_sink=_log_sink(account_id, region),
                    jq_workers=self.jq_workers,
                    journal=journal,
                    iceberg=tables,
                )
                self._engines[key] = engine
            self._ensure_timer()
            return engine

    def recover(
        self, exists: Callable[[str, str], Callable[[str, str], bool]] = _exists
    ) -> dict[str, Any]:
        """Replay the write-ahead logs the previous process left (call once, at start, after
        the lake is restored; ``exists(account, region)`` checks an object's existence)."""
        report: dict[str, Any] = {"streams": 0, "records": 0, "delivered": 0, "problems": []}
        try:
            if self.wal_dir is None:
                return report
            for account_dir in sorted(p for p in self.wal_dir.glob("*") if p.is_dir()):
                for region_dir in sorted(p for p in account_dir.glob("*") if p.is_dir()):
                    account, region = account_dir.name, region_dir.name
                    engine = self._engine(account, region)
                    assert engine.journal is not None
                    for replay in engine.journal.recover(exists(account, region)):
                        self._apply(engine, replay, report)
            return report
        finally:
            self.recovery = report
            self._recovered.set()
            if report["records"] or report["problems"]:
                LOG.info("Firehose write-ahead log replayed: %s", report)

    @staticmethod
    def _apply(engine: DeliveryEngine, replay: Replay, report: dict[str, Any]) -> None:
        report["streams"] += 1
        report["records"] += replay.records
        report["delivered"] += replay.delivered
        report["problems"].extend(replay.problems)
        try:
            for step in replay.steps:
                if isinstance(step, Configure):
                    engine.configure_stream(replay.stream, step.version, step.destination)
                elif isinstance(step, Records):
                    engine.put_records(
                        replay.stream,
                        step.records,
                        step.arrival,
                        ids=(step.base, step.offsets),
                    )
                elif isinstance(step, Removed):
                    engine.remove_stream(replay.stream)
        except Exception as exc:  # keep the log: the next start tries again
            LOG.exception("Firehose replay of %s failed", replay.stream)
            report["problems"].append(f"{replay.stream}: {exc}")

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
            self.compact()

    def compact(self) -> None:
        """Drop from the write-ahead logs what is delivered into durable objects."""
        if self.wal_dir is None or not self._recovered.is_set():
            return
        try:
            horizon = self.durable_horizon()
        except Exception:
            LOG.exception("Firehose: no durability horizon; the write-ahead log is kept")
            return
        for engine in self.engines().values():
            if engine.journal is not None:
                engine.journal.compact(horizon)

    def flush(self, stream: str | None = None) -> None:
        self._wait_recovered()  # what the log replays is buffered too
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
        kept = "they stay in the write-ahead log and are delivered after the next start"
        # Records whose delivery still fails (e.g. the bucket was deleted) die with the
        # process unless the log keeps them: say so instead of losing them silently.
        for name, counters in self.stats().items():
            if counters.get("buffered"):
                LOG.error(
                    "Firehose %s: %d buffered records could not be delivered before shutdown "
                    "(%d failed delivery attempts); %s",
                    name,
                    counters["buffered"],
                    counters.get("delivery_failures", 0),
                    kept if self.wal_dir is not None else "they are lost",
                )
        for engine in self.engines().values():
            if engine.journal is not None:
                engine.journal.close()
