"""Which process of the service is running: each registers itself at start (an id of its own,
where it runs, its pid and start time) and renews a lease every few seconds; at a clean stop
it removes itself. A claim (an Idempotency-Key) records the id of the process that holds it,
so another process, or this one after a restart, can tell a claim whose holder is gone (taken
over at once) from one a live process still works on (409).

A holder is gone when its row is gone, or its lease expired (LEASE_MS without a renewal), or,
on the same machine and in the same pid namespace, when no process with its pid and start time
runs any more: so after a crash and a restart on the same machine the first retry takes the
claim over at once, without waiting for the lease. API replicas elsewhere (another machine or
container) are judged by their lease only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from pathlib import Path

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import service_process

log = logging.getLogger("matrix_social.api")
HEARTBEAT_S = 5.0
LEASE_MS = 30_000  # six missed renewals
FORGET_MS = 24 * 3600 * 1000  # rows silent this long are removed at start


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def start_time(pid: int) -> str | None:
    """The start time of process `pid` (clock ticks since boot, /proc/PID/stat field 22), or
    None when no such process runs (or /proc cannot tell)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def this_host() -> str | None:
    """This machine's boot and pid namespace: processes that share it can see each other's
    pids in /proc. None where /proc does not say (then leases alone decide)."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}" if boot else None


class ProcessLease:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.id = secrets.token_hex(8)
        self.pid = os.getpid()
        self.host = this_host()
        self.started = start_time(self.pid) or ""
        self._renewing: asyncio.Task | None = None

    async def start(self) -> None:
        now = now_ms()
        await service_process.remove_silent_since(self.db, now - FORGET_MS)
        if self.host:
            for row in await service_process.on_host(self.db, self.host):
                if not self._runs(row):
                    await service_process.remove(self.db, row["id"])
        await service_process.register(self.db, self.id, self.host or f"?{self.id}",
                                       self.pid, self.started, now)
        self._renewing = asyncio.create_task(self._renew())

    async def stop(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.gather(self._renewing, return_exceptions=True)
            self._renewing = None
        try:
            await service_process.remove(self.db, self.id)
        except Exception as e:  # a database already gone: the lease expires by itself
            log.warning("Could not remove this process's lease: %s", type(e).__name__)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                if not await service_process.renew(self.db, self.id, now_ms()):
                    await service_process.register(self.db, self.id, self.host or f"?{self.id}",
                                                   self.pid, self.started, now_ms())
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("Could not renew this process's lease: %s", type(e).__name__)

    def _runs(self, row) -> bool:
        """For a row of this host: does its process still run?"""
        return bool(row["started"]) and start_time(row["pid"]) == row["started"]

    async def alive(self, holder: str, now: int | None = None) -> bool:
        """Is the process that holds a claim still running? ('' is a claim from before
        holders were recorded: counted alive, so only the stale limit frees it.)"""
        if holder in ("", self.id):
            return True
        row = await service_process.get(self.db, holder)
        if row is None:
            return False
        if self.host and row["host"] == self.host:
            return self._runs(row)
        return row["heartbeat_at"] >= (now_ms() if now is None else now) - LEASE_MS
