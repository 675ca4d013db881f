"""What the article's platform costs on AWS: Athena per query, and the monthly cost table.

Owns the prices (as overridable variables, with their sources) and the arithmetic. Prices are
us-east-1 list prices as published on the AWS pricing pages below (checked 2026-11); pass other
values to :class:`Prices` for another region or a later price list.

* Athena SQL queries: USD 5.00 per TB scanned, rounded up to the nearest megabyte, 10 MB minimum
  per query; DDL statements (``ALTER TABLE``, ``MSCK REPAIR``, ``SHOW``...) and failed queries
  are free. https://aws.amazon.com/athena/pricing/
* Amazon Data Firehose, Direct PUT: USD 0.029 per GB ingested (first 500 TB/month), each record
  rounded up to a multiple of 5 KB; dynamic partitioning USD 0.020 per GB processed plus
  USD 0.005 per 1,000 objects delivered; format conversion USD 0.018 per GB converted.
  https://aws.amazon.com/firehose/pricing/
* S3 Standard: USD 0.023 per GB-month (first 50 TB); PUT USD 0.005 per 1,000 requests.
  https://aws.amazon.com/s3/pricing/
* Glue Data Catalog: the first million objects stored and the first million requests per month
  are free, then USD 1.00 per 100,000 objects. https://aws.amazon.com/glue/pricing/

Units are binary (MB = 2^20 bytes, GB = 2^30, TB = 2^40), as AWS bills data volumes.
Not reproduced: free tiers other than Glue's, tiered discounts past the first tier, Athena
provisioned capacity, KMS charges and data transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KB = 1024
MB = 1024**2
GB = 1024**3
TB = 1024**4


@dataclass(frozen=True)
class Prices:
    athena_usd_per_tb: float = 5.0
    athena_min_bytes: int = 10 * MB
    firehose_usd_per_gb: float = 0.029
    firehose_record_increment: int = 5 * KB
    firehose_dynamic_partitioning_usd_per_gb: float = 0.020
    firehose_partitioning_usd_per_1000_objects: float = 0.005
    firehose_format_conversion_usd_per_gb: float = 0.018
    s3_usd_per_gb_month: float = 0.023
    s3_put_usd_per_1000: float = 0.005
    glue_free_objects: int = 1_000_000
    glue_usd_per_100k_objects: float = 1.0
    days_per_month: int = 30


DEFAULT_PRICES = Prices()


def billed_bytes(bytes_scanned: int, prices: Prices = DEFAULT_PRICES) -> int:
    """Athena's billed volume: rounded up to the megabyte, at least the per-query minimum."""
    rounded = math.ceil(max(bytes_scanned, 0) / MB) * MB
    return max(rounded, prices.athena_min_bytes)


def athena_cost(
    bytes_scanned: int, prices: Prices = DEFAULT_PRICES, *, billable: bool = True
) -> float:
    """USD Athena charges for one query that scanned ``bytes_scanned`` (0 for DDL/failures)."""
    if not billable:
        return 0.0
    return billed_bytes(bytes_scanned, prices) / TB * prices.athena_usd_per_tb


def firehose_billed_bytes(
    records: int, avg_record_bytes: float, prices: Prices = DEFAULT_PRICES
) -> int:
    """Ingested volume as Firehose bills it: each record rounded up to the 5 KB increment."""
    per_record = math.ceil(max(avg_record_bytes, 1) / prices.firehose_record_increment)
    return records * per_record * prices.firehose_record_increment


_UNITS = ("Bytes", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(size: float) -> str:
    """Sizes as ``aws s3 ls --human-readable`` prints them: ``44.1 MiB``, ``512 Bytes``."""
    size = float(size)
    unit = 0
    while abs(size) >= 1024 and unit < len(_UNITS) - 1:
        size /= 1024
        unit += 1
    return f"{size:.0f} Bytes" if unit == 0 else f"{size:.1f} {_UNITS[unit]}"


def usd(amount: float) -> str:
    """Dollar amounts with enough digits to show per-query costs (``$0.000048``)."""
    if amount == 0:
        return "$0.00"
    if amount >= 0.01:
        return f"${amount:,.2f}"
    digits = max(2, -math.floor(math.log10(abs(amount))) + 1)
    return f"${amount:.{digits}f}"


@dataclass(frozen=True)
class CostLine:
    service: str
    monthly_input: str
    usd: float
    note: str = ""


@dataclass(frozen=True)
class Volumes:
    """What a month of the platform handles, measured from the lake (or the seed manifest)."""

    events_per_stream: int
    avg_event_bytes: float
    stored_bytes: int
    objects_delivered: int
    glue_objects: int
    json_full_scan_bytes: int
    parquet_full_scan_bytes: int
    streams: int = 2
    # The Iceberg table's data files, when there is one (its Athena line; Firehose's delivery
    # into Iceberg is not priced here).
    iceberg_full_scan_bytes: int | None = None


def monthly_costs(
    volumes: Volumes, scans_per_day: int = 100, prices: Prices = DEFAULT_PRICES
) -> list[CostLine]:
    """The article's cost table (Firehose, S3, Glue, Athena at N full scans a day)."""
    ingested = firehose_billed_bytes(volumes.events_per_stream, volumes.avg_event_bytes, prices)
    raw = volumes.events_per_stream * volumes.avg_event_bytes
    queries = scans_per_day * prices.days_per_month
    glue_paid = max(volumes.glue_objects - prices.glue_free_objects, 0)
    lines = [
        CostLine(
            "Kinesis Data Firehose",
            f"{volumes.streams} x {volumes.events_per_stream:,} events of "
            f"{volumes.avg_event_bytes:,.0f} B (billed as 5 KB)",
            volumes.streams * ingested / GB * prices.firehose_usd_per_gb,
        ),
        CostLine(
            "Firehose dynamic partitioning",
            f"{human_bytes(volumes.streams * raw)}, {volumes.objects_delivered:,} objects",
            volumes.streams * raw / GB * prices.firehose_dynamic_partitioning_usd_per_gb
            + volumes.objects_delivered / 1000 * prices.firehose_partitioning_usd_per_1000_objects,
            "not in the article's table",
        ),
        CostLine(
            "Firehose format conversion",
            f"{human_bytes(raw)} to Parquet",
            raw / GB * prices.firehose_format_conversion_usd_per_gb,
            "not in the article's table",
        ),
        CostLine(
            "S3",
            f"{human_bytes(volumes.stored_bytes)} stored, {volumes.objects_delivered:,} PUTs",
            volumes.stored_bytes / GB * prices.s3_usd_per_gb_month
            + volumes.objects_delivered / 1000 * prices.s3_put_usd_per_1000,
        ),
        CostLine(
            "Glue",
            f"{volumes.glue_objects:,} catalogue objects",
            glue_paid / 100_000 * prices.glue_usd_per_100k_objects,
        ),
        CostLine(
            "Athena (JSON table)",
            f"{queries:,} scans of {human_bytes(volumes.json_full_scan_bytes)}",
            queries * athena_cost(volumes.json_full_scan_bytes, prices),
        ),
        CostLine(
            "Athena (Parquet table)",
            f"{queries:,} scans of {human_bytes(volumes.parquet_full_scan_bytes)}",
            queries * athena_cost(volumes.parquet_full_scan_bytes, prices),
        ),
    ]
    if volumes.iceberg_full_scan_bytes is not None:
        lines.append(
            CostLine(
                "Athena (Iceberg table)",
                f"{queries:,} scans of {human_bytes(volumes.iceberg_full_scan_bytes)}",
                queries * athena_cost(volumes.iceberg_full_scan_bytes, prices),
                "not in the article's table",
            )
        )
    return lines
