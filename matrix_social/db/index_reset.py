"""Drop derived index rows (never bridge state such as transactions, puppets, uploads,
installs: installs are reported by the OS, not events in rooms, so a reindex keeps them)."""

from __future__ import annotations

from mautrix.util.async_db import Database

from . import Executor

# post_count after the tables it counts (their triggers update it while they are emptied).
INDEX_TABLES = (
    "post_like", "comment", "post_tag", "post", "post_count", "trending_post",
    "trending_state", "trending_score", "trending_top", "trending_dirty", "trending_claim",
    "follow", "profile", "interest", "ai_profile", "app", "feed_room",
)


async def clear_index(db: Database) -> None:
    async with db.acquire() as conn, conn.transaction():
        for table in INDEX_TABLES:
            await conn.execute(f"DELETE FROM {table}")


async def clear_room(db: Executor, room_id: str, owner: str | None) -> None:
    """Every row one feed room's events made (and its owner's profile, if given)."""
    await db.execute("DELETE FROM post_like WHERE post_id IN "
                     "(SELECT event_id FROM post WHERE room_id=$1)", room_id)
    for table in ("comment", "post", "follow", "app"):
        await db.execute(f"DELETE FROM {table} WHERE room_id=$1", room_id)
    if owner is not None:
        for table in ("profile", "interest", "ai_profile"):
            await db.execute(f"DELETE FROM {table} WHERE user_id=$1", owner)
