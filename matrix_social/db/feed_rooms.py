"""feed_room: which room is whose feed, and whose bot may speak for the owner in it.

Written only when a room is verified as the owner's feed: the room our bot created for a local
user, or the room the owner's own server maps `#feed_NAME` to. Never from room state."""

from __future__ import annotations

from mautrix.util.async_db import Database, Scheme

from ..clock import now_ms
from . import Executor


async def record(db: Database, room_id: str, owner: str, bot: str) -> None:
    """The owner's verified feed room (replacing an earlier one, e.g. after the owner's server
    recreated it)."""
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM feed_room WHERE owner=$1 AND room_id<>$2", owner, room_id)
        await conn.execute(
            "INSERT INTO feed_room (room_id, owner, bot, created_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (room_id) DO UPDATE SET owner=excluded.owner, bot=excluded.bot",
            room_id, owner, bot, now_ms(),
        )


async def forget(db: Database, room_id: str) -> None:
    await db.execute("DELETE FROM feed_room WHERE room_id=$1", room_id)


async def room_of(db: Executor, owner: str) -> str | None:
    return await db.fetchval("SELECT room_id FROM feed_room WHERE owner=$1", owner)


async def get(db: Executor, room_id: str) -> tuple[str, str] | None:
    """(owner, bot) of a verified feed room."""
    row = await db.fetchrow("SELECT owner, bot FROM feed_room WHERE room_id=$1", room_id)
    return (row["owner"], row["bot"]) if row else None


async def all_rooms(db: Executor) -> list[tuple[str, str, str]]:
    rows = await db.fetch("SELECT room_id, owner, bot FROM feed_room ORDER BY room_id")
    return [(row["room_id"], row["owner"], row["bot"]) for row in rows]


async def feeds_among(db: Database, room_ids: list[str]) -> set[str]:
    """Which of these rooms are feed rooms."""
    if db.scheme != Scheme.SQLITE:
        rows = await db.fetch("SELECT room_id FROM feed_room WHERE room_id = ANY($1::text[])",
                              room_ids)
        return {row["room_id"] for row in rows}
    found: set[str] = set()
    for start in range(0, len(room_ids), 500):
        chunk = room_ids[start:start + 500]
        marks = ", ".join(f"${i + 1}" for i in range(len(chunk)))
        rows = await db.fetch(f"SELECT room_id FROM feed_room WHERE room_id IN ({marks})", *chunk)
        found |= {row["room_id"] for row in rows}
    return found


async def msc4501_unchecked(db: Database, bot: str, after: str, limit: int) -> list[tuple]:
    """Our own feed rooms (those `bot` speaks for) not yet checked for MSC4501, by room id
    after `after`."""
    rows = await db.fetch(
        "SELECT room_id, owner FROM feed_room WHERE bot=$1 AND msc4501_checked_at IS NULL "
        "AND room_id > $2 ORDER BY room_id LIMIT $3", bot, after, limit)
    return [(row["room_id"], row["owner"]) for row in rows]


async def msc4501_checked(db: Database, room_id: str) -> None:
    await db.execute("UPDATE feed_room SET msc4501_checked_at=$2 WHERE room_id=$1",
                     room_id, now_ms())
