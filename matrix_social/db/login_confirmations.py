"""login_confirmation: a login that came back in a browser that did not start it, held until the
Matrix user who started it confirms it with the one-time code shown on the callback page.

Only an HMAC of the code is stored, and the grant encrypted; a row is taken (deleted) by the
one confirmation that matches it, and dropped when it expires or after too many wrong codes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class PendingConfirmation:
    user_id: str
    platform: str
    account: dict[str, Any]  # the platform account's id, handle, name, urls, instance
    token: str  # the encrypted grant
    created_at: int
    expires_at: int

    def __repr__(self) -> str:
        return f"PendingConfirmation(user_id={self.user_id!r}, platform={self.platform!r})"


async def insert(db: Database, code_hash: str, user_id: str, platform: str,
                 account: dict[str, Any], token: str, now_ms: int, expires_at_ms: int) -> None:
    await db.execute(
        "INSERT INTO login_confirmation (code_hash, user_id, platform, account, token, "
        "attempts, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
        code_hash, user_id, platform, json.dumps(account), token, now_ms, expires_at_ms)


async def take(db: Database, code_hash: str, user_id: str, platform: str | None,
               now_ms: int) -> PendingConfirmation | None:
    """The user's pending login with that code, removed in the same statement (single use);
    None if there is none for her (and that platform), or it expired."""
    query = ("DELETE FROM login_confirmation WHERE code_hash=$1 AND user_id=$2"
             + (" AND platform=$3" if platform is not None else "")
             + " RETURNING user_id, platform, account, token, created_at, expires_at")
    args = (code_hash, user_id, platform) if platform is not None else (code_hash, user_id)
    row = await db.fetchrow(query, *args)
    if row is None or row["expires_at"] <= now_ms:
        return None
    return PendingConfirmation(row["user_id"], row["platform"], json.loads(row["account"]),
                               row["token"], row["created_at"], row["expires_at"])


async def count_wrong(db: Database, user_id: str, max_attempts: int) -> int:
    """Count a wrong code against each of her pending logins; drop those that reached
    `max_attempts`. How many were dropped."""
    await db.execute("UPDATE login_confirmation SET attempts = attempts + 1 WHERE user_id=$1",
                     user_id)
    dropped = await db.fetch(
        "DELETE FROM login_confirmation WHERE user_id=$1 AND attempts >= $2 RETURNING user_id",
        user_id, max_attempts)
    return len(dropped)


async def count_pending(db: Database, user_id: str, now_ms: int) -> int:
    return await db.fetchval(
        "SELECT COUNT(*) FROM login_confirmation WHERE user_id=$1 AND expires_at > $2",
        user_id, now_ms)


async def purge_expired(db: Database, now_ms: int) -> None:
    await db.execute("DELETE FROM login_confirmation WHERE expires_at <= $1", now_ms)
