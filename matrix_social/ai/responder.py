"""AI puppets answer messages sent to them: in a DM, or when mentioned in a group."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import AppService
from mautrix.types import EventID, EventType, Member, Membership, RoomID

from ..background import Background
from ..errors import BackendError
from ..ids import Identities
from ..locks import KeyedLocks
from ..matrix.ai_puppets import Puppets
from ..matrix.encryption import RoomEncryption
from ..matrix.feed_owners import FeedOwners
from ..matrix.txn_ids import next_txn_id
from .backends import APOLOGY, Backend
from .context import ContextBuilder
from .rate_limit import RateLimiter, Verdict

log = logging.getLogger("matrix_social.ai")
RATE_NOTICE = ("You've reached the limit of {n} messages an hour to this AI. "
               "It will answer again later.")
MAX_PARALLEL = 8
# (ai, sender, room_id, kind: "message" | "ai_request", the answer's event id), after a
# successful answer.
Answered = Callable[[str, str, str, str, str], Awaitable[None]]


class Responder:
    def __init__(self, az: AppService, ids: Identities, puppets: Puppets, owners: FeedOwners,
                 context: ContextBuilder, limiter: RateLimiter, backend: Backend,
                 encryption: RoomEncryption, background: Background, timeout: float, *,
                 on_answered: Sequence[Answered] = ()) -> None:
        self.az = az
        self.ids = ids
        self.puppets = puppets
        self.owners = owners
        self.context = context
        self.limiter = limiter
        self.backend = backend
        self.encryption = encryption
        self.background = background
        self.timeout = timeout
        self._slots = asyncio.Semaphore(MAX_PARALLEL)
        self._conversations = KeyedLocks()
        self.on_answered = list(on_answered)

    async def on_event(self, raw: dict[str, Any]) -> None:
        """Decide which of our AIs this message is for; answer in the background."""
        if raw.get("type") != "m.room.message":
            return
        content = _object(raw.get("content"))  # anyone's client may send any JSON here
        sender, room_id = raw["sender"], raw["room_id"]
        body = content.get("body")
        if (self.ids.is_ghost(sender) or not isinstance(body, str)
                or content.get("msgtype") not in ("m.text", "m.emote")
                or _object(content.get("m.relates_to")).get("rel_type") == "m.replace"
                or await self.owners.owner_of(room_id)):
            return
        members = await self.members(RoomID(room_id))
        ais = [m for m in members if self.ids.is_ai(m)]
        if not ais:
            return
        if len(members) == 2:
            targets = ais
        else:
            mentioned = _object(content.get("m.mentions")).get("user_ids")
            mentioned = mentioned if isinstance(mentioned, list) else []
            targets = [ai for ai in ais if ai in mentioned or ai in body
                       or f"@{self.ids.local_localpart(ai)}" in body]
        for ai in targets:
            self.background.spawn(self._answer(
                ai, room_id, raw["event_id"], sender, body, direct=len(members) == 2))

    async def members(self, room: RoomID) -> list[str]:
        """Joined members but the bot. In a room created on another server we saw only our own
        joins, so ask the homeserver (as one of our AIs there) for the full list once."""
        state = self.az.state_store
        members = await state.get_members(room)
        ais = [m for m in members if self.ids.is_ai(m)]
        if ais and not await state.has_full_member_list(room):
            intent = self.puppets.intent(ais[0])
            joined = await intent.api.request(Method.GET, Path.v3.rooms[room].joined_members)
            members = list(joined.get("joined", {}))
            await state.set_members(room, {m: Member(membership=Membership.JOIN)
                                           for m in members}, only_membership=Membership.JOIN)
        return [m for m in members if m != self.az.bot_mxid]

    async def _answer(self, ai: str, room_id: str, event_id: str, sender: str, body: str,
                      direct: bool) -> None:
        # One conversation at a time, in arrival order (asyncio locks are FIFO), so the rate
        # limit counts messages in the order they were sent.
        async with self._conversations.hold((ai, room_id)), self._slots:
            try:
                await self._answer_once(ai, room_id, event_id, sender, body, direct)
            except Exception:
                log.exception("AI %s could not answer %s in %s", ai, event_id, room_id)

    async def _answer_once(self, ai: str, room_id: str, event_id: str, sender: str, body: str,
                           direct: bool) -> None:
        intent = await self.puppets.ensure_ai(ai)
        if intent is None:
            return
        room = RoomID(room_id)
        is_owner = sender == self.ids.ai_owner(ai)
        verdict = await self.limiter.check(ai, sender)
        if verdict is Verdict.SILENT:
            return
        if verdict is Verdict.NOTIFY:
            await self.send(intent, room, {"msgtype": "m.notice", "body": self.rate_notice})
            return
        await intent.mark_read(room, event_id)
        await intent.set_typing(room, timeout=(self.timeout + 5) * 1000)
        try:
            request = await self.build_request(ai, intent, room_id, event_id, sender, body,
                                               is_owner, kind="message")
            reply = await self.ask(request)
        finally:
            await intent.set_typing(room, timeout=0)
        content: dict[str, Any] = {"msgtype": "m.text", "body": reply}
        if not direct:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": event_id}}
            content["m.mentions"] = {"user_ids": [sender]}
        answer_id = await self.send(intent, room, content)
        if reply != APOLOGY:
            await self.answered(ai, sender, room_id, "message", answer_id)

    async def answered(self, ai: str, sender: str, room_id: str, kind: str,
                       answer_id: str) -> None:
        for listener in self.on_answered:
            try:
                await listener(ai, sender, room_id, kind, answer_id)
            except Exception:
                log.exception("on_answered listener failed for %s in %s", ai, room_id)

    @property
    def rate_notice(self) -> str:
        return RATE_NOTICE.format(n=self.limiter.per_hour)

    async def send(self, intent, room: RoomID, content: dict[str, Any],
                   event_type: EventType = EventType.ROOM_MESSAGE) -> EventID:
        """As the AI; in an encrypted room, encrypted with the bot's device (end-to-bridge)."""
        event_type, content = await self.encryption.prepare(room, event_type, content)
        return await intent.send_message_event(room, event_type, content, txn_id=next_txn_id())

    async def build_request(self, ai: str, intent, room_id: str, event_id: str, sender: str,
                            body: str, is_owner: bool, kind: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "ai": await self.context.ai_identity(ai),
            "sender": await self.context.public_profile(sender),
            "sender_is_owner": is_owner,
            "room_id": room_id,
            "message": {"event_id": event_id, "body": body},
            "history": await self.context.room_history(intent, room_id, event_id, sender),
        }

    async def ask(self, request: dict[str, Any]) -> str:
        try:
            return await asyncio.wait_for(self.backend.answer(request), self.timeout + 1)
        except (TimeoutError, BackendError) as e:
            log.warning("AI backend failed for %s: %s", request["ai"]["user_id"], e)
            return APOLOGY


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
