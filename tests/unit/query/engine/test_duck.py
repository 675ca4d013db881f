from __future__ import annotations

import pytest

from sandbox.query.engine.duck import (
    SMALL_FILE_BYTES,
    Scan,
    connect,
    httpfs_extension_path,
    scan_from_log,
    secret_endpoint,
)
from sandbox.query.errors import QueryError
from sandbox.settings import Settings


def test_scan_counts_object_gets_only() -> None:
    log = [
        ("GET", "http://127.0.0.1:9/lake/?encoding-type=url&list-type=2&prefix=x", "OK_200", "620"),
        ("HEAD", "http://127.0.0.1:9/lake/events_raw/json/a.gz", "OK_200", "5433"),
        ("GET", "http://127.0.0.1:9/lake/events_raw/json/a.gz", "OK_200", "5433"),
        (
            "GET",
            "http://127.0.0.1:9/lake/events_raw/parquet/b.parquet",
            "PartialContent_206",
            "100",
        ),
        (
            "GET",
            "http://127.0.0.1:9/lake/events_raw/parquet/b.parquet",
            "PartialContent_206",
            "900",
        ),
        ("GET", "http://127.0.0.1:9/lake/events_raw/json/missing.gz", "NotFound_404", "200"),
    ]
    assert scan_from_log(log) == Scan(
        bytes_scanned=6433, objects_read=2, get_requests=3, head_requests=1, list_requests=1
    )


def test_secret_endpoint_strips_the_scheme() -> None:
    assert secret_endpoint("http://127.0.0.1:4599") == ("127.0.0.1:4599", False)
    assert secret_endpoint("https://s3.example:443") == ("s3.example:443", True)
    assert secret_endpoint("localhost:4566") == ("localhost:4566", False)


def test_httpfs_comes_from_the_wheel() -> None:
    path = httpfs_extension_path()
    assert path.name == "httpfs.duckdb_extension" and path.exists()


def test_duckdb_engine_refuses_a_non_local_endpoint() -> None:
    settings = Settings(endpoint_override="https://s3.us-east-1.amazonaws.com")
    with pytest.raises(QueryError, match="--engine athena"):
        connect(settings)


def test_connection_cannot_read_local_files(tmp_path: object) -> None:
    con = connect(Settings(port=9))
    with pytest.raises(Exception, match="LocalFileSystem"):
        con.execute("SELECT * FROM read_text('/etc/hostname')")


def test_iceberg_connections_fetch_small_files_whole() -> None:
    # Firehose's Iceberg files are a few KiB each: one GET per file instead of two ranged GETs
    # (docs/iceberg.md, "Speed of the Iceberg variant"); Hive-only sessions keep DuckDB's default.
    setting = "SELECT current_setting('force_download_threshold')"
    iceberg = connect(Settings(port=9), iceberg=True).execute(setting).fetchone()
    plain = connect(Settings(port=9)).execute(setting).fetchone()
    assert iceberg is not None and int(iceberg[0]) == SMALL_FILE_BYTES > 0
    assert plain is not None and int(plain[0]) == 0
