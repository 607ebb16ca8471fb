"""Who holds a claim, on SQLite and PostgreSQL (no homeserver): this process, a process of this
machine that still runs, one that is gone (at once, whatever its lease says), one elsewhere
with a fresh lease or an expired one, one that stopped cleanly. The claims themselves, taken
over by one of two takers only. The crash and the retry end to end: test_reliability.py."""

from __future__ import annotations

import subprocess
import sys

from matrix_social.api.process_lease import LEASE_MS, ProcessLease, start_time
from matrix_social.clock import now_ms
from matrix_social.db import idempotency, service_process


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


async def test_a_holder_is_alive_while_its_process_runs_and_its_lease_holds(db):
    me = ProcessLease(db)
    await me.start()
    try:
        assert me.host and me.started
        assert await me.alive(me.id) and await me.alive("")
        now = now_ms()
        # A process of this machine: alive while it runs, gone the moment it is not, however
        # fresh its lease.
        other = _sleeper()
        try:
            started = start_time(other.pid)
            assert started
            await service_process.register(db, "neighbour", me.host, other.pid, started, now)
            assert await me.alive("neighbour")
        finally:
            other.kill()
            other.wait(10)
        assert start_time(other.pid) is None
        assert not await me.alive("neighbour")
        # Same pid, another start time: another process that reused the pid.
        await service_process.register(db, "reused", me.host, me.pid, "1", now)
        assert not await me.alive("reused")
        # Elsewhere (another machine, another container): its lease decides.
        await service_process.register(db, "replica", "another-host/pid:[1]", 1, "5", now)
        assert await me.alive("replica", now)
        assert await me.alive("replica", now + LEASE_MS)
        assert not await me.alive("replica", now + LEASE_MS + 1)
        assert await service_process.renew(db, "replica", now + LEASE_MS)
        assert await me.alive("replica", now + LEASE_MS + 1)
        # Never registered, or stopped cleanly.
        assert not await me.alive("nobody")
        stopping = ProcessLease(db)
        await stopping.start()
        assert await me.alive(stopping.id)
        await stopping.stop()
        assert not await me.alive(stopping.id)
    finally:
        await me.stop()


async def test_a_new_process_forgets_the_rows_of_dead_ones_on_its_machine(db):
    first = ProcessLease(db)
    await service_process.register(db, "crashed", first.host, 999_999_999, "7", now_ms())
    await first.start()
    try:
        assert await service_process.get(db, "crashed") is None
        assert await service_process.get(db, first.id) is not None
    finally:
        await first.stop()
    assert await service_process.get(db, first.id) is None


async def test_of_two_takers_of_a_dead_claim_one_wins(db):
    await idempotency.claim(db, "@a:hs", "k1", "fp", 1000, "gone")
    earlier = dict(await idempotency.claim(db, "@a:hs", "k1", "fp", 2000, "p1"))
    assert (earlier["holder"], earlier["created_at"]) == ("gone", 1000)
    assert await idempotency.take_over(db, "@a:hs", "k1", earlier, "p1", 2000)
    assert not await idempotency.take_over(db, "@a:hs", "k1", earlier, "p2", 2001)
    row = await idempotency.claim(db, "@a:hs", "k1", "fp", 3000, "p3")
    assert (row["holder"], row["created_at"]) == ("p1", 2000)
    await idempotency.complete(db, "@a:hs", "k1", 201, "{}")
    assert not await idempotency.take_over(db, "@a:hs", "k1", dict(row), "p3", 3000)
