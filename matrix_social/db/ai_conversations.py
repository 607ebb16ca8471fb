"""ai_conversation: the rooms (not feed rooms) where one of our AIs answered, and whether the
room is public enough to list on the AI's profile."""

from __future__ import annotations

from . import Executor


async def get(db: Executor, ai: str, room_id: str):
    return await db.fetchrow("SELECT * FROM ai_conversation WHERE ai=$1 AND room_id=$2",
                             ai, room_id)


async def insert(db: Executor, ai: str, room_id: str, public: bool, name: str | None,
                 alias: str | None, ts: int) -> None:
    await db.execute(
        "INSERT INTO ai_conversation (ai, room_id, public, name, alias, answers, first_ts, "
        "last_ts) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) ON CONFLICT (ai, room_id) DO UPDATE "
        "SET answers=ai_conversation.answers + 1, last_ts=excluded.last_ts",
        ai, room_id, public, name, alias, ts,
    )


async def answered(db: Executor, ai: str, room_id: str, ts: int) -> None:
    await db.execute(
        "UPDATE ai_conversation SET answers=answers + 1, last_ts=$3 WHERE ai=$1 AND room_id=$2",
        ai, room_id, ts)


async def set_public(db: Executor, ai: str, room_id: str, public: bool, name: str | None,
                     alias: str | None) -> None:
    await db.execute(
        "UPDATE ai_conversation SET public=$3, name=$4, alias=$5 WHERE ai=$1 AND room_id=$2",
        ai, room_id, public, name, alias)


async def ais_in_room(db: Executor, room_id: str) -> list[str]:
    rows = await db.fetch("SELECT ai FROM ai_conversation WHERE room_id=$1", room_id)
    return [row["ai"] for row in rows]


async def public_of(db: Executor, ai: str, limit: int) -> list:
    return await db.fetch(
        "SELECT * FROM ai_conversation WHERE ai=$1 AND public=$2 "
        "ORDER BY last_ts DESC, room_id LIMIT $3", ai, True, limit)


async def claim_announcement(db: Executor, ai: str, room_id: str, now: int, since: int):
    """The conversation's row, marked announced now, if it is public and was not announced
    since `since`; None otherwise (two answers at once: one claim wins)."""
    return await db.fetchrow(
        "UPDATE ai_conversation SET announced_ts=$3 WHERE ai=$1 AND room_id=$2 AND public=$5 "
        "AND (announced_ts IS NULL OR announced_ts < $4) RETURNING room_id, name, alias",
        ai, room_id, now, since, True)
