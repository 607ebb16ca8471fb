"""Appservice transactions already processed (id and digest of their events), so a retried
transaction is not applied twice."""


from mautrix.util.async_db import Database

from ..clock import now_ms


async def is_processed(db: Database, txn_id: str) -> bool:
    return await db.fetchval("SELECT 1 FROM appservice_txn WHERE txn_id=$1", txn_id) is not None


async def mark_processed(db: Database, txn_id: str) -> None:
    await db.execute(
        "INSERT INTO appservice_txn (txn_id, processed_at) VALUES ($1, $2) "
        "ON CONFLICT (txn_id) DO NOTHING",
        txn_id,
        now_ms(),
    )
