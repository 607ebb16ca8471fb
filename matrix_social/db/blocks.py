"""user_block: whom each person blocked (and the AIs blocked along with a person, `via`)."""

from __future__ import annotations

from . import Executor


async def add(db: Executor, owner: str, blocked: str, via: str | None, ts: int) -> None:
    await db.execute(
        "INSERT INTO user_block (owner, blocked, via, ts) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (owner, blocked) DO NOTHING", owner, blocked, via, ts)


async def remove(db: Executor, owner: str, blocked: str) -> list[str]:
    """Unblock him and whatever was blocked along with him; the ids that were unblocked."""
    rows = await db.fetch(
        "SELECT blocked FROM user_block WHERE owner=$1 AND (blocked=$2 OR via=$2)",
        owner, blocked)
    await db.execute("DELETE FROM user_block WHERE owner=$1 AND (blocked=$2 OR via=$2)",
                     owner, blocked)
    return [row["blocked"] for row in rows]


async def blocked_by(db: Executor, owner: str) -> set[str]:
    rows = await db.fetch("SELECT blocked FROM user_block WHERE owner=$1", owner)
    return {row["blocked"] for row in rows}


async def is_blocked(db: Executor, owner: str, user_id: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM user_block WHERE owner=$1 AND blocked=$2", owner, user_id) is not None


async def page(db: Executor, owner: str, after: tuple[int, str] | None, limit: int) -> list:
    """Her blocks, oldest first (keyset on (ts, blocked)); rows brought along are listed too."""
    if after is None:
        return await db.fetch(
            "SELECT blocked, via, ts FROM user_block WHERE owner=$1 "
            "ORDER BY ts, blocked LIMIT $2", owner, limit)
    return await db.fetch(
        "SELECT blocked, via, ts FROM user_block WHERE owner=$1 "
        "AND (ts > $2 OR (ts = $2 AND blocked > $3)) ORDER BY ts, blocked LIMIT $4",
        owner, after[0], after[1], limit)


async def their_marks_in_room(db: Executor, room_id: str, user_id: str,
                              limit: int) -> tuple[list[str], list[str]]:
    """His likes and comments on the posts of one room (event ids, newest first)."""
    likes = await db.fetch(
        "SELECT l.event_id FROM post_like l JOIN post p ON p.event_id = l.post_id "
        "WHERE p.room_id=$1 AND l.user_id=$2 ORDER BY l.ts DESC LIMIT $3",
        room_id, user_id, limit)
    comments = await db.fetch(
        "SELECT event_id FROM comment WHERE room_id=$1 AND author=$2 "
        "ORDER BY ts DESC LIMIT $3", room_id, user_id, limit)
    return [r["event_id"] for r in likes], [r["event_id"] for r in comments]


async def their_reposts_of_room(db: Executor, room_id: str, user_id: str, limit: int) -> list:
    """His reposts of the posts of one room: (event_id, content) rows, newest first."""
    return await db.fetch(
        "SELECT r.event_id, r.content FROM post r JOIN post o ON o.event_id = r.repost_of "
        "WHERE o.room_id=$1 AND r.author=$2 ORDER BY r.ts DESC LIMIT $3",
        room_id, user_id, limit)


async def counts_by_blocked(db: Executor, owner: str, post_ids: list[str]
                            ) -> dict[str, dict[str, int]]:
    """Of these posts, how many likes, comments and reposts come from people `owner` blocked."""
    if not post_ids:
        return {}
    marks = ", ".join(f"${i + 2}" for i in range(len(post_ids)))
    blocked = "(SELECT b.blocked FROM user_block b WHERE b.owner = $1)"
    found: dict[str, dict[str, int]] = {}
    for name, sql in (
            ("likes", f"SELECT post_id AS id, COUNT(DISTINCT user_id) AS n FROM post_like "
                      f"WHERE post_id IN ({marks}) AND user_id IN {blocked} GROUP BY post_id"),
            ("comments", f"SELECT post_id AS id, COUNT(*) AS n FROM comment "
                         f"WHERE post_id IN ({marks}) AND author IN {blocked} GROUP BY post_id"),
            ("reposts", f"SELECT repost_of AS id, COUNT(DISTINCT author) AS n FROM post "
                        f"WHERE repost_of IN ({marks}) AND author IN {blocked} "
                        f"GROUP BY repost_of")):
        for row in await db.fetch(sql, owner, *post_ids):
            found.setdefault(row["id"], {})[name] = row["n"]
    return found
