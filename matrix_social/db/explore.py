"""Explore reads: trending posts and apps, and the raw signals behind suggestions."""

from __future__ import annotations

from mautrix.util.async_db import Database

from .apps import FORKS


async def trending_keys(db: Database, since: int, until: int, limit: int) -> list:
    """(event_id, trend, ts) of the posts most liked in [since, until], most first; ties
    newer first, counted from scratch over every like in the window: what the kept ranking
    (db/trending.py) must always equal (tests, the bench's before)."""
    return await db.fetch(
        """
        WITH t AS (
            SELECT l.post_id AS event_id, COUNT(DISTINCT l.user_id) AS n, p.ts AS ts
            FROM post_like l JOIN post p ON p.event_id = l.post_id
            WHERE l.ts >= $1 AND l.ts <= $2
            GROUP BY l.post_id, p.ts
        )
        SELECT t.event_id, t.n AS trend, t.ts FROM t
        ORDER BY t.n DESC, t.ts DESC, t.event_id DESC LIMIT $3
        """,
        since, until, limit,
    )


async def trending_apps(db: Database, after: tuple[int, str] | None, limit: int) -> list:
    """Apps by their installs in the kept 7-day window (db/trending.py), most first."""
    keyset = ""
    args: list = [limit]
    if after is not None:
        keyset = "WHERE t.trend < $2 OR (t.trend = $2 AND t.app_id > $3)"
        args += list(after)
    return await db.fetch(
        f"""
        SELECT t.trend AS installs_recent, a.*,
               (SELECT COUNT(*) FROM app_install x WHERE x.app_id = a.app_id) AS installs,
               {FORKS}
        FROM trending_app_score t JOIN app a ON a.app_id = t.app_id
        {keyset}
        ORDER BY t.trend DESC, t.app_id ASC LIMIT $1
        """,
        *args,
    )


async def shared_interests(db: Database, user: str, cap: int = 500) -> list:
    return await db.fetch(
        "SELECT o.user_id, o.tag FROM interest me JOIN interest o ON o.tag = me.tag "
        "WHERE me.user_id = $1 AND o.user_id <> $1 LIMIT $2", user, cap,
    )


async def popular_interests(db: Database, limit: int) -> list:
    """The interests most people name, with how many name each (ties: alphabetical)."""
    return await db.fetch(
        "SELECT tag, COUNT(*) AS people FROM interest GROUP BY tag "
        "ORDER BY people DESC, tag LIMIT $1", limit,
    )


async def shared_apps(db: Database, user: str, cap: int = 500) -> list:
    return await db.fetch(
        "SELECT o.user_id, a.name FROM app_install me "
        "JOIN app_install o ON o.app_id = me.app_id JOIN app a ON a.app_id = me.app_id "
        "WHERE me.user_id = $1 AND o.user_id <> $1 LIMIT $2", user, cap,
    )


async def followed_by_followed(db: Database, user: str, cap: int = 500) -> list:
    """(candidate, how many people the user follows follow them)."""
    return await db.fetch(
        """
        SELECT r2.owner AS user_id, COUNT(DISTINCT f2.user_id) AS n
        FROM follow f1 JOIN feed_room r1 ON r1.room_id = f1.room_id
        JOIN follow f2 ON f2.user_id = r1.owner
        JOIN feed_room r2 ON r2.room_id = f2.room_id
        WHERE f1.user_id = $1 GROUP BY r2.owner ORDER BY n DESC LIMIT $2
        """,
        user, cap,
    )


async def followed_owners(db: Database, user: str) -> set[str]:
    rows = await db.fetch(
        "SELECT r.owner FROM follow f JOIN feed_room r ON r.room_id = f.room_id "
        "WHERE f.user_id = $1", user,
    )
    return {row["owner"] for row in rows}
