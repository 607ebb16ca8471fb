"""Receives every event of the appservice transaction stream."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mautrix.bridge import BaseMatrixHandler
from mautrix.types import Event, EventType, Membership, StateEvent, UserID

from .. import events as ev
from .crypto_state import RoomCryptoStateStore
from .ingest_errors import is_storage_error
from .transactions import raw_json, route_transactions
from .txn_guard import report_failure

if TYPE_CHECKING:
    from ..bridge import SocialBridge

log = logging.getLogger("matrix_social.matrix")

class MatrixHandler(BaseMatrixHandler):
    def __init__(self, bridge: SocialBridge) -> None:
        # Ghosts that end-to-bridge encryption treats as ours: the AI puppets.
        self.user_id_prefix = "@"
        self.user_id_suffix = f"{bridge.config['bridge.ai_suffix']}:{bridge.identities.domain}"
        super().__init__(bridge=bridge)
        self.bridge: SocialBridge = bridge
        self.encryption = bridge.encryption
        self.encryption_notices = bridge.encryption_notices
        self.capabilities = bridge.capabilities
        route_transactions(self.az, self.handle_direct)
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
        # The encryption route logs the bot's device in; what the homeserver delivers is
        # checked in the background, and decides between transactions and /sync.
        if not await self.encryption.start(self.e2ee, "bridge.encryption.allow is false"):
            self.e2ee = None
        self.bridge.background.spawn(self.capabilities.run(
            self.versions, self.encryption.key_device()))
        self.bridge.background.spawn(self.encryption.decide())

    async def handle_encrypted(self, evt) -> None:
        """In the background (see int_handle_event), so every failure is logged here."""
        try:
            if not self.encryption.available:
                await self.encryption_notices.no_route(evt.room_id)
                return
            # Rooms the bot left or was never brought into: the next messages become readable.
            await self.bring_bot_for_encryption(evt.room_id)
        except Exception:
            log.exception("Could not handle encrypted event %s in %s", evt.event_id, evt.room_id)
            if not self.encryption.available:
                return
        await super().handle_encrypted(evt)

    async def _send_crypto_status_error(self, evt, err=None, retry_num=0, is_final=True,
                                        edit=None, wait_for=None):
        """mautrix's "your message was not bridged" notices, as the AI and only when final."""
        if is_final:
            try:
                await self.encryption_notices.undecryptable(evt.room_id, err)
            except Exception:
                log.exception("Could not tell %s that %s was undecryptable", evt.room_id,
                              evt.event_id)
        return None

    async def int_handle_event(self, evt: Event, was_encrypted: bool = False) -> None:
        if evt.type.is_ephemeral:
            return  # typing, receipts, presence: client concerns; nothing here reads them
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
            self._failed(e, getattr(evt, "event_id", "?"), evt.type)

    async def handle_any_event(self, evt: Event) -> None:
        is_member_event = isinstance(evt, StateEvent) and evt.type == EventType.ROOM_MEMBER
        if is_member_event and evt.content.membership == Membership.INVITE:
            await self.accept_invite(evt)
        await self.dispatch(raw_json(evt))

    async def handle_direct(self, raw: dict[str, Any]) -> None:
        """A message or reaction straight from the transaction (see transactions.py)."""
        try:
            await self.dispatch(raw)
        except Exception as e:
            self._failed(e, raw["event_id"], raw["type"])

    async def dispatch(self, raw: dict[str, Any]) -> None:
        await self.bridge.ingest.handle(raw)
        if raw["type"] == "m.room.message":
            await self.bridge.responder.on_message(raw)
        elif raw["type"] in (str(ev.AI_REQUEST), str(ev.AI_RESPONSE)):
            await self.bridge.ai_to_ai.on_event(raw)

    @staticmethod
    def _failed(error: Exception, event_id: str, event_type: Any) -> None:
        """A storage failure fails the transaction (the homeserver retries it); anything else
        skips this one event."""
        if is_storage_error(error) and report_failure(error):
            return
        log.exception("Skipped event %s of type %s", event_id, event_type)

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

