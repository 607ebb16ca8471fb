"""Drop the derived index (never bridge state such as transactions, puppets, uploads)."""

from mautrix.util.async_db import Database

INDEX_TABLES = ("post_like", "comment", "post", "follow", "profile", "feed_room")


async def clear_index(db: Database) -> None:
    async with db.acquire() as conn, conn.transaction():
        for table in INDEX_TABLES:
            await conn.execute(f"DELETE FROM {table}")
