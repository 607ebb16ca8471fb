"""user_block: whom each person blocked (and the AIs blocked along with a person, `via`)."""

from __future__ import annotations

from . import Executor


async def add(db: Executor, owner: str, blocked: str, via: str | None, ts: int) -> None:
    await db.execute(
        "INSERT INTO user_block (owner, blocked, via, ts) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (owner, blocked) DO NOTHING", owner, blocked, via, ts)


async def add_all(db: Executor, owner: str, targets: list[str], person: str, ts: int) -> None:
    """Her block of `person` and of the others of `targets` (his AI), brought along by him."""
    for blocked in targets:
        await add(db, owner, blocked, None if blocked == person else person, ts)


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


async def owners_among(db: Executor, users: list[str]) -> set[str]:
    """Which of these people blocked anybody (whose counts leave somebody out)."""
    if not users:
        return set()
    marks = ", ".join(f"${i + 1}" for i in range(len(users)))
    rows = await db.fetch(
        f"SELECT DISTINCT owner FROM user_block WHERE owner IN ({marks})", *users)
    return {row["owner"] for row in rows}


async def is_blocked(db: Executor, owner: str, user_id: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM user_block WHERE owner=$1 AND blocked=$2", owner, user_id) is not None


async def blockers_among(db: Executor, user_id: str, among: list[str]) -> set[str]:
    """Who of `among` has blocked `user_id`."""
    if not among:
        return set()
    marks = ", ".join(f"${i + 2}" for i in range(len(among)))
    rows = await db.fetch(
        f"SELECT owner FROM user_block WHERE blocked=$1 AND owner IN ({marks})",
        user_id, *among)
    return {row["owner"] for row in rows}


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


def counts_by_blocked_sql(posts: int) -> str:
    """The statement of counts_by_blocked for `posts` post ids ($1 the owner, then the ids)."""
    marks = ", ".join(f"${i + 2}" for i in range(posts))
    return ("SELECT post_id, likes, comments, reposts FROM blocked_mark_count "
            f"WHERE owner = $1 AND post_id IN ({marks})")


async def counts_by_blocked(db: Executor, owner: str, post_ids: list[str]
                            ) -> dict[str, dict[str, int]]:
    """Of these posts, how many likes, comments and reposts come from people `owner` blocked,
    counted as post_count counts them (distinct likers, every comment, every repost row): her
    rows of blocked_mark_count, kept by the database's triggers (v26), read by key. Only the
    counts above zero are given."""
    if not post_ids:
        return {}
    found: dict[str, dict[str, int]] = {}
    for row in await db.fetch(counts_by_blocked_sql(len(post_ids)), owner, *post_ids):
        counts = {name: row[name] for name in ("likes", "comments", "reposts") if row[name]}
        if counts:
            found[row["post_id"]] = counts
    return found
