"""platform_puppet: the virtual Matrix user of an external account, and the profile we last
gave it (so a name or avatar is set, and an avatar uploaded, only when it changed)."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class PuppetRow:
    mxid: str
    platform: str
    account_key: str
    displayname: str | None
    avatar_source: str | None  # the platform's avatar URL we uploaded from
    avatar_mxc: str | None


async def get(db: Database, mxid: str) -> PuppetRow | None:
    row = await db.fetchrow(
        "SELECT mxid, platform, account_key, displayname, avatar_source, avatar_mxc "
        "FROM platform_puppet WHERE mxid=$1", mxid)
    return PuppetRow(**dict(row)) if row else None


async def upsert(db: Database, row: PuppetRow, now_ms: int) -> None:
    await db.execute(
        "INSERT INTO platform_puppet (mxid, platform, account_key, displayname, avatar_source, "
        "avatar_mxc, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mxid) DO "
        "UPDATE SET displayname=excluded.displayname, avatar_source=excluded.avatar_source, "
        "avatar_mxc=excluded.avatar_mxc, updated_at=excluded.updated_at",
        row.mxid, row.platform, row.account_key, row.displayname, row.avatar_source,
        row.avatar_mxc, now_ms)


async def avatars_of_accounts(db: Database, accounts: list[tuple[str, str]]
                              ) -> dict[tuple[str, str], str]:
    """(platform, account_key) -> the avatar we uploaded to the homeserver for that account's
    puppet (mxc), for the accounts that have one."""
    found: dict[tuple[str, str], str] = {}
    for platform, account_key in accounts:
        mxc = await db.fetchval(
            "SELECT avatar_mxc FROM platform_puppet WHERE platform=$1 AND account_key=$2 "
            "AND avatar_mxc IS NOT NULL ORDER BY updated_at DESC LIMIT 1", platform, account_key)
        if mxc:
            found[(platform, account_key)] = mxc
    return found
