"""v7: activity sharing: settings mirror, activities, drafts, summary runs, AI conversations."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = ("Activity sharing: settings mirror, activities, drafts, "
               "summary runs, AI conversations; app forks")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
