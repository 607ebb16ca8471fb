"""trending_post and trending_state: the last ranking of trending posts, as computed in the
background (social/trending.py), and when it was computed."""

from __future__ import annotations

from mautrix.util.async_db import Database, Scheme

from .feed import SELECT_POST

_NAME = "posts"


def background_database(db: Database) -> Database:
    """A database handle for long background reads: PostgreSQL's pool has connections to
    spare; SQLite's service connection is one, so a connection of its own on the same file
    (WAL: it reads while the service writes). Start and stop it when it is not `db`."""
    if db.scheme != Scheme.SQLITE:
        return db
    return Database.create(db.url, upgrade_table=db.upgrade_table, db_args={"min_size": 1})


async def replace(db: Database, keys: list, computed_at: int, window_end: int) -> None:
    """Store a new ranking: keys as from explore.trending_keys, best first."""
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM trending_post")
        await conn.executemany(
            "INSERT INTO trending_post (position, event_id, trend, ts) VALUES ($1, $2, $3, $4)",
            [(i, key["event_id"], key["trend"], key["ts"]) for i, key in enumerate(keys)])
        await conn.execute(
            "INSERT INTO trending_state (name, computed_at, window_end) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET computed_at = excluded.computed_at, "
            "window_end = excluded.window_end", _NAME, computed_at, window_end)


async def state(db: Database) -> tuple[int, int] | None:
    """(computed at, the window's end) of the stored ranking; None before the first."""
    row = await db.fetchrow(
        "SELECT computed_at, window_end FROM trending_state WHERE name = $1", _NAME)
    return (row["computed_at"], row["window_end"]) if row else None


async def page(db: Database, viewer: str, after: tuple[int, int, str] | None,
               limit: int) -> list:
    """The stored ranking's posts (still indexed) after (trend, ts, event_id), best first,
    with `trend`: the likes in the ranking's window."""
    keyset, args = "", [viewer]
    if after is not None:
        keyset = ("WHERE t.trend < $2 OR (t.trend = $2 AND (t.ts < $3 OR "
                  "(t.ts = $3 AND t.event_id < $4)))")
        args += list(after)
    # The limit written in, not a parameter: PostgreSQL then keeps one plan (db/feed.py).
    return await db.fetch(
        f"SELECT t.trend, x.* FROM trending_post t JOIN ({SELECT_POST}) x "
        f"ON x.event_id = t.event_id {keyset} ORDER BY t.position LIMIT {int(limit)}", *args)
