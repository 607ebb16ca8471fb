"""v6: external platforms: connections, OAuth state, Mastodon apps, cross-post deliveries."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = ("External platforms: connections, OAuth state, Mastodon apps, "
               "item map, cross-post deliveries")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
