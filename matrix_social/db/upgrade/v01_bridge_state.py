"""v1: processed transactions and AI puppets."""

from mautrix.util.async_db import Connection, Scheme

DESCRIPTION = "Bridge state: processed transactions, AI puppets"


async def upgrade(conn: Connection, scheme: Scheme) -> None:
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
