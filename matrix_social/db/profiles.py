"""profile: display name and avatar (member events) and bio, links, interests (profile state).

Each part keeps the time it was last set (`member_ts`, `details_ts`): a write older than that
changes nothing, so an event delivered late cannot undo a newer one."""

from __future__ import annotations

import json
from collections.abc import Sequence

from . import Executor


async def upsert(db: Executor, user_id: str, displayname: str | None, avatar_url: str | None,
                 ts: int):
    await db.execute(
        "INSERT INTO profile (user_id, displayname, avatar_url, member_ts) "
        "VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (user_id) DO UPDATE SET displayname=excluded.displayname, "
        "avatar_url=excluded.avatar_url, member_ts=excluded.member_ts "
        "WHERE profile.member_ts IS NULL OR profile.member_ts <= excluded.member_ts",
        user_id, displayname, avatar_url, ts,
    )


async def get(db: Executor, user_id: str) -> tuple[str | None, str | None]:
    row = await db.fetchrow("SELECT displayname, avatar_url FROM profile WHERE user_id=$1", user_id)
    return (row["displayname"], row["avatar_url"]) if row else (None, None)


async def get_many(db: Executor,
                   user_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """Several users' (displayname, avatar_url) in one query; (None, None) for the unknown."""
    found: dict[str, tuple[str | None, str | None]] = dict.fromkeys(user_ids, (None, None))
    if user_ids:
        marks = ", ".join(f"${i + 1}" for i in range(len(user_ids)))
        for row in await db.fetch("SELECT user_id, displayname, avatar_url FROM profile "
                                  f"WHERE user_id IN ({marks})", *user_ids):
            found[row["user_id"]] = (row["displayname"], row["avatar_url"])
    return found


async def set_details(db: Executor, user_id: str, bio: str, links: list, interests: list[str],
                      banner_url: str | None, pinned_post: str | None, ts: int):
    """Inside the caller's transaction, if any: a crash in between is repaired by the
    homeserver's retry of the whole appservice transaction. The age check is part of the
    upsert: two writers (the API's own copy of a newer event, the homeserver's late copy of
    an older one) that both read the row before either wrote must not let the older win."""
    written = await db.fetchval(
        "INSERT INTO profile (user_id, bio, links, interests, banner_url, pinned_post, "
        "details_ts) VALUES ($1, $2, $3, $4, $5, $6, $7) "
        "ON CONFLICT (user_id) DO UPDATE SET bio=excluded.bio, links=excluded.links, "
        "interests=excluded.interests, banner_url=excluded.banner_url, "
        "pinned_post=excluded.pinned_post, details_ts=excluded.details_ts "
        "WHERE profile.details_ts IS NULL OR profile.details_ts <= excluded.details_ts "
        "RETURNING 1",
        user_id, bio, json.dumps(links), json.dumps(interests), banner_url, pinned_post, ts,
    )
    if not written:
        return
    await db.execute("DELETE FROM interest WHERE user_id=$1", user_id)
    await db.executemany(
        "INSERT INTO interest (user_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(user_id, tag) for tag in interests],
    )


async def set_bio(db: Executor, user_id: str, bio: str, ts: int) -> None:
    await db.execute(
        "INSERT INTO profile (user_id, bio, details_ts) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id) DO UPDATE SET bio=excluded.bio, details_ts=excluded.details_ts "
        "WHERE profile.details_ts IS NULL OR profile.details_ts <= excluded.details_ts",
        user_id, bio, ts)


async def full(db: Executor, user_id: str):
    return await db.fetchrow("SELECT * FROM profile WHERE user_id=$1", user_id)
