"""Reading posts: the viewer's chronological feed and single posts, as API views."""

from __future__ import annotations

from typing import Any

from mautrix.util.async_db import Database

from ..db import feed as feed_db
from ..errors import NotFound
from . import cursor as cursors
from .users import Users
from .views import post_view


class Feed:
    def __init__(self, db: Database, users: Users) -> None:
        self.db = db
        self.users = users

    async def page(self, viewer: str, cursor: str | None, limit: int) -> dict[str, Any]:
        rows = await feed_db.feed_page(self.db, viewer, cursors.decode(cursor), limit + 1)
        return cursors.page(rows, limit, self.view, lambda r: (r["ts"], r["event_id"]))

    def view(self, row) -> dict[str, Any]:
        return post_view(row, self.users.handle_of(row["author"]))

    async def post(self, viewer: str, post_id: str) -> dict[str, Any]:
        row = await feed_db.one_post(self.db, viewer, post_id)
        if row is None:
            raise NotFound(f"No post {post_id!r}")
        return self.view(row)

    async def row(self, viewer: str, post_id: str):
        row = await feed_db.one_post(self.db, viewer, post_id)
        if row is None:
            raise NotFound(f"No post {post_id!r}")
        return row

    async def room_posts(self, viewer: str, room_id: str, limit: int,
                         kind: str | None = None) -> list[dict[str, Any]]:
        return [self.view(row) for row in await feed_db.room_posts(self.db, viewer, room_id,
                                                                    limit, kind)]
