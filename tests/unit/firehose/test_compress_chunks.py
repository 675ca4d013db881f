"""Chunked compression writes the same object as compressing the joined body."""

from __future__ import annotations

import random

import pytest

from sandbox.firehose.compression import COMPRESSION_FORMATS, compress, compress_chunks, decompress


def chunks(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    lines = [
        b'{"name": "n%d", "payload": "%s"}' % (i, b"x" * rng.randrange(300)) for i in range(3000)
    ]
    out, i = [], 0
    while i < len(lines):
        k = rng.randint(1, 400)
        out.append(b"\n".join(lines[i : i + k]) + b"\n")
        i += k
    return out


@pytest.mark.parametrize("fmt", COMPRESSION_FORMATS)
@pytest.mark.parametrize("seed", [1, 2])
def test_chunked_compression_is_byte_identical(fmt: str, seed: int) -> None:
    pieces = chunks(seed)
    joined = b"".join(pieces)
    streamed = compress_chunks(iter(pieces), fmt)
    whole = compress(joined, fmt)
    assert (streamed.extension, streamed.content_encoding) == (
        whole.extension,
        whole.content_encoding,
    )
    assert decompress(streamed.body, fmt) == joined
    if fmt != "ZIP":  # a ZIP entry is named with a fresh UUID each time
        assert streamed.body == whole.body


def test_no_chunks_is_an_empty_object() -> None:
    assert decompress(compress_chunks(iter([]), "GZIP").body, "GZIP") == b""
