"""v23: which feed rooms were checked for what MSC4501 asks of a profile room."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Feed rooms checked for MSC4501's profile_user_id and profile field"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    # NULL: made before this version (or not looked at yet): the start-up back-fill looks once.
    await conn.execute("ALTER TABLE feed_room ADD COLUMN msc4501_checked_at BIGINT")
