"""Receives every event of the appservice transaction stream."""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any

from mautrix.bridge import BaseMatrixHandler
from mautrix.types import Event, EventType, Membership, StateEvent, UserID

from .. import events as ev
from .crypto_state import RoomCryptoStateStore
from .ingest_errors import is_storage_error
from .txn_guard import report_failure

if TYPE_CHECKING:
    from ..bridge import SocialBridge

log = logging.getLogger("matrix_social.matrix")

# The events of the transaction being handled, as the homeserver sent them, by event id:
# handlers read the JSON from here instead of serialising mautrix's objects back (that cost as
# much as mautrix's own parsing, per event).
_raw_events: contextvars.ContextVar[dict[str, dict] | None] = contextvars.ContextVar(
    "raw_events", default=None
)


def keep_raw_events(az) -> None:
    """Wrap the appservice's transaction handler so handlers can find each event's JSON."""
    handle_transaction = az.handle_transaction

    async def with_raw_events(txn_id: str, *, events: list, **kwargs: Any) -> Any:
        token = _raw_events.set({e["event_id"]: e for e in events
                                 if isinstance(e, dict) and isinstance(e.get("event_id"), str)})
        try:
            return await handle_transaction(txn_id, events=events, **kwargs)
        finally:
            _raw_events.reset(token)

    az.handle_transaction = with_raw_events


def _raw(evt: Event) -> dict[str, Any]:
    """The event's JSON: as received when it came in this transaction unchanged (not a
    decrypted event, whose id is the encrypted one's), else serialised from mautrix's object."""
    raw = (_raw_events.get() or {}).get(getattr(evt, "event_id", None))
    if raw is not None and raw.get("type") == str(evt.type):
        return raw
    return {**evt.serialize(), "type": str(evt.type)}


class MatrixHandler(BaseMatrixHandler):
    def __init__(self, bridge: SocialBridge) -> None:
        # Ghosts that end-to-bridge encryption treats as ours: the AI puppets.
        self.user_id_prefix = "@"
        self.user_id_suffix = f"{bridge.config['bridge.ai_suffix']}:{bridge.identities.domain}"
        super().__init__(bridge=bridge)
        self.bridge: SocialBridge = bridge
        keep_raw_events(self.az)
        self.log = log
        if self.e2ee:
            crypto_state = RoomCryptoStateStore(bridge.db)
            self.e2ee.state_store = crypto_state
            self.e2ee.crypto.state_store = crypto_state

    async def wait_for_connection(self) -> None:
        """mautrix's check, with a clear word when the homeserver cannot reach us back."""
        try:
            await super().wait_for_connection()
        except SystemExit:
            log.critical(
                "The homeserver at %s could not reach this service back at %s "
                "(appservice ping failed). Check appservice.address in the config and the url "
                "in the registration the homeserver loaded, and that this port is reachable "
                "from the homeserver.",
                self.config["homeserver.address"],
                self.config["appservice.address"],
            )
            raise

    async def init_encryption(self) -> None:
        if self.e2ee:
            # An appservice login for a bot the homeserver has not registered yet yields a
            # token the homeserver then rejects; mautrix registers the bot only later.
            await self.az.intent.ensure_registered()
        await super().init_encryption()

    async def int_handle_event(self, evt: Event, was_encrypted: bool = False) -> None:
        try:
            if not was_encrypted:
                await self.bridge.az.state_store.update_state(evt)
            if self.e2ee and evt.type == EventType.ROOM_MEMBER:
                await self.e2ee.handle_member_event(evt)
            if evt.type == EventType.ROOM_ENCRYPTED:
                # Waiting for room keys may take seconds; never hold up the transaction.
                self.bridge.background.spawn(self.handle_encrypted(evt))
                return
            if evt.type == EventType.ROOM_ENCRYPTION:
                await self.bring_bot_for_encryption(evt.room_id)
            await self.handle_any_event(evt)
        except Exception as e:
            if is_storage_error(e) and report_failure(e):
                return
            log.exception("Skipped event %s of type %s", getattr(evt, "event_id", "?"), evt.type)

    async def handle_any_event(self, evt: Event) -> None:
        is_member_event = isinstance(evt, StateEvent) and evt.type == EventType.ROOM_MEMBER
        if is_member_event and evt.content.membership == Membership.INVITE:
            await self.accept_invite(evt)
        raw = _raw(evt)
        await self.bridge.ingest.handle(raw)
        if evt.type == EventType.ROOM_MESSAGE:
            await self.bridge.responder.on_message(raw)
        elif evt.type in (ev.AI_REQUEST, ev.AI_RESPONSE):
            await self.bridge.ai_to_ai.on_event(raw)

    async def bring_bot_for_encryption(self, room_id) -> None:
        """Our AIs read encrypted rooms through the bot's device, so the bot must be in them."""
        if not self.e2ee:
            return
        members = await self.bridge.az.state_store.get_members(room_id)
        ais = [m for m in members if self.bridge.identities.is_ai(m)]
        if ais and self.az.bot_mxid not in members:
            intent = self.az.intent.user(ais[0])
            await intent.invite_user(room_id, self.az.bot_mxid)
            await self.az.intent.join_room(room_id)

    async def accept_invite(self, evt: StateEvent) -> None:
        invitee = UserID(evt.state_key)
        if invitee == self.az.bot_mxid:
            await self.az.intent.join_room(evt.room_id)
            log.info("Bot joined %s on invite from %s", evt.room_id, evt.sender)
        elif self.bridge.identities.is_ai(invitee):
            intent = await self.bridge.puppets.ensure_ai(invitee)
            if intent is not None:
                await intent.join_room(evt.room_id)
                log.info("%s joined %s on invite from %s", invitee, evt.room_id, evt.sender)
                if await self.bridge.az.state_store.is_encrypted(evt.room_id):
                    await self.bring_bot_for_encryption(evt.room_id)

