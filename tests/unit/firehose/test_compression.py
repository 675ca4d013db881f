"""Compression formats: round trips and standard tools."""

import gzip
import io
import shutil
import subprocess
import zipfile

import pytest

from sandbox.firehose.compression import COMPRESSION_FORMATS, compress, decompress

DATA = b"".join(b'{"n": %d, "text": "some repeated text"}\n' % i for i in range(20_000))


@pytest.mark.parametrize("fmt", COMPRESSION_FORMATS)
def test_round_trip(fmt: str) -> None:
    packed = compress(DATA, fmt)
    assert decompress(packed.body, fmt) == DATA
    assert decompress(compress(b"", fmt).body, fmt) == b""


@pytest.mark.parametrize(
    ("fmt", "extension", "encoding"),
    [
        ("UNCOMPRESSED", "", None),
        ("GZIP", ".gz", "gzip"),
        ("ZIP", ".zip", "zip"),
        ("Snappy", ".snappy", "snappy-java"),
        ("HADOOP_SNAPPY", ".snappy", "hadoop-snappy"),
    ],
)
def test_extension_and_content_encoding(fmt: str, extension: str, encoding: str | None) -> None:
    packed = compress(b"x", fmt)
    assert (packed.extension, packed.content_encoding) == (extension, encoding)


def test_gzip_is_read_by_the_standard_library_and_gzip_d() -> None:
    body = compress(DATA, "GZIP").body
    assert gzip.decompress(body) == DATA
    if shutil.which("gzip"):
        out = subprocess.run(["gzip", "-d", "-c"], input=body, capture_output=True, check=True)
        assert out.stdout == DATA


def test_zip_holds_one_entry() -> None:
    with zipfile.ZipFile(io.BytesIO(compress(DATA, "ZIP").body)) as archive:
        assert len(archive.namelist()) == 1
        assert archive.read(archive.namelist()[0]) == DATA


def test_snappy_framings() -> None:
    assert compress(DATA, "Snappy").body.startswith(b"\x82SNAPPY\x00\x00\x00\x00\x01")
    hadoop = compress(DATA, "HADOOP_SNAPPY").body
    assert int.from_bytes(hadoop[:4], "big") == 256 * 1024  # first block's raw length
    assert len(hadoop) < len(DATA)


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError):
        compress(DATA, "SNAPPY")
