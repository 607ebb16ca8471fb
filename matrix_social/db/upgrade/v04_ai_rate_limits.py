"""v4: AI rate limits and AI avatars."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "AI rate limits, AI avatars"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
