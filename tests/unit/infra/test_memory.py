"""The malloc_trim housekeeping: it trims only after the RSS grew, and says what it released."""

from __future__ import annotations

from sandbox.localstack_plugin import memory

MB = 1024 * 1024


def test_it_trims_only_once_the_rss_grew_by_the_threshold() -> None:
    rss = iter([100 * MB, 150 * MB, 300 * MB, 120 * MB, 130 * MB]).__next__
    trims: list[int] = []
    trimmer = memory.Trimmer(threshold=64 * MB, trim=lambda pad: trims.append(pad) or 1, rss=rss)
    assert trimmer.check() == 0 and trims == []  # 150 MB: grew by 50 MB only
    assert trimmer.check() == 180 * MB and trims == [0]  # 300 MB, trimmed down to 120 MB
    assert trimmer.check() == 0  # 130 MB: 10 MB above the last trim
    assert trimmer.stats()["trims"] == 1 and trimmer.stats()["released_bytes"] == 180 * MB


def test_the_real_trim_runs_on_this_machine() -> None:
    trimmer = memory.Trimmer(threshold=0)
    assert trimmer.available  # glibc on the build machines
    assert memory.resident_bytes() > 0
    blocks = [bytearray(1024) for _ in range(50_000)]
    del blocks
    assert trimmer.check() >= 0 and trimmer.trims == 1
