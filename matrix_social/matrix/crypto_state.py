"""What end-to-bridge encryption needs to know about rooms, from mautrix's own state tables.

mautrix's bridge crypto store looks rooms up in a `portal` table; this service has no portals,
so encryption follows the rooms' m.room.encryption state instead.
"""

from __future__ import annotations

from mautrix.crypto import StateStore
from mautrix.types import RoomEncryptionStateEventContent, RoomID, UserID
from mautrix.util.async_db import Database


class RoomCryptoStateStore(StateStore):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def is_encrypted(self, room_id: RoomID) -> bool:
        return await self.get_encryption_info(room_id) is not None

    async def get_encryption_info(self, room_id: RoomID) -> RoomEncryptionStateEventContent | None:
        value = await self.db.fetchval(
            "SELECT encryption FROM mx_room_state WHERE room_id=$1", room_id)
        return RoomEncryptionStateEventContent.parse_json(value) if value else None

    async def find_shared_rooms(self, user_id: UserID) -> list[RoomID]:
        rows = await self.db.fetch(
            "SELECT p.room_id FROM mx_user_profile p JOIN mx_room_state s "
            "ON s.room_id = p.room_id WHERE p.user_id=$1 AND s.encryption IS NOT NULL",
            user_id)
        return [RoomID(row["room_id"]) for row in rows]
