"""v8: external platforms in Matrix: puppets, portal rooms, bridged items, management rooms,
settings."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = ("External platforms in Matrix: puppets, portal rooms, bridged "
               "items in the feed, shared items, management rooms, settings")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
