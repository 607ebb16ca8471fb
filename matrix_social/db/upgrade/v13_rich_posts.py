"""v13: content warnings on comments; the profile's banner and pinned post."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Content warnings on comments; profile banner and pinned post"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    # A post's content warning is in its stored content (the post block's `cw`); a comment
    # stores only its text, so its warning gets a column.
    await conn.execute("ALTER TABLE comment ADD COLUMN cw TEXT")
    # From the profile state: the banner (an mxc URI) and the pinned post's event id, as
    # claimed; a pin counts only for the owner's own post in her feed room (db/profiles.py).
    await conn.execute("ALTER TABLE profile ADD COLUMN banner_url TEXT")
    await conn.execute("ALTER TABLE profile ADD COLUMN pinned_post TEXT")
