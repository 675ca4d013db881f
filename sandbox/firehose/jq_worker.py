"""Running MetadataExtraction's jq in helper processes, so that it does not hold the GIL.

The ``jq`` binding keeps the GIL for the whole evaluation of a batch (about 9 us per record,
the largest single cost of a PutRecordBatch inside LocalStack). :class:`JqWorkers` hands the
framed batch text to a small pool of ``python -m sandbox.firehose.jq_worker`` processes and
waits for the answer with the GIL released, so the request threads' other Python work runs
meanwhile on the other core.

The worker evaluates the same wrapped program (:func:`~sandbox.firehose.processors.
compile_query`) with the same ``jq`` library and returns exactly what ``.all()`` returned, or
that jq raised ``ValueError`` (which the caller treats as in-process). Anything else (the
worker died, answered garbage, took longer than ``timeout``) makes the caller evaluate the
batch in-process: the results never depend on whether a worker was used.

Protocol, over the worker's stdin/stdout: a 4-byte big-endian length, then a ``marshal``led
value; requests are ``(query, text)``, answers ``("ok", outputs)`` or ``("error", message)``.
A worker exits when its stdin closes (its parent is gone).
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import queue
import struct
import subprocess
import sys
import threading
from typing import IO, Any

__all__ = ["JqWorkers", "WorkerUnavailable", "main"]

LOG = logging.getLogger(__name__)
_HEADER = struct.Struct(">I")


class WorkerUnavailable(RuntimeError):
    """No answer from a worker; evaluate in-process instead."""


def _write(stream: IO[bytes], value: Any) -> None:
    payload = marshal.dumps(value)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("worker stream closed")
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("worker stream closed")
    return marshal.loads(payload)


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sandbox.firehose.jq_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )

    def call(self, query: str, text: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        _write(self.process.stdin, (query, text))
        return _read(self.process.stdout)

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


class JqWorkers:
    """A pool of ``size`` jq worker processes, started on first use."""

    def __init__(self, size: int = 1) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.size = size
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()
        self._closed = False
        self.failures = 0

    def _take(self) -> _Worker:
        while True:
            with self._lock:
                if self._closed:
                    raise WorkerUnavailable("the jq workers are closed")
                with contextlib.suppress(queue.Empty):
                    return self._idle.get_nowait()
                if self._started < self.size:
                    self._started += 1
                    try:
                        return _Worker()
                    except OSError as error:
                        self._started -= 1
                        raise WorkerUnavailable(f"cannot start a jq worker: {error}") from error
            # All busy: wait for one (a failed worker frees its slot instead; look again).
            with contextlib.suppress(queue.Empty):
                return self._idle.get(timeout=0.05)

    def run(self, query: str, text: str) -> list[Any]:
        """``compile_query(query).input_text(text).all()``, evaluated by a worker.

        Raises ``ValueError`` where jq raised it, :class:`WorkerUnavailable` otherwise.
        """
        worker = self._take()
        try:
            answer = worker.call(query, text)
        except (OSError, EOFError, ValueError, TypeError) as error:
            # A dead or confused worker is replaced on a later call.
            self.failures += 1
            worker.close()
            with self._lock:
                self._started -= 1
            LOG.warning("jq worker failed (%s); evaluating in-process", error)
            raise WorkerUnavailable(str(error)) from error
        if self._closed:
            worker.close()
        else:
            self._idle.put(worker)
        if not (isinstance(answer, tuple) and len(answer) == 2):
            raise WorkerUnavailable("unexpected answer from a jq worker")
        status, value = answer
        if status == "error":
            raise ValueError(value)
        if status != "ok" or not isinstance(value, list):
            raise WorkerUnavailable("unexpected answer from a jq worker")
        return value

    def close(self) -> None:
        with self._lock:
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def main() -> None:
    """The worker: answer requests on stdin until it closes."""
    from sandbox.firehose.processors import compile_query

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Nothing else may write to stdout: it carries the answers.
    sys.stdout = sys.stderr
    programs: dict[str, Any] = {}
    while True:
        try:
            query, text = _read(stdin)
        except EOFError:
            return
        program = programs.get(query)
        if program is None:
            program = programs[query] = compile_query(query)
        try:
            answer: tuple[str, Any] = ("ok", program.input_text(text).all())
        except (ValueError, RecursionError) as error:
            # RecursionError: a result nested too deep for Python; the caller splits the batch
            # on "error" as it does for a parse error, so the record that causes it fails alone.
            answer = ("error", str(error))
        try:
            _write(stdout, answer)
        except ValueError as error:  # marshal: "object too deeply nested to marshal"
            _write(stdout, ("error", str(error)))
        except OSError:
            return


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
