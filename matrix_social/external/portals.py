"""Portal rooms: one per connected external account, created by the bot, with the connecting
user and the account's puppet in it; the puppet posts the account's items there.

Anybody in the room can send into it, like any Matrix room; what a portal shows in the feed is
decided by the bridge's own records of what its puppets sent (db/external_posts.py), never by
reading the room."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, EventType, RoomCreatePreset, RoomID, UserID
from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..db import portal_rooms
from ..db.portal_rooms import PortalRow
from ..errors import CannotActAsUser
from ..locks import KeyedLocks
from ..matrix.intents import Intents
from .platform import Platform
from .puppets import PlatformPuppets

log = logging.getLogger("matrix_social.portals")
_CREATOR_IMPLICIT = ("12",)  # room versions where the creator must not be in power levels


class PortalRooms:
    def __init__(self, az: AppService, db: Database, intents: Intents,
                 puppets: PlatformPuppets) -> None:
        self.az = az
        self.db = db
        self.intents = intents
        self.puppets = puppets
        self._locks = KeyedLocks()
        self._default_version: str | None = None

    async def _room_version(self) -> str:
        if self._default_version is None:
            caps = await self.az.intent.api.request(Method.GET, Path.v3.capabilities)
            versions = caps.get("capabilities", {}).get("m.room_versions", {})
            self._default_version = str(versions.get("default", "10"))
        return self._default_version

    async def ensure(self, user_id: str, platform: Platform, account_key: str, puppet: str,
                     title: str, info: dict[str, Any]) -> RoomID:
        async with self._locks.hold((user_id, platform.name, account_key)):
            row = await portal_rooms.get(self.db, user_id, platform.name, account_key)
            if row is not None:
                return RoomID(row.room_id)
            room_id = await self._create(user_id, platform, account_key, puppet, title, info)
            await portal_rooms.insert(self.db, PortalRow(user_id, platform.name, account_key,
                                                         room_id, puppet), now_ms())
            return room_id

    async def _create(self, user_id: str, platform: Platform, account_key: str, puppet: str,
                      title: str, info: dict[str, Any]) -> RoomID:
        bot = self.az.intent
        bridge_info = {
            "bridgebot": bot.mxid, "creator": bot.mxid,
            "protocol": {"id": platform.name, "displayname": platform.label},
            "channel": {"id": account_key, "displayname": title},
        }
        state_key = f"matrix-social/{platform.name}/{account_key}"
        initial_state = [
            {"type": str(ev.PORTAL_STATE), "state_key": "",
             "content": {"platform": platform.name, "account": info, "user": user_id}},
            {"type": str(ev.BRIDGE_STATE), "state_key": state_key, "content": bridge_info},
            {"type": str(ev.BRIDGE_STATE_LEGACY), "state_key": state_key,
             "content": bridge_info},
        ]
        users = {puppet: 50}
        if await self._room_version() not in _CREATOR_IMPLICIT:
            users[bot.mxid] = 100
        room_id = await bot.create_room(
            preset=RoomCreatePreset.PRIVATE, name=title,
            invitees=[UserID(user_id), UserID(puppet)], initial_state=initial_state,
            power_level_override={"users": users,
                                  "events_default": 0, "state_default": 100,
                                  "redact": 50, "invite": 100, "kick": 100, "ban": 100})
        await self.puppets.intent(puppet).join_room_by_id(room_id)
        try:
            intent = await self.intents.for_user(user_id)
            await intent.join_room_by_id(room_id)
        except (CannotActAsUser, MatrixRequestError) as e:
            log.info("%s stays invited to portal %s: %s", user_id, room_id, e)
        log.info("Created %s portal %s for %s", platform.name, room_id, user_id)
        return room_id

    async def send(self, puppet: str, room_id: str, content: dict[str, Any], txn_id: str,
                   timestamp: int | None = None) -> EventID:
        """Sent with a transaction id made from the item, so a retry after a crash gets the
        event the homeserver already has instead of a second one."""
        kwargs = {"timestamp": timestamp} if timestamp else {}
        return await self.puppets.intent(puppet).send_message_event(
            RoomID(room_id), EventType.ROOM_MESSAGE, content, txn_id=txn_id, **kwargs)

    async def redact(self, puppet: str, room_id: str, event_id: str, reason: str) -> None:
        await self.puppets.intent(puppet).redact(RoomID(room_id), EventID(event_id),
                                                 reason=reason)

    async def upload(self, puppet: str, data: bytes, mimetype: str) -> str:
        return await self.puppets.intent(puppet).upload_media(data, mime_type=mimetype,
                                                              filename="image")
