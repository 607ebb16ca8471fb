"""Every event of the transaction stream, in order: first the index, then each listener (AI
answers, profile mirroring, remote-feed discovery...), as wired at start."""

from __future__ import annotations

from typing import Any, Protocol


class Listener(Protocol):
    async def on_event(self, raw: dict[str, Any]) -> None: ...


class EventDispatcher:
    def __init__(self) -> None:
        self.listeners: list[Listener] = []

    def subscribe(self, *listeners: Listener) -> None:
        self.listeners.extend(listeners)

    async def dispatch(self, raw: dict[str, Any]) -> None:
        for listener in self.listeners:
            await listener.on_event(raw)
