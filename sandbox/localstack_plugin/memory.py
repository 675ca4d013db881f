"""Giving freed memory back to the system after large deliveries (glibc's ``malloc_trim``).

A 100k-session ingest makes LocalStack's process allocate several hundred MB of short-lived
buffers (request bodies, record batches, Parquet pages). Python frees them, but glibc's malloc
keeps most freed pages inside its arenas, so the resident size stays near its peak for as long
as the process lives. ``malloc_trim(0)`` returns the free pages at the top of each arena and,
since glibc 2.8, unused whole pages inside them (``madvise(MADV_DONTNEED)``). It is cheap when
there is little to release, and it never moves live data. pyarrow's buffers come from its own
pool (mimalloc unless ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise), which is asked to release
its cached pages at the same time. ``sandbox up`` starts LocalStack with Python's objects in
mimalloc and pyarrow's in glibc's malloc (:data:`sandbox.infra.localstack.ALLOCATOR_ENVIRONMENT`):
this thread then covers what Python's mimalloc does not return by itself.

:class:`Trimmer` calls it from a daemon thread every ``interval`` seconds, but only once the
process's RSS has grown by ``threshold`` bytes since the last trim (after a delivery, not on an
idle sandbox). Not glibc (musl, macOS): nothing is done.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger(__name__)

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """This process's resident set size (Linux ``/proc/self/statm``; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _load_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def _release_arrow_pool() -> None:
    """Give back what pyarrow's own allocator (jemalloc, not glibc's malloc) keeps cached, if
    pyarrow is loaded (the Parquet conversion): ``malloc_trim`` does not reach it."""
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is None:
        return
    with contextlib.suppress(Exception):
        pyarrow.default_memory_pool().release_unused()


class Trimmer:
    """Calls ``malloc_trim(0)`` when the RSS grew by ``threshold`` since the last trim."""

    def __init__(
        self,
        interval: float = 10.0,
        threshold: int = 64 * 1024 * 1024,
        *,
        trim: Callable[[int], int] | None = None,
        rss: Callable[[], int] = resident_bytes,
    ) -> None:
        self.interval = interval
        self.threshold = threshold
        self._trim = trim if trim is not None else _load_trim()
        self._rss = rss
        self._baseline = rss()
        self._stop = threading.Event()
        self.trims = 0
        self.released = 0  # bytes of RSS the trims gave back, in total
        self.seconds = 0.0  # time spent in malloc_trim, in total

    @property
    def available(self) -> bool:
        return self._trim is not None

    def check(self) -> int:
        """Trim if the RSS grew enough; the bytes of RSS released (0: nothing done)."""
        if self._trim is None:
            return 0
        before = self._rss()
        if before - self._baseline < self.threshold:
            self._baseline = min(self._baseline, before)
            return 0
        started = time.perf_counter()
        _release_arrow_pool()
        self._trim(0)
        self.seconds += time.perf_counter() - started
        after = self._rss()
        self._baseline = after
        self.trims += 1
        self.released += max(before - after, 0)
        LOG.info(
            "malloc_trim gave back %d MB (RSS %d -> %d MB, %.0f ms)",
            max(before - after, 0) >> 20,
            before >> 20,
            after >> 20,
            (time.perf_counter() - started) * 1000,
        )
        return max(before - after, 0)

    def stats(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "trims": self.trims,
            "released_bytes": self.released,
            "seconds": round(self.seconds, 3),
        }

    def start(self) -> None:
        if self._trim is None:
            return
        threading.Thread(target=self._run, name="sandbox-malloc-trim", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never take the process down for a housekeeping call
                LOG.exception("malloc_trim failed")
                return

    def stop(self) -> None:
        self._stop.set()
