"""mautrix's Matrix handler: receives every event of the transaction stream and hands it to the
dispatcher; decrypts encrypted events in the background."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mautrix.bridge import BaseMatrixHandler, Bridge
from mautrix.types import Event, EventType

from ..background import Background
from ..ids import Identities
from .capabilities import CapabilityCheck
from .dispatch import EventDispatcher
from .e2be_notices import EncryptionNotices
from .e2be_route import EncryptionRoute
from .encryption import bring_bot
from .ingest.failures import is_transient
from .transactions import raw_json
from .txn_guard import report_failure

log = logging.getLogger("matrix_social.matrix")


class MatrixHandler(BaseMatrixHandler):
    def __init__(self, bridge: Bridge, dispatcher: EventDispatcher, background: Background,
                 ids: Identities, capabilities: CapabilityCheck, e2be_route: EncryptionRoute,
                 e2be_notices: EncryptionNotices, receives_transactions: bool = True) -> None:
        # Ghosts that end-to-bridge encryption treats as ours: the AI puppets.
        self.user_id_prefix = "@"
        self.user_id_suffix = f"{ids.ai_suffix}:{ids.domain}"
        super().__init__(bridge=bridge)
        self.dispatcher = dispatcher
        self.background = background
        self.ids = ids
        self.capabilities = capabilities
        self.e2be_route = e2be_route
        self.e2be_notices = e2be_notices
        # False in an API replica (bridge.py, --role api)
        self.receives_transactions = receives_transactions
        self.log = log

    async def wait_for_connection(self) -> None:
        """mautrix's check, with a clear word when the homeserver cannot reach us back. An API
        replica only checks its token: the homeserver reaches the ingest process, not it."""
        if not self.receives_transactions:
            for attempt in range(30):
                try:
                    self.versions = await self.az.intent.versions()
                    await self.az.intent.whoami()
                    return
                except Exception as e:
                    if attempt == 29:
                        raise
                    log.warning("Homeserver not reachable yet (%s); retrying in 2 s",
                                type(e).__name__)
                    await asyncio.sleep(2)
        try:
            await super().wait_for_connection()
        except SystemExit:
            log.critical(
                "The homeserver at %s could not reach this service back at %s "
                "(appservice ping failed). Check appservice.address in the config and the url "
                "in the registration the homeserver loaded, and that this port is reachable "
                "from the homeserver.",
                self.config.view().homeserver.address,
                self.config.view().appservice.address,
            )
            raise

    async def init_encryption(self) -> None:
        if self.e2ee:
            # An appservice login for a bot the homeserver has not registered yet yields a
            # token the homeserver then rejects; mautrix registers the bot only later.
            await self.az.intent.ensure_registered()
        # The encryption route logs the bot's device in; what the homeserver delivers is
        # checked in the background, and decides between transactions and /sync.
        if not self.receives_transactions:
            await self.e2be_route.start(None, "this process is an API replica (--role api): "
                                              "encrypted rooms are read and answered by the "
                                              "ingest process")
            return
        if not await self.e2be_route.start(self.e2ee, "bridge.encryption.allow is false"):
            self.e2ee = None
        self.background.spawn(self.capabilities.run(self.versions, self.e2be_route.key_device()))
        self.background.spawn(self.e2be_route.decide())

    async def handle_encrypted(self, evt) -> None:
        """In the background (see int_handle_event), so every failure is logged here."""
        try:
            if not self.e2be_route.available:
                await self.e2be_notices.no_route(evt.room_id)
                return
            # Rooms the bot left or was never brought into: the next messages become readable.
            await bring_bot(self.az, self.ids, evt.room_id)
        except Exception:
            log.exception("Could not handle encrypted event %s in %s", evt.event_id, evt.room_id)
            if not self.e2be_route.available:
                return
        await super().handle_encrypted(evt)

    async def _send_crypto_status_error(self, evt, err=None, retry_num=0, is_final=True,
                                        edit=None, wait_for=None):
        """mautrix's "your message was not bridged" notices, as the AI and only when final."""
        if is_final:
            try:
                await self.e2be_notices.undecryptable(evt.room_id, err)
            except Exception:
                log.exception("Could not tell %s that %s was undecryptable", evt.room_id,
                              evt.event_id)
        return None

    async def int_handle_event(self, evt: Event, was_encrypted: bool = False) -> None:
        if evt.type.is_ephemeral:
            return  # typing, receipts, presence: client concerns; nothing here reads them
        try:
            if not was_encrypted:
                await self.az.state_store.update_state(evt)
            if self.e2ee and evt.type == EventType.ROOM_MEMBER:
                await self.e2ee.handle_member_event(evt)
            if evt.type == EventType.ROOM_ENCRYPTED:
                # Only rooms with one of our AIs are ours to read (people's own encrypted chats
                # reach us through the user namespace, but their keys are never shared with
                # the bot: trying would only send key requests to their devices).
                if await self._has_ai(evt.room_id):
                    # Waiting for room keys may take seconds; never hold up the transaction.
                    self.background.spawn(self.handle_encrypted(evt))
                return
            await self.dispatcher.dispatch(raw_json(evt))
        except Exception as e:
            self._failed(e, getattr(evt, "event_id", "?"), evt.type)

    async def _has_ai(self, room_id) -> bool:
        members = await self.az.state_store.get_members(room_id)
        return any(self.ids.is_ai(member) for member in members)

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
