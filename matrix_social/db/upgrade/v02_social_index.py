"""v2: the social index: feed rooms, profiles, posts, likes, comments."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Social index: feed rooms, profiles, posts, likes, comments"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
