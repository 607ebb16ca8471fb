"""Trending posts: the 24-hour ranking, recomputed in the background, served from its stored
copy, so no request ever computes or waits for it.

The ranking counts every like of the last 24 hours (seconds at a million likes), so it runs
every `refresh_seconds` on a database handle of its own (db/trending.background_database)
and replaces the stored ranking (its first DEPTH posts) in one database transaction.
Staleness: while refreshes succeed, the ranking served was computed at most refresh_seconds
plus one computation ago (the likes_24h it shows are that old; each post's own counts are
read fresh). A refresh that fails is logged and retried after refresh_seconds; the ranking
served meanwhile gets older (the metrics show its age). After a restart, requests serve the
ranking stored before it until the first refresh of this run has finished; on a new
database, trending is empty until then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from mautrix.util.async_db import Database

from .. import metrics
from ..clock import now_ms
from ..db import explore, trending
from . import cursor as cursors
from .views import Brandings, post_view

DAY_MS = 24 * 3600 * 1000
DEPTH = 1000  # posts kept in the stored ranking (50 pages of 20)

log = logging.getLogger("matrix_social.trending")


class Trending:
    def __init__(self, db: Database, refresh_seconds: float,
                 handle_of: Callable[[str], str], brandings: Brandings) -> None:
        self.db = db
        self.refresh_seconds = refresh_seconds
        self.handle_of = handle_of
        self.brandings = brandings
        self.reader: Database | None = None
        self.last_refresh_seconds: float | None = None

    async def start(self, spawn: Callable[[Any], None]) -> None:
        """Open the background handle and start refreshing (the first one right away)."""
        self.reader = trending.background_database(self.db)
        if self.reader is not self.db:
            await self.reader.start()
        spawn(self._keep_fresh())

    async def stop(self) -> None:
        if self.reader is not None and self.reader is not self.db:
            await self.reader.stop()
        self.reader = None

    async def _keep_fresh(self) -> None:
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Could not refresh trending posts; serving the previous ranking")
            await asyncio.sleep(self.refresh_seconds)

    async def refresh(self, now: int | None = None) -> float:
        """Rank the posts liked in the 24 hours before `now` and store the ranking; seconds
        it took."""
        started = time.perf_counter()
        now = now_ms() if now is None else now
        db = self.reader or self.db
        keys = await explore.trending_keys(db, now - DAY_MS, now, DEPTH)
        await trending.replace(db, keys, now_ms(), now)
        self.last_refresh_seconds = time.perf_counter() - started
        metrics.trending_refreshed(self.last_refresh_seconds, len(keys))
        return self.last_refresh_seconds

    async def page(self, viewer: str, cursor: str | None, limit: int) -> dict[str, Any]:
        """Most liked in the stored ranking's window (ties: newer first). The cursor carries
        the window's end it started from; a page after a refresh continues in the new
        ranking from the same (likes, ts, id) position."""
        position = cursors.decode(cursor, (int, int, int, str))
        stored = await trending.state(self.db)
        if stored is None:
            return {"items": [], "next_cursor": None}
        window_end = stored[1]
        rows = await trending.page(self.db, viewer, position[1:] if position else None,
                                   limit + 1)
        return cursors.page(
            rows, limit,
            lambda r: {**post_view(r, self.handle_of(r["author"]), self.brandings),
                       "likes_24h": r["trend"]},
            lambda r: (window_end, r["trend"], r["ts"], r["event_id"]))
