"""Invites to the bot and to our AI puppets."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.appservice import AppService
from mautrix.types import RoomID, UserID

from .. import events as ev
from ..ids import Identities
from .ai_puppets import Puppets
from .encryption import RoomEncryption
from .feed_owners import FeedOwners

log = logging.getLogger("matrix_social.matrix")


class Invites:
    def __init__(self, az: AppService, ids: Identities, owners: FeedOwners, puppets: Puppets,
                 encryption: RoomEncryption) -> None:
        self.az = az
        self.ids = ids
        self.owners = owners
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
            if intent is not None and await self._feed_invite(raw) \
                    and raw["sender"] != self.ids.ai_owner(invitee):
                # Joining a feed is following it: only the AI's owner decides that.
                await intent.leave_room(room_id, reason="AIs join feeds only when their owner "
                                                        "asks")
                log.info("%s declined %s's invite to the feed %s", invitee, raw["sender"],
                         room_id)
            elif intent is not None:
                await intent.join_room(room_id)
                log.info("%s joined %s on invite from %s", invitee, room_id, raw["sender"])
                if await self.encryption.is_encrypted(room_id):
                    await self.encryption.bring_bot(room_id)

    async def _feed_invite(self, raw: dict[str, Any]) -> bool:
        """Is the room a feed: one we know, or one whose creation (in the invite's stripped
        state) says so?"""
        if await self.owners.feed_of(raw["room_id"]):
            return True
        stripped = (raw.get("unsigned") or {}).get("invite_room_state") or []
        return any(isinstance(e, dict) and e.get("type") == "m.room.create"
                   and (e.get("content") or {}).get("type") == ev.FEED_ROOM_TYPE
                   for e in stripped if isinstance(stripped, list))
