"""What ingest just wrote, told to whoever listens (the live streams), in this process and, by
NOTIFY, in every other process on the same PostgreSQL (an API replica holds streams too: the
transaction's writes happen in the ingest process, an API request's own writes in the replica
that took it): posts whose counts may have moved (up, or down when a like or comment was
redacted), new posts, posts removed (redacted), and the events that may have notified
somebody. Told only after the database transaction committed; a listener must be quick (it
schedules its own work) and its failure never reaches ingest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ...db.notify import Broadcast, chunks

log = logging.getLogger("matrix_social.ingest")


@dataclass
class Written:
    counted_posts: set[str] = field(default_factory=set)
    new_posts: list[tuple[str, str, str]] = field(default_factory=list)  # room, event, author
    notifying_events: list[str] = field(default_factory=list)
    removed_posts: list[tuple[str, str, str]] = field(default_factory=list)  # room, event, author
    unnotified: set[str] = field(default_factory=set)  # whose notification a redaction took

    def __bool__(self) -> bool:
        return bool(self.counted_posts or self.new_posts or self.notifying_events
                    or self.removed_posts or self.unnotified)


KIND = "written"


class IndexChanges:
    def __init__(self, broadcast: Broadcast | None = None) -> None:
        self.listeners: list[Callable[[Written], None]] = []
        self.broadcast = broadcast
        if broadcast is not None:
            broadcast.on(KIND, self._from_another_process)

    def subscribe(self, listener: Callable[[Written], None]) -> None:
        self.listeners.append(listener)

    def publish(self, written: Written) -> None:
        if not written:
            return
        self._tell_here(written)
        if self.broadcast is not None and self.broadcast.shared:
            items = ([["c", p] for p in sorted(written.counted_posts)]
                     + [["n", *p] for p in written.new_posts]
                     + [["e", e] for e in written.notifying_events]
                     + [["r", *p] for p in written.removed_posts]
                     + [["u", u] for u in sorted(written.unnotified)])
            for data in chunks(items, KIND, lambda part: part, self.broadcast):
                self.broadcast.tell_soon(KIND, data)

    def _from_another_process(self, data: object) -> None:
        written = Written()
        for item in data if isinstance(data, list) else ():
            if item[0] == "c":
                written.counted_posts.add(item[1])
            elif item[0] == "n":
                written.new_posts.append((item[1], item[2], item[3]))
            elif item[0] == "e":
                written.notifying_events.append(item[1])
            elif item[0] == "r":
                written.removed_posts.append((item[1], item[2], item[3]))
            elif item[0] == "u":
                written.unnotified.add(item[1])
        if written:
            self._tell_here(written)

    def _tell_here(self, written: Written) -> None:
        for listener in self.listeners:
            try:
                listener(written)
            except Exception:
                log.exception("A listener of index changes failed")
