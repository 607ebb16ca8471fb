"""feed_room: which room is whose feed."""

import time

from mautrix.util.async_db import Database, Scheme


async def upsert(db: Database, room_id: str, owner: str) -> None:
    await db.execute(
        "INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (room_id) DO NOTHING",
        room_id, owner, int(time.time() * 1000),
    )


async def room_of(db: Database, owner: str) -> str | None:
    return await db.fetchval("SELECT room_id FROM feed_room WHERE owner=$1", owner)


async def owner_of(db: Database, room_id: str) -> str | None:
    return await db.fetchval("SELECT owner FROM feed_room WHERE room_id=$1", room_id)


async def all_rooms(db: Database) -> list[str]:
    return [row["room_id"] for row in await db.fetch("SELECT room_id FROM feed_room")]


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
