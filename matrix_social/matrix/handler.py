"""Receives every event of the appservice transaction stream."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mautrix.bridge import BaseMatrixHandler
from mautrix.types import Event, EventType, Membership, StateEvent, UserID

from .. import events as ev
from .ingest_errors import is_storage_error
from .txn_guard import report_failure

if TYPE_CHECKING:
    from ..bridge import SocialBridge

log = logging.getLogger("matrix_social.matrix")


class MatrixHandler(BaseMatrixHandler):
    user_id_prefix = "@"
    user_id_suffix = ""

    def __init__(self, bridge: SocialBridge) -> None:
        super().__init__(bridge=bridge)
        self.bridge: SocialBridge = bridge
        self.log = log

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

    async def int_handle_event(self, evt: Event, was_encrypted: bool = False) -> None:
        try:
            await self.bridge.az.state_store.update_state(evt)
            await self.handle_any_event(evt)
        except Exception as e:
            if is_storage_error(e) and report_failure(e):
                return
            log.exception("Skipped event %s of type %s", getattr(evt, "event_id", "?"), evt.type)

    async def handle_any_event(self, evt: Event) -> None:
        is_member_event = isinstance(evt, StateEvent) and evt.type == EventType.ROOM_MEMBER
        if is_member_event and evt.content.membership == Membership.INVITE:
            await self.accept_invite(evt)
        await self.bridge.ingest.handle(evt)
        if evt.type == EventType.ROOM_MESSAGE:
            await self.bridge.responder.on_message(evt.serialize())
        elif evt.type in (ev.AI_REQUEST, ev.AI_RESPONSE):
            await self.bridge.ai_to_ai.on_event({**evt.serialize(), "type": str(evt.type)})

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

