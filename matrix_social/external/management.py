"""The management room: the DM where the bot talks to one user about her external accounts,
as mautrix bridges do. A room counts only while exactly the bot and that user are joined, so
nobody else in a group can command for her, and nobody can read what the bot tells her."""

from __future__ import annotations

import logging

from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, EventType, Membership, RoomID, UserID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import management_rooms
from ..db.notify import Broadcast
from ..ids import Identities
from ..locks import KeyedLocks
from ..matrix import dms
from ..matrix.encryption import RoomEncryption

log = logging.getLogger("matrix_social.management")

MAX_CACHED = 100_000


class ManagementRooms:
    def __init__(self, az: AppService, db: Database, ids: Identities,
                 encryption: RoomEncryption, broadcast: Broadcast | None = None) -> None:
        self.az = az
        self.db = db
        self.ids = ids
        self.encryption = encryption
        self._locks = KeyedLocks()
        self._known: dict[str, str | None] = {}  # user -> her room; every DM message asks
        self.broadcast = broadcast
        if broadcast is not None:  # chosen by another process: read it again
            broadcast.keep_per_user("management_room", self._known)

    async def bot_is_in(self, room_id: str) -> bool:
        return bool(await self.az.state_store.is_joined(RoomID(room_id), self.az.bot_mxid))

    async def is_management_room(self, room_id: str, user_id: str) -> bool:
        """Exactly the bot and `user_id`, a local human, joined (asked of the homeserver)."""
        if not self.ids.is_local_human(user_id):
            return False
        try:
            members = await self.az.intent.get_joined_members(RoomID(room_id))
        except MatrixRequestError:
            return False
        return set(members) == {self.az.bot_mxid, UserID(user_id)}

    async def known_room(self, user_id: str) -> str | None:
        if user_id not in self._known:
            if len(self._known) >= MAX_CACHED:
                self._known.clear()
            self._known[user_id] = await management_rooms.get(self.db, user_id)
        return self._known[user_id]

    async def remember(self, user_id: str, room_id: str) -> None:
        await management_rooms.set(self.db, user_id, room_id, now_ms())
        self._known[user_id] = room_id
        if self.broadcast is not None:
            await self.broadcast.tell("management_room", user_id)

    async def room_for(self, user_id: str) -> RoomID:
        """Her management room: the one she last used, else a new DM from the bot."""
        async with self._locks.hold(user_id):
            known = await management_rooms.get(self.db, user_id)
            if known and await self._usable(known, user_id):
                return RoomID(known)
            room_id, _ = await dms.open_dm(self.az.intent, user_id, encrypted=False)
            await self.remember(user_id, room_id)
            return room_id

    async def _usable(self, room_id: str, user_id: str) -> bool:
        try:
            members = await self.az.intent.get_members(RoomID(room_id))
        except MatrixRequestError:
            return False
        present = (Membership.JOIN, Membership.INVITE)
        states = {m.state_key: m.content.membership for m in members}
        others = {k for k, v in states.items() if v in present} - {self.az.bot_mxid, user_id}
        return (states.get(self.az.bot_mxid) == Membership.JOIN
                and states.get(user_id) in present and not others)

    async def say(self, room_id: str, text: str, html: str | None = None) -> None:
        content = {"msgtype": "m.notice", "body": text}
        if html:
            content.update(format="org.matrix.custom.html", formatted_body=html)
        event_type, content = await self.encryption.prepare(
            RoomID(room_id), EventType.ROOM_MESSAGE, content)
        await self.az.intent.send_message_event(RoomID(room_id), event_type, content)

    async def remove(self, room_id: str, event_id: str, reason: str) -> bool:
        """Redact one of her messages (one that held a secret: an app password). Best effort:
        False when the homeserver refused."""
        try:
            await self.az.intent.redact(RoomID(room_id), EventID(event_id), reason=reason)
            return True
        except MatrixRequestError as e:
            log.warning("Could not redact a message in %s: %s", room_id, e.errcode)
            return False

    async def notify(self, user_id: str, text: str, html: str | None = None) -> None:
        """Tell her in her management room; never fails the caller."""
        try:
            await self.say(await self.room_for(user_id), text, html)
        except Exception:
            log.exception("Could not tell %s about her connections", user_id)
