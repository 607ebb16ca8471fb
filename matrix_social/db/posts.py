"""post: top-level posts by feed owners in their own feed rooms."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mautrix.util.async_db import Database
from mautrix.util.async_db.connection import LoggingConnection

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


def values(row: PostRow) -> tuple:
    return (row.event_id, row.room_id, row.author, row.kind, row.body, json.dumps(row.content),
            row.ts, row.repost_of)


async def upsert(db: Database, row: PostRow) -> None:
    await db.execute(UPSERT, *values(row))


async def upsert_many(conn: LoggingConnection, rows: list[PostRow]) -> None:
    """A transaction's batch on SQLite (PostgreSQL: db/ingest_batch.py)."""
    await conn.executemany(UPSERT, [values(row) for row in rows])


async def apply_edit(db: Database, event_id: str, editor: str, body: str, content: dict,
                     ts: int) -> None:
    """Apply an edit by the author; edits arriving out of order keep the newest."""
    await db.execute(
        "UPDATE post SET body=$3, content=$4, edited_ts=$5 WHERE event_id=$1 AND author=$2 "
        "AND (edited_ts IS NULL OR edited_ts <= $5)",
        event_id, editor, body, json.dumps(content), ts,
    )


async def delete(db: Database, event_id: str) -> None:
    await db.execute("DELETE FROM post WHERE event_id=$1", event_id)


async def get_author(db: Database, event_id: str) -> tuple[str, str] | None:
    row = await db.fetchrow("SELECT room_id, author FROM post WHERE event_id=$1", event_id)
    return (row["room_id"], row["author"]) if row else None


async def delete_own(db: Database, event_id: str, author: str) -> None:
    await db.execute("DELETE FROM post WHERE event_id=$1 AND author=$2", event_id, author)


async def has_repost(db: Database, original: str, author: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM post WHERE repost_of=$1 AND author=$2", original, author) is not None
