"""Peak resident memory of a process tree, sampled from ``/proc`` (Linux only)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["RssSampler", "tree_rss", "vm_hwm"]

PROC = Path("/proc")


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (0 when it is gone)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += (_status_kb(current, "VmRSS") or 0) * 1024
        todo.extend(_children(current))
    return total


def vm_hwm(pid: int) -> int | None:
    """The kernel's high-water mark of ``pid``'s resident memory, in bytes."""
    kb = _status_kb(pid, "VmHWM")
    return kb * 1024 if kb is not None else None


class RssSampler:
    """Polls :func:`tree_rss` in a thread; ``peak`` is the largest value seen."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.pid))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> RssSampler:
        if os.path.isdir(PROC):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))
