"""Security of the running sandbox: loopback-only sockets, dummy credentials, no secrets printed.

- Every socket the host-mode LocalStack process (and any child) listens on is bound to
  127.0.0.1 or ::1, read from ``/proc/<pid>/net/{tcp,tcp6,udp,udp6}`` and the process's socket
  file descriptors, after every service of the platform has been used once (some open sockets
  lazily).
- With a user's "real" AWS credentials and profile in the environment, the ``sandbox`` commands
  still talk to the emulator with the dummy ones (a real-looking key would land in another
  LocalStack account, where the Terraform streams do not exist) and never print the secret.

The Compose file's loopback binding is checked statically in
``tests/unit/platform/test_compose.py``; refusing non-local endpoints is in
``tests/unit/test_security_guards.py`` (no emulator needed).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.infra import admin, localstack
from tests.conftest import SandboxHandle

pytestmark = pytest.mark.integration

# A user's "real" credentials. LocalStack ignores AKIA/ASIA keys (they fall back to its default
# account), but takes a 12-digit key as the account id: with this one, a request signed with
# the user's key lands in account 111122223333, where the Terraform streams do not exist.
REAL_KEY_ID = "111122223333"
REAL_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REAL_TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
TCP_LISTEN, UDP_BOUND = "0A", "07"


def _descendants(root: int) -> set[int]:
    """``root`` and every process below it (by parent pid), or in its process group."""
    parents: dict[int, int] = {}
    groups: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        groups[int(entry.name)] = int(fields[2])
    found = {root} | {pid for pid, group in groups.items() if group == root}
    changed = True
    while changed:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        changed = bool(children)
        found |= children
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    # /proc prints the address as 32-bit words in host (little-endian) order
    packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(packed)), int(port, 16)


def _bound_sockets(pid: int) -> list[tuple[str, str, int]]:
    """(protocol, address, port) of every listening TCP and bound UDP socket of ``pid``."""
    inodes = _socket_inodes(pid)
    found = []
    for protocol in ("tcp", "tcp6", "udp", "udp6"):
        table = Path(f"/proc/{pid}/net/{protocol}")
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            wanted = TCP_LISTEN if protocol.startswith("tcp") else UDP_BOUND
            if state == wanted and inode in inodes:
                found.append((protocol, *_address(local)))
    return found


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _use_every_service(sandbox: SandboxHandle) -> None:
    outputs = sandbox.outputs
    sandbox.client("s3").list_objects_v2(Bucket=outputs.bucket, MaxKeys=1)
    sandbox.client("firehose").put_record(
        DeliveryStreamName=outputs.json_stream, Record={"Data": b"not json: security test"}
    )
    admin.flush(sandbox.settings, outputs.json_stream)
    sandbox.client("glue").get_tables(DatabaseName=outputs.database)
    sandbox.client("athena").get_work_group(WorkGroup=outputs.workgroup)
    sandbox.client("iam").list_roles()
    sandbox.client("sts").get_caller_identity()
    sandbox.client("logs").describe_log_groups(limit=1)
    sandbox.client("kms").list_keys(Limit=1)


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_every_listening_socket_is_on_loopback(sandbox: SandboxHandle) -> None:
    _use_every_service(sandbox)
    pid = localstack.read_pid(sandbox.settings)
    assert pid is not None
    sockets = [s for process in _descendants(pid) for s in _bound_sockets(process)]
    assert ("tcp", "127.0.0.1", sandbox.settings.port) in sockets, sockets
    exposed = [s for s in sockets if not _is_loopback(s[1])]
    assert not exposed, f"LocalStack listens beyond loopback: {exposed}"


def _local_addresses() -> set[str]:
    """This machine's own IPv4 addresses (Linux: the LOCAL routes of /proc/net/fib_trie)."""
    found: set[str] = set()
    trie = Path("/proc/net/fib_trie")
    if trie.exists():
        last = ""
        for line in trie.read_text().splitlines():
            words = line.split()
            if len(words) == 2 and words[0].endswith("|--"):
                last = words[1]
            elif "/32 host LOCAL" in line and last:
                found.add(last)
    with contextlib.suppress(OSError):
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        found |= {str(info[4][0]) for info in infos}
    return {a for a in found if not ipaddress.ip_address(a).is_loopback}


def test_the_gateway_is_not_reachable_on_other_addresses(sandbox: SandboxHandle) -> None:
    """A non-loopback address of this machine gets no answer on the sandbox's port."""
    addresses = _local_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for address in sorted(addresses):
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, sandbox.settings.port)) != 0, address


@pytest.fixture
def real_credentials_env(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    """The sandbox's environment plus a user's real-looking credentials and profile."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[production]\naws_access_key_id = {REAL_KEY_ID}\naws_secret_access_key = {REAL_SECRET}\n"
    )
    (home / ".aws" / "config").write_text("[profile production]\nregion = eu-west-1\n")
    env = sandbox.env()
    env.update(
        {
            "HOME": str(home),
            "AWS_PROFILE": "production",
            "AWS_ACCESS_KEY_ID": REAL_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": REAL_SECRET,
            "AWS_SESSION_TOKEN": REAL_TOKEN,
        }
    )
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sandbox.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_real_credentials_would_land_elsewhere(sandbox: SandboxHandle) -> None:
    """Premise of the next test: the user's key would address another LocalStack account."""
    client: Any = boto3.client(
        "firehose",
        endpoint_url=sandbox.settings.endpoint_url,
        region_name=sandbox.settings.region,
        aws_access_key_id=REAL_KEY_ID,
        aws_secret_access_key=REAL_SECRET,
    )
    with pytest.raises(ClientError) as info:
        client.describe_delivery_stream(DeliveryStreamName=sandbox.outputs.json_stream)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_commands_use_the_dummy_credentials_and_never_print_real_ones(
    sandbox: SandboxHandle, real_credentials_env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"name": "account_created", "tstamp": "2023-06-18 14:27:52.000000", '
        '"payload": "{}", "payload_md5": "security-test"}\n'
    )
    commands = [
        ("status",),
        ("emit", "--file", str(events), "--stream", "json", "-q"),
        ("flush",),
        ("delivery",),
        ("query", "--format", "csv", "SELECT 1 AS one"),
    ]
    for command in commands:
        proc = _cli(real_credentials_env, *command)
        assert proc.returncode == 0, (command, proc.stderr[-1000:])
        for secret in (REAL_SECRET, REAL_TOKEN, REAL_KEY_ID):
            assert secret not in proc.stdout and secret not in proc.stderr, command
    # the record reached the Terraform stream, which exists only in the dummy credentials' account
    emitted = _cli(real_credentials_env, "emit", "--file", str(events), "--stream", "json", "-q")
    assert "sent 1/1" in emitted.stdout, emitted.stdout
    log = sandbox.settings.state.log_file.read_text(errors="replace")
    assert REAL_SECRET not in log and REAL_TOKEN not in log


def test_a_users_default_region_does_not_send_the_sandbox_elsewhere(
    sandbox: SandboxHandle, real_credentials_env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"name": "account_created", "tstamp": "2023-06-18 14:27:52.0"}\n')
    env = {**real_credentials_env, "AWS_DEFAULT_REGION": "eu-west-1"}
    proc = _cli(env, "emit", "--file", str(events), "--stream", "json", "-q")
    assert proc.returncode == 0, proc.stderr
