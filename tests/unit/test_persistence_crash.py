"""Snapshots survive a crash at any point of a save (the SIGKILL window of docs/reliability.md).

A crash (SIGKILL, power cut of the process) can stop ``export_snapshot`` after it wrote some
object bodies but before it replaced ``index.json``, or after the index but before it removed
stale bodies. Either way the snapshot on disk must stay a consistent one: every object the index
lists has a body, and that body is the version the index names (its MD5 is the ETag).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sandbox import persistence
from tests.unit.moto_aws import REGION, save_lake


class Crash(Exception):
    """Stands for the process being killed."""


def _consistent(root: Path) -> dict[str, bytes]:
    index = persistence.read_index(root)
    assert index is not None
    bodies = {}
    for entry in index["objects"]:
        path = persistence.body_path(root, entry)
        assert path.exists(), entry["Key"]
        data = path.read_bytes()
        assert f'"{hashlib.md5(data).hexdigest()}"' == entry["ETag"], entry["Key"]
        bodies[entry["Key"]] = data
    return bodies


def _crash_before_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(*args: Any, **kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(persistence.json, "dump", killed)


def test_an_object_overwritten_then_a_crash_before_the_index_keeps_the_old_version(
    s3_glue: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, glue = s3_glue
    save_lake(s3, glue, tmp_path, {"k": b"version 1", "other": b"stays"})

    s3.put_object(Bucket="lake", Key="k", Body=b"version 2 (never saved)")
    with monkeypatch.context() as patch:
        _crash_before_the_index(patch)
        with pytest.raises(Crash):
            persistence.export_snapshot(s3, glue, tmp_path)

    assert _consistent(tmp_path) == {"k": b"version 1", "other": b"stays"}
    # and a restart restores exactly that snapshot
    s3.delete_object(Bucket="lake", Key="k")
    report = persistence.import_snapshot(s3, glue, tmp_path, REGION)
    assert report.errors == []
    assert s3.get_object(Bucket="lake", Key="k")["Body"].read() == b"version 1"


def test_the_next_save_after_a_crash_is_complete_and_leaves_no_orphans(
    s3_glue: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3, glue = s3_glue
    save_lake(s3, glue, tmp_path, {"k": b"version 1"})
    s3.put_object(Bucket="lake", Key="k", Body=b"version 2")
    s3.put_object(Bucket="lake", Key="new", Body=b"new")
    with monkeypatch.context() as patch:
        _crash_before_the_index(patch)
        with pytest.raises(Crash):
            persistence.export_snapshot(s3, glue, tmp_path)
    (tmp_path / "objects" / "zz").mkdir(parents=True, exist_ok=True)
    (tmp_path / "objects" / "zz" / "half-written.tmp").write_bytes(b"ha")  # killed mid-body

    persistence.export_snapshot(s3, glue, tmp_path)
    assert _consistent(tmp_path) == {"k": b"version 2", "new": b"new"}
    files = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert len(files) == 2, files


def test_snapshots_written_before_versioned_bodies_still_restore(
    s3_glue: tuple[Any, Any], tmp_path: Path
) -> None:
    """An index without per-entry body files (the first layout) keeps working."""
    s3, glue = s3_glue
    s3.create_bucket(Bucket="lake")
    body = b"old layout"
    legacy = hashlib.sha256(b"lake/k").hexdigest()
    (tmp_path / "objects" / legacy[:2]).mkdir(parents=True)
    (tmp_path / "objects" / legacy[:2] / legacy).write_bytes(body)
    index = {
        "version": persistence.FORMAT_VERSION,
        "buckets": [{"Name": "lake"}],
        "objects": [
            {"Bucket": "lake", "Key": "k", "ETag": f'"{hashlib.md5(body).hexdigest()}"', "Size": 10}
        ],
        "glue": {"databases": []},
    }
    (tmp_path / persistence.INDEX).write_text(json.dumps(index))
    s3.delete_bucket(Bucket="lake")

    report = persistence.import_snapshot(s3, glue, tmp_path, REGION)
    assert report.errors == [] and report.objects == 1
    assert s3.get_object(Bucket="lake", Key="k")["Body"].read() == body
    again = persistence.export_snapshot(s3, glue, tmp_path)
    assert again.objects_written == 0  # unchanged objects are not rewritten
    assert _consistent(tmp_path) == {"k": body}
