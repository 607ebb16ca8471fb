"""Trending, kept incrementally (v15): each post's likes in the 24-hour window
(trending_score) and each app's installs in the 7-day window (trending_app_score), recounted
at each refresh only for the keys that changed: those the triggers marked dirty (a like, an
unlike, an install, a post indexed or deleted) and those with a like or install whose time
entered or left the window since the last refresh. The served ranking of posts
(trending_post, its first DEPTH) is rewritten from the scores when any of them changed.
trending_state holds each ranking's window end: no state means a recount from scratch."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database, Scheme

from .feed import SELECT_POST


@dataclass(frozen=True)
class Ranking:
    name: str  # trending_state's row
    prefix: str  # <prefix>_score, <prefix>_dirty, <prefix>_claim
    key: str  # the key column in those tables
    source: str  # the rows counted: (key, user_id, ts)
    source_key: str
    # (key, ts) of the keys that may rank (the ts breaks ties, newer first); None: every
    # key counted ranks, with ts 0
    ranked: str | None
    ranked_key: str = ""


POSTS = Ranking("posts", "trending", "post_id", "post_like", "post_id",
                "SELECT event_id, ts FROM post", "event_id")
# Apps rank by installs, ties by app id: their ts is a constant, and an app's installs count
# whether or not the app is indexed (the page joins the apps still there).
APPS = Ranking("apps", "trending_app", "app_id", "app_install", "app_id", None)


def background_database(db: Database) -> Database:
    """A database handle for long background reads: PostgreSQL's pool has connections to
    spare; SQLite's service connection is one, so a connection of its own on the same file
    (WAL: it reads while the service writes). Start and stop it when it is not `db`."""
    if db.scheme != Scheme.SQLITE:
        return db
    return Database.create(db.url, upgrade_table=db.upgrade_table, db_args={"min_size": 1})


async def state(db: Database, name: str = POSTS.name) -> tuple[int, int] | None:
    """(computed at, the window's end) of the stored ranking; None before the first."""
    row = await db.fetchrow(
        "SELECT computed_at, window_end FROM trending_state WHERE name = $1", name)
    return (row["computed_at"], row["window_end"]) if row else None


async def claim(db: Database, r: Ranking) -> None:
    """Move the keys marked dirty into the claim, in a transaction of its own (short, so
    ingest never waits on a refresh): a claim left by a failed refresh is recounted by the
    next one."""
    async with db.acquire() as conn, conn.transaction():
        if db.scheme == Scheme.SQLITE:  # one writer: nothing is marked in between
            await conn.execute(
                f"INSERT INTO {r.prefix}_claim ({r.key}) SELECT {r.key} "
                f"FROM {r.prefix}_dirty WHERE true ON CONFLICT DO NOTHING")
            await conn.execute(f"DELETE FROM {r.prefix}_dirty")
        else:
            await conn.execute(
                f"WITH taken AS (DELETE FROM {r.prefix}_dirty RETURNING {r.key}) "
                f"INSERT INTO {r.prefix}_claim ({r.key}) SELECT {r.key} FROM taken "
                "ON CONFLICT DO NOTHING")


async def _empty(conn, db: Database, table: str) -> None:
    """PostgreSQL: TRUNCATE, so the claim's table never holds dead rows that make the
    planner expect a large claim (only the refresher, holding its lock, uses it)."""
    await conn.execute(f"DELETE FROM {table}" if db.scheme == Scheme.SQLITE
                       else f"TRUNCATE {table}")


def _with_ts(r: Ranking, alias: str, key: str) -> tuple[str, str]:
    """(the join that gives each key its ts, the ts expression)."""
    if r.ranked is None:
        return "", "0"
    return f"JOIN ({r.ranked}) k ON k.{r.ranked_key} = {alias}.{key}", "k.ts"


def _count(r: Ranking, outer: str) -> str:
    return (f"(SELECT COUNT(DISTINCT s.user_id) FROM {r.source} s "
            f"WHERE s.{r.source_key} = {outer} AND s.ts >= $1 AND s.ts <= $2)")


async def refresh(db: Database, r: Ranking, since: int, until: int, computed_at: int,
                  depth: int | None = None) -> int:
    """Bring r's scores to the window [since, until] (and the stored ranking of posts, its
    first `depth`); the number of keys recounted (-1: counted from scratch)."""
    await claim(db, r)
    async with db.acquire() as conn, conn.transaction():
        if db.scheme == Scheme.POSTGRES:  # one refresher at a time per ranking
            await conn.execute(f"LOCK TABLE {r.prefix}_claim IN EXCLUSIVE MODE")
        row = await conn.fetchrow(
            "SELECT window_end FROM trending_state WHERE name = $1", r.name)
        width = until - since
        if row is None or abs(until - row["window_end"]) > width:
            recounted = -1
            await conn.execute(f"DELETE FROM {r.prefix}_score")
            await _empty(conn, db, f"{r.prefix}_claim")
            join, ts = _with_ts(r, "s", r.source_key)
            await conn.execute(
                f"INSERT INTO {r.prefix}_score ({r.key}, trend, ts) "
                f"SELECT s.{r.source_key}, COUNT(DISTINCT s.user_id), {ts} "
                f"FROM {r.source} s {join} "
                f"WHERE s.ts >= $1 AND s.ts <= $2 GROUP BY s.{r.source_key}"
                + (", k.ts" if join else ""),
                since, until)
        else:
            old_end = row["window_end"]
            old_since = old_end - width
            # Rows whose time is in one window and not the other: [min, max) of the starts,
            # (min, max] of the ends.
            await conn.execute(
                f"INSERT INTO {r.prefix}_claim ({r.key}) "
                f"SELECT {r.source_key} FROM {r.source} WHERE ts >= $1 AND ts < $2 "
                f"UNION SELECT {r.source_key} FROM {r.source} WHERE ts > $3 AND ts <= $4 "
                "ON CONFLICT DO NOTHING",
                min(old_since, since), max(old_since, since),
                min(old_end, until), max(old_end, until))
            recounted = await conn.fetchval(f"SELECT COUNT(*) FROM {r.prefix}_claim")
            if recounted and db.scheme == Scheme.POSTGRES:
                # The claim is small but its table's statistics may say otherwise (after a
                # bulk load, or never analysed): keep every join on the indexes.
                await conn.execute("SET LOCAL enable_seqscan = off")
                await conn.execute("SET LOCAL enable_hashjoin = off")
                await conn.execute("SET LOCAL enable_mergejoin = off")
                await conn.execute("SET LOCAL jit = off")
            if recounted:
                join, ts = _with_ts(r, "c", r.key)
                await conn.execute(
                    f"INSERT INTO {r.prefix}_score ({r.key}, trend, ts) "
                    f"SELECT c.{r.key}, {_count(r, 'c.' + r.key)}, {ts} "
                    f"FROM {r.prefix}_claim c {join} WHERE true "
                    f"ON CONFLICT ({r.key}) DO UPDATE SET trend = excluded.trend, "
                    "ts = excluded.ts", since, until)
                gone = "" if r.ranked is None else (
                    f" OR NOT EXISTS (SELECT 1 FROM ({r.ranked}) k "
                    f"WHERE k.{r.ranked_key} = {r.prefix}_score.{r.key})")
                await conn.execute(
                    f"DELETE FROM {r.prefix}_score WHERE {r.key} IN "
                    f"(SELECT {r.key} FROM {r.prefix}_claim) AND (trend = 0{gone})")
                await _empty(conn, db, f"{r.prefix}_claim")
        if depth is not None and recounted:
            await conn.execute("DELETE FROM trending_post")
            await conn.execute(
                "INSERT INTO trending_post (position, event_id, trend, ts) "
                "SELECT ROW_NUMBER() OVER (ORDER BY trend DESC, ts DESC, post_id DESC) - 1, "
                "post_id, trend, ts FROM (SELECT post_id, trend, ts FROM trending_score "
                "ORDER BY trend DESC, ts DESC, post_id DESC LIMIT $1) best", depth)
        await conn.execute(
            "INSERT INTO trending_state (name, computed_at, window_end) VALUES ($1, $2, $3) "
            "ON CONFLICT (name) DO UPDATE SET computed_at = excluded.computed_at, "
            "window_end = excluded.window_end", r.name, computed_at, until)
    return recounted


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


async def ranked_posts(db: Database) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM trending_post")


async def scores(db: Database, r: Ranking, limit: int) -> list:
    """(key, trend, ts) of r's best `limit`, as kept (for tests and the bench)."""
    return await db.fetch(
        f"SELECT {r.key} AS key, trend, ts FROM {r.prefix}_score "
        f"ORDER BY trend DESC, ts DESC, {r.key} DESC LIMIT $1", limit)
