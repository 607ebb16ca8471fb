"""platform_connection: a user's connected external account, its encrypted grant and its
polling state (cursor, ETag, next due time), and whether its home timeline comes into her own
feed view (with that reading's cursor). One connection per user and platform."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database

OK = "ok"
BROKEN = "broken"


@dataclass
class ConnectionRow:
    user_id: str
    platform: str
    account_key: str  # unique per platform: the account id (Mastodon: "id@instance host")
    account_id: str
    handle: str
    name: str
    avatar_url: str | None
    profile_url: str | None
    instance: str | None
    status: str
    status_reason: str | None
    share_with_followers: bool
    token: str  # the encrypted grant (tokens.TokenCipher), never plaintext
    cursor: dict[str, Any] | None
    etag: str | None
    next_due: int
    interval_s: int | None
    failures: int
    last_sync: int | None
    created_at: int
    home_timeline: bool = False  # her home timeline there comes into her own feed view
    home_cursor: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return (f"ConnectionRow(user_id={self.user_id!r}, platform={self.platform!r}, "
                f"handle={self.handle!r}, status={self.status!r})")

    @classmethod
    def from_row(cls, row: Any) -> ConnectionRow:
        values = dict(row)
        values["share_with_followers"] = bool(values["share_with_followers"])
        values["cursor"] = json.loads(values["cursor"]) if values["cursor"] is not None else None
        values["home_timeline"] = bool(values["home_timeline"])
        home = values["home_cursor"]
        values["home_cursor"] = json.loads(home) if home is not None else None
        return cls(**values)


_COLUMNS = ("user_id, platform, account_key, account_id, handle, name, avatar_url, profile_url, "
            "instance, status, status_reason, share_with_followers, token, cursor, etag, "
            "next_due, interval_s, failures, last_sync, created_at")
_SELECT = _COLUMNS + ", home_timeline, home_cursor"


async def upsert(db: Database, row: ConnectionRow) -> None:
    """Connect, or reconnect: a new grant, status ok. The cursor survives a reconnection to the
    same account (no second first-sync flood) and is reset for a different account."""
    await db.execute(
        f"INSERT INTO platform_connection ({_COLUMNS}) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
        "$20) ON CONFLICT (user_id, platform) DO UPDATE SET "
        "cursor = CASE WHEN platform_connection.account_key = excluded.account_key "
        "  THEN platform_connection.cursor ELSE NULL END, "
        "etag = CASE WHEN platform_connection.account_key = excluded.account_key "
        "  THEN platform_connection.etag ELSE NULL END, "
        "home_cursor = CASE WHEN platform_connection.account_key = excluded.account_key "
        "  THEN platform_connection.home_cursor ELSE NULL END, "
        "account_key=excluded.account_key, account_id=excluded.account_id, "
        "handle=excluded.handle, name=excluded.name, avatar_url=excluded.avatar_url, "
        "profile_url=excluded.profile_url, instance=excluded.instance, status=excluded.status, "
        "status_reason=NULL, token=excluded.token, next_due=excluded.next_due, failures=0",
        row.user_id, row.platform, row.account_key, row.account_id, row.handle, row.name,
        row.avatar_url, row.profile_url, row.instance, row.status, row.status_reason,
        row.share_with_followers, row.token,
        json.dumps(row.cursor) if row.cursor is not None else None,
        row.etag, row.next_due, row.interval_s, row.failures, row.last_sync, row.created_at,
    )


async def get(db: Database, user_id: str, platform: str) -> ConnectionRow | None:
    row = await db.fetchrow(
        f"SELECT {_SELECT} FROM platform_connection WHERE user_id=$1 AND platform=$2",
        user_id, platform)
    return ConnectionRow.from_row(row) if row else None


async def list_for_user(db: Database, user_id: str) -> list[ConnectionRow]:
    rows = await db.fetch(
        f"SELECT {_SELECT} FROM platform_connection WHERE user_id=$1 ORDER BY platform", user_id)
    return [ConnectionRow.from_row(r) for r in rows]


async def due(db: Database, now_ms: int, limit: int) -> list[ConnectionRow]:
    rows = await db.fetch(
        f"SELECT {_SELECT} FROM platform_connection WHERE status=$1 AND next_due <= $2 "
        "ORDER BY next_due LIMIT $3", OK, now_ms, limit)
    return [ConnectionRow.from_row(r) for r in rows]


async def next_due(db: Database) -> int | None:
    """The earliest next_due of a working connection (for the scheduler's sleep)."""
    return await db.fetchval(
        "SELECT MIN(next_due) FROM platform_connection WHERE status=$1", OK)


async def set_token(db: Database, user_id: str, platform: str, token: str) -> None:
    """Store a refreshed grant (before it is used: an X refresh token works only once)."""
    await db.execute("UPDATE platform_connection SET token=$3 WHERE user_id=$1 AND platform=$2",
                     user_id, platform, token)


async def save_sync(db: Database, user_id: str, platform: str, cursor: dict[str, Any] | None,
                    etag: str | None, next_due_ms: int, interval_s: int, now_ms: int) -> None:
    await db.execute(
        "UPDATE platform_connection SET cursor=$3, etag=$4, next_due=$5, interval_s=$6, "
        "failures=0, last_sync=$7 WHERE user_id=$1 AND platform=$2",
        user_id, platform, json.dumps(cursor) if cursor is not None else None, etag, next_due_ms,
        interval_s, now_ms)


async def save_failure(db: Database, user_id: str, platform: str, next_due_ms: int,
                       failures: int) -> None:
    await db.execute(
        "UPDATE platform_connection SET next_due=$3, failures=$4 WHERE user_id=$1 AND platform=$2",
        user_id, platform, next_due_ms, failures)


async def mark_broken(db: Database, user_id: str, platform: str, reason: str) -> bool:
    """True if this call broke a working connection (so she is told once, by its caller)."""
    row = await db.fetchrow(
        "UPDATE platform_connection SET status=$3, status_reason=$4 "
        "WHERE user_id=$1 AND platform=$2 AND status=$5 RETURNING platform",
        user_id, platform, BROKEN, reason, OK)
    return row is not None


async def set_share_with_followers(db: Database, user_id: str, platform: str,
                                   share: bool) -> bool:
    row = await db.fetchrow(
        "UPDATE platform_connection SET share_with_followers=$3 "
        "WHERE user_id=$1 AND platform=$2 RETURNING platform", user_id, platform, share)
    return row is not None


async def set_home_timeline(db: Database, user_id: str, platform: str, on: bool) -> bool:
    row = await db.fetchrow(
        "UPDATE platform_connection SET home_timeline=$3 "
        "WHERE user_id=$1 AND platform=$2 RETURNING platform", user_id, platform, on)
    return row is not None


async def save_home_cursor(db: Database, user_id: str, platform: str,
                           cursor: dict[str, Any]) -> None:
    await db.execute(
        "UPDATE platform_connection SET home_cursor=$3 WHERE user_id=$1 AND platform=$2",
        user_id, platform, json.dumps(cursor))


async def delete(db: Database, user_id: str, platform: str) -> bool:
    row = await db.fetchrow(
        "DELETE FROM platform_connection WHERE user_id=$1 AND platform=$2 RETURNING platform",
        user_id, platform)
    return row is not None


async def users_of_account(db: Database, platform: str, account_key: str) -> list[str]:
    rows = await db.fetch(
        "SELECT user_id FROM platform_connection WHERE platform=$1 AND account_key=$2 "
        "ORDER BY user_id", platform, account_key)
    return [r["user_id"] for r in rows]
