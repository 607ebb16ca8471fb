"""bookmark: posts a user saved for later. Private to her: every statement is keyed by the
user the request authenticated."""

from __future__ import annotations

from mautrix.util.async_db import Database

from . import Executor
from .feed import SELECT_POST


async def add(db: Executor, user_id: str, post_id: str, ts: int) -> None:
    await db.execute(
        "INSERT INTO bookmark (user_id, post_id, ts) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id, post_id) DO NOTHING", user_id, post_id, ts)


async def remove(db: Executor, user_id: str, post_id: str) -> None:
    await db.execute("DELETE FROM bookmark WHERE user_id = $1 AND post_id = $2",
                     user_id, post_id)


async def page(db: Database, user_id: str, before: tuple[int, str] | None, limit: int) -> list:
    """Her bookmarked posts still indexed, the most recently bookmarked first, with `saved_at`;
    strictly before (saved_at, post_id)."""
    keyset, args = "", [user_id]
    if before is not None:
        keyset = "AND b.ts <= $2 AND (b.ts < $2 OR b.post_id < $3)"
        args += list(before)
    return await db.fetch(
        f"WITH b AS (SELECT b.post_id, b.ts FROM bookmark b JOIN post p "
        f"ON p.event_id = b.post_id WHERE b.user_id = $1 {keyset} "
        f"ORDER BY b.ts DESC, b.post_id DESC LIMIT {int(limit)}) "
        f"SELECT b.ts AS saved_at, sub.* FROM b JOIN ({SELECT_POST}) sub "
        "ON sub.event_id = b.post_id ORDER BY b.ts DESC, b.post_id DESC", *args)
