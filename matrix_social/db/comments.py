"""comment: thread replies on posts."""

from __future__ import annotations

from mautrix.util.async_db import Database
from mautrix.util.async_db.connection import LoggingConnection

UPSERT = (
    "INSERT INTO comment (event_id, post_id, room_id, author, body, in_reply_to, ts) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING"
)


async def upsert(db: Database, event_id: str, post_id: str, room_id: str, author: str,
                 body: str, in_reply_to: str | None, ts: int) -> None:
    await db.execute(UPSERT, event_id, post_id, room_id, author, body, in_reply_to, ts)


async def upsert_many(conn: LoggingConnection, rows: list[tuple]) -> None:
    """(event_id, post_id, room_id, author, body, in_reply_to, ts) rows, those whose post is
    indexed. A transaction's batch on SQLite (PostgreSQL: db/ingest_batch.py)."""
    await conn.executemany(
        "INSERT INTO comment (event_id, post_id, room_id, author, body, in_reply_to, ts) "
        "SELECT $1, $2, $3, $4, $5, $6, $7 "
        "WHERE EXISTS (SELECT 1 FROM post WHERE event_id = $2) "
        "ON CONFLICT (event_id) DO NOTHING", rows)


async def apply_edit(db: Database, event_id: str, editor: str, body: str, ts: int) -> None:
    await db.execute(
        "UPDATE comment SET body=$3, edited_ts=$4 WHERE event_id=$1 AND author=$2 "
        "AND (edited_ts IS NULL OR edited_ts <= $4)",
        event_id, editor, body, ts,
    )


async def delete(db: Database, event_id: str) -> None:
    await db.execute("DELETE FROM comment WHERE event_id=$1", event_id)


async def exists(db: Database, event_id: str, post_id: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM comment WHERE event_id=$1 AND post_id=$2", event_id, post_id
    ) is not None


async def page(db: Database, post_id: str, after: tuple[int, str] | None, limit: int) -> list:
    if after is None:
        return await db.fetch(
            "SELECT * FROM comment WHERE post_id=$1 ORDER BY ts, event_id LIMIT $2",
            post_id, limit,
        )
    return await db.fetch(
        "SELECT * FROM comment WHERE post_id=$1 AND (ts > $2 OR (ts = $2 AND event_id > $3)) "
        "ORDER BY ts, event_id LIMIT $4",
        post_id, after[0], after[1], limit,
    )
