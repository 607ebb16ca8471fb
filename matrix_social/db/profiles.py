"""profile: display name and avatar of feed owners, from their member events."""

from mautrix.util.async_db import Database


async def upsert(db: Database, user_id: str, displayname: str | None, avatar_url: str | None):
    await db.execute(
        "INSERT INTO profile (user_id, displayname, avatar_url) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET displayname=excluded.displayname, "
        "avatar_url=excluded.avatar_url",
        user_id, displayname, avatar_url,
    )


async def get(db: Database, user_id: str) -> tuple[str | None, str | None]:
    row = await db.fetchrow("SELECT displayname, avatar_url FROM profile WHERE user_id=$1", user_id)
    return (row["displayname"], row["avatar_url"]) if row else (None, None)
