"""Ports for loopback servers (tests, the bench, the dev stack) that nothing else takes.

A port from `bind(0)` comes from the kernel's ephemeral range, which the kernel also hands
out as the local end of outgoing connections: between picking it and the server binding it,
any connection may take it ("address already in use"). So ports come from below that range,
and each is held under a lock file for the life of the process that reserved it, so no other
test worker, bench run or dev stack (and no later call in the same process) picks it again.
"""

from __future__ import annotations

import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "matrix-social-ports"
LOWEST, HIGHEST = 20_000, 30_000
RESERVED = {29340}  # the service's default port
_held: list = []  # lock files kept open: the locks last as long as this process


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32_768, 60_999


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def reserve_port() -> int:
    low, high = _ephemeral_range()
    candidates = [p for p in range(LOWEST, min(HIGHEST, low)) if p not in RESERVED] or \
        list(range(LOWEST, HIGHEST))
    LOCK_DIR.mkdir(exist_ok=True)
    for port in random.sample(candidates, min(len(candidates), 500)):
        lock = open(LOCK_DIR / f"{port}.lock", "w")  # noqa: SIM115 - held for the process
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        if _bindable(port):
            lock.write(str(os.getpid()))
            lock.flush()
            _held.append(lock)
            return port
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
    raise RuntimeError("no free loopback port found")
