"""Seconds per step of each Docker-mode run, which the tier's conftest prints at the end of the
session (so CI's log keeps them)."""

from __future__ import annotations

STEP_SECONDS: dict[str, dict[str, float]] = {}
