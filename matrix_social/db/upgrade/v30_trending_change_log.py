"""v30: trending from a log of changes (issue 28). Before, v22 kept every (key, user) pair
counted in the window (<prefix>_pair, 962,574 rows at 1,000,000 likes) and per key a tally
beside the score, and a refresh looked each changed pair up in the pair table and rewrote it,
its tally and its score: three tables of the window's size written at random every minute.
Now the triggers log each row added or removed with its time and sign (<prefix>_change, append
only, no index); a refresh reads a pair's rows in both windows through the (key, user, ts)
index and takes the logged changes off the old window's count, which gives what the last
refresh counted without keeping it; the differences go straight into the score, which now
holds every key with a row in the window (a post not indexed has no ts and does not rank). The
pairs, their dirty and claimed marks and the tallies go. The posts' scores lose their rank
index and get room in each page (PostgreSQL: fillfactor 80), so a changed score is rewritten
in its page with no index entry (HOT); posts rank from a small top (trending_top). The stored
ranking of posts loses its position column (its order is (trend, ts, post)), so a post
entering or leaving it rewrites that row, not every row after it. On PostgreSQL the likes'
(post, liker) index takes the time as a key column, so a pair's likes in a window are a range
of it."""

from mautrix.util.async_db import Connection, Scheme

from .v22_trending_from_deltas import _SOURCES

_OPS = ("insert", "delete", "update")


def _sqlite_triggers(prefix: str, table: str, key: str, user: str) -> list[str]:
    def log(row: str, sign: int) -> str:
        return (f"INSERT INTO {prefix}_change ({key}, user_id, ts, sign) "
                f"VALUES ({row}.{key}, {row}.{user}, {row}.ts, {sign});")
    return [
        f"CREATE TRIGGER {table}_change_insert AFTER INSERT ON {table} BEGIN {log('NEW', 1)} END",
        f"CREATE TRIGGER {table}_change_delete AFTER DELETE ON {table} BEGIN {log('OLD', -1)} END",
        f"CREATE TRIGGER {table}_change_update AFTER UPDATE OF {key}, {user}, ts ON {table} "
        f"BEGIN {log('OLD', -1)} {log('NEW', 1)} END",
    ]


def _postgres_triggers(prefix: str, table: str, key: str, user: str) -> list[str]:
    # Statement-level over the transition tables: one set-based insert per ingest batch. The
    # log has no unique index, so writers never wait on each other nor on a refresh.
    def log(rows: str, sign: int) -> str:
        return (f"INSERT INTO {prefix}_change ({key}, user_id, ts, sign) "
                f"SELECT {key}, {user}, ts, {sign} FROM {rows};")
    return [
        f"""CREATE FUNCTION {table}_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                {log('old_rows', -1)}
            END IF;
            IF TG_OP <> 'DELETE' THEN
                {log('new_rows', 1)}
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {table}_change_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_change()",
        f"CREATE TRIGGER {table}_change_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_change()",
        f"CREATE TRIGGER {table}_change_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_change()",
    ]


DESCRIPTION = "Trending from a log of changes: no pairs nor tallies kept, scores from deltas"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    for prefix, table, key, user in _SOURCES:
        for op in _OPS:
            await conn.execute(f"DROP TRIGGER {table}_pair_{op}" + (
                "" if scheme == Scheme.SQLITE else f" ON {table}"))
        if scheme != Scheme.SQLITE:
            await conn.execute(f"DROP FUNCTION {table}_pair_changed()")
        for part in ("pair", "pair_dirty", "pair_claim", "tally"):
            await conn.execute(f"DROP TABLE {prefix}_{part}")
        await conn.execute(
            f"CREATE TABLE {prefix}_change ({key} TEXT NOT NULL, user_id TEXT NOT NULL, "
            "ts BIGINT NOT NULL, sign INTEGER NOT NULL)")
        # A refresh's changed keys with their new scores.
        await conn.execute(
            f"CREATE TABLE {prefix}_delta ({key} TEXT PRIMARY KEY, trend BIGINT NOT NULL, "
            "uses BIGINT NOT NULL, ts BIGINT)")
        triggers = (_sqlite_triggers if scheme == Scheme.SQLITE else _postgres_triggers)(
            prefix, table, key, user)
        for statement in triggers:
            await conn.execute(statement)
    # Every post with a like in the window has its score, indexed or not (ts NULL: not
    # indexed, not ranked); the first refresh after the upgrade fills it from scratch. No
    # index on the score but its key, and room on each page (PostgreSQL), so a score changed
    # is rewritten in its page (HOT) with no index entry; the ranking is read from the top.
    await conn.execute("DROP TABLE trending_score")
    await conn.execute(
        """CREATE TABLE trending_score (
            post_id TEXT PRIMARY KEY,
            trend   BIGINT NOT NULL,
            uses    BIGINT NOT NULL,
            ts      BIGINT
        )""" + ("" if scheme == Scheme.SQLITE else " WITH (fillfactor = 80)"))
    # The top: every ranked post at or above its floor, with its score (db/trending.py).
    await conn.execute(
        """CREATE TABLE trending_top (
            post_id TEXT PRIMARY KEY,
            trend   BIGINT NOT NULL,
            ts      BIGINT NOT NULL
        )""")
    await conn.execute(
        "CREATE INDEX trending_top_rank ON trending_top (trend DESC, ts DESC, post_id DESC)")
    await conn.execute("DROP TABLE trending_post")
    await conn.execute(
        """CREATE TABLE trending_post (
            event_id TEXT PRIMARY KEY,
            trend    BIGINT NOT NULL,
            ts       BIGINT NOT NULL
        )""")
    await conn.execute(
        "CREATE INDEX trending_post_rank ON trending_post (trend DESC, ts DESC, event_id DESC)")
    if scheme != Scheme.SQLITE:  # SQLite's already has the time as a key column (v19)
        await conn.execute("DROP INDEX post_like_post")
        await conn.execute("CREATE INDEX post_like_post ON post_like (post_id, user_id, ts)")
    await conn.execute("DELETE FROM trending_state")
