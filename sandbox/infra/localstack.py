"""Running LocalStack 4.14.0 for the sandbox: as a host process, or through Docker Compose.

Host mode (no Docker engine, as on CI) starts ``python -m localstack.runtime.main`` from this
virtual environment (Python >= 3.13, which the package requires: LocalStack 4.14.0 imports
``warnings.deprecated``, so on 3.12 S3, KMS and Firehose fail to load), with every path it writes
under the project's git-ignored state folder and the gateway bound to 127.0.0.1 only. Docker
mode runs ``docker compose`` on ``docker-compose.yml``.

``stop`` only ever stops the process recorded in the PID file, and only if it still is LocalStack.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sandbox.infra.errors import PlatformError
from sandbox.settings import PROJECT_ROOT, Settings

LOCALSTACK_VERSION = "4.14.0"
# What the platform needs: the article's services, plus IAM/STS for the Firehose role, CloudWatch
# Logs for delivery-error logging and KMS for stream encryption.
SERVICES = "s3,firehose,glue,athena,iam,sts,logs,kms"
# The services that must answer before the platform counts as up.
HEALTHY_SERVICES = frozenset({"s3", "firehose", "glue", "athena"})
PROVIDER_OVERRIDES = {
    # LocalStack's S3 with its storage under the state folder and a journal (localstack_plugin/s3).
    "PROVIDER_OVERRIDE_S3": "sandbox",
    "PROVIDER_OVERRIDE_GLUE": "sandbox",
    "PROVIDER_OVERRIDE_ATHENA": "sandbox",
    "PROVIDER_OVERRIDE_FIREHOSE": "sandbox",
}


def localstack_environment(settings: Settings, *, sandbox_providers: bool = True) -> dict[str, str]:
    """The environment for a host-mode LocalStack (see shared/FACTS.md for each variable's why)."""
    root = settings.state.localstack_dir
    # The child gets this process's environment (PATH, locale...), minus what would reach AWS.
    env = {
        key: value
        for key, value in os.environ.items()
        # Never hand the user's real AWS credentials or profile to the emulator.
        if not key.startswith(("AWS_", "LOCALSTACK_", "PROVIDER_OVERRIDE_"))
    }
    env.update(
        {
            # These machines carry /.dockerenv; without this LocalStack writes to /var/lib etc.
            "OVERRIDE_IN_DOCKER": "0",
            # The default server ignores the host part of GATEWAY_LISTEN and binds 0.0.0.0.
            "GATEWAY_SERVER": "hypercorn",
            "GATEWAY_LISTEN": f"{settings.host}:{settings.port}",
            "LOCALSTACK_HOST": f"localhost:{settings.port}",
            "DNS_ADDRESS": "0",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DISABLE_EVENTS": "1",
            "SERVICES": SERVICES,
            "EAGER_SERVICE_LOADING": "1",
            "HOME": str(root / "home"),
            "XDG_CACHE_HOME": str(root / "cache"),
            "FILESYSTEM_ROOT": str(root / "fs"),
            "TMPDIR": str(root / "tmp"),
            "AWS_ACCESS_KEY_ID": settings.access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.secret_access_key,
            "AWS_DEFAULT_REGION": settings.region,
            "SANDBOX_STATE_DIR": str(settings.state_dir),
            "PYTHONUNBUFFERED": "1",
            # glibc gives each thread that allocates its own arena; with LocalStack's request
            # threads and the delivery threads the freed memory stays spread over them and the
            # process grows with each ingest (docs/performance.md, "Memory").
            "MALLOC_ARENA_MAX": settings.malloc_arena_max,
        }
    )
    if sandbox_providers:
        env.update(PROVIDER_OVERRIDES)
    else:
        # LocalStack as shipped (a baseline): the sandbox's runtime hooks are entry points of
        # this virtual environment and load anyway; they must not snapshot its S3 every 10 s.
        env["SANDBOX_PERSIST"] = "0"
    return env


def health(settings: Settings, timeout: float = 2.0) -> dict | None:
    """LocalStack's health document, or None when nothing answers."""
    url = f"http://{settings.host}:{settings.port}/_localstack/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_localstack(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return _pid_alive(pid)  # no /proc (macOS): trust the PID file
    return b"localstack.runtime.main" in cmdline


def read_pid(settings: Settings) -> int | None:
    """The PID of the host-mode LocalStack this project started, if it still runs."""
    try:
        pid = int(settings.state.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if _pid_alive(pid) and _is_localstack(pid):
        return pid
    return None


def localstack_installed(python: str = sys.executable) -> bool:
    proc = subprocess.run(
        [python, "-c", "import localstack.runtime.main"],
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


def docker_engine_available() -> bool:
    """True when a Docker engine answers and the Compose plugin is present."""
    if not shutil.which("docker"):
        return False
    for args in (["docker", "info"], ["docker", "compose", "version"]):
        try:
            proc = subprocess.run(args, capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
        if proc.returncode != 0:
            return False
    return True


def choose_mode(settings: Settings) -> str:
    """``host`` or ``docker``: the forced mode, else Docker when an engine answers."""
    if settings.mode in ("host", "docker"):
        return settings.mode
    if settings.mode != "auto":
        raise PlatformError(f"SANDBOX_MODE={settings.mode!r} is not one of auto, host, docker.")
    return "docker" if docker_engine_available() else "host"


def recorded_mode(settings: Settings) -> str | None:
    """``host`` or ``docker``: how the sandbox started the emulator, if it did."""
    path = settings.state.mode_file
    return path.read_text().strip() if path.exists() else None


def _record_mode(settings: Settings, mode: str) -> None:
    path = settings.state.mode_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(mode)


def _wait_healthy(
    settings: Settings,
    deadline: float,
    proc: subprocess.Popen | None = None,
    required: frozenset[str] = HEALTHY_SERVICES,
) -> dict:
    last: dict | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise PlatformError(
                f"LocalStack exited during start-up; see {settings.state.log_file} "
                "(or `make logs`)."
            )
        last = health(settings)
        services = (last or {}).get("services", {})
        broken = sorted(s for s in required if services.get(s) == "error")
        if broken:
            raise PlatformError(
                f"LocalStack could not load {', '.join(broken)}; see `make logs` "
                f"({settings.state.log_file})."
            )
        if last and all(services.get(s) in ("running", "available") for s in required):
            return last
        time.sleep(0.5)
    raise PlatformError(
        f"LocalStack was not healthy within {settings.startup_timeout:.0f}s "
        f"(last health: {json.dumps((last or {}).get('services', {}))}); see `make logs`, "
        "or raise SANDBOX_STARTUP_TIMEOUT."
    )


def start_host(settings: Settings, *, sandbox_providers: bool = True) -> int:
    """Start LocalStack as a background process; return its PID once it is healthy."""
    if (pid := read_pid(settings)) is not None:
        if health(settings):
            return pid
        raise PlatformError(
            f"A LocalStack started by the sandbox (pid {pid}) is not answering; run `make down`."
        )
    if not localstack_installed():
        raise PlatformError(
            f"LocalStack {LOCALSTACK_VERSION} is not installed in {sys.prefix}; run `make install`."
        )
    if port_in_use(settings.host, settings.port):
        raise PlatformError(
            f"Port {settings.port} on {settings.host} is already in use; stop whatever listens "
            "there (`make down` if it is the sandbox) or choose another with SANDBOX_PORT=<port>."
        )
    env = localstack_environment(settings, sandbox_providers=sandbox_providers)
    for key in ("HOME", "XDG_CACHE_HOME", "FILESYSTEM_ROOT", "TMPDIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    log_file = settings.state.log_file
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"\n--- sandbox: starting LocalStack {time.ctime()} ---\n".encode())
        log.flush()
        proc = subprocess.Popen(
            [sys.executable, "-m", "localstack.runtime.main"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(settings.state_dir),
            start_new_session=True,
        )
    settings.state.pid_file.write_text(str(proc.pid))
    _record_mode(settings, "host")
    try:
        # Without the sandbox's providers there is no Glue or Athena to wait for.
        required = HEALTHY_SERVICES if sandbox_providers else frozenset({"s3", "firehose"})
        deadline = time.monotonic() + settings.startup_timeout
        _wait_healthy(settings, deadline, proc=proc, required=required)
    except PlatformError:
        stop_host(settings)
        raise
    return proc.pid


def stop_host(settings: Settings, timeout: float | None = None) -> bool:
    """SIGTERM the recorded LocalStack (it flushes Firehose buffers), SIGKILL after ``timeout``
    seconds (default ``settings.stop_timeout``, as the Docker image's supervisor)."""
    if timeout is None:
        timeout = settings.stop_timeout
    pid = read_pid(settings)
    if pid is None:
        settings.state.pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    settings.state.pid_file.unlink(missing_ok=True)
    return True


def compose_command(*args: str) -> list[str]:
    return ["docker", "compose", "-f", str(PROJECT_ROOT / "docker-compose.yml"), *args]


def compose_environment(settings: Settings) -> dict[str, str]:
    """docker compose's environment: this process's, with the port and state folder set."""
    env = dict(os.environ)
    env["SANDBOX_PORT"] = str(settings.port)
    env["SANDBOX_STATE_DIR"] = str(settings.state_dir)
    # docker-compose.yml's SHUTDOWN_TIMEOUT and stop_grace_period (read at `up`).
    env["SANDBOX_STOP_TIMEOUT"] = str(settings.stop_timeout)
    return env


def start_docker(settings: Settings) -> None:
    if port_in_use(settings.host, settings.port) and not health(settings):
        raise PlatformError(
            f"Port {settings.port} is already in use; stop whatever listens there or set "
            "SANDBOX_PORT=<port>."
        )
    _record_mode(settings, "docker")
    proc = subprocess.run(
        compose_command("up", "-d", "--build", "--wait"),
        env=compose_environment(settings),
        check=False,
    )
    if proc.returncode != 0:
        raise PlatformError("`docker compose up` failed (see above); `make logs` shows the log.")
    _wait_healthy(settings, time.monotonic() + settings.startup_timeout)


# Seconds `sandbox down` lets Docker wait beyond LocalStack's own stop timeout, so that the
# supervisor's SIGKILL (after SHUTDOWN_TIMEOUT) comes first and Docker's is only the backstop.
DOCKER_STOP_MARGIN = 10
# The container's exit status when Docker killed it (128 + SIGKILL). The supervisor's own SIGKILL
# of LocalStack cannot be seen in the status: its signal handler reaps the child, so its
# Popen.wait() gets ECHILD and it exits 0 (checked with localstack-core 4.14.0's script); that
# kill comes exactly SHUTDOWN_TIMEOUT seconds after SIGTERM, so a stop that long was one.
DOCKER_KILLED_EXIT_CODE = 137


def docker_stop_grace(settings: Settings) -> int:
    """Seconds ``docker compose stop`` waits before it kills the container."""
    return settings.stop_timeout + DOCKER_STOP_MARGIN


def compose_stop_args(settings: Settings) -> list[str]:
    """``docker compose`` arguments of ``sandbox down``'s stop (``--timeout`` overrides the
    compose file's stop_grace_period)."""
    return ["stop", "--timeout", str(docker_stop_grace(settings))]


def _compose(settings: Settings, *args: str, capture: bool = False) -> str:
    """Run ``docker compose ARGS``; its output if ``capture``; a PlatformError if it fails."""
    proc = subprocess.run(
        compose_command(*args),
        env=compose_environment(settings),
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    if proc.returncode != 0:
        raise PlatformError(
            f"`docker compose {args[0]}` failed (see above); the sandbox may still be running: "
            "`docker compose ps` shows it, `make down` tries again."
        )
    return proc.stdout or ""


def was_killed(container: dict[str, Any], stop_seconds: float) -> bool:
    """Whether ``docker inspect``'s document of a stopped container says LocalStack was killed
    rather than stopped, given how long ``docker compose stop`` took."""
    if (container.get("State") or {}).get("ExitCode") == DOCKER_KILLED_EXIT_CODE:
        return True
    env = dict(
        item.partition("=")[::2] for item in (container.get("Config") or {}).get("Env") or []
    )
    try:
        timeout = int(env.get("SHUTDOWN_TIMEOUT") or 5)  # the supervisor's own default
    except ValueError:
        return False
    return stop_seconds >= timeout


def _inspect(container_ids: list[str]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        ["docker", "inspect", *container_ids], capture_output=True, text=True, check=False
    )
    try:
        return list(json.loads(proc.stdout)) if proc.returncode == 0 else []
    except ValueError:
        return []


def stop_docker(settings: Settings) -> bool:
    """Stop the container (LocalStack delivers its buffers and saves the lake), then remove it;
    True if it was running. A PlatformError if LocalStack was killed before it had finished."""
    if not docker_engine_available():
        # No engine, no container (e.g. a failed Docker `up`): nothing to stop.
        settings.state.mode_file.unlink(missing_ok=True)
        return False
    running = _compose(settings, "ps", "--quiet", capture=True).split()
    started = time.monotonic()
    _compose(settings, *compose_stop_args(settings))
    seconds = time.monotonic() - started
    killed = bool(running) and any(was_killed(c, seconds) for c in _inspect(running))
    _compose(settings, "down")
    settings.state.mode_file.unlink(missing_ok=True)
    if killed:
        raise PlatformError(
            f"LocalStack did not stop within its stop timeout ({seconds:.0f}s) and was killed: "
            "records still in Firehose buffers and changes since the last snapshot were lost. "
            f"Raise SANDBOX_STOP_TIMEOUT (now {settings.stop_timeout}) before the next `make up`."
        )
    return bool(running)


def start(settings: Settings) -> str:
    """Start LocalStack in the chosen mode; return the mode."""
    mode = choose_mode(settings)
    if mode == "docker":
        start_docker(settings)
    else:
        start_host(settings)
    return mode


def stop(settings: Settings) -> bool:
    """Stop what ``start`` started (and nothing else); True if something was stopped."""
    mode = recorded_mode(settings)
    if mode == "docker":
        return stop_docker(settings)  # keeps the mode file if compose failed
    stopped = stop_host(settings)
    settings.state.mode_file.unlink(missing_ok=True)
    return stopped
