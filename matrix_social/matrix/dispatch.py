"""Every event of the transaction stream, in order: first the index, then each listener (AI
answers, profile mirroring, remote-feed discovery...), as wired at start.

The index must not lose an event: its transient failures (the database unreachable) fail the
transaction, and the homeserver sends it again, as often as it takes. A listener is a
reaction: one that fails for good (a bug, a refused request) is logged and the others still
hear the event; one that fails transiently (a homeserver or AI call timing out) fails the
transaction too, but only MAX_REACTION_ATTEMPTS times for the same event: a call that times
out every time must not hold up the whole stream behind it, retried forever.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any, Protocol

from .ingest.failures import describe, is_transient

log = logging.getLogger("matrix_social.dispatch")

MAX_REACTION_ATTEMPTS = 3
# A listener this slow on one event holds its transaction near the homeserver's patience
# (Synapse gives up on a transaction after 60 s, marks us down and replays): say who it was.
SLOW_SECONDS = 10.0
_REMEMBERED = 10_000


class Listener(Protocol):
    async def on_event(self, raw: dict[str, Any]) -> None: ...


class EventDispatcher:
    def __init__(self) -> None:
        self.listeners: list[Listener] = []
        self.essential: list[Listener] = []
        # event id -> transient failures of its reactions so far
        self._attempts: OrderedDict[str, int] = OrderedDict()

    def subscribe(self, *listeners: Listener, essential: tuple[Listener, ...] = ()) -> None:
        """`essential`: among `listeners`, those whose every failure fails the event."""
        self.listeners.extend(listeners)
        self.essential.extend(essential)

    async def dispatch(self, raw: dict[str, Any]) -> None:
        for listener in self.listeners:
            started = time.monotonic()
            try:
                await listener.on_event(raw)
            except Exception as e:
                if any(listener is kept for kept in self.essential):
                    raise
                self._reaction_failed(listener, raw, e)
            finally:
                took = time.monotonic() - started
                if took > SLOW_SECONDS:
                    log.warning("%s took %.1f s on %s (%s)", type(listener).__name__, took,
                                raw.get("event_id"), raw.get("type"))

    def _reaction_failed(self, listener: Listener, raw: dict[str, Any],
                         error: Exception) -> None:
        name, event_id = type(listener).__name__, str(raw.get("event_id"))
        if is_transient(error) and self._attempt(event_id) < MAX_REACTION_ATTEMPTS:
            raise error
        log.error("%s did not react to %s (%s); the stream goes on", name, event_id,
                  describe(error), exc_info=not is_transient(error))

    def _attempt(self, event_id: str) -> int:
        """How many transient failures this event's reactions had before this one."""
        before = self._attempts.pop(event_id, 0)
        self._attempts[event_id] = before + 1
        while len(self._attempts) > _REMEMBERED:
            self._attempts.popitem(last=False)
        return before
