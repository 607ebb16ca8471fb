"""profile: display name and avatar (member events) and bio, links, interests (profile state)."""

from __future__ import annotations

import json

from . import Executor


async def upsert(db: Executor, user_id: str, displayname: str | None, avatar_url: str | None):
    await db.execute(
        "INSERT INTO profile (user_id, displayname, avatar_url) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET displayname=excluded.displayname, "
        "avatar_url=excluded.avatar_url",
        user_id, displayname, avatar_url,
    )


async def get(db: Executor, user_id: str) -> tuple[str | None, str | None]:
    row = await db.fetchrow("SELECT displayname, avatar_url FROM profile WHERE user_id=$1", user_id)
    return (row["displayname"], row["avatar_url"]) if row else (None, None)


async def set_details(db: Executor, user_id: str, bio: str, links: list, interests: list[str],
                      banner_url: str | None = None, pinned_post: str | None = None):
    """Inside the caller's transaction, if any: a crash in between is repaired by the
    homeserver's retry of the whole appservice transaction."""
    await db.execute(
        "INSERT INTO profile (user_id, bio, links, interests, banner_url, pinned_post) "
        "VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (user_id) DO UPDATE SET bio=excluded.bio, links=excluded.links, "
        "interests=excluded.interests, banner_url=excluded.banner_url, "
        "pinned_post=excluded.pinned_post",
        user_id, bio, json.dumps(links), json.dumps(interests), banner_url, pinned_post,
    )
    await db.execute("DELETE FROM interest WHERE user_id=$1", user_id)
    await db.executemany(
        "INSERT INTO interest (user_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(user_id, tag) for tag in interests],
    )


async def set_bio(db: Executor, user_id: str, bio: str) -> None:
    await db.execute(
        "INSERT INTO profile (user_id, bio) VALUES ($1, $2) "
        "ON CONFLICT (user_id) DO UPDATE SET bio=excluded.bio", user_id, bio)


async def full(db: Executor, user_id: str):
    return await db.fetchrow("SELECT * FROM profile WHERE user_id=$1", user_id)
