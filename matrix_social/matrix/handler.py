"""mautrix's Matrix handler: receives every event of the transaction stream and hands it to the
dispatcher; decrypts encrypted events in the background."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.bridge import BaseMatrixHandler, Bridge
from mautrix.types import Event, EventType

from ..background import Background
from .dispatch import EventDispatcher
from .ingest.failures import is_transient
from .transactions import raw_json
from .txn_guard import report_failure

log = logging.getLogger("matrix_social.matrix")


class MatrixHandler(BaseMatrixHandler):
    def __init__(self, bridge: Bridge, dispatcher: EventDispatcher, background: Background,
                 ai_suffix: str, domain: str) -> None:
        # Ghosts that end-to-bridge encryption treats as ours: the AI puppets.
        self.user_id_prefix = "@"
        self.user_id_suffix = f"{ai_suffix}:{domain}"
        super().__init__(bridge=bridge)
        self.dispatcher = dispatcher
        self.background = background
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

    async def init_encryption(self) -> None:
        if self.e2ee:
            # An appservice login for a bot the homeserver has not registered yet yields a
            # token the homeserver then rejects; mautrix registers the bot only later.
            await self.az.intent.ensure_registered()
        await super().init_encryption()

    async def int_handle_event(self, evt: Event, was_encrypted: bool = False) -> None:
        try:
            if not was_encrypted:
                await self.az.state_store.update_state(evt)
            if self.e2ee and evt.type == EventType.ROOM_MEMBER:
                await self.e2ee.handle_member_event(evt)
            if evt.type == EventType.ROOM_ENCRYPTED:
                # Only rooms the bot is in can be read (people's own encrypted chats reach us
                # through the user namespace, but their keys are never shared with the bot:
                # trying would only send key requests to their devices).
                if await self.az.state_store.is_joined(evt.room_id, self.az.bot_mxid):
                    # Waiting for room keys may take seconds; never hold up the transaction.
                    self.background.spawn(self.handle_encrypted(evt))
                return
            await self.dispatcher.dispatch(raw_json(evt))
        except Exception as e:
            self._failed(e, getattr(evt, "event_id", "?"), evt.type)

    async def handle_direct(self, raw: dict[str, Any]) -> None:
        """A message or reaction straight from the transaction (see transactions.py)."""
        try:
            await self.dispatcher.dispatch(raw)
        except Exception as e:
            self._failed(e, raw["event_id"], raw["type"])

    @staticmethod
    def _failed(error: Exception, event_id: str, event_type: Any) -> None:
        """A transient failure fails the transaction (the homeserver retries it); anything
        else skips this one event (ingest has quarantined it if the index could not take it)."""
        if is_transient(error) and report_failure(error):
            return
        log.exception("Skipped event %s of type %s", event_id, event_type)
