"""End-to-bridge encryption for our AI puppets: the bot's device encrypts what they send in
encrypted rooms and decrypts what they receive (mautrix's EncryptionManager), which reads the
rooms' encryption state through RoomCryptoStateStore."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from mautrix.appservice import AppService
from mautrix.crypto import StateStore
from mautrix.errors import EncryptionError
from mautrix.types import EventType, RoomEncryptionStateEventContent, RoomID, UserID
from mautrix.util.async_db import Database

from ..ids import Identities

if TYPE_CHECKING:
    from mautrix.bridge.e2ee import EncryptionManager

log = logging.getLogger("matrix_social.e2be")

ENCRYPT_ATTEMPTS = 3


class RoomEncryption:
    def __init__(self, az: AppService, ids: Identities, e2ee: EncryptionManager | None) -> None:
        self.az = az
        self.ids = ids
        self.e2ee = e2ee

    async def on_event(self, raw: dict[str, Any]) -> None:
        if raw.get("type") == "m.room.encryption" and raw.get("state_key") == "":
            await self.bring_bot(RoomID(raw["room_id"]))

    @property
    def enabled(self) -> bool:
        return self.e2ee is not None

    async def is_encrypted(self, room_id: RoomID) -> bool:
        return bool(await self.az.state_store.is_encrypted(room_id))

    async def prepare(self, room_id: RoomID, event_type: EventType,
                      content: dict[str, Any]) -> tuple[EventType, dict[str, Any]]:
        """What to send: encrypted with the bot's device in an encrypted room, else as is."""
        if not (self.e2ee and await self.is_encrypted(room_id)):
            return event_type, content
        attempt = 1
        while True:
            try:
                return await self.e2ee.encrypt(room_id, event_type, content)
            except EncryptionError as e:
                # A member event arriving between the room key's sharing and the encryption
                # discards the new key (a DM just opened, its joins still on their way): share
                # again for the members known now.
                if attempt == ENCRYPT_ATTEMPTS:
                    raise
                log.info("Encrypting for %s: %s; sharing the room key again", room_id, e)
                await asyncio.sleep(0.2 * attempt)
                attempt += 1

    async def bring_bot(self, room_id: RoomID) -> None:
        if self.e2ee:
            await bring_bot(self.az, self.ids, room_id)


async def bring_bot(az: AppService, ids: Identities, room_id: RoomID) -> None:
    """Our AIs read encrypted rooms through the bot's device, so the bot must be in them."""
    members = await az.state_store.get_members(room_id)
    ais = [m for m in members if ids.is_ai(m)]
    if ais and az.bot_mxid not in members:
        await az.intent.user(ais[0]).invite_user(room_id, az.bot_mxid)
        await az.intent.join_room(room_id)


class RoomCryptoStateStore(StateStore):
    """What encryption needs to know about rooms, from mautrix's own state tables: mautrix's
    bridge crypto store looks rooms up in a `portal` table; this service has no portals, so
    encryption follows the rooms' m.room.encryption state instead."""

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
