"""post_like: ❤️ reactions on posts, one row per reaction event."""

from mautrix.util.async_db import Database, Scheme
from mautrix.util.async_db.connection import LoggingConnection

UPSERT = (
    "INSERT INTO post_like (event_id, post_id, user_id, ts) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (event_id) DO NOTHING"
)


async def upsert(db: Database, event_id: str, post_id: str, user_id: str, ts: int) -> None:
    await db.execute(UPSERT, event_id, post_id, user_id, ts)


async def upsert_many(conn: LoggingConnection, rows: list[tuple[str, str, str, int]]) -> None:
    """(event_id, post_id, user_id, ts) rows, those whose post is indexed; on PostgreSQL one
    statement over arrays."""
    if conn.scheme == Scheme.SQLITE:
        await conn.executemany(
            "INSERT INTO post_like (event_id, post_id, user_id, ts) SELECT $1, $2, $3, $4 "
            "WHERE EXISTS (SELECT 1 FROM post WHERE event_id = $2) "
            "ON CONFLICT (event_id) DO NOTHING", rows)
        return
    await conn.execute(
        "INSERT INTO post_like (event_id, post_id, user_id, ts) "
        "SELECT u.* FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) "
        "AS u (event_id, post_id, user_id, ts) "
        "WHERE EXISTS (SELECT 1 FROM post p WHERE p.event_id = u.post_id) "
        "ON CONFLICT (event_id) DO NOTHING", *(list(column) for column in zip(*rows, strict=True)))


async def reaction_events(db: Database, post_id: str, user_id: str) -> list[str]:
    rows = await db.fetch(
        "SELECT event_id FROM post_like WHERE post_id=$1 AND user_id=$2", post_id, user_id
    )
    return [row["event_id"] for row in rows]


async def delete(db: Database, event_id: str) -> None:
    await db.execute("DELETE FROM post_like WHERE event_id=$1", event_id)
