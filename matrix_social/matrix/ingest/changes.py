"""What ingest just wrote, told to whoever listens in this process (the live streams): posts
whose counts may have moved, new posts, and the events that may have notified somebody. Told
only after the database transaction committed; a listener must be quick (it schedules its own
work) and its failure never reaches ingest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("matrix_social.ingest")


@dataclass
class Written:
    counted_posts: set[str] = field(default_factory=set)
    new_posts: list[tuple[str, str, str]] = field(default_factory=list)  # room, event, author
    notifying_events: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.counted_posts or self.new_posts or self.notifying_events)


class IndexChanges:
    def __init__(self) -> None:
        self.listeners: list[Callable[[Written], None]] = []

    def subscribe(self, listener: Callable[[Written], None]) -> None:
        self.listeners.append(listener)

    def publish(self, written: Written) -> None:
        if not written:
            return
        for listener in self.listeners:
            try:
                listener(written)
            except Exception:
                log.exception("A listener of index changes failed")
