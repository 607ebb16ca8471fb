"""follow: members of a feed room who follow it (not its owner, not like/comment-only joins)."""

from __future__ import annotations

from mautrix.util.async_db import Database


async def upsert(db: Database, room_id: str, user_id: str, ts: int) -> None:
    """From the member event itself: its timestamp is the truth."""
    await db.execute(
        "INSERT INTO follow (room_id, user_id, ts) VALUES ($1, $2, $3) "
        "ON CONFLICT (room_id, user_id) DO UPDATE SET ts=excluded.ts",
        room_id, user_id, ts,
    )


async def upsert_provisional(db: Database, room_id: str, user_id: str, ts: int) -> None:
    """Right after our own join, before its event arrives with the homeserver's timestamp."""
    await db.execute(
        "INSERT INTO follow (room_id, user_id, ts) VALUES ($1, $2, $3) "
        "ON CONFLICT (room_id, user_id) DO NOTHING",
        room_id, user_id, ts,
    )


async def delete(db: Database, room_id: str, user_id: str) -> None:
    await db.execute("DELETE FROM follow WHERE room_id=$1 AND user_id=$2", room_id, user_id)


async def is_following(db: Database, room_id: str, user_id: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM follow WHERE room_id=$1 AND user_id=$2", room_id, user_id
    ) is not None


async def count_followers(db: Database, room_id: str) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM follow WHERE room_id=$1", room_id)


async def count_following(db: Database, user_id: str) -> int:
    return await db.fetchval(
        "SELECT COUNT(*) FROM follow f JOIN feed_room r ON r.room_id=f.room_id "
        "WHERE f.user_id=$1", user_id,
    )


async def followers_page(db: Database, room_id: str, after: tuple[int, str] | None,
                         limit: int) -> list:
    if after is None:
        return await db.fetch(
            "SELECT user_id, ts FROM follow WHERE room_id=$1 ORDER BY ts DESC, user_id DESC "
            "LIMIT $2", room_id, limit,
        )
    return await db.fetch(
        "SELECT user_id, ts FROM follow WHERE room_id=$1 "
        "AND (ts < $2 OR (ts = $2 AND user_id < $3)) ORDER BY ts DESC, user_id DESC LIMIT $4",
        room_id, after[0], after[1], limit,
    )


async def following_page(db: Database, user_id: str, after: tuple[int, str] | None,
                         limit: int) -> list:
    base = ("SELECT r.owner AS user_id, f.ts FROM follow f JOIN feed_room r "
            "ON r.room_id=f.room_id WHERE f.user_id=$1 ")
    if after is None:
        return await db.fetch(base + "ORDER BY f.ts DESC, r.owner DESC LIMIT $2", user_id, limit)
    return await db.fetch(
        base + "AND (f.ts < $2 OR (f.ts = $2 AND r.owner < $3)) "
        "ORDER BY f.ts DESC, r.owner DESC LIMIT $4",
        user_id, after[0], after[1], limit,
    )


async def people_details(db: Database, viewer: str, user_ids: list[str]) -> tuple[dict, set]:
    """For a page of people: their profile rows by user id, and which of them the viewer
    follows (two round trips, whatever the page's size)."""
    if not user_ids:
        return {}, set()
    rows = await db.fetch(
        "SELECT user_id, displayname, avatar_url, bio FROM profile WHERE user_id IN ("
        + ", ".join(f"${i + 1}" for i in range(len(user_ids))) + ")", *user_ids)
    marks = ", ".join(f"${i + 2}" for i in range(len(user_ids)))
    followed = await db.fetch(
        "SELECT r.owner FROM follow f JOIN feed_room r ON r.room_id = f.room_id "
        f"WHERE f.user_id = $1 AND r.owner IN ({marks})", viewer, *user_ids)
    return {row["user_id"]: row for row in rows}, {row["owner"] for row in followed}


async def rooms_of(db: Database, user_id: str, limit: int) -> list:
    """The rooms she follows, newest follow first: each a feed (its owner) or a group (its
    name)."""
    return await db.fetch(
        "SELECT f.room_id, f.ts, r.owner, g.name AS group_name FROM follow f "
        "LEFT JOIN feed_room r ON r.room_id = f.room_id "
        "LEFT JOIN group_room g ON g.room_id = f.room_id "
        "WHERE f.user_id = $1 AND (r.room_id IS NOT NULL OR g.room_id IS NOT NULL) "
        "ORDER BY f.ts DESC, f.room_id DESC LIMIT $2", user_id, limit)
