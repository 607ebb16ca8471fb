"""follow_request: follows waiting for the answer to a knock ('pending'), or answered no
('refused'). A pending request is no follow: nothing of the room is read until we are in it."""

from __future__ import annotations

from mautrix.util.async_db import Database

from ..clock import now_ms
from . import Executor

PENDING, REFUSED = "pending", "refused"


async def pending(db: Database, room_id: str, user_id: str, kind: str, target: str,
                  via: str) -> None:
    """She knocked (again): pending, whatever an earlier request said."""
    await db.execute(
        "INSERT INTO follow_request (room_id, user_id, kind, target, via, state, reason, ts) "
        "VALUES ($1, $2, $3, $4, $5, $6, '', $7) ON CONFLICT (room_id, user_id) DO UPDATE "
        "SET kind=excluded.kind, target=excluded.target, via=excluded.via, "
        "state=excluded.state, reason='', ts=excluded.ts",
        room_id, user_id, kind, target, via, PENDING, now_ms())


async def get(db: Executor, room_id: str, user_id: str):
    return await db.fetchrow(
        "SELECT room_id, user_id, kind, target, via, state, reason, ts FROM follow_request "
        "WHERE room_id=$1 AND user_id=$2", room_id, user_id)


async def refuse(db: Executor, room_id: str, user_id: str, reason: str) -> bool:
    """The room answered no; True when a pending request was waiting."""
    done = await db.fetchval(
        "UPDATE follow_request SET state=$3, reason=$4, ts=$5 "
        "WHERE room_id=$1 AND user_id=$2 AND state=$6 RETURNING 1",
        room_id, user_id, REFUSED, reason[:500], now_ms(), PENDING)
    return done is not None


async def delete(db: Executor, room_id: str, user_id: str) -> None:
    await db.execute("DELETE FROM follow_request WHERE room_id=$1 AND user_id=$2",
                     room_id, user_id)


async def of_user(db: Executor, user_id: str, limit: int) -> list:
    return await db.fetch(
        "SELECT room_id, kind, target, via, state, reason, ts FROM follow_request "
        "WHERE user_id=$1 ORDER BY ts DESC, room_id DESC LIMIT $2", user_id, limit)
