"""Object compression for ``CompressionFormat``, with the extension and Content-Encoding of each.

Owns: turning a delivered object's bytes into what Firehose writes for each format:

| CompressionFormat | extension | Content-Encoding | body |
|---|---|---|---|
| UNCOMPRESSED | (none) | (none) | the bytes as buffered |
| GZIP | ``.gz`` | ``gzip`` | one gzip member (``gzip -d`` reads it) |
| ZIP | ``.zip`` | ``zip`` | a zip archive holding one deflated entry |
| Snappy | ``.snappy`` | ``snappy-java`` | the snappy-java stream format (``0x82 SNAPPY 0x00``) |
| HADOOP_SNAPPY | ``.snappy`` | ``hadoop-snappy`` | Hadoop's BlockCompressorStream framing |

Raw Snappy blocks come from pyarrow's snappy codec; only the (trivial) framing is written here.
The extensions and encodings follow what the service delivers as observed against AWS by
other emulators (the object-name page of the developer guide lists ``.hsnappy`` for
HADOOP_SNAPPY, the service writes ``.snappy``). pyarrow is imported with the first Snappy
object, not with this module: the Firehose provider imports it (through ``config``) while
LocalStack starts, and most streams never use Snappy.

Not reproduced: nothing known beyond the unverified choice of the ZIP entry name (a UUID).
"""

from __future__ import annotations

import io
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "COMPRESSION_FORMATS",
    "Compressed",
    "compress",
    "compress_chunks",
    "decompress",
    "gzip_compressor",
]

COMPRESSION_FORMATS = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")
_SNAPPY_JAVA_MAGIC = b"\x82SNAPPY\x00"
_SNAPPY_JAVA_BLOCK = 32 * 1024  # snappy-java's default block size
_HADOOP_BLOCK = 256 * 1024  # io.compression.codec.snappy.buffersize default


@dataclass(frozen=True, slots=True)
class Compressed:
    body: bytes
    extension: str
    content_encoding: str | None


@cache
def _snappy() -> pa.Codec:
    import pyarrow as pa

    return pa.Codec("snappy")


def _raw_snappy(chunk: bytes) -> bytes:
    return bytes(_snappy().compress(chunk, asbytes=True))


def gzip_compressor() -> zlib._Compress:
    # Level 6 like java.util.zip's default; wbits 31 writes the gzip container.
    return zlib.compressobj(6, zlib.DEFLATED, 31)


def _gzip(data: bytes) -> bytes:
    compressor = gzip_compressor()
    return compressor.compress(data) + compressor.flush()


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(str(uuid.uuid4()), data)
    return buffer.getvalue()


def _snappy_java(data: bytes) -> bytes:
    out = [_SNAPPY_JAVA_MAGIC, struct.pack(">ii", 1, 1)]
    for start in range(0, len(data), _SNAPPY_JAVA_BLOCK):
        block = _raw_snappy(data[start : start + _SNAPPY_JAVA_BLOCK])
        out.append(struct.pack(">i", len(block)))
        out.append(block)
    return b"".join(out)


def _hadoop_snappy(data: bytes) -> bytes:
    out = []
    for start in range(0, len(data), _HADOOP_BLOCK):
        chunk = data[start : start + _HADOOP_BLOCK]
        block = _raw_snappy(chunk)
        out.append(struct.pack(">ii", len(chunk), len(block)))
        out.append(block)
    return b"".join(out)


def compress(data: bytes, compression_format: str | None) -> Compressed:
    """Compress ``data`` as Firehose does for ``compression_format``."""
    fmt = compression_format or "UNCOMPRESSED"
    if fmt == "UNCOMPRESSED":
        return Compressed(data, "", None)
    if fmt == "GZIP":
        return Compressed(_gzip(data), ".gz", "gzip")
    if fmt == "ZIP":
        return Compressed(_zip(data), ".zip", "zip")
    if fmt == "Snappy":
        return Compressed(_snappy_java(data), ".snappy", "snappy-java")
    if fmt == "HADOOP_SNAPPY":
        return Compressed(_hadoop_snappy(data), ".snappy", "hadoop-snappy")
    raise ValueError(f"unknown CompressionFormat {fmt!r}")


def compress_chunks(chunks: Iterable[bytes], compression_format: str | None) -> Compressed:
    """``compress(b"".join(chunks), ...)``, without the join for GZIP (same bytes: deflate's
    output does not depend on how its input is split when nothing is flushed in between)."""
    if (compression_format or "UNCOMPRESSED") != "GZIP":
        return compress(b"".join(chunks), compression_format)
    compressor = gzip_compressor()
    out = [compressor.compress(chunk) for chunk in chunks]
    out.append(compressor.flush())
    return Compressed(b"".join(out), ".gz", "gzip")


def _unsnappy(block: bytes) -> bytes:
    size, shift, pos = 0, 0, 0
    while True:  # the raw format starts with the uncompressed length as a varint
        byte = block[pos]
        size |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            break
        shift += 7
    return bytes(_snappy().decompress(block, decompressed_size=size, asbytes=True))


def decompress(body: bytes, compression_format: str | None) -> bytes:
    """The inverse of ``compress`` (for tests and tools reading the lake)."""
    fmt = compression_format or "UNCOMPRESSED"
    if fmt == "UNCOMPRESSED":
        return body
    if fmt == "GZIP":
        return zlib.decompress(body, 47)
    if fmt == "ZIP":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    out = []
    if fmt == "Snappy":
        if not body.startswith(_SNAPPY_JAVA_MAGIC):
            raise ValueError("not a snappy-java stream")
        pos = len(_SNAPPY_JAVA_MAGIC) + 8
        while pos < len(body):
            (length,) = struct.unpack_from(">i", body, pos)
            out.append(_unsnappy(body[pos + 4 : pos + 4 + length]))
            pos += 4 + length
        return b"".join(out)
    if fmt == "HADOOP_SNAPPY":
        pos = 0
        while pos < len(body):
            raw_length, length = struct.unpack_from(">ii", body, pos)
            chunk = _unsnappy(body[pos + 8 : pos + 8 + length])
            if len(chunk) != raw_length:
                raise ValueError("corrupt hadoop-snappy block")
            out.append(chunk)
            pos += 8 + length
        return b"".join(out)
    raise ValueError(f"unknown CompressionFormat {fmt!r}")
