"""activity_summary_run: which summary period was handled for whom (drafted, empty, or the
user had not opted in), so a period is drafted once, never twice, across restarts."""

from __future__ import annotations

from . import Executor


async def exists(db: Executor, user_id: str, period_kind: str, period_key: str) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM activity_summary_run WHERE user_id=$1 AND period_kind=$2 "
        "AND period_key=$3", user_id, period_kind, period_key)
    return found is not None


async def claim(db: Executor, user_id: str, period_kind: str, period_key: str, outcome: str,
                ts: int) -> bool:
    """True for whoever records the period first."""
    claimed = await db.fetchval(
        "INSERT INTO activity_summary_run (user_id, period_kind, period_key, outcome, ts) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, period_kind, period_key) "
        "DO NOTHING RETURNING outcome",
        user_id, period_kind, period_key, outcome, ts,
    )
    return claimed is not None


async def of_user(db: Executor, user_id: str) -> list:
    return await db.fetch(
        "SELECT * FROM activity_summary_run WHERE user_id=$1 ORDER BY period_kind, period_key",
        user_id)


async def prune(db: Executor, before: int) -> None:
    await db.execute("DELETE FROM activity_summary_run WHERE ts < $1", before)
