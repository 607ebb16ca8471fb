"""portal_room: the room where a connection's items arrive, one per (user, platform, account),
created by the bot with the user and the account's puppet in it."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class PortalRow:
    user_id: str
    platform: str
    account_key: str
    room_id: str
    puppet: str


_COLUMNS = "user_id, platform, account_key, room_id, puppet"


async def get(db: Database, user_id: str, platform: str, account_key: str) -> PortalRow | None:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM portal_room WHERE user_id=$1 AND platform=$2 "
        "AND account_key=$3", user_id, platform, account_key)
    return PortalRow(**dict(row)) if row else None


async def by_room(db: Database, room_id: str) -> PortalRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM portal_room WHERE room_id=$1", room_id)
    return PortalRow(**dict(row)) if row else None


async def insert(db: Database, row: PortalRow, now_ms: int) -> None:
    await db.execute(
        f"INSERT INTO portal_room ({_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        row.user_id, row.platform, row.account_key, row.room_id, row.puppet, now_ms)


async def for_user(db: Database, user_id: str) -> list[PortalRow]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM portal_room WHERE user_id=$1 ORDER BY platform", user_id)
    return [PortalRow(**dict(r)) for r in rows]
