"""post: top-level posts by feed owners in their own feed rooms."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mautrix.util.async_db.connection import LoggingConnection

from . import Executor

UPSERT = (
    "INSERT INTO post (event_id, room_id, author, kind, body, content, ts, repost_of) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING"
)


@dataclass
class PostRow:
    event_id: str
    room_id: str
    author: str
    kind: str
    body: str
    content: dict
    ts: int
    edited_ts: int | None
    repost_of: str | None
    tags: tuple[str, ...] = ()  # normalized hashtags (post_tag rows, db/post_tags.py)


def tag_rows(rows: list[PostRow]) -> list[tuple[str, str, str, int]]:
    return [(tag, row.event_id, row.author, row.ts) for row in rows for tag in row.tags]


def values(row: PostRow) -> tuple:
    return (row.event_id, row.room_id, row.author, row.kind, row.body, json.dumps(row.content),
            row.ts, row.repost_of)


async def upsert(db: Executor, row: PostRow) -> None:
    await db.execute(UPSERT, *values(row))


async def upsert_many(conn: LoggingConnection, rows: list[PostRow]) -> None:
    """A transaction's batch on SQLite (PostgreSQL: db/ingest_batch.py)."""
    await conn.executemany(UPSERT, [values(row) for row in rows])


async def apply_edit(db: Executor, event_id: str, room_id: str, editor: str, body: str,
                     content: dict, ts: int) -> None:
    """Apply an edit by the author, sent in the post's own room; edits arriving out of order
    keep the newest."""
    await db.execute(
        "UPDATE post SET body=$4, content=$5, edited_ts=$6 WHERE event_id=$1 AND room_id=$2 "
        "AND author=$3 AND (edited_ts IS NULL OR edited_ts <= $6)",
        event_id, room_id, editor, body, json.dumps(content), ts,
    )


async def delete(db: Executor, event_id: str) -> None:
    await db.execute("DELETE FROM post WHERE event_id=$1", event_id)


async def redact(db: Executor, event_id: str, room_id: str, sender: str,
                 moderator: bool) -> tuple[str, str, str | None] | None:
    """A redaction removes a post only in the post's own room, and only when sent by its
    author or by somebody who may redact others there (the feed's owner or bot). A repost
    notice's row lives in the reposter's room but its event in the original's: there, its
    own sender may withdraw it. Returns what it removed: (room, author, repost_of)."""
    row = await db.fetchrow(
        "DELETE FROM post WHERE event_id=$1 AND ((room_id=$2 AND (author=$3 OR $4)) "
        "OR (author=$3 AND EXISTS (SELECT 1 FROM post o WHERE o.event_id = post.repost_of "
        "AND o.room_id=$2))) RETURNING room_id, author, repost_of",
        event_id, room_id, sender, moderator,
    )
    return (row["room_id"], row["author"], row["repost_of"]) if row else None


async def get_author(db: Executor, event_id: str) -> tuple[str, str] | None:
    row = await db.fetchrow("SELECT room_id, author FROM post WHERE event_id=$1", event_id)
    return (row["room_id"], row["author"]) if row else None


async def get(db: Executor, event_id: str):
    return await db.fetchrow(
        "SELECT event_id, room_id, author, kind, repost_of FROM post WHERE event_id=$1",
        event_id)


async def delete_own(db: Executor, event_id: str, author: str) -> None:
    await db.execute("DELETE FROM post WHERE event_id=$1 AND author=$2", event_id, author)


async def has_repost(db: Executor, original: str, author: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM post WHERE repost_of=$1 AND author=$2", original, author) is not None


async def counts_of(db: Executor, post_ids: list[str]) -> dict[str, dict[str, int]]:
    """The counters of these posts (for the live streams)."""
    if not post_ids:
        return {}  # "IN ()" is an error on PostgreSQL
    marks = ", ".join(f"${i + 1}" for i in range(len(post_ids)))
    rows = await db.fetch(
        "SELECT post_id, likes, comments, reposts FROM post_count "
        f"WHERE post_id IN ({marks})", *post_ids)
    return {row["post_id"]: {"likes": row["likes"], "comments": row["comments"],
                             "reposts": row["reposts"]} for row in rows}


async def viewers_among(db: Executor, room_ids: list[str],
                        users: list[str]) -> set[tuple[str, str]]:
    """(room, user) for the users of `users` who follow these rooms."""
    rooms = ", ".join(f"${i + 1}" for i in range(len(room_ids)))
    people = ", ".join(f"${i + 1 + len(room_ids)}" for i in range(len(users)))
    rows = await db.fetch(
        f"SELECT room_id, user_id FROM follow WHERE room_id IN ({rooms}) "
        f"AND user_id IN ({people})", *room_ids, *users)
    return {(row["room_id"], row["user_id"]) for row in rows}
