"""post_like: ❤️ reactions on posts, one row per reaction event."""

from mautrix.util.async_db.connection import LoggingConnection

from . import Executor

# A like counts only when sent in the post's own room (a reaction relating to an event of
# another room is accepted by any homeserver).
_INSERT_IF_POST_IN_ROOM = (
    "INSERT INTO post_like (event_id, post_id, user_id, ts) SELECT $1, $2, $4, $5 "
    "WHERE EXISTS (SELECT 1 FROM post WHERE event_id = $2 AND room_id = $3) "
    "ON CONFLICT (event_id) DO NOTHING"
)


async def upsert(db: Executor, event_id: str, post_id: str, room_id: str, user_id: str,
                 ts: int) -> None:
    await db.execute(_INSERT_IF_POST_IN_ROOM, event_id, post_id, room_id, user_id, ts)


async def upsert_many(conn: LoggingConnection, rows: list[tuple]) -> None:
    """(event_id, post_id, room_id, user_id, ts) rows. A transaction's batch on SQLite
    (PostgreSQL: db/ingest_batch.py)."""
    await conn.executemany(_INSERT_IF_POST_IN_ROOM, rows)


async def reaction_events(db: Executor, post_id: str, user_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT event_id FROM post_like WHERE post_id=$1 AND user_id=$2", post_id, user_id
    )
    return [row["event_id"] for row in rows]


async def delete(db: Executor, event_id: str) -> None:
    await db.execute("DELETE FROM post_like WHERE event_id=$1", event_id)


async def redact(db: Executor, event_id: str, room_id: str, sender: str,
                 moderator: bool) -> str | None:
    """Only in the liked post's room, by the liker or a moderator of that room. Returns the
    post whose like it removed."""
    return await db.fetchval(
        "DELETE FROM post_like WHERE event_id=$1 AND (user_id=$3 OR $4) AND EXISTS "
        "(SELECT 1 FROM post p WHERE p.event_id = post_like.post_id AND p.room_id = $2) "
        "RETURNING post_id",
        event_id, room_id, sender, moderator,
    )
