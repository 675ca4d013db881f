"""The Docker tier (marker ``docker``): tests that run the sandbox in Docker mode, against
whatever Docker engine answers (``DOCKER_HOST``...), with Compose v2.

Without one, the tier is skipped with the reason, unless ``SANDBOX_TEST_DOCKER=1`` (set by
``make test-docker``, ``.ci/run`` and the CI workflow) or ``CI=true`` (set by CI systems, unless
``SANDBOX_TEST_DOCKER=0``): then a missing engine is a failure, so that CI can never pass with
the tier silently left out.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from sandbox.infra import localstack
from tests.docker.steps import STEP_SECONDS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for test, seconds in STEP_SECONDS.items():
        terminalreporter.write_line(f"Docker tier, {test}: seconds per step {json.dumps(seconds)}")


@pytest.fixture(scope="session")
def docker_engine() -> None:
    problem = localstack.docker_problem()
    if problem is None:
        return
    required = os.environ.get("SANDBOX_TEST_DOCKER")
    if required == "1" or (required != "0" and os.environ.get("CI", "").lower() == "true"):
        pytest.fail(f"the Docker tier must run here, but Docker mode cannot: {problem}")
    pytest.skip(f"Docker mode cannot run here ({problem}); SANDBOX_TEST_DOCKER=1 fails instead")
