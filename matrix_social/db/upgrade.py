"""Numbered schema upgrades, the same on SQLite and PostgreSQL."""

from mautrix.util.async_db import Connection, Scheme, UpgradeTable

upgrade_table = UpgradeTable()


@upgrade_table.register(description="Bridge state: processed transactions, AI puppets")
async def upgrade_v1(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE appservice_txn (
            txn_id       TEXT PRIMARY KEY,
            processed_at BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE ai_puppet (
            mxid        TEXT PRIMARY KEY,
            owner       TEXT NOT NULL,
            displayname TEXT,
            created_at  BIGINT NOT NULL
        )"""
    )


@upgrade_table.register(description="Social index: feed rooms, profiles, posts, likes, comments")
async def upgrade_v2(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE feed_room (
            room_id    TEXT PRIMARY KEY,
            owner      TEXT NOT NULL UNIQUE,
            created_at BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE profile (
            user_id     TEXT PRIMARY KEY,
            displayname TEXT,
            avatar_url  TEXT
        )"""
    )
    await conn.execute(
        """CREATE TABLE post (
            event_id  TEXT PRIMARY KEY,
            room_id   TEXT NOT NULL,
            author    TEXT NOT NULL,
            kind      TEXT NOT NULL,
            body      TEXT NOT NULL,
            content   TEXT NOT NULL,
            ts        BIGINT NOT NULL,
            edited_ts BIGINT,
            repost_of TEXT
        )"""
    )
    await conn.execute("CREATE INDEX post_room_ts ON post (room_id, ts DESC, event_id DESC)")
    await conn.execute("CREATE INDEX post_ts ON post (ts DESC, event_id DESC)")
    await conn.execute("CREATE INDEX post_repost_of ON post (repost_of)")
    await conn.execute(
        """CREATE TABLE post_like (
            event_id TEXT PRIMARY KEY,
            post_id  TEXT NOT NULL,
            user_id  TEXT NOT NULL,
            ts       BIGINT NOT NULL
        )"""
    )
    await conn.execute("CREATE INDEX post_like_post ON post_like (post_id, user_id)")
    await conn.execute("CREATE INDEX post_like_ts ON post_like (ts)")
    await conn.execute(
        """CREATE TABLE comment (
            event_id    TEXT PRIMARY KEY,
            post_id     TEXT NOT NULL,
            room_id     TEXT NOT NULL,
            author      TEXT NOT NULL,
            body        TEXT NOT NULL,
            in_reply_to TEXT,
            ts          BIGINT NOT NULL,
            edited_ts   BIGINT
        )"""
    )
    await conn.execute("CREATE INDEX comment_post ON comment (post_id, ts, event_id)")
    await conn.execute(
        """CREATE TABLE follow (
            room_id  TEXT NOT NULL,
            user_id  TEXT NOT NULL,
            ts       BIGINT NOT NULL,
            PRIMARY KEY (room_id, user_id)
        )"""
    )
    await conn.execute("CREATE INDEX follow_user ON follow (user_id, ts)")
    await conn.execute("CREATE INDEX follow_room_ts ON follow (room_id, ts)")
    await conn.execute(
        """CREATE TABLE media_upload (
            mxc       TEXT PRIMARY KEY,
            owner     TEXT NOT NULL,
            mimetype  TEXT NOT NULL,
            size      BIGINT NOT NULL,
            width     INTEGER,
            height    INTEGER,
            created_at BIGINT NOT NULL
        )"""
    )


@upgrade_table.register(description="Profiles, AI profiles, apps, installs, full-text search")
async def upgrade_v3(conn: Connection, scheme: Scheme) -> None:
    for column in ("bio", "links", "interests"):
        await conn.execute(f"ALTER TABLE profile ADD COLUMN {column} TEXT")
    await conn.execute(
        """CREATE TABLE interest (
            user_id TEXT NOT NULL,
            tag     TEXT NOT NULL,
            PRIMARY KEY (user_id, tag)
        )"""
    )
    await conn.execute("CREATE INDEX interest_tag ON interest (tag)")
    await conn.execute(
        """CREATE TABLE ai_profile (
            user_id      TEXT PRIMARY KEY,
            personality  TEXT NOT NULL,
            skills       TEXT NOT NULL,
            capabilities TEXT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE app (
            app_id      TEXT PRIMARY KEY,
            room_id     TEXT NOT NULL,
            author      TEXT NOT NULL,
            slug        TEXT NOT NULL,
            name        TEXT NOT NULL,
            description TEXT NOT NULL,
            icon        TEXT NOT NULL,
            url         TEXT NOT NULL,
            ts          BIGINT NOT NULL
        )"""
    )
    await conn.execute("CREATE INDEX app_author ON app (author)")
    await conn.execute(
        """CREATE TABLE app_install (
            app_id  TEXT NOT NULL,
            user_id TEXT NOT NULL,
            ts      BIGINT NOT NULL,
            PRIMARY KEY (app_id, user_id)
        )"""
    )
    await conn.execute("CREATE INDEX app_install_ts ON app_install (ts)")
    await conn.execute("CREATE INDEX app_install_user ON app_install (user_id)")
    await conn.execute("CREATE INDEX post_like_user ON post_like (user_id)")
    if scheme == Scheme.SQLITE:
        await conn.execute(
            "CREATE VIRTUAL TABLE post_fts USING fts5(body, content='post', content_rowid='rowid')"
        )
        await conn.execute(
            "CREATE TRIGGER post_fts_insert AFTER INSERT ON post BEGIN "
            "INSERT INTO post_fts (rowid, body) VALUES (new.rowid, new.body); END"
        )
        await conn.execute(
            "CREATE TRIGGER post_fts_delete AFTER DELETE ON post BEGIN "
            "INSERT INTO post_fts (post_fts, rowid, body) VALUES ('delete', old.rowid, old.body);"
            " END"
        )
        await conn.execute(
            "CREATE TRIGGER post_fts_update AFTER UPDATE OF body ON post BEGIN "
            "INSERT INTO post_fts (post_fts, rowid, body) VALUES ('delete', old.rowid, old.body);"
            " INSERT INTO post_fts (rowid, body) VALUES (new.rowid, new.body); END"
        )
        await conn.execute("INSERT INTO post_fts (post_fts) VALUES ('rebuild')")
    else:
        await conn.execute(
            "ALTER TABLE post ADD COLUMN body_tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED"
        )
        await conn.execute("CREATE INDEX post_body_tsv ON post USING GIN (body_tsv)")


@upgrade_table.register(description="AI rate limits, AI avatars")
async def upgrade_v4(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("ALTER TABLE ai_puppet ADD COLUMN avatar_url TEXT")
    await conn.execute(
        """CREATE TABLE ai_rate_event (
            ai     TEXT NOT NULL,
            sender TEXT NOT NULL,
            ts     BIGINT NOT NULL
        )"""
    )
    await conn.execute("CREATE INDEX ai_rate_event_key ON ai_rate_event (ai, sender, ts)")
    await conn.execute(
        """CREATE TABLE ai_rate_notice (
            ai     TEXT NOT NULL,
            sender TEXT NOT NULL,
            ts     BIGINT NOT NULL,
            PRIMARY KEY (ai, sender)
        )"""
    )


@upgrade_table.register(description="Verified feed rooms' bots, quarantined events, idempotency")
async def upgrade_v5(conn: Connection, scheme: Scheme) -> None:
    # Who may speak for the owner besides the owner: our bot for local feeds, the room's
    # creator on the owner's own server for remote ones ('' for rows from before: nobody).
    await conn.execute("ALTER TABLE feed_room ADD COLUMN bot TEXT NOT NULL DEFAULT ''")
    await conn.execute(
        """CREATE TABLE quarantine (
            event_id   TEXT PRIMARY KEY,
            room_id    TEXT NOT NULL,
            type       TEXT NOT NULL,
            sender     TEXT NOT NULL,
            error      TEXT NOT NULL,
            event_json TEXT NOT NULL,
            first_seen BIGINT NOT NULL,
            last_seen  BIGINT NOT NULL,
            attempts   INTEGER NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE idempotent_request (
            user_id    TEXT NOT NULL,
            key        TEXT NOT NULL,
            request    TEXT NOT NULL,
            status     INTEGER,
            response   TEXT,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, key)
        )"""
    )
    await conn.execute("CREATE INDEX idempotent_request_created ON idempotent_request (created_at)")
    await conn.execute(
        """CREATE TABLE reindex_event (
            run_id     TEXT NOT NULL,
            room_id    TEXT NOT NULL,
            seq        INTEGER NOT NULL,
            event_json TEXT NOT NULL,
            PRIMARY KEY (run_id, room_id, seq)
        )"""
    )


@upgrade_table.register(description="External platforms: connections, OAuth state, Mastodon apps, "
                                    "item map, cross-post deliveries")
async def upgrade_v6(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE platform_connection (
            user_id      TEXT NOT NULL,
            platform     TEXT NOT NULL,
            account_key  TEXT NOT NULL,
            account_id   TEXT NOT NULL,
            handle       TEXT NOT NULL,
            name         TEXT NOT NULL,
            avatar_url   TEXT,
            profile_url  TEXT,
            instance     TEXT,
            status       TEXT NOT NULL,
            status_reason TEXT,
            share_with_followers BOOLEAN NOT NULL DEFAULT false,
            token        TEXT NOT NULL,
            cursor       TEXT,
            etag         TEXT,
            next_due     BIGINT NOT NULL,
            interval_s   INTEGER,
            failures     INTEGER NOT NULL DEFAULT 0,
            last_sync    BIGINT,
            created_at   BIGINT NOT NULL,
            PRIMARY KEY (user_id, platform)
        )"""
    )
    await conn.execute(
        "CREATE INDEX platform_connection_due ON platform_connection (status, next_due)")
    await conn.execute(
        "CREATE INDEX platform_connection_account ON platform_connection (platform, account_key)")
    await conn.execute(
        """CREATE TABLE oauth_state (
            state_hash    TEXT PRIMARY KEY,
            user_id       TEXT NOT NULL,
            platform      TEXT NOT NULL,
            instance      TEXT,
            code_verifier TEXT,
            created_at    BIGINT NOT NULL,
            expires_at    BIGINT NOT NULL
        )"""
    )
    await conn.execute("CREATE INDEX oauth_state_expiry ON oauth_state (expires_at)")
    await conn.execute(
        """CREATE TABLE mastodon_app (
            instance      TEXT NOT NULL,
            redirect_uri  TEXT NOT NULL,
            scopes        TEXT NOT NULL,
            client_id     TEXT NOT NULL,
            client_secret TEXT NOT NULL,
            created_at    BIGINT NOT NULL,
            PRIMARY KEY (instance, redirect_uri, scopes)
        )"""
    )
    await conn.execute(
        """CREATE TABLE external_item (
            platform    TEXT NOT NULL,
            account_key TEXT NOT NULL,
            remote_id   TEXT NOT NULL,
            event_id    TEXT NOT NULL,
            room_id     TEXT NOT NULL,
            origin      TEXT NOT NULL,
            version     TEXT,
            created_at  BIGINT NOT NULL,
            PRIMARY KEY (platform, account_key, remote_id)
        )"""
    )
    await conn.execute("CREATE INDEX external_item_event ON external_item (event_id)")
    await conn.execute(
        """CREATE TABLE cross_post_delivery (
            post_event_id   TEXT NOT NULL,
            target          TEXT NOT NULL,
            user_id         TEXT NOT NULL,
            status          TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            remote_id       TEXT,
            url             TEXT,
            attempts        INTEGER NOT NULL DEFAULT 0,
            last_error      TEXT,
            next_attempt    BIGINT,
            created_at      BIGINT NOT NULL,
            updated_at      BIGINT NOT NULL,
            PRIMARY KEY (post_event_id, target)
        )"""
    )
    await conn.execute(
        "CREATE INDEX cross_post_delivery_due ON cross_post_delivery (status, next_attempt)")


@upgrade_table.register(description="Activity sharing: settings mirror, activities, drafts, "
                                    "summary runs, AI conversations; app forks")
async def upgrade_v7(conn: Connection, scheme: Scheme) -> None:
    await conn.execute("ALTER TABLE app ADD COLUMN forked_from TEXT")
    await conn.execute("CREATE INDEX app_forked_from ON app (forked_from)")
    await conn.execute(
        """CREATE TABLE social_settings (
            user_id    TEXT PRIMARY KEY,
            settings   TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE activity (
            activity_id TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,
            kind        TEXT NOT NULL,
            data        TEXT NOT NULL,
            source      TEXT NOT NULL,
            dedupe      TEXT NOT NULL,
            ts          BIGINT NOT NULL,
            UNIQUE (user_id, dedupe)
        )"""
    )
    await conn.execute("CREATE INDEX activity_ts ON activity (ts)")
    await conn.execute("CREATE INDEX activity_user_ts ON activity (user_id, ts)")
    await conn.execute(
        """CREATE TABLE activity_draft (
            draft_id    TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,
            author      TEXT NOT NULL,
            kind        TEXT NOT NULL,
            text        TEXT NOT NULL,
            activity    TEXT NOT NULL,
            app         TEXT,
            edited      BOOLEAN NOT NULL DEFAULT false,
            status      TEXT NOT NULL,
            publish_at  BIGINT,
            attempts    INTEGER NOT NULL DEFAULT 0,
            post_id     TEXT,
            activity_id TEXT,
            period      TEXT,
            created_at  BIGINT NOT NULL,
            updated_at  BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        "CREATE INDEX activity_draft_user ON activity_draft (user_id, status, created_at)")
    await conn.execute("CREATE INDEX activity_draft_due ON activity_draft (status, publish_at)")
    await conn.execute(
        """CREATE TABLE activity_summary_run (
            user_id     TEXT NOT NULL,
            period_kind TEXT NOT NULL,
            period_key  TEXT NOT NULL,
            outcome     TEXT NOT NULL,
            ts          BIGINT NOT NULL,
            PRIMARY KEY (user_id, period_kind, period_key)
        )"""
    )
    await conn.execute("CREATE INDEX activity_summary_run_ts ON activity_summary_run (ts)")
    await conn.execute(
        """CREATE TABLE ai_conversation (
            ai         TEXT NOT NULL,
            room_id    TEXT NOT NULL,
            public     BOOLEAN NOT NULL,
            name       TEXT,
            alias      TEXT,
            answers    INTEGER NOT NULL,
            first_ts   BIGINT NOT NULL,
            last_ts    BIGINT NOT NULL,
            PRIMARY KEY (ai, room_id)
        )"""
    )
    await conn.execute("CREATE INDEX ai_conversation_room ON ai_conversation (room_id)")


@upgrade_table.register(description="External platforms in Matrix: puppets, portal rooms, bridged "
                                    "items in the feed, shared items, management rooms, settings")
async def upgrade_v8(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE platform_puppet (
            mxid          TEXT PRIMARY KEY,
            platform      TEXT NOT NULL,
            account_key   TEXT NOT NULL,
            displayname   TEXT,
            avatar_source TEXT,
            avatar_mxc    TEXT,
            updated_at    BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE portal_room (
            user_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account_key TEXT NOT NULL,
            room_id     TEXT NOT NULL UNIQUE,
            puppet      TEXT NOT NULL,
            created_at  BIGINT NOT NULL,
            PRIMARY KEY (user_id, platform, account_key)
        )"""
    )
    await conn.execute(
        """CREATE TABLE external_post (
            event_id    TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,
            room_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account_key TEXT NOT NULL,
            remote_id   TEXT NOT NULL,
            author      TEXT NOT NULL,
            kind        TEXT NOT NULL,
            body        TEXT NOT NULL,
            content     TEXT NOT NULL,
            ts          BIGINT NOT NULL,
            edited_ts   BIGINT,
            displayname TEXT,
            avatar_url  TEXT,
            shared_event_id TEXT
        )"""
    )
    await conn.execute(
        "CREATE INDEX external_post_user_ts ON external_post (user_id, ts DESC, event_id DESC)")
    await conn.execute(
        """CREATE TABLE external_share (
            event_id    TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,
            room_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account_key TEXT NOT NULL,
            remote_id   TEXT NOT NULL,
            created_at  BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        "CREATE UNIQUE INDEX external_share_item ON external_share "
        "(platform, account_key, remote_id, user_id)")
    await conn.execute(
        """CREATE TABLE management_room (
            user_id    TEXT PRIMARY KEY,
            room_id    TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        """CREATE TABLE user_setting (
            user_id    TEXT NOT NULL,
            name       TEXT NOT NULL,
            value      TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (user_id, name)
        )"""
    )


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


@upgrade_table.register(description="Post counters kept by triggers, covering feed index, "
                                     "the stored trending ranking")
async def upgrade_v9(conn: Connection, scheme: Scheme) -> None:
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


@upgrade_table.register(description="The external item map per connection: (user, platform, "
                                     "account, remote id)")
async def upgrade_v10(conn: Connection, scheme: Scheme) -> None:
    # Two users may connect the same external account; each has her own portal, so an item is
    # mapped once per user. Existing rows get the user whose portal (inbound) or cross-post
    # (outbound) they belong to.
    await conn.execute(
        """CREATE TABLE external_item_v10 (
            user_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account_key TEXT NOT NULL,
            remote_id   TEXT NOT NULL,
            event_id    TEXT NOT NULL,
            room_id     TEXT NOT NULL,
            origin      TEXT NOT NULL,
            version     TEXT,
            created_at  BIGINT NOT NULL,
            PRIMARY KEY (user_id, platform, account_key, remote_id)
        )"""
    )
    await conn.execute(
        """INSERT INTO external_item_v10 (user_id, platform, account_key, remote_id, event_id,
                                          room_id, origin, version, created_at)
           SELECT COALESCE(
                      (SELECT p.user_id FROM portal_room p WHERE p.room_id = e.room_id),
                      (SELECT MIN(d.user_id) FROM cross_post_delivery d
                       WHERE d.post_event_id = e.event_id AND d.target = e.platform),
                      ''),
                  e.platform, e.account_key, e.remote_id, e.event_id, e.room_id, e.origin,
                  e.version, e.created_at
           FROM external_item e"""
    )
    await conn.execute("DROP TABLE external_item")
    await conn.execute("ALTER TABLE external_item_v10 RENAME TO external_item")
    await conn.execute("CREATE INDEX external_item_event ON external_item (event_id)")


@upgrade_table.register(description="Image derivatives made once, bounded quarantine, the "
                                     "process holding an Idempotency-Key claim")
async def upgrade_v11(conn: Connection, scheme: Scheme) -> None:
    await conn.execute(
        """CREATE TABLE media_derivative (
            source_mxc TEXT NOT NULL,
            kind       TEXT NOT NULL,
            mxc        TEXT NOT NULL,
            size       BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (source_mxc, kind)
        )"""
    )
    # The stored event may be a truncated copy: its original size and digest say what it was.
    await conn.execute("ALTER TABLE quarantine ADD COLUMN event_size BIGINT NOT NULL DEFAULT 0")
    await conn.execute("ALTER TABLE quarantine ADD COLUMN event_sha256 TEXT NOT NULL DEFAULT ''")
    await conn.execute(
        "ALTER TABLE quarantine ADD COLUMN truncated BOOLEAN NOT NULL DEFAULT false")
    await conn.execute("CREATE INDEX quarantine_sender ON quarantine (sender, last_seen)")
    await conn.execute("CREATE INDEX quarantine_last_seen ON quarantine (last_seen)")
    # Which running process holds a claim, and the processes' leases ('' for older claims:
    # only the stale limit frees them).
    await conn.execute(
        "ALTER TABLE idempotent_request ADD COLUMN holder TEXT NOT NULL DEFAULT ''")
    await conn.execute(
        """CREATE TABLE service_process (
            id           TEXT PRIMARY KEY,
            host         TEXT NOT NULL,
            pid          INTEGER NOT NULL,
            started      TEXT NOT NULL,
            heartbeat_at BIGINT NOT NULL
        )"""
    )


@upgrade_table.register(description="Logins bound to the browser that started them; logins "
                                    "waiting for their starter's confirmation")
async def upgrade_v12(conn: Connection, scheme: Scheme) -> None:
    # The hash of the cookie set in the browser that started the login (NULL: no browser
    # started it, e.g. the bot's `login` command).
    await conn.execute("ALTER TABLE oauth_state ADD COLUMN browser_hash TEXT")
    await conn.execute(
        """CREATE TABLE login_confirmation (
            code_hash   TEXT PRIMARY KEY,
            user_id     TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account     TEXT NOT NULL,
            token       TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            created_at  BIGINT NOT NULL,
            expires_at  BIGINT NOT NULL
        )"""
    )
    await conn.execute(
        "CREATE INDEX login_confirmation_user ON login_confirmation (user_id, expires_at)")
    await conn.execute(
        "CREATE INDEX login_confirmation_expiry ON login_confirmation (expires_at)")


@upgrade_table.register(description="Content warnings on comments; profile banner and pinned "
                                     "post")
async def upgrade_v13(conn: Connection, scheme: Scheme) -> None:
    # A post's content warning is in its stored content (the post block's `cw`); a comment
    # stores only its text, so its warning gets a column.
    await conn.execute("ALTER TABLE comment ADD COLUMN cw TEXT")
    # From the profile state: the banner (an mxc URI) and the pinned post's event id, as
    # claimed; a pin counts only for the owner's own post in her feed room (db/profiles.py).
    await conn.execute("ALTER TABLE profile ADD COLUMN banner_url TEXT")
    await conn.execute("ALTER TABLE profile ADD COLUMN pinned_post TEXT")
