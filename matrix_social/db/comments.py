"""comment: thread replies on posts."""

from __future__ import annotations

from mautrix.util.async_db.connection import LoggingConnection

from . import Executor


async def upsert(db: Executor, event_id: str, post_id: str, room_id: str, author: str,
                 body: str, in_reply_to: str | None, ts: int, cw: str | None = None) -> None:
    await upsert_many_on(db, [(event_id, post_id, room_id, author, body, in_reply_to, ts, cw)])


async def upsert_many(conn: LoggingConnection, rows: list[tuple]) -> None:
    """A transaction's batch on SQLite (PostgreSQL: db/ingest_batch.py)."""
    await upsert_many_on(conn, rows)


async def upsert_many_on(db: Executor, rows: list[tuple]) -> None:
    """(event_id, post_id, room_id, author, body, in_reply_to, ts, cw) rows; a comment counts
    only in its post's own room."""
    await db.executemany(
        "INSERT INTO comment (event_id, post_id, room_id, author, body, in_reply_to, ts, cw) "
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8 "
        "WHERE EXISTS (SELECT 1 FROM post WHERE event_id = $2 AND room_id = $3) "
        "ON CONFLICT (event_id) DO NOTHING", rows)


async def apply_edit(db: Executor, event_id: str, room_id: str, editor: str, body: str,
                     cw: str | None, ts: int) -> None:
    await db.execute(
        "UPDATE comment SET body=$4, cw=$5, edited_ts=$6 WHERE event_id=$1 AND room_id=$2 "
        "AND author=$3 AND (edited_ts IS NULL OR edited_ts <= $6)",
        event_id, room_id, editor, body, cw, ts,
    )


async def delete(db: Executor, event_id: str) -> None:
    await db.execute("DELETE FROM comment WHERE event_id=$1", event_id)


async def redact(db: Executor, event_id: str, room_id: str, sender: str,
                 moderator: bool) -> str | None:
    """Returns the post whose comment it removed."""
    return await db.fetchval(
        "DELETE FROM comment WHERE event_id=$1 AND room_id=$2 AND (author=$3 OR $4) "
        "RETURNING post_id",
        event_id, room_id, sender, moderator,
    )


async def exists(db: Executor, event_id: str, post_id: str) -> bool:
    return await db.fetchval(
        "SELECT 1 FROM comment WHERE event_id=$1 AND post_id=$2", event_id, post_id
    ) is not None


async def author_of(db: Executor, event_id: str) -> str | None:
    return await db.fetchval("SELECT author FROM comment WHERE event_id=$1", event_id)


# A comment with its author's name and avatar.
_SELECT = ("SELECT c.*, pr.displayname, pr.avatar_url FROM comment c "
           "LEFT JOIN profile pr ON pr.user_id = c.author ")


async def page(db: Executor, post_id: str, after: tuple[int, str] | None, limit: int) -> list:
    if after is None:
        return await db.fetch(
            _SELECT + "WHERE c.post_id=$1 ORDER BY c.ts, c.event_id LIMIT $2",
            post_id, limit,
        )
    return await db.fetch(
        _SELECT + "WHERE c.post_id=$1 AND (c.ts > $2 OR (c.ts = $2 AND c.event_id > $3)) "
        "ORDER BY c.ts, c.event_id LIMIT $4",
        post_id, after[0], after[1], limit,
    )
