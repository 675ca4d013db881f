"""The DuckDB side: an offline connection that reads the emulated bucket, and the S3 bytes a
query fetched.

Owns the connection setup (httpfs loaded by path from the ``duckdb_extension_httpfs`` wheel, no
INSTALL, nothing written to ``~/.duckdb``; an S3 secret for the emulator endpoint with the scheme
stripped, ``USE_SSL false``, ``URL_STYLE 'path'`` and the sandbox's dummy credentials; session
time zone UTC as on Athena; the date-pattern UDFs of ``datetime_formats``), its lock-down, and
the measurement of data scanned.

Lock-down (:data:`LOCKDOWN`, each setting checked by ``tests/unit/query/test_hostile_metadata.py``):
Athena reads only S3, so the connection opens only ``s3://`` objects, through the one secret
made here for the sandbox endpoint. ``enable_external_access = false`` with
``allowed_directories = ['s3://']`` refuses every other scheme (``http(s)://``, ``hf://``,
``gcs://``, ``r2://``, ``s3a://``...) and extension loading; ``disabled_filesystems =
'LocalFileSystem'`` refuses local paths (also ``file://``, ATTACH, COPY TO a file, INSTALL);
``s3_url_compatibility_mode`` makes an ``s3://`` URL a literal key (no glob, no
``?s3_endpoint=`` parameters), which is also what lets keys holding ``?``, ``*``, ``[``, ``#``,
``%`` or NUL be read; autoloading, autoinstalling, community and unsigned extensions and
persistent secrets are off; ``lock_configuration`` is last, so no ``SET`` can undo any of it.
DuckDB 1.5 has no setting that forbids ``CREATE SECRET`` or ``COPY ... TO 's3://...'``: only
the translation stops those (:func:`sandbox.query.dialect.translate.parse` lets nothing but a
query through, regenerated from sqlglot's tree). Local spilling is impossible, so a query
larger than memory fails instead of spilling to disk.

Bytes scanned are what DuckDB actually fetched: DuckDB 1.5's HTTP logger
(``CALL enable_logging('HTTP')``) records every request; :func:`scan_from_log` sums the
``Content-Length`` of successful GET responses for objects (200/206), leaving out HEAD requests
and ListObjectsV2 pages, which Athena does not bill either. The external file cache is off, so
a query re-reading data is charged again, as on Athena (no result reuse).

Not reproduced: Athena's own reading strategy. DuckDB fetches whole small Parquet files and
whole gzip objects; for large Parquet files it fetches the footer and the column chunks a query
needs, as Athena does, but row-group skipping and read sizes differ, so Parquet figures are
close to, not equal to, Athena's ``DataScannedInBytes``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from sandbox.query.dialect import udfs
from sandbox.query.dialect.datetime_formats import register_functions
from sandbox.query.dialect.quoting import literal
from sandbox.query.dialect.translate import MACROS
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


@dataclass(frozen=True)
class ReadEndpoint:
    """Where a connection's DuckDB reads objects instead of the settings' endpoint (inside
    LocalStack: :mod:`sandbox.localstack_plugin.lake_reads`), and the access key id it signs
    with. The same httpfs requests, billed the same way from the HTTP log."""

    url: str
    access_key_id: str


@dataclass(frozen=True)
class Scan:
    """What one query fetched from S3."""

    bytes_scanned: int = 0
    objects_read: int = 0
    get_requests: int = 0
    head_requests: int = 0
    list_requests: int = 0


def extension_path(name: str) -> Path:
    """The ``name`` extension shipped by the ``duckdb-extension-<name>`` wheel for this DuckDB."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise QueryError(
            f"the duckdb-extension-{name} package is missing; run `make install` "
            f"(it must match duckdb=={duckdb.__version__})"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.exists():
        raise QueryError(
            f"no {name} extension for DuckDB {duckdb.__version__} under {root}; install "
            f"duckdb-extension-{name}=={duckdb.__version__}"
        )
    return path


def httpfs_extension_path() -> Path:
    """The httpfs extension shipped by the ``duckdb-extension-httpfs`` wheel for this DuckDB."""
    return extension_path("httpfs")


def secret_endpoint(endpoint_url: str) -> tuple[str, bool]:
    """``http://127.0.0.1:4566`` -> (``127.0.0.1:4566``, use_ssl False): DuckDB wants no scheme."""
    parsed = urlparse(endpoint_url if "://" in endpoint_url else f"http://{endpoint_url}")
    return parsed.netloc, parsed.scheme == "https"


# Set before the secret manager or any extension is used (DuckDB refuses them afterwards).
_STARTUP_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
}
# The last settings of the setup, in this order: after them DuckDB opens only s3:// objects
# through the sandbox's secret, and no statement can change any setting again.
LOCKDOWN = (
    # Keys are literal: no globbing, no ?s3_endpoint=... query parameters in an s3:// URL.
    "SET s3_url_compatibility_mode = true",
    # Each query reads S3 afresh, as Athena bills it (a locked configuration cannot toggle it).
    "SET enable_external_file_cache = false",
    "SET allowed_directories = ['s3://']",
    "SET enable_external_access = false",
    "SET disabled_filesystems = 'LocalFileSystem'",
    "SET lock_configuration = true",
)


# Files below this size are downloaded in one GET on connections that read Iceberg tables.
SMALL_FILE_BYTES = 64 * 1024


def connect(
    settings: Settings, *, iceberg: bool = False, reads: ReadEndpoint | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads ``s3://`` from the sandbox endpoint only, logging HTTP.

    With ``iceberg`` the avro and iceberg extensions are loaded too (before the lock-down, which
    forbids loading; ~0.2 s, so only sessions that meet an Iceberg table pay it). With
    ``reads`` objects are fetched from that loopback endpoint, signed with its key."""
    if not settings.is_local:
        raise QueryError(
            f"the DuckDB engine reads the sandbox's emulated S3, but the endpoint is "
            f"{settings.endpoint_url}; use --engine athena to query AWS"
        )
    con = duckdb.connect(config=dict(_STARTUP_CONFIG))
    con.execute("LOAD " + literal(str(httpfs_extension_path())))
    if iceberg:
        con.execute("LOAD " + literal(str(extension_path("avro"))))
        con.execute("LOAD " + literal(str(extension_path("iceberg"))))
        # A Firehose commit writes one small Parquet file per (name, day) partition (~3 KiB):
        # DuckDB reads each with two ranged GETs (footer, then the rest), each a request to
        # LocalStack's S3 (~3-7 ms here). Below the threshold a file is fetched whole in one
        # GET: half the requests, a full scan of 3,227 files 21-23 s -> 11 s (docs/iceberg.md),
        # and the bytes billed are the files' sizes (the two ranges overlapped: +4 %). Larger
        # Parquet files keep their footer + column-chunk reads, as Athena's reader does.
        con.execute(f"SET force_download_threshold = {SMALL_FILE_BYTES}")
    endpoint, use_ssl = secret_endpoint(reads.url if reads else settings.endpoint_url)
    key_id = reads.access_key_id if reads else settings.access_key_id
    con.execute(
        "CREATE OR REPLACE SECRET sandbox_s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, "
        f"ENDPOINT ?, URL_STYLE 'path', USE_SSL {'true' if use_ssl else 'false'})",
        [key_id, settings.secret_access_key, settings.region, endpoint],
    )
    prepare_sql(con)
    con.execute("CALL enable_logging('HTTP')")
    for statement in LOCKDOWN:
        con.execute(statement)
    return con


# -- Trino's session and functions ------------------------------------------------------------
# The session settings and the macros/UDFs the translated SQL calls, the same on every query
# connection (and on the conformance suite's, tests/sql, which has no S3).


def prepare_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Athena's session (UTC, NULLs last) and the functions translated SQL calls."""
    con.execute("SET TimeZone = 'UTC'")
    # Java/Joda date patterns DuckDB's strftime cannot express (constant zone fields need UTC).
    register_functions(con)
    udfs.register(con)
    # Trino orders NULLs last whatever the direction.
    con.execute("SET default_null_order = 'nulls_last'")
    con.execute(";\n".join(MACROS))  # one call: a third of the time of one per macro


# -- end of Trino's session and functions ----------------------------------------------------


def start_measuring(con: duckdb.DuckDBPyConnection) -> None:
    """Forget earlier HTTP log entries before a query (file contents are never cached)."""
    con.execute("CALL truncate_duckdb_logs()")


def http_log(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    """(method, url, status, content-length) of every HTTP request since the last reset."""
    rows = con.execute(
        "SELECT request.type, request.url, response.status, "
        "response.headers['Content-Length'] FROM duckdb_logs_parsed('HTTP')"
    ).fetchall()
    return [(str(m), str(u), str(s), None if n is None else str(n)) for m, u, s, n in rows]


def scan_from_log(
    rows: Iterable[tuple[str, str, str, str | None]], unbilled: Iterable[str] = ()
) -> Scan:
    """Sum the object bytes fetched: GET 200/206 bodies, not HEADs or bucket listings, nor
    objects under the ``unbilled`` ``s3://`` folders (Iceberg tables' metadata files)."""
    skipped = tuple("/" + folder.removeprefix("s3://") for folder in unbilled)
    total = gets = heads = lists = 0
    objects: set[str] = set()
    for method, url, status, length in rows:
        parsed = urlparse(url)
        if method.upper() == "HEAD":
            heads += 1
            continue
        if method.upper() != "GET":
            continue
        if "list-type=" in parsed.query or parsed.path.rstrip("/").count("/") <= 1:
            lists += 1
            continue
        if not status.startswith(("OK", "PartialContent", "200", "206")):
            continue
        if skipped and parsed.path.startswith(skipped):
            continue
        gets += 1
        objects.add(parsed.path)
        total += int(length or 0)
    return Scan(total, len(objects), gets, heads, lists)
