"""The S3 journal, and snapshots that fail: group commit, a failing writer, a full disk."""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from sandbox import persistence
from tests.unit.moto_aws import REGION, fill_lake, s3_and_glue, save_lake


def _put(journal: persistence.Journal, bucket: str, key: str, body: bytes) -> int:
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    name = journal.write_body(bucket, key, etag, [body])
    state = {"ETag": etag, "Size": len(body), "File": name}
    return journal.record(persistence.object_entry("000000000000", REGION, bucket, key, state))


def test_entries_survive_reopening_and_numbers_keep_growing(tmp_path: Path) -> None:
    journal = persistence.Journal(tmp_path)
    journal.record(persistence.bucket_entry("000000000000", REGION, "b", {}))
    _put(journal, "lake", "k", b"v1")
    journal.close()
    again = persistence.Journal(tmp_path)
    assert [e["seq"] for e in again.entries()] == [0, 1]
    assert again.mark() == 2
    assert (tmp_path / again.entries()[1]["File"]).read_bytes() == b"v1"


def test_concurrent_writers_share_fsyncs(tmp_path: Path) -> None:
    journal = persistence.Journal(tmp_path)
    threads = [
        threading.Thread(
            target=lambda n=n: [_put(journal, "b", f"{n}/{i}", b"x") for i in range(25)]
        )
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(persistence.read_journal(tmp_path)) == 200
    assert 1 <= journal.commits <= 200


def test_a_failing_writer_leaves_no_torn_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = persistence.Journal(tmp_path)
    _put(journal, "b", "before", b"1")
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        real_write(fd, data[:7])  # what a disk that fills up mid-line lets through
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(persistence.os, "write", full)
    with pytest.raises(OSError, match="No space"):
        _put(journal, "b", "lost", b"2")
    assert journal.last_error and "No space" in journal.last_error
    monkeypatch.setattr(persistence.os, "write", real_write)
    _put(journal, "b", "after", b"3")
    assert [e["Key"] for e in persistence.read_journal(tmp_path)] == ["before", "after"]
    assert journal.files() == {e["File"] for e in journal.entries()}  # nothing left pending


def test_a_snapshot_truncates_the_journal_and_keeps_what_it_names(
    s3_glue: tuple[Any, Any], tmp_path: Path
) -> None:
    s3, glue = s3_glue
    fill_lake(s3, {"k": b"v1"})
    journal = persistence.Journal(tmp_path)
    _put(journal, "lake", "k", b"v1")
    clients = lambda account, region: (s3, glue)  # noqa: E731
    report = persistence.export_lake(
        clients, tmp_path, s3_accounts=["000000000000"], glue_scopes=[], journal=journal
    )
    assert report.objects == 1 and report.objects_written == 0  # the journal's body reused
    assert len(journal) == 0 and persistence.read_index(tmp_path)["journal_seq"] == 1
    # a write after the snapshot: replayed on top of it
    s3.put_object(Bucket="lake", Key="new", Body=b"new")
    _put(journal, "lake", "new", b"new")
    s3.delete_object(Bucket="lake", Key="new")
    s3.delete_object(Bucket="lake", Key="k")
    journal.record(persistence.object_entry("000000000000", REGION, "lake", "k", None))
    journal.close()

    with s3_and_glue() as (fresh, _):  # a fresh emulator
        restored = persistence.import_lake(
            lambda account, region: (fresh, None),
            tmp_path,
            journal=persistence.read_journal(tmp_path),
        )
        assert restored.errors == [] and restored.journal_entries == 2
        keys = [o["Key"] for o in fresh.list_objects_v2(Bucket="lake").get("Contents", [])]
        assert keys == ["new"]


def test_a_full_disk_fails_the_save_loudly_and_leaves_no_temporary_file(
    s3_glue: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, glue = s3_glue
    save_lake(s3, glue, tmp_path, {"k": b"v1"})
    before = (tmp_path / "index.json").read_bytes()
    s3.put_object(Bucket="lake", Key="k2", Body=b"v2")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(persistence.os, "fsync", full)
    with pytest.raises(OSError, match="No space"):
        persistence.export_snapshot(s3, glue, tmp_path)
    assert (tmp_path / "index.json").read_bytes() == before
    assert not list(tmp_path.rglob("*.tmp"))


def test_leftover_temporary_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "objects" / "ab").mkdir(parents=True)
    (tmp_path / "tmpx1y2.tmp").write_text("{half")
    (tmp_path / "objects" / "ab" / "cafe.tmp").write_bytes(b"ha")
    (tmp_path / "objects" / "ab" / "cafe").write_bytes(b"whole")
    removed = persistence.clean_temporary_files(tmp_path)
    assert len(removed) == 2 and (tmp_path / "objects" / "ab" / "cafe").exists()


def test_the_status_file_is_rewritten_in_place(tmp_path: Path) -> None:
    persistence.write_status(tmp_path, {"at": 1.0, "ok": True})
    size = (tmp_path / persistence.STATUS).stat().st_size
    persistence.write_status(tmp_path, {"at": 2.0, "ok": False, "error": "x" * 10_000})
    assert (tmp_path / persistence.STATUS).stat().st_size == size
    status = persistence.read_status(tmp_path)
    assert status is not None and status["ok"] is False and status["at"] == 2.0
    (tmp_path / persistence.STATUS).write_text("{torn")
    assert persistence.read_status(tmp_path) is None
