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
