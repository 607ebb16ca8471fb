"""Drop the derived index (never bridge state such as transactions, puppets, uploads, installs).

Installs are reported by the OS, not events in rooms, so a reindex must keep them.
"""

from mautrix.util.async_db import Database

# post_count after the tables it counts (their triggers update it while they are emptied).
INDEX_TABLES = (
    "post_like", "comment", "post", "post_count", "trending_post", "trending_state", "follow",
    "profile", "interest", "ai_profile", "app", "feed_room",
)


async def clear_index(db: Database) -> None:
    async with db.acquire() as conn, conn.transaction():
        for table in INDEX_TABLES:
            await conn.execute(f"DELETE FROM {table}")
