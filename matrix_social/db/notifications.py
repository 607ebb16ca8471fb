"""notification: what happened to a user's posts, comments and feed, derived from index rows.

Every recipient and actor comes from the index (a like's post author from the post row, a
reply's target from the comment row), never from what the event claims: a like in a room that
is not the post's own, or a comment relation to a post of another room, made no index row and
so makes no notification. Nobody is notified of what they did themselves.

Nobody is notified by someone they blocked or muted (docs/events.md, "Notifications"): while a
block or an active mute stands, a row is not even derived (a notification that arrives during
a mute never comes back); and every read leaves out the rows of actors she blocks or mutes now
(what arrived before a mute is hidden while it lasts and shown again after). A block also
deletes his rows to her (`forget_actors`): they do not come back at an unblock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..clock import now_ms
from . import Executor

TYPES = ("like", "comment", "reply", "repost", "follow", "mention", "ai_answer")
MAX_ACTORS = 10
DAY_MS = 86_400_000

_COLUMNS = "(recipient, type, actor, event_id, post_id, comment_id, via, group_key, ts)"
_IGNORE = " ON CONFLICT (recipient, event_id) DO NOTHING"
# Types whose text (a comment's, a mentioning post's) her muted words are looked for in.
WORDED = ("comment", "reply", "mention")


def _allowed(recipient: str, actor: str, now: str) -> str:
    """SQL: `actor` is neither blocked by `recipient` nor muted by her at `now`."""
    return (f" AND NOT EXISTS (SELECT 1 FROM user_block b WHERE b.owner = {recipient} "
            f"AND b.blocked = {actor}) AND NOT EXISTS (SELECT 1 FROM user_mute m "
            f"WHERE m.owner = {recipient} AND m.muted = {actor} "
            f"AND (m.expires_at IS NULL OR m.expires_at > {now}))")



_FROM_LIKE = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT p.author, 'like', l.user_id, l.event_id, l.post_id, NULL, NULL, "
    "'like:' || l.post_id, l.ts FROM post_like l JOIN post p ON p.event_id = l.post_id "
    "WHERE l.event_id = $1 AND p.author <> l.user_id"
    + _allowed("p.author", "l.user_id", "CAST($2 AS BIGINT)") + _IGNORE)
_FROM_REPLY = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT t.author, 'reply', c.author, c.event_id, c.post_id, c.event_id, NULL, "
    "'reply:' || c.event_id, c.ts FROM comment c "
    "JOIN comment t ON t.event_id = c.in_reply_to AND t.post_id = c.post_id "
    "WHERE c.event_id = $1 AND t.author <> c.author"
    + _allowed("t.author", "c.author", "CAST($2 AS BIGINT)") + _IGNORE)
_FROM_COMMENT = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT p.author, 'comment', c.author, c.event_id, c.post_id, c.event_id, NULL, "
    "'comment:' || c.event_id, c.ts FROM comment c JOIN post p ON p.event_id = c.post_id "
    "WHERE c.event_id = $1 AND p.author <> c.author"
    + _allowed("p.author", "c.author", "CAST($2 AS BIGINT)") + _IGNORE)
_FROM_REPOST = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT o.author, 'repost', r.author, r.event_id, o.event_id, NULL, NULL, "
    "'repost:' || o.event_id, r.ts FROM post r JOIN post o ON o.event_id = r.repost_of "
    "WHERE r.event_id = $1 AND o.author <> r.author"
    + _allowed("o.author", "r.author", "CAST($2 AS BIGINT)") + _IGNORE)
# A mention counts once its post or comment is indexed; the author comes from that row.
_FROM_MENTION = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT CAST($2 AS TEXT), 'mention', s.author, CAST($1 AS TEXT), s.post_id, s.comment_id, "
    "CAST($3 AS TEXT), 'mention:' || CAST($1 AS TEXT), s.ts "
    "FROM (SELECT author, event_id AS post_id, NULL AS comment_id, ts FROM post "
    "      WHERE event_id = $1 "
    "      UNION ALL SELECT author, post_id, event_id, ts FROM comment WHERE event_id = $1) s "
    "WHERE s.author <> CAST($2 AS TEXT) "
    "AND (CAST($3 AS TEXT) IS NULL OR s.author <> CAST($3 AS TEXT))"
    + _allowed("CAST($2 AS TEXT)", "s.author", "CAST($4 AS BIGINT)") + _IGNORE)


async def derive(db: Executor, like_ids: Sequence[str], comment_ids: Sequence[str],
                 repost_ids: Sequence[str], mentions: Sequence[tuple],
                 now: int | None = None) -> None:
    """From the rows just written (in the same database transaction): likes, comments (a reply
    to a comment notifies its author first; the post's author is then told of a comment),
    reposts, and mentions as (event_id, recipient, via: the AI named, or None). Nothing from
    someone the recipient blocked, or muted at `now`."""
    now = now_ms() if now is None else now
    if mentions:
        await db.executemany(_FROM_MENTION, [(*m, now) for m in mentions])
    if like_ids:
        await db.executemany(_FROM_LIKE, [(i, now) for i in like_ids])
    if comment_ids:
        rows = [(i, now) for i in comment_ids]
        await db.executemany(_FROM_REPLY, rows)
        await db.executemany(_FROM_COMMENT, rows)
    if repost_ids:
        await db.executemany(_FROM_REPOST, [(i, now) for i in repost_ids])


_ONE = (
    f"INSERT INTO notification {_COLUMNS} "
    "SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), NULL, NULL, "
    "CAST($5 AS TEXT), CAST($6 AS TEXT), CAST($7 AS BIGINT) WHERE CAST($1 AS TEXT) <> "
    "CAST($3 AS TEXT)" + _allowed("CAST($1 AS TEXT)", "CAST($3 AS TEXT)", "CAST($8 AS BIGINT)")
    + _IGNORE)


async def follow(db: Executor, recipient: str, follower: str, event_id: str, ts: int,
                 now: int | None = None) -> None:
    """Follows of the same day are one group."""
    await db.execute(_ONE, recipient, "follow", follower, event_id, None,
                     f"follow:{ts // DAY_MS}", ts, now_ms() if now is None else now)


async def ai_answer(db: Executor, recipient: str, asker: str, event_id: str, room_id: str,
                    ts: int, now: int | None = None) -> None:
    """Her AI answered `asker` in a public room (`via`: the room); never for her own
    questions, nor for someone she blocked or muted."""
    await db.execute(_ONE, recipient, "ai_answer", asker, event_id, room_id,
                     f"ai_answer:{event_id}", ts, now_ms() if now is None else now)


async def forget_actors(db: Executor, recipient: str, actors: Sequence[str]) -> int:
    """A block: every notification these people gave her goes, for good."""
    gone = 0
    for actor in actors:
        gone += await db.fetchval(
            "SELECT COUNT(*) FROM notification WHERE recipient = $1 AND actor = $2",
            recipient, actor) or 0
        await db.execute("DELETE FROM notification WHERE recipient = $1 AND actor = $2",
                         recipient, actor)
    return gone


async def forget_removed(db: Executor, event_id: str) -> set[str]:
    """After a redaction: the notification goes with the like, comment or post it came from
    (only once that row is gone, so a redaction that removed nothing removes nothing). Returns
    whom it had notified."""
    rows = await db.fetch(
        "DELETE FROM notification WHERE event_id = $1 AND type IN "
        "('like', 'comment', 'reply', 'repost', 'mention') "
        "AND NOT EXISTS (SELECT 1 FROM post_like WHERE event_id = $1) "
        "AND NOT EXISTS (SELECT 1 FROM comment WHERE event_id = $1) "
        "AND NOT EXISTS (SELECT 1 FROM post WHERE event_id = $1) RETURNING recipient", event_id)
    return {row["recipient"] for row in rows}


def _type_filter(types: Iterable[str] | None, first_param: int) -> tuple[str, list[str]]:
    chosen = [t for t in TYPES if types is None or t in types]
    marks = ", ".join(f"${first_param + i}" for i in range(len(chosen)))
    return f" AND type IN ({marks})", chosen


def _seen(actor: str) -> str:
    """SQL: she ($1) neither blocks nor mutes `actor` at $2. A block is an index probe; her
    mutes (a few) are read once a statement into a hash (NOT IN a subquery: a PostgreSQL plan
    made for one row read them all again for every row; `muted` and the actors are never
    NULL)."""
    return (f"NOT EXISTS (SELECT 1 FROM user_block b WHERE b.owner = $1 AND b.blocked = {actor}) "
            f"AND {actor} NOT IN (SELECT m.muted FROM user_mute m WHERE m.owner = $1 "
            "AND (m.expires_at IS NULL OR m.expires_at > $2))")


_NEWEST_SEEN = f"{_seen('g.id_actor')} AND {_seen('g.ts_actor')}"
# Her kept groups (upgrade v27: triggers keep them) whose newest rows she sees keep their
# place: the page's first `limit` of them, walked one group at a time down the index on
# (recipient, ts, id) from the cursor (each step the next group, ORDER BY ... LIMIT 1: a read
# whose plan does not depend on how many groups she has, where a filtered read of `limit`
# groups was planned for the average recipient, 32 groups, and read all 40,000 of hers).
_WALK = (
    "walk(group_key, ts, id, type, post_id, comment_id, via, shown, found) AS ("
    "SELECT CAST(NULL AS TEXT), CAST($3 AS BIGINT), CAST($4 AS BIGINT), CAST(NULL AS TEXT), "
    "CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), 0, 0 UNION ALL "
    "SELECT g.group_key, g.ts, g.id, g.type, g.post_id, g.comment_id, g.via, "
    f"CASE WHEN {_NEWEST_SEEN} THEN 1 ELSE 0 END, w.found + w.shown FROM walk w "
    "JOIN notification_group g ON g.recipient = $1 AND g.group_key = ("
    "SELECT x.group_key FROM notification_group x WHERE x.recipient = $1{types} "
    "AND (x.ts, x.id) < (w.ts, w.id) ORDER BY x.ts DESC, x.id DESC LIMIT 1) "
    "WHERE w.found + w.shown < $5)")
_KEPT = ("kept AS (SELECT group_key, id, ts, type, post_id, comment_id, via FROM walk "
         "WHERE shown = 1)")
# No group she sees, kept or not, is placed below the last of a full page of kept ones.
_FLOOR = ("floor AS (SELECT CASE WHEN (SELECT COUNT(*) FROM kept) < $5 THEN -1 "
          "ELSE (SELECT MIN(ts) FROM kept) END AS ts)")
# The other groups that can make the page: those whose newest rows she does not see and that
# have a row she sees in the page's window of time (from the floor to the cursor: their newest
# row she sees is one of those), found by the index on (recipient, ts) (v28).
_DISPLACED = (
    "displaced AS (SELECT g.group_key, g.type, g.post_id, g.comment_id, g.via "
    "FROM notification_group g WHERE g.recipient = $1{types_g} AND g.group_key IN ("
    "SELECT n.group_key FROM notification n WHERE n.recipient = $1 "
    f"AND n.ts >= (SELECT ts FROM floor) AND n.ts <= $3 AND {_seen('n.actor')}) "
    f"AND NOT ({_NEWEST_SEEN}))")
_ROWS_SEEN = ("FROM notification n WHERE n.recipient = $1 AND n.group_key = d.group_key "
              f"AND {_seen('n.actor')}")
# Placed by the rows she sees (a group's type, post, comment and via are the same on all its
# rows: v27).
_REDONE = (
    f"redone AS (SELECT d.group_key, (SELECT MAX(n.id) {_ROWS_SEEN}) AS id, "
    f"(SELECT MAX(n.ts) {_ROWS_SEEN}) AS ts, d.type, d.post_id, d.comment_id, d.via "
    "FROM displaced d)")
_GROUPS = (
    f"WITH RECURSIVE {_WALK}, {_KEPT}, {_FLOOR}, {_DISPLACED}, {_REDONE} "
    "SELECT * FROM kept UNION ALL SELECT * FROM redone WHERE (ts, id) < ($3, $4) "
    "ORDER BY ts DESC, id DESC LIMIT $5")


async def groups(db: Executor, recipient: str, types: Iterable[str] | None,
                 before: tuple[int, int] | None, limit: int, now: int | None = None) -> list:
    """A page of groups, newest first: (group_key, id = the group's newest row id, ts = its
    newest time, type, post_id, comment_id, via), keyset before `before` (ts, id). Ordered by
    the events' time: one batch derives its rows kind by kind. Rows of actors she blocked or
    mutes at `now` are left out before grouping (their actors and how many: `actors`).

    The kept groups whose newest rows she sees, walked down their index (`kept`), and the
    groups whose newest rows she does not see, placed by the rows she sees (`redone`): only
    those with such a row in the page's window of time can make the page, so a page reads
    the rows of its window, not every group above it."""
    where, chosen = _type_filter(types, 6)
    ts, row_id = before if before is not None else (2**62, 2**62)
    return await db.fetch(
        _GROUPS.format(types=where.replace("type", "x.type"),
                       types_g=where.replace("type", "g.type")),
        recipient, now_ms() if now is None else now, ts, row_id, limit, *chosen)


class GroupActors(NamedTuple):
    newest: list[str]  # at most MAX_ACTORS, newest first
    count: int


async def actors(db: Executor, recipient: str, group_keys: Sequence[str],
                 now: int | None = None) -> dict[str, GroupActors]:
    """Each group's actors (none she blocked or mutes at `now`): the newest MAX_ACTORS,
    newest first, and how many there are."""
    if not group_keys:
        return {}
    marks = ", ".join(f"${i + 4}" for i in range(len(group_keys)))
    rows = await db.fetch(
        "SELECT group_key, actor, actors FROM (SELECT group_key, actor, ROW_NUMBER() OVER "
        "(PARTITION BY group_key ORDER BY MAX(ts) DESC, MAX(id) DESC) AS n, "
        "COUNT(*) OVER (PARTITION BY group_key) AS actors FROM notification "
        f"WHERE recipient = $1 AND {_seen('notification.actor')} AND group_key IN ({marks}) "
        "GROUP BY group_key, actor) s "
        "WHERE n <= $3 ORDER BY group_key, n", recipient, now_ms() if now is None else now,
        MAX_ACTORS, *group_keys)
    found: dict[str, GroupActors] = {}
    for row in rows:
        found.setdefault(row["group_key"], GroupActors([], row["actors"])).newest.append(
            row["actor"])
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


_UP_TO = "COALESCE((SELECT up_to FROM notification_read WHERE user_id = $1), 0)"
# Her groups newer than her read position, walked one at a time down the index on
# (recipient, id) from the id $3 (as the page's walk, for the same reason), each unread when
# she sees a row of it newer than the position: its newest (most often), or another. The
# walk stops after $4 unread ones.
_UNREAD_WALK = (
    "WITH RECURSIVE walk(group_key, id, type, post_id, comment_id, up_to, unread, found) AS ("
    "SELECT CAST(NULL AS TEXT), CAST($3 AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), "
    f"CAST(NULL AS TEXT), {_UP_TO}, 0, 0 UNION ALL "
    "SELECT g.group_key, g.id, g.type, g.post_id, g.comment_id, w.up_to, "
    f"CASE WHEN {_seen('g.id_actor')} OR EXISTS (SELECT 1 FROM notification n "
    "WHERE n.recipient = $1 AND n.group_key = g.group_key AND n.id > w.up_to "
    f"AND {_seen('n.actor')}) THEN 1 ELSE 0 END, w.found + w.unread FROM walk w "
    "JOIN notification_group g ON g.recipient = $1 AND g.group_key = ("
    "SELECT x.group_key FROM notification_group x WHERE x.recipient = $1 AND x.id < w.id "
    "AND x.id > w.up_to ORDER BY x.id DESC LIMIT 1) WHERE w.found + w.unread < $4) ")


async def unread_count(db: Executor, recipient: str, now: int | None = None,
                       at_most: int = 2**31 - 1) -> int:
    """How many groups have something newer than the read position (from nobody she blocked
    or mutes at `now`), counted up to `at_most` (each one a step of the walk: without it, all
    of them)."""
    return await db.fetchval(_UNREAD_WALK + "SELECT COUNT(*) FROM walk WHERE unread = 1",
                             recipient, now_ms() if now is None else now, 2**62, at_most)


_TEXT = (
    "SELECT notification.group_key AS group_key, COALESCE(c.body, p.body, '') AS body, c.cw AS cw "
    "FROM notification LEFT JOIN comment c ON c.event_id = notification.comment_id "
    "LEFT JOIN post p ON notification.comment_id IS NULL "
    "AND p.event_id = notification.post_id ")
_WORDED = "w.type IN (" + ", ".join(f"'{t}'" for t in WORDED) + ")"


async def unread_groups(db: Executor, recipient: str, before: int | None, limit: int,
                        now: int | None = None) -> list:
    """The first `limit` of her unread groups (as unread_count counts them), newest first by
    id, below the id `before`: (group_key, id, type, body, cw), the text of a comment, reply
    or mention (the comment's body and content warning, or the mentioning post's body) for
    her muted words to be looked for in; a group of those types is one event."""
    return await db.fetch(
        _UNREAD_WALK + "SELECT w.group_key, w.id, w.type, COALESCE(c.body, p.body, '') AS body, "
        f"c.cw AS cw FROM walk w LEFT JOIN comment c ON {_WORDED} AND c.event_id = w.comment_id "
        f"LEFT JOIN post p ON {_WORDED} AND w.comment_id IS NULL AND p.event_id = w.post_id "
        "WHERE w.unread = 1 ORDER BY w.id DESC",
        recipient, now_ms() if now is None else now, 2**62 if before is None else before, limit)


async def texts(db: Executor, recipient: str, group_keys: Sequence[str]) -> dict[str, tuple]:
    """Of these groups, the comments, replies and mentions: group_key -> (body, cw)."""
    if not group_keys:
        return {}
    marks = ", ".join(f"${i + 2}" for i in range(len(group_keys)))
    rows = await db.fetch(
        _TEXT + f"WHERE notification.recipient = $1 AND notification.group_key IN ({marks}) "
        "AND notification.type IN ('comment', 'reply', 'mention')", recipient, *group_keys)
    return {row["group_key"]: (row["body"], row["cw"]) for row in rows}


async def post_bodies(db: Executor, post_ids: Sequence[str]) -> dict[str, str]:
    marks = ", ".join(f"${i + 1}" for i in range(len(post_ids)))
    rows = await db.fetch(f"SELECT event_id, body FROM post WHERE event_id IN ({marks})",
                          *post_ids)
    return {row["event_id"]: row["body"] or "" for row in rows}


async def recipients_of(db: Executor, event_ids: Sequence[str], among: Sequence[str],
                        now: int | None = None) -> list:
    """Who of `among` (the users with a live stream) these events notified, by someone they
    neither block nor mute at `now`: (recipient, group_key, type) rows."""
    if not event_ids or not among:
        return []
    events = ", ".join(f"${i + 2}" for i in range(len(event_ids)))
    users = ", ".join(f"${i + 2 + len(event_ids)}" for i in range(len(among)))
    return await db.fetch(
        "SELECT DISTINCT recipient, group_key, type FROM notification "
        f"WHERE event_id IN ({events}) AND recipient IN ({users})"
        + _allowed("notification.recipient", "notification.actor", "$1"),
        now_ms() if now is None else now, *event_ids, *among)
