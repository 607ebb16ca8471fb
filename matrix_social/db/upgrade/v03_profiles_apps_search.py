"""v3: profiles, AI profiles, apps, installs, full-text search."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Profiles, AI profiles, apps, installs, full-text search"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
