"""Bookmarks: posts a user saves for later, private to her (no event in any room, nobody else
reads or changes them), listed the most recently saved first."""

from __future__ import annotations

from typing import Any

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import bookmarks
from . import cursor as cursors
from .feed import Feed


class Bookmarks:
    def __init__(self, db: Database, feed: Feed) -> None:
        self.db = db
        self.feed = feed

    async def add(self, user: str, post_id: str) -> dict[str, Any]:
        """Only a post she can open (an indexed post) can be saved."""
        await self.feed.post(user, post_id)  # NotFound otherwise
        await bookmarks.add(self.db, user, post_id, now_ms())
        return {"post_id": post_id, "bookmarked": True}

    async def remove(self, user: str, post_id: str) -> dict[str, Any]:
        await bookmarks.remove(self.db, user, post_id)
        return {"post_id": post_id, "bookmarked": False}

    async def page(self, user: str, cursor: str | None, limit: int) -> dict[str, Any]:
        rows = await bookmarks.page(self.db, user, cursors.decode(cursor), limit + 1)
        page = cursors.page(rows, limit, lambda r: {**self.feed.view(r),
                                                    "saved_at": r["saved_at"]},
                            lambda r: (r["saved_at"], r["event_id"]))
        await self.feed.with_cross_posts(user, page["items"])
        await self.feed.seen_by(user, page["items"])
        return page


