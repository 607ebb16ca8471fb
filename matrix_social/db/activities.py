"""activity: what users did that they share (app publishes, forks, game scores, AI tasks,
profile updates), reported through the API or seen by the service itself."""

from __future__ import annotations

import json
from typing import Any

from . import Executor


async def insert(db: Executor, activity_id: str, user_id: str, kind: str, data: dict[str, Any],
                 source: str, dedupe: str, ts: int) -> bool:
    """False when the user already has an activity with this dedupe key."""
    inserted = await db.fetchval(
        "INSERT INTO activity (activity_id, user_id, kind, data, source, dedupe, ts) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, dedupe) DO NOTHING "
        "RETURNING activity_id",
        activity_id, user_id, kind, json.dumps(data), source, dedupe, ts,
    )
    return inserted is not None


async def by_dedupe(db: Executor, user_id: str, dedupe: str):
    return await db.fetchrow("SELECT * FROM activity WHERE user_id=$1 AND dedupe=$2",
                             user_id, dedupe)


async def in_window(db: Executor, user_id: str, since: int, until: int) -> list:
    """The user's activities with since <= ts < until, oldest first."""
    return await db.fetch(
        "SELECT * FROM activity WHERE user_id=$1 AND ts >= $2 AND ts < $3 "
        "ORDER BY ts, activity_id", user_id, since, until,
    )


async def users_since(db: Executor, since: int, after: str, limit: int) -> list[str]:
    """Users with an activity since `since`, by user ID, after `after` (keyset)."""
    rows = await db.fetch(
        "SELECT DISTINCT user_id FROM activity WHERE ts >= $1 AND user_id > $2 "
        "ORDER BY user_id LIMIT $3", since, after, limit,
    )
    return [row["user_id"] for row in rows]


async def count_for(db: Executor, user_id: str) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM activity WHERE user_id=$1", user_id)


async def prune(db: Executor, before: int) -> None:
    await db.execute("DELETE FROM activity WHERE ts < $1", before)
