"""After we refused a transaction, ask the homeserver to deliver again instead of waiting out
its backoff.

A refused transaction (the database was unreachable: txn_guard answers 500 so that nothing is
lost) makes Synapse mark the appservice down and retry with a doubling delay, up to 8.5
minutes; until its replay is done it also drops every to-device event for us (room keys
included: docs/testing.md, "The to-device probe"). So once a refusal was followed by a quiet
spell (no transaction delivered, so the homeserver is waiting out a delay), we ping it
(MSC2659): a successful ping makes Synapse retry at once. The first successful delivery ends
this; a homeserver without the ping (Conduit) ends it at the first answer that says so.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError

log = logging.getLogger("matrix_social.txn")

QUIET_SECONDS = 5.0
MAX_WAIT_SECONDS = 30.0
MAX_PINGS = 200  # at 30 s apart, well over an hour of refusals


class DeliveryRecovery:
    def __init__(self, az: AppService, quiet_seconds: float = QUIET_SECONDS) -> None:
        self.az = az
        self.quiet_seconds = quiet_seconds
        self.pings = 0
        self._last_delivery = time.monotonic()
        self._refusing = False  # the last transaction was refused, none stored since
        self._task: asyncio.Task | None = None
        self._unsupported = False

    def delivered(self) -> None:
        """A transaction was stored: the homeserver delivers again."""
        self._last_delivery = time.monotonic()
        self._refusing = False

    def refused(self) -> None:
        self._refusing = True
        if self._unsupported or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.create_task(self._ping_until_delivered())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _ping_until_delivered(self) -> None:
        wait = self.quiet_seconds
        for _ in range(MAX_PINGS):
            await asyncio.sleep(wait)
            if not self._refusing:
                return
            if time.monotonic() - self._last_delivery < wait:
                continue  # the homeserver is replaying: let it
            if not await self._ping():
                return
            wait = min(wait * 2, MAX_WAIT_SECONDS)

    async def _ping(self) -> bool:
        """Whether to go on pinging."""
        self.pings += 1
        try:
            await asyncio.wait_for(self.az.ping_self(f"recover-{secrets.token_hex(4)}"), 30)
        except MatrixRequestError as e:
            if e.http_status in (400, 404, 405) or e.errcode == "M_UNRECOGNIZED":
                self._unsupported = True
                log.info("The homeserver has no appservice ping; it retries on its own")
                return False
            log.info("Asking the homeserver to deliver again failed: %s", e)
        except Exception as e:  # the homeserver is unreachable or our own server is not up
            log.info("Asking the homeserver to deliver again failed: %s", type(e).__name__)
        return True
