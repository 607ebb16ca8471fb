"""v16: per connection, the opt-in to bring the account's home timeline (what the people she
follows there post) into her own feed view, and where its reading stands."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Home timelines: a per-connection opt-in and its cursor"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("ALTER TABLE platform_connection "
                       "ADD COLUMN home_timeline BOOLEAN NOT NULL DEFAULT FALSE")
    await conn.execute("ALTER TABLE platform_connection ADD COLUMN home_cursor TEXT")
