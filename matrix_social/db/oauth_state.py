"""oauth_state: a pending authorization, single-use, bound to a user, expiring.

Only a hash of the state is stored, and the PKCE verifier encrypted, so a read of the table
alone cannot finish somebody's login. A login started by a browser (the web app) also keeps the
hash of the cookie set in that browser: only that browser finishes it in one step."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class PendingAuth:
    user_id: str
    platform: str
    instance: str | None
    code_verifier: str | None  # encrypted
    created_at: int
    expires_at: int
    browser_hash: str | None = None  # the starting browser's cookie, hashed; None: no browser

    def __repr__(self) -> str:
        return f"PendingAuth(user_id={self.user_id!r}, platform={self.platform!r})"


async def insert(db: Database, state_hash: str, user_id: str, platform: str,
                 instance: str | None, code_verifier: str | None, now_ms: int,
                 expires_at_ms: int, browser_hash: str | None = None) -> None:
    await db.execute(
        "INSERT INTO oauth_state (state_hash, user_id, platform, instance, code_verifier, "
        "created_at, expires_at, browser_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        state_hash, user_id, platform, instance, code_verifier, now_ms, expires_at_ms,
        browser_hash)


async def consume(db: Database, state_hash: str, now_ms: int) -> PendingAuth | None:
    """The pending authorization, removed in the same statement so a second callback with the
    same state finds nothing; None if unknown or expired."""
    row = await db.fetchrow(
        "DELETE FROM oauth_state WHERE state_hash=$1 RETURNING user_id, platform, instance, "
        "code_verifier, created_at, expires_at, browser_hash", state_hash)
    if row is None or row["expires_at"] <= now_ms:
        return None
    return PendingAuth(row["user_id"], row["platform"], row["instance"], row["code_verifier"],
                       row["created_at"], row["expires_at"], row["browser_hash"])


async def count_pending(db: Database, user_id: str, now_ms: int) -> int:
    return await db.fetchval(
        "SELECT COUNT(*) FROM oauth_state WHERE user_id=$1 AND expires_at > $2", user_id, now_ms)


async def purge_expired(db: Database, now_ms: int) -> None:
    await db.execute("DELETE FROM oauth_state WHERE expires_at <= $1", now_ms)
