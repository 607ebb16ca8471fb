"""service_process: the running processes of the service, each with a lease it renews, so a
claim one of them holds (an Idempotency-Key) can be told from one whose holder is gone."""

from __future__ import annotations

from . import Executor


async def register(db: Executor, process_id: str, host: str, pid: int, started: str,
                   now: int) -> None:
    await db.execute(
        "INSERT INTO service_process (id, host, pid, started, heartbeat_at) "
        "VALUES ($1, $2, $3, $4, $5)", process_id, host, pid, started, now)


async def renew(db: Executor, process_id: str, now: int) -> bool:
    """False when the row is gone (another process took it for dead and removed it)."""
    renewed = await db.fetchval(
        "UPDATE service_process SET heartbeat_at=$2 WHERE id=$1 RETURNING 1", process_id, now)
    return bool(renewed)


async def get(db: Executor, process_id: str):
    return await db.fetchrow(
        "SELECT id, host, pid, started, heartbeat_at FROM service_process WHERE id=$1",
        process_id)


async def on_host(db: Executor, host: str) -> list:
    return await db.fetch(
        "SELECT id, host, pid, started, heartbeat_at FROM service_process WHERE host=$1", host)


async def remove(db: Executor, process_id: str) -> None:
    await db.execute("DELETE FROM service_process WHERE id=$1", process_id)


async def remove_silent_since(db: Executor, before: int) -> None:
    await db.execute("DELETE FROM service_process WHERE heartbeat_at < $1", before)
