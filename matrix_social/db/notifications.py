"""notification: what happened to a user's posts, comments and feed, derived from index rows.

Every recipient and actor comes from the index (a like's post author from the post row, a
reply's target from the comment row), never from what the event claims: a like in a room that
is not the post's own, or a comment relation to a post of another room, made no index row and
so makes no notification. Nobody is notified of what they did themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from . import Executor

TYPES = ("like", "comment", "reply", "repost", "follow", "mention", "ai_answer")
MAX_ACTORS = 10
DAY_MS = 86_400_000

_COLUMNS = "(recipient, type, actor, event_id, post_id, comment_id, via, group_key, ts)"
_IGNORE = " ON CONFLICT (recipient, event_id) DO NOTHING"

_FROM_LIKE = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT p.author, 'like', l.user_id, l.event_id, l.post_id, NULL, NULL, "
    "'like:' || l.post_id, l.ts FROM post_like l JOIN post p ON p.event_id = l.post_id "
    "WHERE l.event_id = $1 AND p.author <> l.user_id" + _IGNORE)
_FROM_REPLY = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT t.author, 'reply', c.author, c.event_id, c.post_id, c.event_id, NULL, "
    "'reply:' || c.event_id, c.ts FROM comment c "
    "JOIN comment t ON t.event_id = c.in_reply_to AND t.post_id = c.post_id "
    "WHERE c.event_id = $1 AND t.author <> c.author" + _IGNORE)
_FROM_COMMENT = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT p.author, 'comment', c.author, c.event_id, c.post_id, c.event_id, NULL, "
    "'comment:' || c.event_id, c.ts FROM comment c JOIN post p ON p.event_id = c.post_id "
    "WHERE c.event_id = $1 AND p.author <> c.author" + _IGNORE)
_FROM_REPOST = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT o.author, 'repost', r.author, r.event_id, o.event_id, NULL, NULL, "
    "'repost:' || o.event_id, r.ts FROM post r JOIN post o ON o.event_id = r.repost_of "
    "WHERE r.event_id = $1 AND o.author <> r.author" + _IGNORE)
# A mention counts once its post or comment is indexed; the author comes from that row.
_FROM_MENTION = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT CAST($2 AS TEXT), 'mention', s.author, CAST($1 AS TEXT), s.post_id, s.comment_id, "
    "CAST($3 AS TEXT), 'mention:' || CAST($1 AS TEXT), s.ts "
    "FROM (SELECT author, event_id AS post_id, NULL AS comment_id, ts FROM post "
    "      WHERE event_id = $1 "
    "      UNION ALL SELECT author, post_id, event_id, ts FROM comment WHERE event_id = $1) s "
    "WHERE s.author <> CAST($2 AS TEXT) "
    "AND (CAST($3 AS TEXT) IS NULL OR s.author <> CAST($3 AS TEXT))" + _IGNORE)


async def derive(db: Executor, like_ids: Sequence[str], comment_ids: Sequence[str],
                 repost_ids: Sequence[str], mentions: Sequence[tuple]) -> None:
    """From the rows just written (in the same database transaction): likes, comments (a reply
    to a comment notifies its author first; the post's author is then told of a comment),
    reposts, and mentions as (event_id, recipient, via: the AI named, or None)."""
    if mentions:
        await db.executemany(_FROM_MENTION, mentions)
    if like_ids:
        await db.executemany(_FROM_LIKE, [(i,) for i in like_ids])
    if comment_ids:
        rows = [(i,) for i in comment_ids]
        await db.executemany(_FROM_REPLY, rows)
        await db.executemany(_FROM_COMMENT, rows)
    if repost_ids:
        await db.executemany(_FROM_REPOST, [(i,) for i in repost_ids])


async def follow(db: Executor, recipient: str, follower: str, event_id: str, ts: int) -> None:
    """Follows of the same day are one group."""
    if recipient == follower:
        return
    await db.execute(
        f"INSERT INTO notification {_COLUMNS} "
        "VALUES ($1, 'follow', $2, $3, NULL, NULL, NULL, $4, $5)" + _IGNORE,
        recipient, follower, event_id, f"follow:{ts // DAY_MS}", ts)


async def ai_answer(db: Executor, recipient: str, ai: str, event_id: str, room_id: str,
                    ts: int) -> None:
    await db.execute(
        f"INSERT INTO notification {_COLUMNS} "
        "VALUES ($1, 'ai_answer', $2, $3, NULL, NULL, $4, $5, $6)" + _IGNORE,
        recipient, ai, event_id, room_id, f"ai_answer:{event_id}", ts)


async def forget_removed(db: Executor, event_id: str) -> None:
    """After a redaction: the notification goes with the like, comment or post it came from
    (only once that row is gone, so a redaction that removed nothing removes nothing)."""
    await db.execute(
        "DELETE FROM notification WHERE event_id = $1 AND type IN "
        "('like', 'comment', 'reply', 'repost', 'mention') "
        "AND NOT EXISTS (SELECT 1 FROM post_like WHERE event_id = $1) "
        "AND NOT EXISTS (SELECT 1 FROM comment WHERE event_id = $1) "
        "AND NOT EXISTS (SELECT 1 FROM post WHERE event_id = $1)", event_id)


def _type_filter(types: Iterable[str] | None, first_param: int) -> tuple[str, list[str]]:
    chosen = [t for t in TYPES if types is None or t in types]
    marks = ", ".join(f"${first_param + i}" for i in range(len(chosen)))
    return f" AND type IN ({marks})", chosen


async def groups(db: Executor, recipient: str, types: Iterable[str] | None,
                 before: tuple[int, int] | None, limit: int) -> list:
    """A page of groups, newest first: (group_key, id = the group's newest row id, ts = its
    newest time, type, post_id, comment_id, via, actor_count), keyset before `before`
    (ts, id). Ordered by the events' time: one batch derives its rows kind by kind."""
    where, chosen = _type_filter(types, 5)
    ts, row_id = before if before is not None else (2**62, 2**62)
    return await db.fetch(
        "SELECT group_key, MAX(id) AS id, MAX(ts) AS ts, MIN(type) AS type, "
        "MIN(post_id) AS post_id, MIN(comment_id) AS comment_id, MIN(via) AS via, "
        "COUNT(DISTINCT actor) AS actor_count FROM notification "
        f"WHERE recipient = $1{where} GROUP BY group_key "
        "HAVING MAX(ts) < $2 OR (MAX(ts) = $2 AND MAX(id) < $3) "
        "ORDER BY MAX(ts) DESC, MAX(id) DESC LIMIT $4",
        recipient, ts, row_id, limit, *chosen)


async def actors(db: Executor, recipient: str, group_keys: Sequence[str]) -> dict[str, list[str]]:
    """Each group's actors, newest first, at most MAX_ACTORS each."""
    if not group_keys:
        return {}
    marks = ", ".join(f"${i + 3}" for i in range(len(group_keys)))
    rows = await db.fetch(
        "SELECT group_key, actor FROM (SELECT group_key, actor, ROW_NUMBER() OVER "
        "(PARTITION BY group_key ORDER BY MAX(ts) DESC, MAX(id) DESC) AS n FROM notification "
        f"WHERE recipient = $1 AND group_key IN ({marks}) GROUP BY group_key, actor) s "
        "WHERE n <= $2 ORDER BY group_key, n", recipient, MAX_ACTORS, *group_keys)
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["group_key"], []).append(row["actor"])
    return found


async def read_up_to(db: Executor, user_id: str) -> int:
    value = await db.fetchval("SELECT up_to FROM notification_read WHERE user_id = $1", user_id)
    return value or 0


async def newest_id(db: Executor, recipient: str) -> int:
    value = await db.fetchval("SELECT MAX(id) FROM notification WHERE recipient = $1",
                              recipient)
    return value or 0


async def mark_read(db: Executor, user_id: str, up_to: int) -> None:
    """Never moves back."""
    await db.execute(
        "INSERT INTO notification_read (user_id, up_to) VALUES ($1, $2) "
        "ON CONFLICT (user_id) DO UPDATE SET up_to = excluded.up_to "
        "WHERE excluded.up_to > notification_read.up_to", user_id, up_to)


async def unread_count(db: Executor, recipient: str) -> int:
    """Groups with something newer than the read position."""
    return await db.fetchval(
        "SELECT COUNT(DISTINCT group_key) FROM notification WHERE recipient = $1 AND id > "
        "COALESCE((SELECT up_to FROM notification_read WHERE user_id = $1), 0)", recipient)


async def post_bodies(db: Executor, post_ids: Sequence[str]) -> dict[str, str]:
    marks = ", ".join(f"${i + 1}" for i in range(len(post_ids)))
    rows = await db.fetch(f"SELECT event_id, body FROM post WHERE event_id IN ({marks})",
                          *post_ids)
    return {row["event_id"]: row["body"] or "" for row in rows}


async def recipients_of(db: Executor, event_ids: Sequence[str],
                        among: Sequence[str]) -> list[str]:
    """Who of `among` (the users with a live stream) these events notified."""
    if not event_ids or not among:
        return []
    events = ", ".join(f"${i + 1}" for i in range(len(event_ids)))
    users = ", ".join(f"${i + 1 + len(event_ids)}" for i in range(len(among)))
    rows = await db.fetch(
        f"SELECT DISTINCT recipient FROM notification WHERE event_id IN ({events}) "
        f"AND recipient IN ({users})", *event_ids, *among)
    return [row["recipient"] for row in rows]
