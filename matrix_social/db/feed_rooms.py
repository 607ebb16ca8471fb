"""feed_room: which room is whose feed."""

import time

from mautrix.util.async_db import Database


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
