"""Live updates pushed to the web app (server-sent events), fed by ingest's index changes: `post`
(a new post in a room she sees), `counts` (a post she has on screen moved, up or down),
`deleted` (a post she has on screen, or her own, was redacted), `notification` (her unread
count moved). A post she starts watching gets its counts at once: a like that came between her
page's read and her watch is not missed. What is on screen is said per screen (a browser tab
names its stream with a random `screen` key, and its watch with the same): two tabs each keep
their own; a watch without a screen counts for all her streams. Each event has an id; a
reconnect with `Last-Event-ID` gets what it missed from her recent events, or a `reset` when
they are gone (the app then reloads what it shows). A stream that does not read is dropped,
never waited for. Tickets let a browser's EventSource (which cannot send headers) connect
without the access token in a URL: short-lived, single-use.

Across API processes on one PostgreSQL (docs/replicas.md): tickets and what each screen shows
are in the database (a ticket taken from one process opens a stream on another; a watch may
reach a process other than the one holding her stream, which then reloads it and pushes the
counts of what is new on screen), index changes come from every process (IndexChanges'
NOTIFY), and event ids are per process: a reconnect with another process's id gets `reset`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import blocks as blocks_db
from ..db import live as live_db
from ..db import posts as posts_db
from ..db.notify import Broadcast
from ..errors import InvalidInput
from ..matrix.ingest.changes import IndexChanges, Written
from .notifications import Notifications

log = logging.getLogger("matrix_social.live")

TICKET_SECONDS = 60
KEPT_PER_USER = 200  # recent events kept for Last-Event-ID
QUEUE_SIZE = 256
MAX_WATCHED = 200
MAX_STREAMS_PER_USER = 8
MAX_SCREEN_KEY = 64
ZERO = {"likes": 0, "comments": 0, "reposts": 0}


@dataclass(eq=False)
class Stream:
    user: str
    screen: str | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False


def screen_key(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SCREEN_KEY:
        raise InvalidInput(f"'screen' must be a string of 1 to {MAX_SCREEN_KEY} characters")
    return value


class LiveStreams:
    def __init__(self, db: Database, changes: IndexChanges,
                 notifications: Notifications,
                 broadcast: Broadcast | None = None) -> None:
        self.db = db
        self.notifications = notifications
        self.streams: dict[str, set[Stream]] = {}
        self.recent: dict[str, deque] = {}
        # user -> screen -> post ids on it (screen None: for all her streams); for the users
        # with a stream here (the database has every user's, for every process)
        self.watched: dict[str, dict[str | None, set[str]]] = {}
        self.next_id = int(time.time() * 1000) * 1000  # ids grow across restarts too
        self.first_id = self.next_id  # ids below were given by another process (or run)
        self._tasks: set[asyncio.Task] = set()
        self.broadcast = broadcast
        changes.subscribe(self.on_written)
        if broadcast is not None:
            broadcast.on("watch", self._watch_changed)

    # --- tickets ------------------------------------------------------------------------------

    async def ticket(self, user: str) -> dict[str, Any]:
        now = now_ms()
        value = secrets.token_urlsafe(24)
        await live_db.add_ticket(self.db, value, user, now + TICKET_SECONDS * 1000, now)
        return {"ticket": value, "expires_in": TICKET_SECONDS}

    async def redeem(self, value: str) -> str | None:
        """The ticket's user, once; None when unknown, used or expired."""
        if not value or len(value) > 255:
            return None
        return await live_db.redeem_ticket(self.db, value, now_ms())

    # --- streams ------------------------------------------------------------------------------

    async def open(self, user: str, last_event_id: str | None,
                   screen: str | None = None) -> Stream:
        if user not in self.streams:  # what she has on screen, maybe told to another process
            self.watched[user] = await live_db.watched(self.db, user, MAX_WATCHED)
        mine = self.streams.setdefault(user, set())
        if len(mine) >= MAX_STREAMS_PER_USER:
            oldest = next(iter(mine))
            self.close(oldest)
            oldest.dropped = True
        stream = Stream(user, screen)
        self.streams[user].add(stream)
        if last_event_id is not None:
            self._replay(stream, last_event_id)
        return stream

    def end_all(self) -> None:
        """At stop: every stream ends now (its app reconnects, to the next process). A stream
        waiting for its next event would otherwise hold the stop until its keep-alive."""
        for mine in list(self.streams.values()):
            for stream in list(mine):
                stream.dropped = True
                self.close(stream)
                with contextlib.suppress(asyncio.QueueFull):
                    stream.queue.put_nowait(None)

    def close(self, stream: Stream) -> None:
        mine = self.streams.get(stream.user)
        if mine is not None:
            mine.discard(stream)
            if not mine:
                del self.streams[stream.user]
                self.watched.pop(stream.user, None)
            elif stream.screen is not None and all(s.screen != stream.screen for s in mine):
                self.watched.get(stream.user, {}).pop(stream.screen, None)

    def _replay(self, stream: Stream, last_event_id: str) -> None:
        recent = self.recent.get(stream.user) or deque()
        try:
            after = int(last_event_id)
        except ValueError:
            after = -1
        if recent and after >= recent[0][0] - 1 and self.first_id <= after <= self.next_id:
            for event in recent:
                if event[0] > after:
                    stream.queue.put_nowait(event)
        elif after != self.next_id:
            stream.queue.put_nowait((self._id(), "reset", {}))

    async def watch(self, user: str, post_ids: Any, screen: Any = None) -> dict[str, int]:
        if not isinstance(post_ids, list) or not all(isinstance(p, str) and len(p) <= 255
                                                     for p in post_ids):
            raise InvalidInput("'post_ids' must be a list of post ids")
        screen = screen_key(screen)
        # Read and written whole: the stream may be held by another process.
        screens = await live_db.watched(self.db, user, MAX_WATCHED)
        if screen not in screens and len(screens) > MAX_STREAMS_PER_USER:
            self._forget_screens(user, screens)
        screens[screen] = set(list(dict.fromkeys(post_ids))[:MAX_WATCHED])
        await live_db.set_watched(self.db, user, screens)
        if user in self.streams:
            await self._take_watched(user, screens)
        if self.broadcast is not None:
            await self.broadcast.tell("watch", user)
        return {"watching": len(screens[screen])}

    async def _take_watched(self, user: str, screens: dict[str | None, set[str]]) -> None:
        """Her streams here push for what each screen shows now, starting with the counts of
        what is new on it."""
        before = self.watched.get(user, {})
        self.watched[user] = screens
        for screen, now in screens.items():
            new = now - before.get(screen, set())
            if new:
                await self._counts_for(user, screen, new)

    def _watch_changed(self, user: object) -> None:
        """Another process took her new list: the streams held here push for it."""
        if isinstance(user, str) and user in self.streams:
            task = asyncio.create_task(self._reload_watched(user))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _reload_watched(self, user: str) -> None:
        try:
            found = await live_db.watched(self.db, user, MAX_WATCHED)
            if user in self.streams:
                await self._take_watched(user, found)
        except Exception:
            log.exception("Could not take what %s watches", user)

    def _forget_screens(self, user: str, screens: dict[str | None, set[str]]) -> None:
        """Bounded: screens without a stream go first, then the oldest."""
        open_screens = {s.screen for s in self.streams.get(user, ())}
        for key in [k for k in screens if k is not None and k not in open_screens]:
            del screens[key]
        while len(screens) > MAX_STREAMS_PER_USER:
            del screens[next(k for k in screens if k is not None)]

    async def _counts_for(self, user: str, screen: str | None, post_ids: set[str]) -> None:
        """The counts as they are now, for posts she just put on screen."""
        counts = await posts_db.counts_of(self.db, sorted(post_ids))
        counts = {p: counts.get(p, ZERO) for p in post_ids}  # never liked: no row yet
        counts = (await self._as_seen_by(counts, [user])).get(user, counts)
        for post_id in sorted(post_ids):
            self._send(user, "counts", {"post_id": post_id, "counts": counts[post_id]}, screen)

    async def _as_seen_by(self, counts: dict[str, dict[str, int]], users: list[str]
                          ) -> dict[str, dict[str, dict[str, int]]]:
        """For those of `users` who blocked somebody: the counts without his marks, as the
        API shows them to her."""
        seen = {}
        for user in sorted(await blocks_db.owners_among(self.db, sorted(users))):
            theirs = await blocks_db.counts_by_blocked(self.db, user, sorted(counts))
            seen[user] = {post_id: {name: max(0, n - theirs.get(post_id, {}).get(name, 0))
                                    for name, n in c.items()} for post_id, c in counts.items()}
        return seen

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _send(self, user: str, name: str, data: dict[str, Any],
              screen: str | None = None) -> None:
        """To her streams (with a screen: to that screen's only)."""
        event = (self._id(), name, data)
        self.recent.setdefault(user, deque(maxlen=KEPT_PER_USER)).append(event)
        for stream in list(self.streams.get(user, ())):
            if screen is not None and stream.screen != screen:
                continue
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
            self._removed(written.removed_posts)
            await self._new_posts(written.new_posts)
            await self._notifications(written.notifying_events)
            await self._unread(written.unnotified)
        except Exception:
            log.exception("Live update not delivered")

    async def _counts(self, post_ids: Iterable[str]) -> None:
        wanted = {p for p in post_ids
                  if any(p in w for screens in self.watched.values() for w in screens.values())}
        if not wanted:
            return
        counts = await posts_db.counts_of(self.db, sorted(wanted))
        watchers = [u for u, screens in self.watched.items()
                    if any(w & wanted for w in screens.values())]
        seen = await self._as_seen_by(counts, watchers)
        for user, screens in list(self.watched.items()):
            hers = seen.get(user, counts)
            for screen, watched in list(screens.items()):
                for post_id in watched & wanted:
                    if post_id in hers:
                        self._send(user, "counts",
                                   {"post_id": post_id, "counts": hers[post_id]}, screen)

    def _watches(self, user: str, post_id: str) -> bool:
        return any(post_id in w for w in self.watched.get(user, {}).values())

    def _removed(self, removed: list[tuple[str, str, str]]) -> None:
        """A redacted post: gone from the screens that show it, and from its author's."""
        for _room_id, event_id, author in removed:
            for user in list(self.watched):
                if user == author or self._watches(user, event_id):
                    self._send(user, "deleted", {"post_id": event_id})
            if author not in self.watched and author in self.streams:
                self._send(author, "deleted", {"post_id": event_id})

    async def _new_posts(self, new_posts: list[tuple[str, str, str]]) -> None:
        if not new_posts:
            return
        users = list(self.streams)
        seeing = await posts_db.viewers_among(self.db, sorted({p[0] for p in new_posts}), users)
        for room_id, event_id, author in new_posts:
            data = {"post_id": event_id, "room_id": room_id, "author": author}
            for user in users:
                if user == author or (room_id, user) in seeing:
                    self._send(user, "post", data)
                    continue
                # an edit reaches the screens that show the post too
                for screen, watched in list(self.watched.get(user, {}).items()):
                    if event_id in watched:
                        self._send(user, "post", data, screen)

    async def _unread(self, users: set[str]) -> None:
        """Her bell after a redaction took one of her notifications away."""
        for user in sorted(users & self.streams.keys()):
            count = (await self.notifications.unread_count(user))["count"]
            self._send(user, "notification", {"unread_count": count})

    async def _notifications(self, event_ids: list[str]) -> None:
        if not event_ids:
            return
        # Nothing is pushed for what she would not be shown (someone she blocked or mutes, a
        # muted word), and the count is the one the API answers.
        for user in await self.notifications.shown_to(event_ids, list(self.streams)):
            count = (await self.notifications.unread_count(user))["count"]
            self._send(user, "notification", {"unread_count": count})
