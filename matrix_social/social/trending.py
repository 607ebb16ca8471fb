"""Trending posts (the 24-hour ranking), tags (24 hours, served by social/tags.py) and apps
(7 days), kept in the background, served from their stored copies, so no request ever
computes or waits for them.

Every `refresh_seconds`, on a database handle of its own (db/trending.background_database),
a refresh re-evaluates only the (post, liker), (app, user) and (tag, author) pairs whose rows
changed since the last one (logged by triggers) or whose rows entered or left the window,
applies the differences to the per-key scores (db/trending.py), and rewrites the rows of the
stored ranking (its first DEPTH posts) that changed, one database transaction per ranking
(the log read and deleted in one snapshot): its cost follows the traffic since the last
refresh, not the likes in the window nor a much-liked post's likes. The first refresh of a
database (or after a gap longer than the window) counts from scratch.
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
from ..db.trending import APPS, POSTS, TAGS
from . import cursor as cursors
from .views import Brandings, app_view, post_view

DAY_MS = 24 * 3600 * 1000
WEEK_MS = 7 * DAY_MS
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
        """Bring the posts' and tags' rankings to the 24 hours before `now` and the apps' to
        the 7 days before it; seconds it took."""
        started = time.perf_counter()
        now = now_ms() if now is None else now
        db = self.reader or self.db
        computed_at = now_ms()
        await trending.refresh(db, POSTS, now - DAY_MS, now, computed_at, DEPTH)
        await trending.refresh(db, APPS, now - WEEK_MS, now, computed_at)
        await trending.refresh(db, TAGS, now - DAY_MS, now, computed_at)
        self.last_refresh_seconds = time.perf_counter() - started
        metrics.trending_refreshed(self.last_refresh_seconds,
                                   await trending.ranked_posts(db))
        return self.last_refresh_seconds

    async def apps_page(self, cursor: str | None, limit: int) -> dict[str, Any]:
        """Most installed in the stored 7-day window (ties: app id); the cursor carries the
        window's end it started from, as posts' do."""
        position = cursors.decode(cursor, (int, int, str))
        stored = await trending.state(self.db, APPS.name)
        if stored is None:
            return {"items": [], "next_cursor": None}
        window_end = stored[1]
        rows = await explore.trending_apps(self.db, position[1:] if position else None,
                                           limit + 1)
        return cursors.page(
            rows, limit,
            lambda r: {**app_view(r, self.handle_of(r["author"])),
                       "installs_7d": r["installs_recent"]},
            lambda r: (window_end, r["installs_recent"], r["app_id"]))

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
