"""external_share: posts the service itself made in a user's feed room for a bridged item
(share_with_followers). The index shows a local post's `external` block only when the post is
here, so a block anybody writes into their own post claims nothing."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database


@dataclass(frozen=True)
class ShareRow:
    event_id: str
    user_id: str
    room_id: str
    platform: str
    account_key: str
    remote_id: str


_COLUMNS = "event_id, user_id, room_id, platform, account_key, remote_id"


async def insert(db: Database, row: ShareRow, now_ms: int) -> None:
    await db.execute(
        f"INSERT INTO external_share ({_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
        "$7) ON CONFLICT DO NOTHING", row.event_id, row.user_id, row.room_id, row.platform,
        row.account_key, row.remote_id, now_ms)


async def delete(db: Database, event_id: str) -> None:
    await db.execute("DELETE FROM external_share WHERE event_id=$1", event_id)
