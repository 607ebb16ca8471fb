"""Explore reads: trending posts and apps, and the raw signals behind suggestions."""

from __future__ import annotations

from mautrix.util.async_db import Database

from .apps import FORKS
from .feed import SELECT_POST


async def trending_keys(db: Database, since: int, until: int,
                        after: tuple[int, int, str] | None, limit: int) -> list:
    """(event_id, trend, ts) of the posts most liked in [since, until], most first; ties
    newer first. The expensive part of trending (it aggregates every like in the window)."""
    keyset = ""
    args: list = [since, until, limit]
    if after is not None:
        keyset = ("WHERE t.n < $4 OR (t.n = $4 AND (t.ts < $5 OR "
                  "(t.ts = $5 AND t.event_id < $6)))")
        args += list(after)
    return await db.fetch(
        f"""
        WITH t AS (
            SELECT l.post_id AS event_id, COUNT(DISTINCT l.user_id) AS n, p.ts AS ts
            FROM post_like l JOIN post p ON p.event_id = l.post_id
            WHERE l.ts >= $1 AND l.ts <= $2
            GROUP BY l.post_id, p.ts
        )
        SELECT t.event_id, t.n AS trend, t.ts FROM t {keyset}
        ORDER BY t.n DESC, t.ts DESC, t.event_id DESC LIMIT $3
        """,
        *args,
    )


async def posts_with_trend(db: Database, viewer: str, keys: list) -> list[dict]:
    """The posts of `keys` (from trending_keys) as feed rows plus `trend`, in keys' order;
    posts deleted since are left out."""
    if not keys:
        return []
    marks = ", ".join(f"${i + 2}" for i in range(len(keys)))
    rows = await db.fetch(f"{SELECT_POST} WHERE p.event_id IN ({marks})", viewer,
                          *[key["event_id"] for key in keys])
    # Rows of asyncpg and sqlite3 both have keys(); iterating them gives values, not keys.
    by_id = {row["event_id"]: {k: row[k] for k in row.keys()} for row in rows}  # noqa: SIM118
    return [{**by_id[key["event_id"]], "trend": key["trend"]}
            for key in keys if key["event_id"] in by_id]


async def trending_posts(db: Database, viewer: str, since: int, until: int,
                         after: tuple[int, int, str] | None, limit: int) -> list:
    """Posts by likes in [since, until], most first; ties newer first."""
    return await posts_with_trend(db, viewer, await trending_keys(db, since, until, after, limit))


async def trending_apps(db: Database, since: int, until: int,
                        after: tuple[int, str] | None, limit: int) -> list:
    keyset = ""
    args: list = [since, until, limit]
    if after is not None:
        keyset = "WHERE t.n < $4 OR (t.n = $4 AND t.app_id > $5)"
        args += list(after)
    return await db.fetch(
        f"""
        WITH t AS (
            SELECT i.app_id, COUNT(*) AS n FROM app_install i
            WHERE i.ts >= $1 AND i.ts <= $2 GROUP BY i.app_id
        )
        SELECT t.n AS installs_recent, a.*,
               (SELECT COUNT(*) FROM app_install x WHERE x.app_id = a.app_id) AS installs,
               {FORKS}
        FROM t JOIN app a ON a.app_id = t.app_id
        {keyset}
        ORDER BY t.n DESC, t.app_id ASC LIMIT $3
        """,
        *args,
    )


async def shared_interests(db: Database, user: str, cap: int = 500) -> list:
    return await db.fetch(
        "SELECT o.user_id, o.tag FROM interest me JOIN interest o ON o.tag = me.tag "
        "WHERE me.user_id = $1 AND o.user_id <> $1 LIMIT $2", user, cap,
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
