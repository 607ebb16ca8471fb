"""post_like: ❤️ reactions on posts, one row per reaction event."""

from mautrix.util.async_db import Database
from mautrix.util.async_db.connection import LoggingConnection

UPSERT = (
    "INSERT INTO post_like (event_id, post_id, user_id, ts) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (event_id) DO NOTHING"
)


async def upsert(db: Database, event_id: str, post_id: str, user_id: str, ts: int) -> None:
    await db.execute(UPSERT, event_id, post_id, user_id, ts)


async def upsert_many(conn: LoggingConnection, rows: list[tuple[str, str, str, int]]) -> None:
    """(event_id, post_id, user_id, ts) rows, those whose post is indexed. A transaction's
    batch on SQLite (PostgreSQL: db/ingest_batch.py)."""
    await conn.executemany(
        "INSERT INTO post_like (event_id, post_id, user_id, ts) SELECT $1, $2, $3, $4 "
        "WHERE EXISTS (SELECT 1 FROM post WHERE event_id = $2) "
        "ON CONFLICT (event_id) DO NOTHING", rows)


async def reaction_events(db: Database, post_id: str, user_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT event_id FROM post_like WHERE post_id=$1 AND user_id=$2", post_id, user_id
    )
    return [row["event_id"] for row in rows]


async def delete(db: Database, event_id: str) -> None:
    await db.execute("DELETE FROM post_like WHERE event_id=$1", event_id)
