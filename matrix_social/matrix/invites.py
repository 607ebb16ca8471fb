"""Invites to the bot and to our AI puppets."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.appservice import AppService
from mautrix.types import RoomID, UserID

from ..ids import Identities
from .encryption import RoomEncryption
from .puppets import Puppets

log = logging.getLogger("matrix_social.matrix")


class Invites:
    def __init__(self, az: AppService, ids: Identities, puppets: Puppets,
                 encryption: RoomEncryption) -> None:
        self.az = az
        self.ids = ids
        self.puppets = puppets
        self.encryption = encryption

    async def on_event(self, raw: dict[str, Any]) -> None:
        content = raw.get("content")
        if raw.get("type") != "m.room.member" or not isinstance(content, dict) \
                or content.get("membership") != "invite":
            return
        invitee, room_id = UserID(raw["state_key"]), RoomID(raw["room_id"])
        if invitee == self.az.bot_mxid:
            await self.az.intent.join_room(room_id)
            log.info("Bot joined %s on invite from %s", room_id, raw["sender"])
        elif self.ids.is_ai(invitee):
            intent = await self.puppets.ensure_ai(invitee)
            if intent is not None:
                await intent.join_room(room_id)
                log.info("%s joined %s on invite from %s", invitee, room_id, raw["sender"])
                if await self.encryption.is_encrypted(room_id):
                    await self.encryption.bring_bot(room_id)
