"""What the homeserver really puts in our transactions besides room events.

Ephemeral events (typing, receipts, presence: MSC2409) and to-device events (MSC2409/MSC4203)
reach an appservice only if the homeserver implements them and the registration asks for them.
mautrix parses them only when its config says they are expected; otherwise they stay in the
transaction's leftover fields. This watcher looks at both, so the capability check sees what
arrived whatever the config says.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from mautrix.appservice import AppService

log = logging.getLogger("matrix_social.capabilities")

EPHEMERAL_KEYS = ("ephemeral", "de.sorunome.msc2409.ephemeral")
TO_DEVICE_KEYS = ("to_device", "de.sorunome.msc2409.to_device")

Matcher = Callable[[dict[str, Any]], bool]


def _raw(value: Any) -> dict[str, Any]:
    """A mautrix object or the JSON as sent, as JSON."""
    if isinstance(value, dict):
        return value
    serialize = getattr(value, "serialize", None)
    return serialize() if callable(serialize) else {}


class Seen:
    """How many events of one kind arrived in transactions, and when the last one did."""

    def __init__(self) -> None:
        self.count = 0
        self.last_at: float | None = None
        self._waiters: list[tuple[Matcher, asyncio.Future]] = []
        self._listeners: list[Callable[[], None]] = []

    def add(self, events: list[Any]) -> None:
        if not events:
            return
        first = self.count == 0
        self.count += len(events)
        self.last_at = time.time()
        for event in events:
            raw = _raw(event)
            for matcher, future in list(self._waiters):
                if not future.done() and matcher(raw):
                    future.set_result(raw)
        if first:
            for listener in self._listeners:
                listener()

    def on_first(self, listener: Callable[[], None]) -> None:
        """Call `listener` once the first event of this kind has arrived (now if it has)."""
        if self.count:
            listener()
        else:
            self._listeners.append(listener)

    async def wait_for(self, matcher: Matcher, timeout: float) -> dict[str, Any] | None:
        """The first event from now on that `matcher` accepts; None after `timeout` seconds."""
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        entry = (matcher, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self._waiters.remove(entry)


class TransactionWatcher:
    def __init__(self) -> None:
        self.ephemeral = Seen()
        self.to_device = Seen()
        self._recent: deque[str] = deque(maxlen=64)

    def install(self, az: AppService) -> None:
        """Wrap the appservice's transaction handler (whatever wraps it already stays)."""
        handle_transaction = az.handle_transaction

        async def watched(txn_id: str, **kwargs: Any) -> Any:
            # Once per transaction: a wrapper may call the handler again for each event.
            if txn_id not in self._recent:
                self._recent.append(txn_id)
                self.observe(kwargs)
            return await handle_transaction(txn_id, **kwargs)

        az.handle_transaction = watched

    def observe(self, fields: dict[str, Any]) -> None:
        leftovers = fields.get("extra_data")
        leftovers = leftovers if isinstance(leftovers, dict) else {}
        try:
            self.ephemeral.add(_events(fields.get("ephemeral"), leftovers, EPHEMERAL_KEYS))
            self.to_device.add(_events(fields.get("to_device"), leftovers, TO_DEVICE_KEYS))
        except Exception:  # watching must never fail a transaction
            log.exception("Could not look at a transaction's ephemeral and to-device events")


def _events(parsed: Any, leftovers: dict[str, Any], keys: tuple[str, ...]) -> list[Any]:
    if isinstance(parsed, list) and parsed:
        return parsed
    for key in keys:
        value = leftovers.get(key)
        if isinstance(value, list) and value:
            return value
    return []
