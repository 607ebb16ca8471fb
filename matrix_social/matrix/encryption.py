"""End-to-bridge encryption for our AI puppets: the bot's device encrypts what they send in
encrypted rooms and decrypts what they receive (mautrix's EncryptionManager)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mautrix.appservice import AppService
from mautrix.types import EventType, RoomID

from ..ids import Identities

if TYPE_CHECKING:
    from mautrix.bridge.e2ee import EncryptionManager

log = logging.getLogger("matrix_social.e2be")


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
        if self.e2ee and await self.is_encrypted(room_id):
            return await self.e2ee.encrypt(room_id, event_type, content)
        return event_type, content

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
