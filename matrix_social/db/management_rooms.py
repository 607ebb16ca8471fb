"""management_room: the DM where the bot talks to a user about her connections."""

from __future__ import annotations

from mautrix.util.async_db import Database


async def get(db: Database, user_id: str) -> str | None:
    return await db.fetchval("SELECT room_id FROM management_room WHERE user_id=$1", user_id)


async def set(db: Database, user_id: str, room_id: str, now_ms: int) -> None:  # noqa: A001
    await db.execute(
        "INSERT INTO management_room (user_id, room_id, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET room_id=excluded.room_id, "
        "updated_at=excluded.updated_at", user_id, room_id, now_ms)
