"""idempotent_request: a client's Idempotency-Key and what the request it named answered."""

from __future__ import annotations

from typing import Any

from . import Executor


async def claim(db: Executor, user_id: str, key: str, request: str, now: int, holder: str):
    """Claim the key for this request, held by process `holder`; the earlier row instead if
    the key was used before."""
    inserted = await db.fetchval(
        "INSERT INTO idempotent_request (user_id, key, request, created_at, holder) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, key) DO NOTHING RETURNING 1",
        user_id, key, request, now, holder)
    if inserted:
        return None
    return await db.fetchrow(
        "SELECT request, status, response, created_at, holder FROM idempotent_request "
        "WHERE user_id=$1 AND key=$2", user_id, key)


async def take_over(db: Executor, user_id: str, key: str, earlier: dict, holder: str,
                    now: int) -> bool:
    """Restart a claim whose request never finished (its process is gone, or it is stale),
    if it is still the claim `earlier` was read from: of two takers, one wins."""
    taken = await db.fetchval(
        "UPDATE idempotent_request SET created_at=$5, holder=$6 WHERE user_id=$1 AND key=$2 "
        "AND status IS NULL AND holder=$3 AND created_at=$4 RETURNING 1",
        user_id, key, earlier["holder"], earlier["created_at"], now, holder)
    return bool(taken)


async def complete(db: Executor, user_id: str, key: str, status: int, response: str) -> None:
    await db.execute(
        "UPDATE idempotent_request SET status=$3, response=$4 WHERE user_id=$1 AND key=$2",
        user_id, key, status, response)


async def release(db: Executor, user_id: str, key: str) -> None:
    await db.execute("DELETE FROM idempotent_request WHERE user_id=$1 AND key=$2", user_id, key)


async def purge(db: Executor, before: int) -> Any:
    await db.execute("DELETE FROM idempotent_request WHERE created_at < $1", before)
