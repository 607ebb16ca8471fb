"""profile: display name and avatar (member events) and bio, links, interests (profile state)."""

from __future__ import annotations

import json

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


async def set_details(db: Database, user_id: str, bio: str, links: list, interests: list[str]):
    async with db.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO profile (user_id, bio, links, interests) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (user_id) DO UPDATE SET bio=excluded.bio, links=excluded.links, "
            "interests=excluded.interests",
            user_id, bio, json.dumps(links), json.dumps(interests),
        )
        await conn.execute("DELETE FROM interest WHERE user_id=$1", user_id)
        for tag in interests:
            await conn.execute(
                "INSERT INTO interest (user_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                user_id, tag,
            )


async def full(db: Database, user_id: str):
    return await db.fetchrow("SELECT * FROM profile WHERE user_id=$1", user_id)
