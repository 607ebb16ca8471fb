"""PostgreSQL LISTEN/NOTIFY between the processes of one service (docs/replicas.md): one
channel, JSON payloads under PostgreSQL's 8000-byte limit. SQLite has one process: nothing to
tell."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from mautrix.util.async_db import Database, Scheme

CHANNEL = "matrix_social"
MAX_PAYLOAD = 7900  # PostgreSQL refuses payloads of 8000 bytes and more

log = logging.getLogger("matrix_social.replicas")


def shared(db: Database) -> bool:
    """Whether other processes may share this database (PostgreSQL)."""
    return db.scheme != Scheme.SQLITE


async def notify(db: Database, payload: str) -> None:
    await db.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)


def dsn(db: Database) -> str:
    url = str(db.url)
    return "postgres" + url[url.index(":"):] if url.startswith("postgres") else url


class Listener:
    """A connection of its own that LISTENs; `on_payload` gets every payload, `on_gap` is called
    when the connection was lost and came back (what was said meanwhile is gone: caches drop
    all they hold)."""

    def __init__(self, db: Database, on_payload: Callable[[str], None],
                 on_gap: Callable[[], None]) -> None:
        self.db = db
        self.on_payload = on_payload
        self.on_gap = on_gap
        self.conn: asyncpg.Connection | None = None
        self._watch: asyncio.Task | None = None
        self.ready = asyncio.Event()

    async def start(self) -> None:
        await self._connect()
        self._watch = asyncio.create_task(self._keep())

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        if self.conn is not None and not self.conn.is_closed():
            await self.conn.close()
        self.conn = None

    async def _connect(self) -> None:
        self.conn = await asyncpg.connect(dsn(self.db), timeout=30)
        await self.conn.add_listener(CHANNEL, self._received)
        self.ready.set()

    def _received(self, _conn, _pid, _channel, payload: str) -> None:
        try:
            self.on_payload(payload)
        except Exception:
            log.exception("A notification from another process could not be applied")

    async def _keep(self) -> None:
        """Reconnect when the connection drops (checked every second, retried with a bounded
        back-off); each reconnection is a gap."""
        delay = 1.0
        while True:
            await asyncio.sleep(1.0)
            if self.conn is not None and not self.conn.is_closed():
                delay = 1.0
                continue
            self.ready.clear()
            try:
                await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("LISTEN connection lost, retrying in %.0f s: %s", delay,
                            type(e).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            log.info("LISTEN connection back: dropping what the caches held")
            self.on_gap()


class Broadcast:
    """What one process tells the others sharing its database, by kind: `tell(kind, data)`
    reaches the handlers every other process registered with `on(kind, handler)` (never this
    process's own: it applied the change itself). With SQLite (one process) nothing is sent.
    `on_gap(handler)`: called when notifications may have been missed (the LISTEN connection
    was lost): drop what is cached."""

    def __init__(self, db: Database, origin: str) -> None:
        self.db = db
        self.origin = origin
        self.shared = shared(db)
        self.handlers: dict[str, list[Callable[[object], None]]] = {}
        self.gap_handlers: list[Callable[[], None]] = []
        self.listener: Listener | None = None
        self._tasks: set[asyncio.Task] = set()
        self.muted: set[str] = set()  # kinds not sent (a test breaks coherence on purpose)

    def on(self, kind: str, handler: Callable[[object], None]) -> None:
        self.handlers.setdefault(kind, []).append(handler)

    def on_gap(self, handler: Callable[[], None]) -> None:
        self.gap_handlers.append(handler)

    def keep_per_user(self, kind: str, cache: dict[str, Any]) -> None:
        """A cache by user id: her entry dropped when another process says `kind` for her,
        all of it on a gap."""
        self.on(kind, lambda user: cache.pop(user, None) if isinstance(user, str) else None)
        self.on_gap(cache.clear)

    def payload(self, kind: str, data: object) -> str:
        return json.dumps({"o": self.origin, "k": kind, "d": data}, separators=(",", ":"))

    def fits(self, kind: str, data: object) -> bool:
        return len(self.payload(kind, data).encode()) <= MAX_PAYLOAD

    async def tell(self, kind: str, data: object = None) -> None:
        """Sent when it returns (the others get it in the order it was sent); a failure is
        logged: their caches then lag until their TTL or the next gap."""
        if not self.shared or kind in self.muted:
            return
        payload = self.payload(kind, data)
        if len(payload.encode()) > MAX_PAYLOAD:
            raise ValueError(f"notification {kind} too large ({len(payload)} bytes)")
        try:
            await notify(self.db, payload)
        except Exception as e:
            log.warning("Could not tell the other processes (%s): %s", kind, type(e).__name__)

    def tell_soon(self, kind: str, data: object = None) -> None:
        """tell() in the background, for callers that cannot wait (no order kept)."""
        if not self.shared or kind in self.muted:
            return
        task = asyncio.get_running_loop().create_task(self.tell(kind, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        if self.shared:
            self.listener = Listener(self.db, self._received, self._gap)
            await self.listener.start()

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.listener is not None:
            await self.listener.stop()
            self.listener = None

    def _received(self, payload: str) -> None:
        message = json.loads(payload)
        if not isinstance(message, dict) or message.get("o") == self.origin:
            return
        for handler in self.handlers.get(message.get("k"), ()):
            try:
                handler(message.get("d"))
            except Exception:
                log.exception("Could not apply %s from another process", message.get("k"))

    def _gap(self) -> None:
        for handler in self.gap_handlers:
            try:
                handler()
            except Exception:
                log.exception("Could not drop a cache after a LISTEN gap")


def chunks(items: list, kind: str, wrap: Callable[[list], object],
           broadcast: Broadcast) -> list[object]:
    """`items` split into payloads that fit (`wrap` makes one payload's data from a slice)."""
    out: list[object] = []
    start = 0
    while start < len(items):
        end = len(items)
        while end - start > 1 and not broadcast.fits(kind, wrap(items[start:end])):
            end = start + max(1, (end - start) // 2)
        out.append(wrap(items[start:end]))
        start = end
    return out
