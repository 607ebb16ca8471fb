"""v22: trending from deltas: (key, user) pairs counted, per-key tallies, changed pairs marked by
triggers; the same for the new trending tags. Each ranking (posts by likes, apps by installs,
and the new tags by authors) keeps the (key, user) pairs counted in its window with their rows
in it (<prefix>_pair), the per-key totals (<prefix>_tally: distinct users, rows) and the pairs
whose rows changed since the last refresh (<prefix>_pair_dirty, filled by triggers in the
writing transaction, in place of v19's dirty posts and apps). A refresh re-evaluates only those
pairs and the pairs with a row crossing the window's edges (db/trending.py), never a key's every
row."""

from mautrix.util.async_db import Connection, Scheme

# (ranking prefix, source table, key column, user column)
_SOURCES = (("trending", "post_like", "post_id", "user_id"),
            ("trending_app", "app_install", "app_id", "user_id"),
            ("trending_tag", "post_tag", "tag", "author"))

_DROP_SQLITE = [f"DROP TRIGGER {name}" for name in (
    "post_like_trending_insert", "post_like_trending_delete", "app_install_trending_insert",
    "app_install_trending_delete", "app_install_trending_update")]
_DROP_POSTGRES = [
    *(f"DROP TRIGGER {table}_trending_{op} ON {table}"
      for table in ("post_like", "app_install") for op in ("insert", "delete")),
    "DROP TRIGGER app_install_trending_update ON app_install",
    "DROP FUNCTION post_like_trending()", "DROP FUNCTION app_install_trending()",
    "DROP FUNCTION app_install_trending_update()",
]


def _sqlite_triggers(prefix: str, table: str, key: str, user: str) -> list[str]:
    def mark(row: str) -> str:
        return (f"INSERT INTO {prefix}_pair_dirty ({key}, user_id) "
                f"VALUES ({row}.{key}, {row}.{user}) ON CONFLICT DO NOTHING;")
    return [
        f"CREATE TRIGGER {table}_pair_insert AFTER INSERT ON {table} BEGIN {mark('NEW')} END",
        f"CREATE TRIGGER {table}_pair_delete AFTER DELETE ON {table} BEGIN {mark('OLD')} END",
        f"CREATE TRIGGER {table}_pair_update AFTER UPDATE ON {table} BEGIN "
        f"{mark('OLD')} {mark('NEW')} END",
    ]


def _postgres_triggers(prefix: str, table: str, key: str, user: str) -> list[str]:
    # Statement-level over the transition tables (one set-based statement per ingest batch),
    # pairs in order so concurrent writers lock alike (v9's note).
    return [
        f"""CREATE FUNCTION {table}_pair_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO {prefix}_pair_dirty ({key}, user_id)
                SELECT DISTINCT {key}, {user} FROM new_rows ORDER BY 1, 2 ON CONFLICT DO NOTHING;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO {prefix}_pair_dirty ({key}, user_id)
                SELECT DISTINCT {key}, {user} FROM old_rows ORDER BY 1, 2 ON CONFLICT DO NOTHING;
            ELSE
                INSERT INTO {prefix}_pair_dirty ({key}, user_id)
                SELECT {key}, {user} FROM old_rows UNION SELECT {key}, {user} FROM new_rows
                ORDER BY 1, 2 ON CONFLICT DO NOTHING;
            END IF;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {table}_pair_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_pair_changed()",
        f"CREATE TRIGGER {table}_pair_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_pair_changed()",
        f"CREATE TRIGGER {table}_pair_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {table}_pair_changed()",
    ]


DESCRIPTION = "Trending from deltas: counted (key, user) pairs, per-key tallies, trending tags"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    for statement in _DROP_SQLITE if scheme == Scheme.SQLITE else _DROP_POSTGRES:
        await conn.execute(statement)
    await conn.execute(
        """CREATE TABLE trending_tag_score (
            tag   TEXT PRIMARY KEY,
            trend INTEGER NOT NULL,
            ts    BIGINT NOT NULL
        )""")
    for part in ("dirty", "claim"):
        await conn.execute(f"CREATE TABLE trending_tag_{part} (tag TEXT PRIMARY KEY)")
    for table in ("trending_score", "trending_app_score", "trending_tag_score"):
        await conn.execute(f"ALTER TABLE {table} ADD COLUMN uses BIGINT NOT NULL DEFAULT 0")
    # The tags' ranking: most authors, then most uses, then the tag.
    await conn.execute(
        "CREATE INDEX trending_tag_score_rank ON trending_tag_score (trend DESC, uses DESC, tag)")
    for prefix, table, key, user in _SOURCES:
        await conn.execute(
            f"""CREATE TABLE {prefix}_pair (
                {key}   TEXT NOT NULL,
                user_id TEXT NOT NULL,
                n       BIGINT NOT NULL,
                PRIMARY KEY ({key}, user_id)
            )""")
        await conn.execute(
            f"CREATE TABLE {prefix}_pair_dirty ({key} TEXT NOT NULL, user_id TEXT NOT NULL, "
            f"PRIMARY KEY ({key}, user_id))")
        await conn.execute(
            f"CREATE TABLE {prefix}_pair_claim ({key} TEXT NOT NULL, user_id TEXT NOT NULL, "
            f"old_n BIGINT, new_n BIGINT, PRIMARY KEY ({key}, user_id))")
        await conn.execute(
            f"CREATE TABLE {prefix}_tally ({key} TEXT PRIMARY KEY, trend BIGINT NOT NULL, "
            "uses BIGINT NOT NULL)")
        triggers = (_sqlite_triggers if scheme == Scheme.SQLITE else _postgres_triggers)(
            prefix, table, key, user)
        for statement in triggers:
            await conn.execute(statement)
    # A pair's rows in the window, from the index alone; rows crossing the window's edges,
    # with their pair, from the time index alone.
    await conn.execute("CREATE INDEX post_tag_pair ON post_tag (tag, author, ts)")
    await conn.execute("DROP INDEX post_like_ts")
    await conn.execute("DROP INDEX app_install_ts")
    if scheme == Scheme.SQLITE:
        await conn.execute("CREATE INDEX post_like_ts ON post_like (ts, post_id, user_id)")
        await conn.execute("CREATE INDEX app_install_ts ON app_install (ts, app_id, user_id)")
    else:
        await conn.execute("CREATE INDEX post_like_ts ON post_like (ts) INCLUDE (post_id, user_id)")
        await conn.execute(
            "CREATE INDEX app_install_ts ON app_install (ts) INCLUDE (app_id, user_id)")
    # The apps' dirty keys are no longer written (their pairs are); the posts' stay (a post
    # indexed or deleted, v19's triggers on post).
    # The first refresh after the upgrade fills the pairs and tallies from scratch.
    await conn.execute("DELETE FROM trending_state")
