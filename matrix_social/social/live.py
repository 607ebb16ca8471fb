"""Live updates pushed to the web app (server-sent events), fed by ingest's index changes:
`post` (a new post in a room she sees), `counts` (a post she has on screen moved),
`notification` (her unread count moved). Each event has an id; a reconnect with
`Last-Event-ID` gets what it missed from her recent events, or a `reset` when they are gone
(the app then reloads what it shows). A stream that does not read is dropped, never waited
for. Tickets let a browser's EventSource (which cannot send headers) connect without the
access token in a URL: short-lived, single-use."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mautrix.util.async_db import Database

from ..db import notifications as notes
from ..db import posts as posts_db
from ..errors import InvalidInput
from ..matrix.ingest.changes import IndexChanges, Written

log = logging.getLogger("matrix_social.live")

TICKET_SECONDS = 60
MAX_TICKETS = 10_000
KEPT_PER_USER = 200  # recent events kept for Last-Event-ID
QUEUE_SIZE = 256
MAX_WATCHED = 200
MAX_STREAMS_PER_USER = 8


@dataclass(eq=False)
class Stream:
    user: str
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    watched: set[str] = field(default_factory=set)
    dropped: bool = False


class LiveStreams:
    def __init__(self, db: Database, changes: IndexChanges) -> None:
        self.db = db
        self.streams: dict[str, set[Stream]] = {}
        self.recent: dict[str, deque] = {}
        self.watched: dict[str, set[str]] = {}  # user -> post ids (all her streams)
        self.tickets: dict[str, tuple[str, float]] = {}
        self.next_id = int(time.time() * 1000) * 1000  # ids grow across restarts too
        self._tasks: set[asyncio.Task] = set()
        changes.subscribe(self.on_written)

    # --- tickets ------------------------------------------------------------------------------

    def ticket(self, user: str) -> dict[str, Any]:
        now = time.monotonic()
        if len(self.tickets) >= MAX_TICKETS:
            self.tickets = {t: v for t, v in self.tickets.items() if v[1] > now}
            if len(self.tickets) >= MAX_TICKETS:
                self.tickets.pop(next(iter(self.tickets)))
        value = secrets.token_urlsafe(24)
        self.tickets[value] = (user, now + TICKET_SECONDS)
        return {"ticket": value, "expires_in": TICKET_SECONDS}

    def redeem(self, value: str) -> str | None:
        """The ticket's user, once; None when unknown, used or expired."""
        found = self.tickets.pop(value, None)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    # --- streams ------------------------------------------------------------------------------

    def open(self, user: str, last_event_id: str | None) -> Stream:
        mine = self.streams.setdefault(user, set())
        if len(mine) >= MAX_STREAMS_PER_USER:
            oldest = next(iter(mine))
            self.close(oldest)
            oldest.dropped = True
        stream = Stream(user)
        self.streams[user].add(stream)
        if last_event_id is not None:
            self._replay(stream, last_event_id)
        return stream

    def close(self, stream: Stream) -> None:
        mine = self.streams.get(stream.user)
        if mine is not None:
            mine.discard(stream)
            if not mine:
                del self.streams[stream.user]
                self.watched.pop(stream.user, None)

    def _replay(self, stream: Stream, last_event_id: str) -> None:
        recent = self.recent.get(stream.user) or deque()
        try:
            after = int(last_event_id)
        except ValueError:
            after = -1
        if recent and after >= recent[0][0] - 1:
            for event in recent:
                if event[0] > after:
                    stream.queue.put_nowait(event)
        elif after != self.next_id:
            stream.queue.put_nowait((self._id(), "reset", {}))

    def watch(self, user: str, post_ids: Any) -> dict[str, int]:
        if not isinstance(post_ids, list) or not all(isinstance(p, str) and len(p) <= 255
                                                     for p in post_ids):
            raise InvalidInput("'post_ids' must be a list of post ids")
        self.watched[user] = set(post_ids[:MAX_WATCHED])
        return {"watching": len(self.watched[user])}

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _send(self, user: str, name: str, data: dict[str, Any]) -> None:
        event = (self._id(), name, data)
        self.recent.setdefault(user, deque(maxlen=KEPT_PER_USER)).append(event)
        for stream in list(self.streams.get(user, ())):
            try:
                stream.queue.put_nowait(event)
            except asyncio.QueueFull:  # a stream that does not read is dropped
                stream.dropped = True
                self.close(stream)

    # --- fed by ingest ------------------------------------------------------------------------

    def on_written(self, written: Written) -> None:
        if not self.streams:
            return
        task = asyncio.create_task(self._deliver(written))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, written: Written) -> None:
        try:
            await self._counts(written.counted_posts)
            await self._new_posts(written.new_posts)
            await self._notifications(written.notifying_events)
        except Exception:
            log.exception("Live update not delivered")

    async def _counts(self, post_ids: Iterable[str]) -> None:
        wanted = {p for p in post_ids if any(p in w for w in self.watched.values())}
        if not wanted:
            return
        counts = await posts_db.counts_of(self.db, sorted(wanted))
        for user, watched in list(self.watched.items()):
            for post_id in watched & wanted:
                if post_id in counts:
                    self._send(user, "counts", {"post_id": post_id, "counts": counts[post_id]})

    async def _new_posts(self, new_posts: list[tuple[str, str, str]]) -> None:
        if not new_posts:
            return
        users = list(self.streams)
        seeing = await posts_db.viewers_among(self.db, sorted({p[0] for p in new_posts}), users)
        for room_id, event_id, author in new_posts:
            for user in users:
                if user == author or (room_id, user) in seeing:
                    self._send(user, "post", {"post_id": event_id, "room_id": room_id,
                                              "author": author})

    async def _notifications(self, event_ids: list[str]) -> None:
        if not event_ids:
            return
        recipients = await notes.recipients_of(self.db, event_ids, list(self.streams))
        for user in recipients:
            self._send(user, "notification",
                       {"unread_count": await notes.unread_count(self.db, user)})
