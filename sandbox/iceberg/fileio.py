"""A pyiceberg ``FileIO`` over a boto3-style S3 client (the sandbox's own, in process).

pyiceberg's default ``PyArrowFileIO`` reaches S3 over HTTP with pyarrow's client. Inside
LocalStack that is a request to itself, which LocalStack answers 503 while it shuts down (so
Firehose could not commit its last buffers at ``sandbox down``). This ``FileIO`` hands every read
and write to a client with ``get_object``/``put_object``/``head_object``/``delete_object``:
LocalStack's internal S3 client, which runs the request in process and works during shutdown.

Objects are read whole into memory and written on close (Iceberg's data, manifest and metadata
files are written once, never appended to); that is all pyiceberg asks of a ``FileIO``.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile, OutputStream

__all__ = ["ClientFileIO"]


def _split(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    if parts.scheme not in ("s3", "s3a", "s3n") or not parts.netloc:
        raise ValueError(f"not an S3 location: {location}")
    return parts.netloc, parts.path.lstrip("/")


def _missing(error: Exception) -> bool:
    code = str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class _Upload(io.BytesIO):
    """Bytes written, PUT once when closed."""

    def __init__(self, s3: Any, output: _Output) -> None:
        super().__init__()
        self._s3 = s3
        self._output = output
        self._sent = False

    def close(self) -> None:
        if not self._sent and not self.closed:
            body = self.getvalue()
            bucket, key = _split(self._output.location)
            self._s3.put_object(Bucket=bucket, Key=key, Body=body)
            self._sent = True
            self._output.written = len(body)  # pyiceberg asks for the size next: no HEAD
        super().close()


class _Input(InputFile):
    def __init__(self, location: str, s3: Any) -> None:
        super().__init__(location)
        self._s3 = s3

    def __len__(self) -> int:
        bucket, key = _split(self.location)
        return int(self._s3.head_object(Bucket=bucket, Key=key)["ContentLength"])

    def exists(self) -> bool:
        try:
            len(self)
        except Exception as error:
            if _missing(error):
                return False
            raise
        return True

    def open(self, seekable: bool = True) -> InputStream:
        bucket, key = _split(self.location)
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as error:
            if _missing(error):
                raise FileNotFoundError(self.location) from error
            raise
        return io.BytesIO(body)


class _Output(OutputFile):
    def __init__(self, location: str, s3: Any) -> None:
        super().__init__(location)
        self._s3 = s3
        self.written: int | None = None

    def __len__(self) -> int:
        if self.written is not None:
            return self.written
        return len(self.to_input_file())

    def exists(self) -> bool:
        return self.to_input_file().exists()

    def to_input_file(self) -> InputFile:
        return _Input(self.location, self._s3)

    def create(self, overwrite: bool = False) -> OutputStream:
        if not overwrite and self.exists():
            raise FileExistsError(self.location)
        return _Upload(self._s3, self)


class ClientFileIO(FileIO):
    """pyiceberg's file access through ``s3`` (a boto3-style S3 client)."""

    def __init__(self, s3: Any) -> None:
        super().__init__({})
        self._s3 = s3

    def new_input(self, location: str) -> InputFile:
        return _Input(location, self._s3)

    def new_output(self, location: str) -> OutputFile:
        return _Output(location, self._s3)

    def delete(self, location: str | InputFile | OutputFile) -> None:
        path = location if isinstance(location, str) else location.location
        bucket, key = _split(path)
        self._s3.delete_object(Bucket=bucket, Key=key)
