"""How the bot's encryption device gets its to-device events, chosen from what the homeserver
delivers.

- appservice: in transactions (MSC2409/MSC4203 to-device, MSC3202 device lists and key counts).
  Synapse with msc2409_to_device_messages_enabled and msc3202_transaction_extensions.
- sync: the bot's device (an m.login.application_service login) runs a /sync loop for its
  to-device events, device lists and key counts; room events still come in transactions.
  For homeservers that deliver no to-device events to appservices (Conduit and its forks) and
  let the appservice's bot /sync (Synapse refuses /sync to its appservice sender: 500,
  NotImplementedError).
- none: neither works; AIs then say so in encrypted rooms instead of staying silent.

`bridge.encryption.appservice` picks one: true (transactions), false (sync) or auto (the
capability check decides: transactions when a to-device probe comes back in one, else sync).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from mautrix.api import Method, Path
from mautrix.client import InternalEventType
from mautrix.errors import MatrixRequestError
from mautrix.types import (
    EventFilter,
    EventType,
    Filter,
    LoginType,
    RoomEventFilter,
    RoomFilter,
    StateFilter,
)

from .capabilities import CapabilityCheck
from .capability_probes import send_to_device_probe
from .txn_watch import TransactionWatcher

if TYPE_CHECKING:
    from mautrix.bridge.e2ee import EncryptionManager

log = logging.getLogger("matrix_social.encryption")

PENDING, APPSERVICE, SYNC, NONE = "pending", "appservice", "sync", "none"
AUTO = "auto"
SYNC_CHECK_SECONDS = 15.0
LATE_TO_DEVICE_SECONDS = 60
REPROBE_SECONDS = 30.0
REPROBES = 120  # an hour
IN_TRANSACTIONS = "to-device events arrive in transactions"
_ALL = EventType.find("*")
# What the bot's device needs from /sync: to-device events, device lists and key counts
# (always included); no room events, which arrive in transactions.
SYNC_FILTER = Filter(
    account_data=EventFilter(not_types=[_ALL]),
    presence=EventFilter(not_types=[_ALL]),
    room=RoomFilter(include_leave=False, state=StateFilter(not_types=[_ALL]),
                    timeline=RoomEventFilter(not_types=[_ALL]),
                    account_data=RoomEventFilter(not_types=[_ALL]),
                    ephemeral=RoomEventFilter(not_types=[_ALL])),
)


def configured_mode(value: Any) -> str:
    """bridge.encryption.appservice: true, false or auto."""
    if value == AUTO:
        return AUTO
    return APPSERVICE if value else SYNC


class EncryptionRoute:
    def __init__(self, mode_setting: Any, capabilities: CapabilityCheck,
                 watcher: TransactionWatcher) -> None:
        self.mode = configured_mode(mode_setting)
        self.capabilities = capabilities
        self.route = PENDING
        self.detail = "the capability check has not finished yet"
        self.e2ee: EncryptionManager | None = None
        self.last_sync_ok: float | None = None
        self.last_sync_error: str | None = None
        self._appservice_seen = asyncio.Event()
        self.lines: list[str] = []  # what this route logged, in order
        watcher.to_device.on_first(self._to_device_arrived)

    @property
    def available(self) -> bool:
        """Can AIs read and answer encrypted rooms (or might they, while still checking)?"""
        return self.route != NONE

    def key_device(self) -> tuple[str, str] | None:
        """(bot user id, device id) of the device holding the keys, once it is logged in."""
        client = self.e2ee.client if self.e2ee else None
        if client is None or not client.device_id:
            return None
        return client.mxid, client.device_id

    async def start(self, e2ee: EncryptionManager | None, why_off: str) -> bool:
        """Log the bot's device in (mautrix's e2ee start, without its sync loop); False when
        there is no device to hold keys, and why is in `detail`."""
        if e2ee is None:
            self._set(NONE, why_off)
            self.capabilities.skip_to_device(why_off)
            return False
        try:
            flows = await e2ee.client.get_login_flows()
        except MatrixRequestError as e:
            flows = None
            log.warning("Could not read the homeserver's login flows: %s", e)
        if flows is not None and not flows.supports_type(LoginType.APPSERVICE) \
                and not e2ee.msc4190:
            why = "the homeserver does not offer appservice login (m.login.application_service)"
            self._set(NONE, why)
            self.capabilities.skip_to_device(why)
            return False
        # mautrix starts its own /sync loop in start() unless in appservice mode; this class
        # starts it, once it knows it is needed.
        e2ee.appservice_mode = True
        await e2ee.start()
        self.e2ee = e2ee
        e2ee.client.add_event_handler(InternalEventType.SYNC_SUCCESSFUL, self._synced)
        e2ee.client.add_event_handler(InternalEventType.SYNC_ERRORED, self._sync_failed)
        return True

    async def decide(self) -> None:
        """After the capability check (bounded): pick transactions or /sync."""
        if self.e2ee is None or self.route != PENDING:
            return
        if self.mode != SYNC:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.capabilities.to_device_checked.wait(),
                                       self.capabilities.probe_seconds + 30)
            if self.route != PENDING:  # to-device events arrived meanwhile
                return
            if self.capabilities.delivered("to_device_events"):
                self._set(APPSERVICE, IN_TRANSACTIONS)
                return
            if self.mode == APPSERVICE:
                self._set(NONE, "bridge.encryption.appservice is true, but the homeserver "
                                "delivers no to-device events to appservices (set it to auto "
                                "or false to use /sync)")
                return
        await self._start_sync()

    async def check_sync(self) -> str | None:
        """One short /sync as the bot's device (not retried: Synapse answers its appservice
        sender with a 500); None when it works, else what went wrong."""
        client = self.e2ee.client
        try:
            filter_id = await asyncio.wait_for(client.create_filter(SYNC_FILTER),
                                               SYNC_CHECK_SECONDS)
            await asyncio.wait_for(client.api.request(
                Method.GET, Path.v3.sync, query_params={"timeout": "0", "filter": filter_id},
                retry_count=0), SYNC_CHECK_SECONDS)
        except MatrixRequestError as e:
            return f"HTTP {e.http_status} {e.errcode}: {e.message}"[:300]
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            return f"{type(e).__name__}: {e}"[:300]
        return None

    async def _start_sync(self) -> None:
        client = self.e2ee.client
        why = ("bridge.encryption.appservice is false" if self.mode == SYNC else
               "the homeserver delivers no to-device events to appservices")
        error = await self.check_sync()
        if error:
            if self.mode == AUTO:
                # A homeserver slow to deliver (a backlog of transactions after downtime)
                # may still bring the probe's to-device message: stay hopeful a while.
                log.info("The bot's device may not /sync (%s); waiting up to %d s for a "
                         "to-device event in a transaction", error, LATE_TO_DEVICE_SECONDS)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._appservice_seen.wait(), LATE_TO_DEVICE_SECONDS)
            if self.route == PENDING:
                self._set(NONE, f"{why}, and the homeserver does not let the bot's device "
                                f"/sync ({error})")
                if self.mode == AUTO:
                    await self._probe_until_delivered()
            return
        if self.route != PENDING:
            return
        self.last_sync_ok = time.time()
        client.start(SYNC_FILTER)
        self._set(SYNC, f"{why}: the bot's device {client.mxid} {client.device_id} "
                        "gets its to-device events through /sync")

    async def _probe_until_delivered(self) -> None:
        """A homeserver replaying what failed while we were down drops every to-device event
        for us until it is done (docs/testing.md, "The to-device probe"), however long that
        takes: so the probes go on, slowly, and the first to-device event to arrive in a
        transaction turns transactions on (an hour of silence is an answer)."""
        device = self.key_device()
        for _ in range(REPROBES if device else 0):
            if self.route != NONE:
                return
            try:
                await send_to_device_probe(self.capabilities.az, device)
            except (MatrixRequestError, aiohttp.ClientError, TimeoutError, OSError) as e:
                log.info("Could not send a to-device probe: %s", type(e).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._appservice_seen.wait(), REPROBE_SECONDS)

    def _to_device_arrived(self) -> None:
        """To-device events came in a transaction: the homeserver does deliver them."""
        if self.e2ee is None or self.mode == SYNC or self.route == APPSERVICE:
            return
        if self.route == SYNC:
            self.e2ee.client.stop()
        self._set(APPSERVICE, IN_TRANSACTIONS)
        self._appservice_seen.set()

    async def _synced(self, _: Any) -> None:
        self.last_sync_ok = time.time()
        self.last_sync_error = None

    async def _sync_failed(self, data: Any) -> None:
        error = data.get("error") if isinstance(data, dict) else None
        self.last_sync_error = f"{type(error).__name__}: {error}"[:300]

    def _set(self, route: str, detail: str) -> None:
        self.route, self.detail = route, detail
        if route == NONE:
            line = (f"End-to-bridge encryption: unavailable, {detail}. AIs cannot read "
                    "encrypted rooms: new DMs with an AI are created unencrypted, and an "
                    "encrypted room with an AI gets one notice saying why.")
        else:
            line = f"End-to-bridge encryption: {route} mode ({detail})"
        self.lines.append(line)
        log.log(logging.WARNING if route == NONE else logging.INFO, "%s", line)

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"setting": self.mode, "route": self.route, "detail": self.detail}
        if self.route == SYNC:
            out["last_sync_ok_ms_ago"] = (round((time.time() - self.last_sync_ok) * 1000)
                                          if self.last_sync_ok else None)
            out["last_sync_error"] = self.last_sync_error
        return out
