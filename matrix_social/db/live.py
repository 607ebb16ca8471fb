"""live_ticket and live_watch: the live streams' state every API process reads (v20)."""

from __future__ import annotations

import json

from . import Executor


async def add_ticket(db: Executor, ticket: str, user_id: str, expires_at: int,
                     now: int) -> None:
    await db.execute("DELETE FROM live_ticket WHERE expires_at < $1", now)
    await db.execute(
        "INSERT INTO live_ticket (ticket, user_id, expires_at) VALUES ($1, $2, $3)",
        ticket, user_id, expires_at)


async def redeem_ticket(db: Executor, ticket: str, now: int) -> str | None:
    """The ticket's user, once (the row goes); None when unknown, used or expired."""
    row = await db.fetchrow(
        "DELETE FROM live_ticket WHERE ticket=$1 RETURNING user_id, expires_at", ticket)
    if row is None or row["expires_at"] < now:
        return None
    return row["user_id"]


async def set_watched(db: Executor, user_id: str, screens: dict[str | None, set[str]]) -> None:
    """What each of her screens shows (a screen of None: all her streams)."""
    stored = {screen or "": sorted(post_ids) for screen, post_ids in screens.items()}
    await db.execute(
        "INSERT INTO live_watch (user_id, screens) VALUES ($1, $2) "
        "ON CONFLICT (user_id) DO UPDATE SET screens=excluded.screens",
        user_id, json.dumps(stored))


async def watched(db: Executor, user_id: str, limit: int) -> dict[str | None, set[str]]:
    found = await db.fetchval("SELECT screens FROM live_watch WHERE user_id=$1", user_id)
    stored = json.loads(found) if found else {}
    if not isinstance(stored, dict):
        return {}
    return {screen or None: set(post_ids[:limit]) for screen, post_ids in stored.items()
            if isinstance(post_ids, list)}
