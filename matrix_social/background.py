"""Work that outlives the transaction that started it (AI answers, attaching remote feeds), and
the wake-up call of a sleeping background task."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        """Cancel what is still running and wait for it to finish."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class Wakeup:
    """A wake-up call for a sleeping background task (new work was queued: do not wait for the
    timer). Shared by who queues work and the task that sleeps, so neither holds the other."""

    def __init__(self, tell_others: Callable[[], None] | None = None) -> None:
        self._event: asyncio.Event | None = None
        # the sleeping task may run in another process (an API replica queues, the ingest
        # process delivers): told by NOTIFY (services.py wires it)
        self.tell_others = tell_others

    @property
    def event(self) -> asyncio.Event:
        if self._event is None:  # made on the running loop, not at wiring time
            self._event = asyncio.Event()
        return self._event

    def wake(self) -> None:
        self.event.set()
        if self.tell_others is not None:
            self.tell_others()

    def wake_here(self, _data: object = None) -> None:
        self.event.set()
