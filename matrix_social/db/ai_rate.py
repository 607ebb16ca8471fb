"""AI rate limits: a sliding window of messages per (AI, sender), kept across restarts."""

from __future__ import annotations

from mautrix.util.async_db import Database


async def count_since(db: Database, ai: str, sender: str, since: int) -> int:
    return await db.fetchval(
        "SELECT COUNT(*) FROM ai_rate_event WHERE ai=$1 AND sender=$2 AND ts > $3",
        ai, sender, since,
    )


async def record(db: Database, ai: str, sender: str, ts: int, prune_before: int) -> None:
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM ai_rate_event WHERE ai=$1 AND sender=$2 AND ts <= $3",
                           ai, sender, prune_before)
        await conn.execute("INSERT INTO ai_rate_event (ai, sender, ts) VALUES ($1, $2, $3)",
                           ai, sender, ts)


async def last_notice(db: Database, ai: str, sender: str) -> int | None:
    return await db.fetchval(
        "SELECT ts FROM ai_rate_notice WHERE ai=$1 AND sender=$2", ai, sender)


async def set_notice(db: Database, ai: str, sender: str, ts: int) -> None:
    await db.execute(
        "INSERT INTO ai_rate_notice (ai, sender, ts) VALUES ($1, $2, $3) "
        "ON CONFLICT (ai, sender) DO UPDATE SET ts=excluded.ts", ai, sender, ts,
    )


async def oldest_in_window(db: Database, ai: str, sender: str, since: int,
                           limit: int) -> int | None:
    """The time of the oldest message that still counts, when `limit` of them count."""
    rows = await db.fetch(
        "SELECT ts FROM ai_rate_event WHERE ai=$1 AND sender=$2 AND ts > $3 "
        "ORDER BY ts DESC LIMIT $4", ai, sender, since, limit)
    return rows[-1]["ts"] if len(rows) >= limit else None
