"""An extended S3 destination, validated and parsed into what the engine needs.

Owns: ``validate_destination`` (the create/update-time checks AWS makes on an
``ExtendedS3DestinationConfiguration``, with AWS's error codes) and ``StreamConfig`` (the
destination with AWS's defaults applied: buffering 5 MiB / 300 s, 128 MiB with format
conversion; ``UNCOMPRESSED``; processing and conversion only when enabled).

Rules checked (developer guide and API reference): model constraints (``ValidationException``:
enums, ranges, the ``FileExtension`` and ``CustomTimeZone`` patterns, processor types and
parameter names), prefix rules (see ``prefixes``), dynamic partitioning (error prefix and
partition keys required; partition keys only with it enabled; a MetadataExtraction processor
with ``JsonParsingEngine`` JQ-1.6 and a valid query for ``partitionKeyFromQuery``),
record format conversion (``CompressionFormat`` must be UNCOMPRESSED, ``SizeInMBs`` at least
64, exactly one deserializer and one serializer, a schema configuration), and both buffering
hints given together.

Not reproduced: checks against other services (the bucket, IAM role, Glue table and KMS key
are not looked up at create time), S3 backup configuration and destinations other than S3 and
Iceberg (whose rules are :mod:`~sandbox.firehose.iceberg`'s).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from sandbox.core.limits import (
    MAX_BUFFER_INTERVAL_S,
    MAX_BUFFER_SIZE_MB,
    MAX_PREFIX_CHARS,
    MIN_BUFFER_INTERVAL_S,
    MIN_BUFFER_SIZE_MB,
    MIN_BUFFER_SIZE_MB_CONVERSION,
)
from sandbox.firehose.compression import COMPRESSION_FORMATS
from sandbox.firehose.errors import InvalidArgumentError, ValidationError, validation_message
from sandbox.firehose.iceberg import (
    IcebergTarget,
    iceberg_target,
    is_iceberg_destination,
    validate_iceberg_configuration,
)
from sandbox.firehose.prefixes import KeyLayout
from sandbox.firehose.processors import compile_query, processor_parameters

__all__ = [
    "StreamConfig",
    "dynamic_partitioning_enabled",
    "parse_destination",
    "validate_destination",
]

_SHAPE = "extendedS3DestinationConfiguration"
DEFAULT_SIZE_MB = 5
DEFAULT_SIZE_MB_CONVERSION = 128
DEFAULT_INTERVAL_S = 300
_FILE_EXTENSION = re.compile(r"^$|\.[0-9a-z!\-_.*'()]+")
_TIME_ZONE = re.compile(r"^$|[a-zA-Z/_]+")
_PROCESSOR_TYPES = (
    "RecordDeAggregation",
    "Decompression",
    "CloudWatchLogProcessing",
    "Lambda",
    "MetadataExtraction",
    "AppendDelimiterToRecord",
)
_PARAMETER_NAMES = (
    "LambdaArn",
    "NumberOfRetries",
    "MetadataExtractionQuery",
    "JsonParsingEngine",
    "RoleArn",
    "BufferSizeInMBs",
    "BufferIntervalInSeconds",
    "SubRecordType",
    "Delimiter",
    "CompressionFormat",
    "DataMessageExtraction",
)


def _enabled(section: dict | None, default: bool) -> bool:
    if not section:
        return False
    value = section.get("Enabled")
    return default if value is None else bool(value)


def dynamic_partitioning_enabled(destination: dict | None) -> bool:
    """Whether ``destination`` turns dynamic partitioning on (``Enabled`` defaults to false)."""
    return _enabled((destination or {}).get("DynamicPartitioningConfiguration"), default=False)


def bucket_name(bucket_arn: str | None) -> str:
    """``arn:aws:s3:::name`` -> ``name``."""
    if not bucket_arn or not bucket_arn.startswith("arn:") or ":::" not in bucket_arn:
        raise InvalidArgumentError(f"BucketARN {bucket_arn!r} is not a valid S3 bucket ARN.")
    name = bucket_arn.split(":::", 1)[1]
    if not name:
        raise InvalidArgumentError(f"BucketARN {bucket_arn!r} is not a valid S3 bucket ARN.")
    return name


@dataclass(frozen=True)
class Processors:
    """The enabled processors the engine runs."""

    query: str | None = None
    append_delimiter: bool = False


@dataclass(frozen=True)
class StreamConfig:
    """A destination with defaults applied."""

    bucket: str
    layout: KeyLayout
    size_bytes: int
    interval_s: float
    compression: str
    processors: Processors
    dynamic_partitioning: bool
    conversion: dict[str, Any] | None
    time_zone: zoneinfo.ZoneInfo | None
    file_extension: str | None
    log_target: tuple[str, str] | None
    raw: dict[str, Any]
    # An Iceberg destination (sandbox.firehose.iceberg): records become table rows, the
    # bucket and layout are S3Configuration's (failed records only).
    iceberg: IcebergTarget | None = None


def _model_violations(destination: dict) -> list[str]:
    violations: list[str] = []
    compression = destination.get("CompressionFormat")
    if compression is not None and compression not in COMPRESSION_FORMATS:
        violations.append(
            f"Value '{compression}' at '{_SHAPE}.compressionFormat' failed to satisfy "
            "constraint: Member must satisfy enum value set: [ZIP, HADOOP_SNAPPY, Snappy, "
            "GZIP, UNCOMPRESSED]"
        )
    hints = destination.get("BufferingHints") or {}
    size = hints.get("SizeInMBs")
    if size is not None and not MIN_BUFFER_SIZE_MB <= int(size) <= MAX_BUFFER_SIZE_MB:
        violations.append(
            f"Value '{size}' at '{_SHAPE}.bufferingHints.sizeInMBs' failed to satisfy "
            "constraint: Member must have value "
            + (
                f"less than or equal to {MAX_BUFFER_SIZE_MB}"
                if int(size) > MAX_BUFFER_SIZE_MB
                else f"greater than or equal to {MIN_BUFFER_SIZE_MB}"
            )
        )
    interval = hints.get("IntervalInSeconds")
    if interval is not None and not MIN_BUFFER_INTERVAL_S <= int(interval) <= MAX_BUFFER_INTERVAL_S:
        violations.append(
            f"Value '{interval}' at '{_SHAPE}.bufferingHints.intervalInSeconds' failed to "
            "satisfy constraint: Member must have value "
            + (
                f"less than or equal to {MAX_BUFFER_INTERVAL_S}"
                if int(interval) > MAX_BUFFER_INTERVAL_S
                else f"greater than or equal to {MIN_BUFFER_INTERVAL_S}"
            )
        )
    extension = destination.get("FileExtension")
    if extension is not None and (len(extension) > 128 or not _FILE_EXTENSION.fullmatch(extension)):
        violations.append(
            f"Value '{extension}' at '{_SHAPE}.fileExtension' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^$|\\.[0-9a-z!\\-_.*'()]+"
        )
    zone = destination.get("CustomTimeZone")
    if zone is not None and (len(zone) > 50 or not _TIME_ZONE.fullmatch(zone)):
        violations.append(
            f"Value '{zone}' at '{_SHAPE}.customTimeZone' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^$|[a-zA-Z/_]+"
        )
    for key in ("Prefix", "ErrorOutputPrefix"):
        value = destination.get(key)
        if value is not None and len(value) > MAX_PREFIX_CHARS:
            violations.append(
                f"Value at '{_SHAPE}.{key[0].lower() + key[1:]}' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_PREFIX_CHARS}"
            )
    processing = destination.get("ProcessingConfiguration") or {}
    for i, processor in enumerate(processing.get("Processors") or [], start=1):
        path = f"{_SHAPE}.processingConfiguration.processors.{i}.member"
        ptype = processor.get("Type")
        if ptype not in _PROCESSOR_TYPES:
            violations.append(
                f"Value '{ptype}' at '{path}.type' failed to satisfy constraint: Member must "
                "satisfy enum value set: [" + ", ".join(_PROCESSOR_TYPES) + "]"
            )
        for j, parameter in enumerate(processor.get("Parameters") or [], start=1):
            ppath = f"{path}.parameters.{j}.member"
            pname = parameter.get("ParameterName")
            if pname not in _PARAMETER_NAMES:
                violations.append(
                    f"Value '{pname}' at '{ppath}.parameterName' failed to satisfy constraint: "
                    "Member must satisfy enum value set: [" + ", ".join(_PARAMETER_NAMES) + "]"
                )
            pvalue = parameter.get("ParameterValue")
            if pvalue is None or not str(pvalue).strip() or len(str(pvalue)) > 5120:
                violations.append(
                    f"Value at '{ppath}.parameterValue' failed to satisfy constraint: Member "
                    "must have length between 1 and 5120 and not be blank"
                )
    return violations


def _processors(destination: dict) -> Processors:
    processing = destination.get("ProcessingConfiguration") or {}
    if not _enabled(processing, default=False):
        return Processors()
    query: str | None = None
    engine: str | None = None
    delimiter = False
    for processor in processing.get("Processors") or []:
        params = processor_parameters(processor)
        if processor.get("Type") == "MetadataExtraction":
            query = params.get("MetadataExtractionQuery")
            engine = params.get("JsonParsingEngine")
            if not query:
                raise InvalidArgumentError(
                    "MetadataExtraction processor requires the MetadataExtractionQuery parameter."
                )
            if engine != "JQ-1.6":
                raise InvalidArgumentError(
                    "MetadataExtraction processor requires the JsonParsingEngine parameter "
                    "with value JQ-1.6."
                )
        elif processor.get("Type") == "AppendDelimiterToRecord":
            delimiter = True
    return Processors(query=query, append_delimiter=delimiter)


def _check_conversion(destination: dict, conversion: dict) -> None:
    if (destination.get("CompressionFormat") or "UNCOMPRESSED") != "UNCOMPRESSED":
        # Record format conversion: "You must set CompressionFormat ... to UNCOMPRESSED".
        raise InvalidArgumentError(
            "CompressionFormat must be UNCOMPRESSED when DataFormatConversion is enabled."
        )
    size = (destination.get("BufferingHints") or {}).get("SizeInMBs")
    if size is not None and int(size) < MIN_BUFFER_SIZE_MB_CONVERSION:
        raise InvalidArgumentError(
            f"BufferingHints.SizeInMBs must be at least {MIN_BUFFER_SIZE_MB_CONVERSION} when "
            "DataFormatConversion is enabled."
        )
    deserializer = (conversion.get("InputFormatConfiguration") or {}).get("Deserializer") or {}
    present = [k for k in ("OpenXJsonSerDe", "HiveJsonSerDe") if deserializer.get(k) is not None]
    if len(present) != 1:
        raise InvalidArgumentError(
            "Exactly one deserializer (OpenXJsonSerDe or HiveJsonSerDe) must be specified when "
            "DataFormatConversion is enabled."
        )
    serializer = (conversion.get("OutputFormatConfiguration") or {}).get("Serializer") or {}
    present = [k for k in ("ParquetSerDe", "OrcSerDe") if serializer.get(k) is not None]
    if len(present) != 1:
        raise InvalidArgumentError(
            "Exactly one serializer (ParquetSerDe or OrcSerDe) must be specified when "
            "DataFormatConversion is enabled."
        )
    parquet = serializer.get("ParquetSerDe") or {}
    if parquet.get("Compression") not in (None, "SNAPPY", "GZIP", "UNCOMPRESSED"):
        raise ValidationError(
            validation_message(
                [
                    f"Value '{parquet.get('Compression')}' at '{_SHAPE}.dataFormatConversion"
                    "Configuration.outputFormatConfiguration.serializer.parquetSerDe.compression'"
                    " failed to satisfy constraint: Member must satisfy enum value set: "
                    "[SNAPPY, GZIP, UNCOMPRESSED]"
                ]
            )
        )
    orc = serializer.get("OrcSerDe") or {}
    if orc.get("Compression") not in (None, "NONE", "ZLIB", "SNAPPY"):
        raise ValidationError(
            validation_message(
                [
                    f"Value '{orc.get('Compression')}' at '{_SHAPE}.dataFormatConversion"
                    "Configuration.outputFormatConfiguration.serializer.orcSerDe.compression'"
                    " failed to satisfy constraint: Member must satisfy enum value set: "
                    "[ZLIB, SNAPPY, NONE]"
                ]
            )
        )
    schema = conversion.get("SchemaConfiguration") or {}
    missing = [k for k in ("DatabaseName", "TableName") if not schema.get(k)]
    if missing:
        raise InvalidArgumentError(
            "SchemaConfiguration must specify "
            + " and ".join(missing)
            + " when DataFormatConversion is enabled."
        )


def parse_iceberg_destination(destination: dict) -> StreamConfig:
    """An ``IcebergDestinationDescription``, validated, as the engine's configuration."""
    validate_iceberg_configuration(destination)
    s3 = destination.get("S3DestinationDescription") or {}
    layout = KeyLayout.from_destination(
        s3.get("Prefix"), s3.get("ErrorOutputPrefix"), dynamic_partitioning=False
    )
    hints = destination.get("BufferingHints") or {}
    logging = destination.get("CloudWatchLoggingOptions") or {}
    log_target = None
    if logging.get("Enabled") and logging.get("LogGroupName"):
        log_target = (str(logging["LogGroupName"]), str(logging.get("LogStreamName") or ""))
    return StreamConfig(
        bucket=bucket_name(s3.get("BucketARN")),
        layout=layout,
        size_bytes=int(hints.get("SizeInMBs") or DEFAULT_SIZE_MB) * 1024 * 1024,
        interval_s=float(hints.get("IntervalInSeconds", DEFAULT_INTERVAL_S)),
        compression=s3.get("CompressionFormat") or "UNCOMPRESSED",
        processors=Processors(),
        dynamic_partitioning=False,
        conversion=None,
        time_zone=None,
        file_extension=None,
        log_target=log_target,
        raw=dict(destination),
        iceberg=iceberg_target(destination),
    )


def parse_destination(destination: dict) -> StreamConfig:
    """Validate ``destination`` (AWS PascalCase keys) and apply AWS's defaults."""
    if is_iceberg_destination(destination):
        return parse_iceberg_destination(destination)
    violations = _model_violations(destination)
    if violations:
        raise ValidationError(validation_message(violations))
    bucket = bucket_name(destination.get("BucketARN"))
    hints = destination.get("BufferingHints") or {}
    if (hints.get("SizeInMBs") is None) != (hints.get("IntervalInSeconds") is None) and hints:
        raise InvalidArgumentError(
            "If you specify a value for SizeInMBs, you must also specify a value for "
            "IntervalInSeconds, and vice versa."
        )
    dynamic = dynamic_partitioning_enabled(destination)
    layout = KeyLayout.from_destination(
        destination.get("Prefix"),
        destination.get("ErrorOutputPrefix"),
        dynamic_partitioning=dynamic,
    )
    processors = _processors(destination)
    if processors.query is not None:
        if not dynamic:
            raise InvalidArgumentError(
                "MetadataExtraction processor is only supported when dynamic partitioning is "
                "enabled."
            )
        compile_query(processors.query)
    namespaces = {namespace for namespace, _ in layout.partition_keys}
    if "partitionKeyFromQuery" in namespaces and processors.query is None:
        raise InvalidArgumentError(
            "Prefix uses partitionKeyFromQuery but no enabled MetadataExtraction processor "
            "defines the partition keys."
        )
    conversion_section = destination.get("DataFormatConversionConfiguration")
    conversion = (
        dict(conversion_section)
        if conversion_section and _enabled(conversion_section, default=True)
        else None
    )
    if conversion is not None:
        _check_conversion(destination, conversion)
    zone_name = destination.get("CustomTimeZone") or None
    time_zone = None
    if zone_name and zone_name != "UTC":
        try:
            time_zone = zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise InvalidArgumentError(f"CustomTimeZone {zone_name} is not supported.") from error
    size_mb = hints.get("SizeInMBs")
    if size_mb is None:
        size_mb = DEFAULT_SIZE_MB_CONVERSION if conversion is not None else DEFAULT_SIZE_MB
    interval = hints.get("IntervalInSeconds")
    logging = destination.get("CloudWatchLoggingOptions") or {}
    log_target = None
    if logging.get("Enabled") and logging.get("LogGroupName"):
        log_target = (str(logging["LogGroupName"]), str(logging.get("LogStreamName") or ""))
    return StreamConfig(
        bucket=bucket,
        layout=layout,
        size_bytes=int(size_mb) * 1024 * 1024,
        interval_s=float(DEFAULT_INTERVAL_S if interval is None else interval),
        compression=destination.get("CompressionFormat") or "UNCOMPRESSED",
        processors=processors,
        dynamic_partitioning=dynamic,
        conversion=conversion,
        time_zone=time_zone,
        file_extension=destination.get("FileExtension") or None,
        log_target=log_target,
        raw=dict(destination),
    )


def validate_destination(destination: dict) -> None:
    """Raise ``FirehoseError`` with AWS's code and message for an invalid destination."""
    parse_destination(destination)
