"""v19: trending kept incrementally: every post's score in the window (trending_score), the
posts whose score may have changed since the last refresh (trending_dirty, filled by
triggers in the transaction that changes a like or a post), and the set a refresh is
recounting (trending_claim). Same for apps: their installs in the window."""

from mautrix.util.async_db import Connection, Scheme

# (table, column of the key, the dirty table) for likes and installs; a post's existence
# matters too (only indexed posts rank), so post inserts and deletes mark it when it has likes.
_SQLITE = [
    """CREATE TRIGGER post_like_trending_insert AFTER INSERT ON post_like BEGIN
        INSERT INTO trending_dirty (post_id) VALUES (NEW.post_id) ON CONFLICT DO NOTHING;
    END""",
    """CREATE TRIGGER post_like_trending_delete AFTER DELETE ON post_like BEGIN
        INSERT INTO trending_dirty (post_id) VALUES (OLD.post_id) ON CONFLICT DO NOTHING;
    END""",
    """CREATE TRIGGER post_trending_insert AFTER INSERT ON post
    WHEN EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = NEW.event_id) BEGIN
        INSERT INTO trending_dirty (post_id) VALUES (NEW.event_id) ON CONFLICT DO NOTHING;
    END""",
    """CREATE TRIGGER post_trending_delete AFTER DELETE ON post
    WHEN EXISTS (SELECT 1 FROM trending_score s WHERE s.post_id = OLD.event_id) BEGIN
        INSERT INTO trending_dirty (post_id) VALUES (OLD.event_id) ON CONFLICT DO NOTHING;
    END""",
    """CREATE TRIGGER app_install_trending_insert AFTER INSERT ON app_install BEGIN
        INSERT INTO trending_app_dirty (app_id) VALUES (NEW.app_id) ON CONFLICT DO NOTHING;
    END""",
    """CREATE TRIGGER app_install_trending_delete AFTER DELETE ON app_install BEGIN
        INSERT INTO trending_app_dirty (app_id) VALUES (OLD.app_id) ON CONFLICT DO NOTHING;
    END""",
    """CREATE TRIGGER app_install_trending_update AFTER UPDATE ON app_install BEGIN
        INSERT INTO trending_app_dirty (app_id) VALUES (OLD.app_id) ON CONFLICT DO NOTHING;
        INSERT INTO trending_app_dirty (app_id) VALUES (NEW.app_id) ON CONFLICT DO NOTHING;
    END""",
]

# PostgreSQL: statement-level triggers over the transition table (one set-based statement per
# ingest batch, as the counters of v9), keys in order so concurrent writers lock alike.
_POSTGRES = [
    """CREATE FUNCTION post_like_trending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO trending_dirty (post_id) SELECT DISTINCT post_id FROM changed ORDER BY 1
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    # Its lookups stay on the indexes whatever the plan kept from a small table (v9's note).
    """CREATE FUNCTION post_trending() RETURNS trigger LANGUAGE plpgsql
    SET enable_seqscan = off AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO trending_dirty (post_id) SELECT DISTINCT c.event_id FROM changed c
            WHERE EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = c.event_id) ORDER BY 1
            ON CONFLICT DO NOTHING;
        ELSE
            INSERT INTO trending_dirty (post_id) SELECT DISTINCT c.event_id FROM changed c
            WHERE EXISTS (SELECT 1 FROM trending_score s WHERE s.post_id = c.event_id)
            ORDER BY 1 ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION app_install_trending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO trending_app_dirty (app_id) SELECT DISTINCT app_id FROM changed ORDER BY 1
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION app_install_trending_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO trending_app_dirty (app_id)
        SELECT app_id FROM old_rows UNION SELECT app_id FROM new_rows ORDER BY 1
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER app_install_trending_update AFTER UPDATE ON app_install "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION app_install_trending_update()",
] + [
    f"CREATE TRIGGER {table}_trending_{op.lower()} AFTER {op} ON {table} "
    f"REFERENCING {'NEW' if op == 'INSERT' else 'OLD'} TABLE AS changed "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    for table, function in (("post_like", "post_like_trending"), ("post", "post_trending"),
                            ("app_install", "app_install_trending"))
    for op in ("INSERT", "DELETE")
]

DESCRIPTION = ("Trending kept incrementally: scores per post and app, changed keys by "
               "triggers; prefix indexes for searching people and apps")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    for table, key in (("trending", "post_id"), ("trending_app", "app_id")):
        await conn.execute(
            f"""CREATE TABLE {table}_score (
                {key} TEXT PRIMARY KEY,
                trend INTEGER NOT NULL,
                ts    BIGINT NOT NULL
            )""")
        await conn.execute(
            f"CREATE INDEX {table}_score_rank ON {table}_score (trend DESC, ts DESC, {key})")
        for part in ("dirty", "claim"):
            await conn.execute(f"CREATE TABLE {table}_{part} ({key} TEXT PRIMARY KEY)")
    # The likes of one post in the window, counted from the index alone.
    await conn.execute("DROP INDEX post_like_post")
    if scheme == Scheme.SQLITE:
        await conn.execute("CREATE INDEX post_like_post ON post_like (post_id, user_id, ts)")
    else:
        await conn.execute(
            "CREATE INDEX post_like_post ON post_like (post_id, user_id) INCLUDE (ts)")
    for statement in _SQLITE if scheme == Scheme.SQLITE else _POSTGRES:
        await conn.execute(statement)
    # Search by prefix (db/search.py): handles, display names, app names, in byte order.
    collate = "" if scheme == Scheme.SQLITE else ' COLLATE "C"'
    # (SQLite's unique index on feed_room.owner already is one.)
    for name, table, expression in (("feed_room_owner_prefix", "feed_room", "owner"),
                                    ("profile_name_prefix", "profile", "LOWER(displayname)"),
                                    ("app_name_prefix", "app", "LOWER(name)")):
        if scheme == Scheme.SQLITE and table == "feed_room":
            continue
        await conn.execute(f"CREATE INDEX {name} ON {table} (({expression}){collate})")
    # The first refresh after the upgrade fills the scores from scratch.
    await conn.execute("DELETE FROM trending_state")
