"""A wake-up call for a sleeping background task (new work was queued: do not wait for the
timer). Shared by who queues work and the task that sleeps, so neither holds the other."""

from __future__ import annotations

import asyncio


class Wakeup:
    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    @property
    def event(self) -> asyncio.Event:
        if self._event is None:  # made on the running loop, not at wiring time
            self._event = asyncio.Event()
        return self._event

    def wake(self) -> None:
        self.event.set()
