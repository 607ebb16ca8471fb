"""Reading posts: the viewer's chronological feed and single posts, as API views."""

from __future__ import annotations

import time
from typing import Any

from mautrix.util.async_db import Database

from ..db import cross_post_deliveries as deliveries
from ..db import feed as feed_db
from ..db.notify import Broadcast
from ..errors import NotFound
from . import cursor as cursors
from .block_list import BlockList, Hidden
from .feed_plan import FeedPlanner
from .mutes import Mutes
from .users import Users
from .views import Brandings, delivery_view, post_view

# Seconds a viewer found without bridged items is believed to have none. A new item is
# announced at once (external_added, from the item bridge, this process's only writer of
# them); the limit only bounds what an outside writer could leave unseen.
NO_EXTERNAL_TTL = 60.0
MAX_VIEWERS = 50_000


def _key(row) -> tuple[int, str]:
    return row["ts"], row["event_id"]


class Feed:
    def __init__(self, db: Database, users: Users, planner: FeedPlanner,
                 brandings: Brandings, blocks: BlockList | None = None,
                 mutes: Mutes | None = None, broadcast: Broadcast | None = None) -> None:
        self.db = db
        self.blocks = blocks or BlockList(db)
        self.mutes = mutes
        self.users = users
        self.planner = planner
        self.brandings = brandings
        # viewer -> until when (monotonic) she is known to have no bridged items
        self._no_external: dict[str, float] = {}
        self._items_stored = 0  # bridged items announced so far (external_added)
        self.broadcast = broadcast
        if broadcast is not None:
            broadcast.on("external_added", self._forget_no_external)
            broadcast.on_gap(self._no_external.clear)

    async def page(self, viewer: str, cursor: str | None, limit: int) -> dict[str, Any]:
        """The posts of her rooms (by the plan that fits her, feed_plan.py) and her own bridged
        items, merged newest first; one cursor continues both."""
        rows = await self.rows(viewer, cursors.decode(cursor), limit + 1)
        page = cursors.page(rows, limit, self.view, _key)
        hidden = await self.blocks.hidden(viewer)
        # The cursor stays where the rows ended: a page may be short by what she blocked.
        page["items"] = await self.blocks.filter_posts(viewer, page["items"], hidden)
        await self.with_cross_posts(viewer, page["items"])
        await self.with_originals(viewer, page["items"], hidden)
        page["items"] = await self.without_muted(viewer, page["items"])
        return page

    async def without_muted(self, viewer: str, views: list[dict[str, Any]]
                            ) -> list[dict[str, Any]]:
        """Her feed and explore without the people and words she muted (mutes.py)."""
        if self.mutes is None:
            return views
        muted = await self.mutes.for_feed(viewer)
        return [v for v in views if not muted.hides(v)]

    async def seen_by(self, viewer: str, views: list[dict[str, Any]]) -> None:
        """Posts as she sees them: counts without the marks of whom she blocked, and each
        repost's original (block_list.py)."""
        hidden = await self.blocks.hidden(viewer)
        await self.blocks.without_their_counts(viewer, views, hidden)
        await self.with_originals(viewer, views, hidden)

    async def with_originals(self, viewer: str, views: list[dict[str, Any]],
                             hidden: Hidden | None = None) -> None:
        """Each repost carries the post it shares (`original`: its author, text, images and
        counts as the viewer sees them), read in one query; absent when it was deleted."""
        wanted = {v["repost_of"]["event_id"] for v in views
                  if v["kind"] == "repost" and isinstance(v.get("repost_of"), dict)
                  and isinstance(v["repost_of"].get("event_id"), str)}
        if not wanted:
            return
        found = {row["event_id"]: self.view(row)
                 for row in await feed_db.some_posts(self.db, viewer, sorted(wanted))}
        await self.blocks.without_their_counts(viewer, list(found.values()), hidden)
        for view in views:
            original = found.get((view.get("repost_of") or {}).get("event_id"))
            if view["kind"] == "repost" and original is not None:
                view["original"] = original

    async def rows(self, viewer: str, before: tuple[int, str] | None, limit: int) -> list:
        """The plan's page, and her bridged items merged in. Most viewers have none: once a
        first page found none, her pages skip that statement (one database round trip of a
        page's two) until an item is bridged for her or NO_EXTERNAL_TTL passes."""
        rows = await self.planner.page(viewer, before, limit)
        if self._no_external.get(viewer, 0.0) > time.monotonic():
            return rows
        stored = self._items_stored
        external = await feed_db.external_page(self.db, viewer, before, limit)
        if external:
            rows = sorted([*rows, *external], key=_key, reverse=True)[:limit]
        elif before is None and stored == self._items_stored:  # none stored while reading
            if len(self._no_external) >= MAX_VIEWERS:
                self._no_external.clear()
            self._no_external[viewer] = time.monotonic() + NO_EXTERNAL_TTL
        return rows

    def external_added(self, user_id: str) -> None:
        """A bridged item was stored for `user_id`: her next page reads them again (in every
        process: the item is stored by the ingest process, her page may be read by a replica)."""
        self._forget_no_external(user_id)
        if self.broadcast is not None:
            self.broadcast.tell_soon("external_added", user_id)

    def _forget_no_external(self, user_id: object) -> None:
        self._items_stored += 1
        if isinstance(user_id, str):
            self._no_external.pop(user_id, None)

    async def with_cross_posts(self, viewer: str, views: list[dict[str, Any]]) -> None:
        """Her own posts carry their cross-posts' status (target, status, remote id, URL,
        attempts, last error); nobody else's do."""
        own = {v["id"]: v for v in views if v["author"]["user_id"] == viewer}
        for row in await deliveries.for_posts(self.db, list(own)):
            own[row.post_event_id].setdefault("cross_posts", []).append(delivery_view(row))

    def view(self, row) -> dict[str, Any]:
        return post_view(row, self.users.handle_of(row["author"]), self.brandings)

    async def permalink(self, viewer: str, post_id: str) -> dict[str, Any]:
        """A post opened by id; to somebody its author blocked, as if it did not exist
        (nothing tells him more; what he tries to do with it is refused with 403)."""
        view = await self.post(viewer, post_id)
        if await self.blocks.has_blocked(view["author"]["user_id"], viewer):
            raise NotFound(f"No post {post_id!r}")
        return view

    async def post(self, viewer: str, post_id: str) -> dict[str, Any]:
        row = await feed_db.one_post(self.db, viewer, post_id)
        if row is None:
            raise NotFound(f"No post {post_id!r}")
        view = self.view(row)
        await self.with_cross_posts(viewer, [view])
        await self.seen_by(viewer, [view])
        return view

    async def pinned(self, viewer: str, owner: str, room_id: str,
                     event_id: str | None) -> dict[str, Any] | None:
        """The post a profile pins, if it is the owner's own post in her feed room."""
        if not event_id:
            return None
        row = await feed_db.pinned_post(self.db, viewer, owner, room_id, event_id)
        if row is None:
            return None
        view = self.view(row)
        await self.blocks.without_their_counts(viewer, [view])
        return view

    async def row(self, viewer: str, post_id: str):
        row = await feed_db.one_post(self.db, viewer, post_id)
        if row is None:
            raise NotFound(f"No post {post_id!r}")
        return row

    async def room_page(self, viewer: str, room_id: str, before: tuple[int, str] | None,
                        limit: int) -> dict[str, Any]:
        rows = await feed_db.room_posts(self.db, viewer, room_id, before, limit + 1)
        page = cursors.page(rows, limit, self.view, lambda r: (r["ts"], r["event_id"]))
        await self.seen_by(viewer, page["items"])
        return page

    async def room_posts(self, viewer: str, room_id: str, limit: int,
                         kind: str | None = None) -> list[dict[str, Any]]:
        views = [self.view(row) for row in await feed_db.room_posts(
            self.db, viewer, room_id, None, limit, kind)]
        await self.blocks.without_their_counts(viewer, views)
        return views
