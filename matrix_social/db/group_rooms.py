"""group_room: MSC4501 group rooms we read, recorded once the room's own create event said it
is a group (never from any other state). A group has no owner: nobody speaks for it."""

from __future__ import annotations

import json

from mautrix.util.async_db import Database

from ..clock import now_ms
from . import Executor


async def record(db: Database, room_id: str, name: str) -> None:
    await db.execute(
        "INSERT INTO group_room (room_id, name, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (room_id) DO UPDATE SET name=excluded.name", room_id, name, now_ms())


async def get(db: Executor, room_id: str) -> str | None:
    """The group's name ('' when it has none), or None when the room is no group of ours."""
    return await db.fetchval("SELECT name FROM group_room WHERE room_id=$1", room_id)


async def set_name(db: Executor, room_id: str, name: str) -> None:
    await db.execute("UPDATE group_room SET name=$2 WHERE room_id=$1", room_id, name)


async def set_moderators(db: Executor, room_id: str, moderators: list[str]) -> None:
    await db.execute("UPDATE group_room SET moderators=$2 WHERE room_id=$1", room_id,
                     json.dumps(sorted(moderators)))


async def set_creators(db: Executor, room_id: str, creators: list[str]) -> None:
    """The creators of a room whose version gives them every power (room version 12)."""
    await db.execute("UPDATE group_room SET creators=$2 WHERE room_id=$1", room_id,
                     json.dumps(sorted(creators)))


async def is_moderator(db: Executor, room_id: str, user_id: str) -> bool:
    """May `user_id` redact others' events in the group, as its power levels last said (or
    as its creation did, in room version 12)?"""
    row = await db.fetchrow("SELECT moderators, creators FROM group_room WHERE room_id=$1",
                            room_id)
    if row is None:
        return False
    moderators = json.loads(row["moderators"]) + json.loads(row["creators"])
    return user_id in moderators or "*" in moderators


async def all_rooms(db: Executor) -> list[str]:
    rows = await db.fetch("SELECT room_id FROM group_room ORDER BY room_id")
    return [row["room_id"] for row in rows]
