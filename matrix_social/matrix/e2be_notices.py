"""What an AI says when it cannot read an encrypted room: one clear notice, never silence.

Sent by an AI of the room (the bot may not be in it), unencrypted (the AI cannot encrypt
either). "Once per room" is remembered in the AI's room account data, so a restart does not
repeat it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from mautrix.appservice import AppService, IntentAPI
from mautrix.errors import MatrixRequestError, MNotFound, SessionNotFound
from mautrix.types import EventType, RoomID, UserID

from .. import events as ev
from ..clock import now_ms
from ..locks import KeyedLocks
from .e2be_route import EncryptionRoute

log = logging.getLogger("matrix_social.encryption")

NO_ROUTE = ("🔒 I can't read end-to-end encrypted messages in this room: {reason}. What you "
            "write here stays unread by me. To talk to me, start a chat with me without "
            "encryption.")
UNENCRYPTED_DM = ("This chat is not end-to-end encrypted because AIs on this server cannot "
                  "read encrypted messages: {reason}.")
UNDECRYPTABLE = ("⚠️ I couldn't decrypt your message ({reason}), so I did not read it. "
                 "Please send it again.")


def reason_of(error: Exception | None) -> str:
    if isinstance(error, SessionNotFound):
        return "its key never reached me"
    return str(error or "unknown error")[:200]


class EncryptionNotices:
    def __init__(self, az: AppService, route: EncryptionRoute, is_ai: Callable[[str], bool],
                 ensure_ai: Callable[[str], Awaitable[IntentAPI | None]]) -> None:
        self.az = az
        self.route = route
        self.is_ai = is_ai
        self.ensure_ai = ensure_ai
        self._locks = KeyedLocks()
        self._told: set[str] = set()

    async def _ais_in(self, room_id: RoomID) -> list[UserID]:
        members = await self.az.state_store.get_members(room_id)
        return sorted(m for m in members if self.is_ai(m))

    async def _notice(self, ai: UserID, room_id: RoomID, body: str) -> None:
        await self.az.intent.user(ai).send_message_event(
            room_id, EventType.ROOM_MESSAGE, {"msgtype": "m.notice", "body": body})

    async def no_route(self, room_id: RoomID) -> None:
        """An encrypted event arrived where AIs cannot decrypt anything: say so, once."""
        if room_id in self._told:
            return
        ais = await self._ais_in(room_id)
        if not ais:
            return
        ai = ais[0]
        async with self._locks.hold(room_id):
            if room_id in self._told or await self._told_before(ai, room_id):
                self._told.add(room_id)
                return
            await self._notice(ai, room_id, NO_ROUTE.format(reason=self.route.detail))
            await self.az.intent.user(ai).set_account_data(
                ev.ENCRYPTION_NOTICE_ACCOUNT_DATA,
                {"reason": self.route.detail, "ts": now_ms()}, room_id)
            self._told.add(room_id)
            log.info("%s told %s that it cannot read encrypted messages", ai, room_id)

    async def _told_before(self, ai: UserID, room_id: RoomID) -> bool:
        try:
            data = await self.az.intent.user(ai).get_account_data(
                ev.ENCRYPTION_NOTICE_ACCOUNT_DATA, room_id)
        except MNotFound:
            return False
        return bool(data)

    async def undecryptable(self, room_id: RoomID, error: Exception | None) -> None:
        """One message could not be decrypted although encryption works: in a DM with an AI,
        the AI says so (in a group it could be anyone's message to anyone: log only)."""
        ais = await self._ais_in(room_id)
        members = [m for m in await self.az.state_store.get_members(room_id)
                   if m != self.az.bot_mxid]
        reason = reason_of(error)
        if len(ais) != 1 or len(members) != 2:
            log.warning("Could not decrypt a message in %s: %s", room_id, reason)
            return
        await self._notice(ais[0], room_id, UNDECRYPTABLE.format(reason=reason))

    async def unencrypted_dm(self, ai: UserID, room_id: RoomID) -> None:
        """A DM with an AI was created unencrypted because encryption is unavailable: the AI
        joins (it is invited) and says why."""
        try:
            intent = await self.ensure_ai(ai)
            if intent is None:
                return
            await intent.join_room(room_id)
            await self._notice(ai, room_id, UNENCRYPTED_DM.format(reason=self.route.detail))
        except MatrixRequestError:
            log.exception("%s could not explain the unencrypted DM %s", ai, room_id)
