"""v5: verified feed rooms' bots, quarantined events, idempotency keys."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Verified feed rooms' bots, quarantined events, idempotency"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
