"""The DuckDB side: an offline connection that reads the emulated bucket, and the S3 bytes a
query fetched.

Owns the connection setup (httpfs loaded by path from the ``duckdb_extension_httpfs`` wheel, no
INSTALL, nothing written to ``~/.duckdb``; an S3 secret for the emulator endpoint with the scheme
stripped, ``USE_SSL false``, ``URL_STYLE 'path'`` and the sandbox's dummy credentials; session
time zone UTC as on Athena; the date-pattern UDFs of ``datetime_formats``) and the measurement
of data scanned.

Bytes scanned are what DuckDB actually fetched: DuckDB 1.5's HTTP logger
(``CALL enable_logging('HTTP')``) records every request; :func:`scan_from_log` sums the
``Content-Length`` of successful GET responses for objects (200/206), leaving out HEAD requests
and ListObjectsV2 pages, which Athena does not bill either. The external file cache is cleared
before each query, so a query re-reading data is charged again, as on Athena (no result reuse).

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

from sandbox.query.dialect.datetime_formats import register_functions
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


@dataclass(frozen=True)
class Scan:
    """What one query fetched from S3."""

    bytes_scanned: int = 0
    objects_read: int = 0
    get_requests: int = 0
    head_requests: int = 0
    list_requests: int = 0


def httpfs_extension_path() -> Path:
    """The httpfs extension shipped by the ``duckdb-extension-httpfs`` wheel for this DuckDB."""
    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    if spec is None or not spec.submodule_search_locations:
        raise QueryError(
            "the duckdb-extension-httpfs package is missing; run `make install` "
            f"(it must match duckdb=={duckdb.__version__})"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.exists():
        raise QueryError(
            f"no httpfs extension for DuckDB {duckdb.__version__} under {root}; install "
            f"duckdb-extension-httpfs=={duckdb.__version__}"
        )
    return path


def secret_endpoint(endpoint_url: str) -> tuple[str, bool]:
    """``http://127.0.0.1:4566`` -> (``127.0.0.1:4566``, use_ssl False): DuckDB wants no scheme."""
    parsed = urlparse(endpoint_url if "://" in endpoint_url else f"http://{endpoint_url}")
    return parsed.netloc, parsed.scheme == "https"


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads ``s3://`` from the sandbox endpoint, logging HTTP."""
    if not settings.is_local:
        raise QueryError(
            f"the DuckDB engine reads the sandbox's emulated S3, but the endpoint is "
            f"{settings.endpoint_url}; use --engine athena to query AWS"
        )
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    path = str(httpfs_extension_path()).replace("'", "''")
    con.execute(f"LOAD '{path}'")
    endpoint, use_ssl = secret_endpoint(settings.endpoint_url)
    con.execute(
        "CREATE OR REPLACE SECRET sandbox_s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, "
        f"ENDPOINT ?, URL_STYLE 'path', USE_SSL {'true' if use_ssl else 'false'})",
        [settings.access_key_id, settings.secret_access_key, settings.region, endpoint],
    )
    con.execute("SET TimeZone = 'UTC'")
    # Java/Joda date patterns DuckDB's strftime cannot express (constant zone fields need UTC).
    register_functions(con)
    # Trino orders NULLs last whatever the direction.
    con.execute("SET default_null_order = 'nulls_last'")
    con.execute("CALL enable_logging('HTTP')")
    # Queries read S3 only: no local files through DuckDB's table functions.
    con.execute("SET disabled_filesystems = 'LocalFileSystem'")
    return con


def start_measuring(con: duckdb.DuckDBPyConnection) -> None:
    """Forget cached file contents and earlier HTTP log entries before a query."""
    con.execute("SET enable_external_file_cache = false")
    con.execute("SET enable_external_file_cache = true")
    con.execute("CALL truncate_duckdb_logs()")


def http_log(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    """(method, url, status, content-length) of every HTTP request since the last reset."""
    rows = con.execute(
        "SELECT request.type, request.url, response.status, "
        "response.headers['Content-Length'] FROM duckdb_logs_parsed('HTTP')"
    ).fetchall()
    return [(str(m), str(u), str(s), None if n is None else str(n)) for m, u, s, n in rows]


def scan_from_log(rows: Iterable[tuple[str, str, str, str | None]]) -> Scan:
    """Sum the object bytes fetched: GET 200/206 bodies, not HEADs or bucket listings."""
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
        gets += 1
        objects.add(parsed.path)
        total += int(length or 0)
    return Scan(total, len(objects), gets, heads, lists)
