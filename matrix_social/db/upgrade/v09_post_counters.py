"""v9: post counters kept by triggers, the covering feed index, the stored trending ranking."""

from mautrix.util.async_db import Connection, Scheme

# Counters per post, kept by the database in the same transaction as the row they count.
# Likes count distinct users (a second ❤️ by the same user is not a second like); counter rows
# mirror post_like, comment and post (reposts) whether or not the post itself is still indexed,
# so every counter always equals a fresh count of its rows.
_COUNTERS_SQLITE = [
    """CREATE TRIGGER post_like_count_insert AFTER INSERT ON post_like
    WHEN NOT EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = NEW.post_id
                     AND l.user_id = NEW.user_id AND l.event_id <> NEW.event_id)
    BEGIN
        INSERT INTO post_count (post_id, likes) VALUES (NEW.post_id, 1)
        ON CONFLICT (post_id) DO UPDATE SET likes = likes + 1;
    END""",
    """CREATE TRIGGER post_like_count_delete AFTER DELETE ON post_like
    WHEN NOT EXISTS (SELECT 1 FROM post_like l WHERE l.post_id = OLD.post_id
                     AND l.user_id = OLD.user_id)
    BEGIN
        UPDATE post_count SET likes = likes - 1 WHERE post_id = OLD.post_id;
    END""",
    """CREATE TRIGGER comment_count_insert AFTER INSERT ON comment
    BEGIN
        INSERT INTO post_count (post_id, comments) VALUES (NEW.post_id, 1)
        ON CONFLICT (post_id) DO UPDATE SET comments = comments + 1;
    END""",
    """CREATE TRIGGER comment_count_delete AFTER DELETE ON comment
    BEGIN
        UPDATE post_count SET comments = comments - 1 WHERE post_id = OLD.post_id;
    END""",
    """CREATE TRIGGER post_repost_count_insert AFTER INSERT ON post
    WHEN NEW.repost_of IS NOT NULL
    BEGIN
        INSERT INTO post_count (post_id, reposts) VALUES (NEW.repost_of, 1)
        ON CONFLICT (post_id) DO UPDATE SET reposts = reposts + 1;
    END""",
    """CREATE TRIGGER post_repost_count_delete AFTER DELETE ON post
    WHEN OLD.repost_of IS NOT NULL
    BEGIN
        UPDATE post_count SET reposts = reposts - 1 WHERE post_id = OLD.repost_of;
    END""",
]

# PostgreSQL: statement-level triggers over the transition table, so a transaction's batch
# (one INSERT of many rows) costs a few set-based statements, not a trigger call per row.
# Before counting distinct likers, the posts' counter rows are locked (in order): two writers
# of the same post take turns, and each statement of a PL/pgSQL function takes a new snapshot,
# so the second one sees the first one's committed rows. Without the lock, two concurrent
# ❤️ by the same user would both count, and two concurrent removals would both not.
#
# Every statement reaches post_count through its primary key (upserts), post_like through a
# correlated count (index lookups) and the transition table through hash aggregates, so its
# cost grows with the batch, whatever the plan: PL/pgSQL makes each plan on the first call in
# a session and keeps it, and a plan made while the tables were small (a seq scan, a hash
# join over the whole table) went on scanning them as they grew (ingest fell to half).
# enable_seqscan = off keeps those lookups on the indexes.
_LOCK_COUNTERS = """
    INSERT INTO post_count AS c (post_id) SELECT DISTINCT post_id FROM changed ORDER BY 1
    ON CONFLICT (post_id) DO UPDATE SET likes = c.likes;
"""
_LIKERS = ("(SELECT COUNT(*) FROM post_like l "
           "WHERE l.post_id = x.post_id AND l.user_id = x.user_id)")
_INDEX_PLANS = "SET enable_seqscan = off"

_COUNTERS_POSTGRES = [
    """CREATE FUNCTION post_like_counted() RETURNS trigger LANGUAGE plpgsql
    """ + _INDEX_PLANS + """ AS $$
    BEGIN
        """ + _LOCK_COUNTERS + """
        IF TG_OP = 'INSERT' THEN
            -- A user counts when all of her likes of the post are new ones.
            INSERT INTO post_count AS c (post_id, likes)
            SELECT x.post_id, COUNT(*) FROM (
                SELECT post_id, user_id, COUNT(*) AS k FROM changed GROUP BY post_id, user_id
            ) x WHERE """ + _LIKERS + """ = x.k
            GROUP BY x.post_id ORDER BY 1
            ON CONFLICT (post_id) DO UPDATE SET likes = c.likes + excluded.likes;
        ELSE
            -- A user stops counting when none of her likes of the post is left.
            INSERT INTO post_count AS c (post_id, likes)
            SELECT x.post_id, -COUNT(*) FROM (
                SELECT DISTINCT post_id, user_id FROM changed
            ) x WHERE """ + _LIKERS + """ = 0
            GROUP BY x.post_id ORDER BY 1
            ON CONFLICT (post_id) DO UPDATE SET likes = c.likes + excluded.likes;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION comment_counted() RETURNS trigger LANGUAGE plpgsql
    """ + _INDEX_PLANS + """ AS $$
    BEGIN
        INSERT INTO post_count AS c (post_id, comments)
        SELECT post_id, CASE WHEN TG_OP = 'INSERT' THEN COUNT(*) ELSE -COUNT(*) END
        FROM changed GROUP BY post_id ORDER BY post_id
        ON CONFLICT (post_id) DO UPDATE SET comments = c.comments + excluded.comments;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION post_repost_counted() RETURNS trigger LANGUAGE plpgsql
    """ + _INDEX_PLANS + """ AS $$
    BEGIN
        INSERT INTO post_count AS c (post_id, reposts)
        SELECT repost_of, CASE WHEN TG_OP = 'INSERT' THEN COUNT(*) ELSE -COUNT(*) END
        FROM changed WHERE repost_of IS NOT NULL GROUP BY repost_of ORDER BY repost_of
        ON CONFLICT (post_id) DO UPDATE SET reposts = c.reposts + excluded.reposts;
        RETURN NULL;
    END $$""",
] + [
    f"CREATE TRIGGER {table}_count_{op.lower()} AFTER {op} ON {table} "
    f"REFERENCING {'NEW' if op == 'INSERT' else 'OLD'} TABLE AS changed "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    for table, function in (("post_like", "post_like_counted"), ("comment", "comment_counted"),
                            ("post", "post_repost_counted"))
    for op in ("INSERT", "DELETE")
]

# Counts of the rows already indexed (the same definition as the triggers keep).
_FILL_COUNTERS = """
INSERT INTO post_count (post_id, likes, comments, reposts)
SELECT post_id, SUM(likes), SUM(comments), SUM(reposts) FROM (
    SELECT post_id, COUNT(DISTINCT user_id) AS likes, 0 AS comments, 0 AS reposts
    FROM post_like GROUP BY post_id
    UNION ALL SELECT post_id, 0, COUNT(*), 0 FROM comment GROUP BY post_id
    UNION ALL SELECT repost_of, 0, 0, COUNT(*) FROM post WHERE repost_of IS NOT NULL
    GROUP BY repost_of
) AS counted GROUP BY post_id
"""


DESCRIPTION = ("Post counters kept by triggers, covering feed index, "
               "the stored trending ranking")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE post_count (
            post_id  TEXT PRIMARY KEY,
            likes    INTEGER NOT NULL DEFAULT 0,
            comments INTEGER NOT NULL DEFAULT 0,
            reposts  INTEGER NOT NULL DEFAULT 0
        )"""
    )
    await conn.execute(_FILL_COUNTERS)
    for statement in _COUNTERS_SQLITE if scheme == Scheme.SQLITE else _COUNTERS_POSTGRES:
        await conn.execute(statement)
    # The newest-first scan of the feed reads room_id from the index itself.
    await conn.execute("DROP INDEX post_ts")
    if scheme == Scheme.SQLITE:
        await conn.execute("CREATE INDEX post_ts ON post (ts DESC, event_id DESC, room_id)")
    else:
        await conn.execute(
            "CREATE INDEX post_ts ON post (ts DESC, event_id DESC) INCLUDE (room_id)")
    await conn.execute(
        """CREATE TABLE trending_post (
            position    INTEGER PRIMARY KEY,
            event_id    TEXT NOT NULL,
            trend       INTEGER NOT NULL,
            ts          BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE trending_state (
            name        TEXT PRIMARY KEY,
            computed_at BIGINT NOT NULL,
            window_end  BIGINT NOT NULL
        )"""
    )
