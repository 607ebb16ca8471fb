"""v11: image derivatives, bounded quarantine, Idempotency-Key holders."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = ("Image derivatives made once, bounded quarantine, the "
               "process holding an Idempotency-Key claim")


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
