"""Docker mode, for real: the flow a user with Docker runs, through the command line.

``sandbox up`` in Docker mode (the project's image on ``localstack/localstack:4.14.0``, a Compose
project, port and state folder of this test's own, so a user's ``make up`` is never touched),
``seed`` (small), ``analyze`` (the analysis pack, every check against the seed manifest), more
records left in Firehose buffers, ``down`` (they must all be delivered and saved), the files
under ``<state>/docker`` handed back to the state folder's owner, ``up`` (the lake restored from
``<state>/docker/persist``, every record there), ``logs`` (this project's container), ``down``.

When the test runs as root (CI), the state folder is given to another user first, so the hand-back
is exercised as on a developer's machine with a rootful engine.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from sandbox.infra import localstack
from sandbox.settings import Settings
from sandbox.testing import harness
from tests.docker.steps import STEP_SECONDS
from tests.integration import lake

pytestmark = pytest.mark.docker

SEED_SESSIONS, BUFFERED_SESSIONS = 300, 400
OTHER_OWNER = (65534, 65534)  # nobody:nogroup, when the test runs as root


@dataclass
class Flow:
    settings: Settings
    env: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)

    def cli(self, step: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        started = time.monotonic()
        proc = harness.run_cli(self.env, *args, timeout=timeout)
        self.seconds[step] = round(time.monotonic() - started, 1)
        assert proc.returncode == 0, (
            f"`sandbox {' '.join(args)}` failed:\n{proc.stdout}\n{proc.stderr}"
        )
        return proc

    def count(self, table: str) -> int:
        proc = self.cli(
            f"count {table}", "query", "--format", "csv", f"SELECT count(*) FROM {table}"
        )
        return int(list(csv.reader(io.StringIO(proc.stdout)))[1][0])


def _owners(folder: Path) -> set[tuple[int, int]]:
    found = set()
    for root, dirs, files in os.walk(folder):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            st = os.lstat(name)
            found.add((st.st_uid, st.st_gid))
    return found


@pytest.fixture
def flow(docker_engine: None, tmp_path: Path) -> Iterator[Flow]:
    settings, env = lake.own_sandbox(tmp_path, SANDBOX_MODE="docker", SANDBOX_STOP_TIMEOUT="60")
    settings = replace(settings, mode="docker", stop_timeout=60)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(settings.state_dir, *OTHER_OWNER)
    flow = Flow(settings, env)
    try:
        yield flow
    finally:
        if localstack.recorded_mode(settings) == "docker":
            with contextlib.suppress(Exception):
                localstack.stop(settings)
        STEP_SECONDS["the flow"] = flow.seconds


def test_up_seed_query_down_with_buffers_up_again(flow: Flow, tmp_path: Path) -> None:
    st = flow.settings.state
    up = flow.cli("up", "up")
    assert "(docker mode) healthy" in up.stdout
    assert st.mode_file.read_text() == "docker"

    flow.cli("seed", "seed", "--sessions", str(SEED_SESSIONS), "--seed", "5", "-q")
    pack = json.loads(flow.cli("analyze", "analyze", "--format", "json").stdout)
    assert pack["checks"] and all(check["ok"] for check in pack["checks"]), pack["checks"]
    seeded = json.loads(st.data_dir.joinpath("events.manifest.json").read_text())["events_total"]

    # Records left in the Firehose buffers (900 s / 64+ MB: nothing is delivered before the stop).
    more = tmp_path / "more.jsonl"
    flow.cli(
        "generate",
        "generate",
        "--sessions",
        str(BUFFERED_SESSIONS),
        "--seed",
        "6",
        "--out",
        str(more),
    )
    buffered = json.loads(more.with_name("more.manifest.json").read_text())["events_total"]
    flow.cli("emit", "emit", "--file", str(more), "-q")
    delivery = flow.cli("delivery", "delivery").stdout.splitlines()[1:]
    # emit sends to the article's two streams; the Iceberg stream (seeded only) holds none.
    buffered_by_stream = {line.split()[0]: int(line.split()[-1]) for line in delivery}
    assert buffered_by_stream == {
        "events_iceberg": 0,
        "events_json": buffered,
        "events_parquet": buffered,
    }, delivery

    flow.cli("down", "down")
    assert not st.mode_file.exists()
    owner = (st.root.stat().st_uid, st.root.stat().st_gid)
    assert _owners(st.docker_dir) == {owner}, "files the container wrote must be the owner's"

    again = flow.cli("up again", "up")
    assert f"Restored the lake from {st.docker_dir / 'persist'}:" in again.stdout
    flow.cli("repair", "query", "MSCK REPAIR TABLE events_json")
    flow.cli("repair parquet", "query", "MSCK REPAIR TABLE events_parquet")
    assert flow.count("events_json") == seeded + buffered
    assert flow.count("events_parquet") == seeded + buffered

    logs = flow.cli("logs", "logs", "-n", "20").stdout
    assert "localstack" in logs.lower(), logs

    flow.cli("down again", "down")
    assert not st.mode_file.exists()
    project = localstack.compose_project(flow.settings)
    listed = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.strip() == "", "down must remove the container"
    assert _owners(st.docker_dir) == {owner}
