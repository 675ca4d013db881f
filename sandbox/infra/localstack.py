"""Running LocalStack 4.14.0 for the sandbox: as a host process, or through Docker Compose.

Host mode (no Docker engine, as on CI) starts ``python -m localstack.runtime.main`` from this
virtual environment (Python >= 3.13, which the package requires: LocalStack 4.14.0 imports
``warnings.deprecated``, so on 3.12 S3, KMS and Firehose fail to load), with every path it writes
under the project's git-ignored state folder and the gateway bound to 127.0.0.1 only. Docker
mode runs ``docker compose`` (Compose v2, the CLI plugin) on ``docker-compose.yml``, as a
Compose project of the state folder's own (a test's sandbox never touches the user's), and
hands the files the container wrote (as root) back to the state folder's owner at ``stop``.

``stop`` only ever stops the process recorded in the PID file, and only if it still is LocalStack.
Both modes start ``Settings.services`` (``SANDBOX_SERVICES``).

A host-mode LocalStack on a fresh state folder builds its service catalogue index (botocore's
specs of every service, ~5 s) and a self-signed certificate: both depend only on the installed
LocalStack and botocore, so the first instance's are kept in ``Settings.cache_dir`` and copied
into each fresh folder's LocalStack cache before it starts (:func:`seed_cache`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.infra.errors import PlatformError
from sandbox.settings import DEFAULT_SERVICES, DEFAULT_STATE_DIR, PROJECT_ROOT, Settings

LOCALSTACK_VERSION = "4.14.0"
# How often the start waits poll the health endpoint: a poll is one loopback request (~1 ms),
# and a longer interval is added, on average half of it, to every `make up`.
HEALTH_POLL_SECONDS = 0.1
# The default of SANDBOX_SERVICES (Settings.services), as LocalStack's SERVICES variable.
SERVICES = ",".join(DEFAULT_SERVICES)
# The services that must answer before the platform counts as up.
HEALTHY_SERVICES = frozenset({"s3", "firehose", "glue", "athena"})
PROVIDER_OVERRIDES = {
    # LocalStack's S3 with its storage under the state folder and a journal (localstack_plugin/s3).
    "PROVIDER_OVERRIDE_S3": "sandbox",
    "PROVIDER_OVERRIDE_GLUE": "sandbox",
    "PROVIDER_OVERRIDE_ATHENA": "sandbox",
    "PROVIDER_OVERRIDE_FIREHOSE": "sandbox",
}


# Allocators that give memory back once a large ingest is over (docs/performance.md, "RSS after
# ingest": 60 s after a 100k-session ingest and flush, 2.2x the idle RSS with Python's own
# allocator, 1.36x with these). pymalloc never returns a 1 MiB arena while any object in it
# lives, so the long-lived objects an ingest leaves (the JQ result memo) pin hundreds of MB of
# freed ones; CPython's bundled mimalloc returns pages as they empty (MIMALLOC_PURGE_DELAY=0:
# at once, not after its 10 ms default, which left them resident here); pyarrow's buffers come
# from glibc's malloc, which Trimmer's malloc_trim reaches, instead of pyarrow's own mimalloc
# (~100 MB kept after the Parquet conversion, release_unused() notwithstanding).
ALLOCATOR_ENVIRONMENT = {
    "PYTHONMALLOC": "mimalloc",
    "MIMALLOC_PURGE_DELAY": "0",
    "ARROW_DEFAULT_MEMORY_POOL": "system",
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
            "SERVICES": ",".join(settings.services),
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
        # A variable the user set wins (it is in env already).
        env.update({k: v for k, v in ALLOCATOR_ENVIRONMENT.items() if k not in env})
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


PORT_RELEASE_GRACE = 5.0  # seconds stop_host waits for the port after the process ended


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
    # A process that exited but is not reaped yet (a zombie) still answers signal 0: its
    # parent, `sandbox up`, is gone, and init reaps it when it gets to it (~2 s here, which
    # was most of `make down`).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS)
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


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


def _output(args: list[str]) -> tuple[int, str]:
    """Exit status and first line of output (stdout, else stderr) of a short command."""
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    text = (proc.stdout or "").strip() or (proc.stderr or "").strip()
    return proc.returncode, (text.splitlines() or [""])[0]


# What to install for Docker mode when Compose v2 is missing.
COMPOSE_V2_HINT = (
    "install Compose v2, the `docker compose` plugin (Debian/Ubuntu: the docker-compose-plugin "
    "package from Docker's apt repository; macOS/Windows: Docker Desktop; "
    "https://docs.docker.com/compose/install/)"
)


def compose_problem() -> str | None:
    """Why ``docker compose`` is not Compose v2 (None: it is). The project's compose file and
    ``up --wait`` need v2; v1 (``docker-compose`` 1.x, a separate Python program) cannot read the
    file (``'name' does not match any of the regexes: '^x-'``)."""
    status, version = _output(["docker", "compose", "version", "--short"])
    if status == 0:
        match = re.match(r"v?(\d+)", version)
        if match and int(match.group(1)) >= 2:
            return None
        return f"`docker compose` is Compose {version or '(unknown version)'}, not v2"
    if shutil.which("docker-compose"):
        status, legacy = _output(["docker-compose", "version", "--short"])
        if status == 0 and not legacy.startswith(("2", "v2")):
            return f"only Compose v1 is installed (docker-compose {legacy})"
        if status == 0:
            return f"Compose {legacy} is installed as docker-compose, not as the docker plugin"
    return "the Docker Compose plugin is missing (`docker compose version` failed)"


def docker_problem() -> str | None:
    """Why Docker mode cannot run here (None: it can): no client, no engine, or no Compose v2."""
    if not shutil.which("docker"):
        return "no `docker` client on PATH"
    status, detail = _output(["docker", "info", "--format", "{{.ServerVersion}}"])
    if status != 0:
        return f"no Docker engine answers (`docker info`: {detail or 'failed'})"
    return compose_problem()


def docker_engine_available() -> bool:
    """True when a Docker engine answers and Compose v2 is present."""
    return docker_problem() is None


def choose_mode(settings: Settings, say: Callable[[str], Any] = print) -> str:
    """``host`` or ``docker``: the forced mode, else Docker when it can run; when ``auto`` picks
    host mode, ``say`` gets one line saying why."""
    if settings.mode == "host":
        return "host"
    if settings.mode not in ("auto", "docker"):
        raise PlatformError(f"SANDBOX_MODE={settings.mode!r} is not one of auto, host, docker.")
    problem = docker_problem()
    if problem is None:
        return "docker"
    if settings.mode == "docker":
        hint = COMPOSE_V2_HINT if "ompose" in problem else "start Docker (or unset SANDBOX_MODE)"
        raise PlatformError(f"SANDBOX_MODE=docker, but {problem}: {hint}.")
    say(f"Host mode: {problem} (Docker mode needs a running engine and Compose v2).")
    return "host"


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
        time.sleep(HEALTH_POLL_SECONDS)
    raise PlatformError(
        f"LocalStack was not healthy within {settings.startup_timeout:.0f}s "
        f"(last health: {json.dumps((last or {}).get('services', {}))}); see `make logs`, "
        "or raise SANDBOX_STARTUP_TIMEOUT."
    )


# What LocalStack writes to <FILESYSTEM_ROOT>/var/lib/localstack/cache/ on its first start and
# only reads later: the catalogue index (named after LocalStack's and botocore's versions,
# localstack.aws.spec._get_catalog_filename) and the certificate (SKIP_SSL_CERT_DOWNLOAD=1).
_SHAREABLE_CACHE = ("service-catalog-*.dill", "server.test.pem", "server.test.pem.*")


def _localstack_cache(settings: Settings) -> Path:
    return settings.state.localstack_dir / "fs" / "var" / "lib" / "localstack" / "cache"


def _shared_cache(settings: Settings) -> Path:
    return settings.cache_dir / "localstack"


def seed_cache(settings: Settings) -> list[str]:
    """Copy what an earlier LocalStack built once (:data:`_SHAREABLE_CACHE`) into this state
    folder's LocalStack cache, where it is missing; the names copied."""
    shared, own = _shared_cache(settings), _localstack_cache(settings)
    copied = []
    for pattern in _SHAREABLE_CACHE:
        for path in shared.glob(pattern):
            if path.is_file() and not (own / path.name).exists():
                own.mkdir(parents=True, exist_ok=True)
                tmp = own / f".{path.name}.tmp"
                shutil.copy2(path, tmp)
                os.replace(tmp, own / path.name)
                copied.append(path.name)
    return copied


def keep_cache(settings: Settings) -> list[str]:
    """Save what this LocalStack built (:data:`_SHAREABLE_CACHE`) for later fresh state
    folders, where the shared cache lacks it; the names saved. Never fails the caller."""
    shared, own = _shared_cache(settings), _localstack_cache(settings)
    saved = []
    with contextlib.suppress(OSError):
        for pattern in _SHAREABLE_CACHE:
            for path in own.glob(pattern):
                if path.is_file() and not (shared / path.name).exists():
                    shared.mkdir(parents=True, exist_ok=True)
                    tmp = shared / f".{path.name}.{os.getpid()}.tmp"
                    shutil.copy2(path, tmp)
                    os.replace(tmp, shared / path.name)
                    saved.append(path.name)
    return saved


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
    with contextlib.suppress(OSError):  # without it LocalStack builds its own (slower)
        seed_cache(settings)
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
    keep_cache(settings)
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
    # The next `up` binds the same port: return once it is free. The recorded process has
    # ended (or is an unreaped zombie, which holds no sockets), so a listener still answering
    # is a straggler of its process group; SIGKILL it after a grace period.
    released = time.monotonic() + PORT_RELEASE_GRACE
    while port_in_use(settings.host, settings.port) and time.monotonic() < released:
        time.sleep(0.05)
    if port_in_use(settings.host, settings.port):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    settings.state.pid_file.unlink(missing_ok=True)
    keep_cache(settings)  # the catalogue may only have been built by the first request
    return True


def compose_command(*args: str) -> list[str]:
    return ["docker", "compose", "-f", str(PROJECT_ROOT / "docker-compose.yml"), *args]


COMPOSE_PROJECT = "aws-data-sandbox"  # docker-compose.yml's name
CONTAINER_STATE_DIR = "/var/lib/sandbox"  # where docker-compose.yml mounts <state>/docker


def compose_project(settings: Settings) -> str:
    """The Compose project of this state folder: the compose file's name for the default
    folder (``make up``), a name of its own for any other (a test's sandbox, a second checkout),
    so that ``up`` and ``down`` of one never recreate or remove the other's container."""
    if settings.state_dir.resolve() == DEFAULT_STATE_DIR.resolve():
        return COMPOSE_PROJECT
    digest = hashlib.sha256(str(settings.state_dir.resolve()).encode()).hexdigest()[:10]
    return f"{COMPOSE_PROJECT}-{digest}"


def compose_environment(settings: Settings) -> dict[str, str]:
    """docker compose's environment: this process's, with the project, port, state folder,
    services and stop timeout set (every ``docker compose`` call of the sandbox uses it)."""
    env = dict(os.environ)
    # Compose gives COMPOSE_PROJECT_NAME precedence over the file's top-level name.
    env["COMPOSE_PROJECT_NAME"] = compose_project(settings)
    env["SANDBOX_PORT"] = str(settings.port)
    env["SANDBOX_STATE_DIR"] = str(settings.state_dir)
    env["SANDBOX_SERVICES"] = ",".join(settings.services)
    # docker-compose.yml's SHUTDOWN_TIMEOUT and stop_grace_period (read at `up`).
    env["SANDBOX_STOP_TIMEOUT"] = str(settings.stop_timeout)
    return env


def start_docker(settings: Settings) -> None:
    if port_in_use(settings.host, settings.port) and not health(settings):
        raise PlatformError(
            f"Port {settings.port} is already in use; stop whatever listens there or set "
            "SANDBOX_PORT=<port>."
        )
    # Created here, so the bind mount is the user's folder rather than one Docker makes as root.
    settings.state.docker_dir.mkdir(parents=True, exist_ok=True)
    _record_mode(settings, "docker")
    try:
        _compose(settings, "up", "-d", "--build", "--wait", stopping=False)
        _wait_healthy(settings, time.monotonic() + settings.startup_timeout)
    except PlatformError:
        _abandon_docker(settings)
        raise


def _abandon_docker(settings: Settings) -> None:
    """After a failed Docker ``up``: keep the container's log in the state folder's log file
    (``make logs``), remove the container, give its files back, forget the mode."""
    log_file = settings.state.log_file
    with contextlib.suppress(OSError), log_file.open("ab") as log:
        log.write(f"\n--- sandbox: container log after a failed up {time.ctime()} ---\n".encode())
        log.flush()
        subprocess.run(
            compose_command("logs", "--no-color"),
            env=compose_environment(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    with contextlib.suppress(PlatformError):
        give_back_state(settings)
        _compose(settings, "down")
    settings.state.mode_file.unlink(missing_ok=True)


def docker_logs(settings: Settings, lines: int) -> None:
    """``sandbox logs`` in Docker mode: the log tail of this state folder's container."""
    subprocess.run(
        compose_command("logs", "--no-color", "--tail", str(lines)),
        env=compose_environment(settings),
        check=False,
    )


def _foreign_owned(folder: Path, owner: tuple[int, int]) -> bool:
    """Whether anything under ``folder`` (itself included) has another (uid, gid) than ``owner``."""
    for root, dirs, files in os.walk(folder):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            with contextlib.suppress(FileNotFoundError):
                st = os.lstat(name)
                if (st.st_uid, st.st_gid) != owner:
                    return True
    return False


def give_back_state(settings: Settings) -> bool:
    """Make everything under ``<state>/docker`` belong to the state folder's owner again.

    LocalStack runs as root in the image, so on Linux with a rootful engine the lake it saves
    there is root's, and the user could neither read every file nor ``make clean``. A one-off
    container of the same image (root inside) chowns the mount; nothing runs when the files
    already belong to the owner (rootless engines, Docker Desktop). True if it ran.
    """
    folder = settings.state.docker_dir
    if not folder.is_dir():
        return False
    st = settings.state_dir.stat()
    if not _foreign_owned(folder, (st.st_uid, st.st_gid)):
        return False
    _compose(
        settings,
        *("run", "--rm", "--no-deps", "-T", "--entrypoint", "chown", "localstack"),
        *("-R", f"{st.st_uid}:{st.st_gid}", CONTAINER_STATE_DIR),
    )
    return True


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


def _compose(settings: Settings, *args: str, capture: bool = False, stopping: bool = True) -> str:
    """Run ``docker compose ARGS``; its output if ``capture``; a PlatformError if it fails."""
    proc = subprocess.run(
        compose_command(*args),
        env=compose_environment(settings),
        check=False,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    if proc.returncode != 0:
        if not stopping:
            raise PlatformError(
                f"`docker compose {args[0]}` failed (see above); the container's log is in "
                f"{settings.state.log_file} (`make logs`)."
            )
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
    try:
        give_back_state(settings)
    except PlatformError:
        print(
            f"warning: the files under {settings.state.docker_dir} still belong to the "
            "container's root user (see above); `make clean` may need sudo.",
            file=sys.stderr,
        )
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
