"""Hashtags: a tag's posts, newest first, and the tags trending over the last 24 hours,
counted by distinct authors (as Mastodon's trends count accounts), so one account posting a
tag any number of times counts once. The trends are served from the ranking kept by the
trending refresher (social/trending.py, db/trending.py's TAGS), as old as its last refresh."""

from __future__ import annotations

from typing import Any

from mautrix.util.async_db import Database

from ..content.tags import checked, tag_path
from ..db import post_tags, trending
from ..errors import InvalidInput
from . import cursor as cursors
from .feed import Feed

MAX_TRENDS = 20


def tag_of(value: Any) -> str:
    """A tag from a request (`Matrix`, `#matrix`), normalized; refused unless it is one."""
    tag = checked(value)
    if tag is None:
        raise InvalidInput("'tag' must be a hashtag: letters, digits, '_' or '·', "
                           "with at least one letter")
    return tag


class Tags:
    def __init__(self, db: Database, feed: Feed) -> None:
        self.db = db
        self.feed = feed

    async def page(self, viewer: str, tag: Any, cursor: str | None,
                   limit: int) -> dict[str, Any]:
        name = tag_of(tag)
        rows = await post_tags.page(self.db, viewer, name, cursors.decode(cursor), limit + 1)
        page = cursors.page(rows, limit, self.feed.view, lambda r: (r["ts"], r["event_id"]))
        # as her feed: without whom she blocked or the policy lists bar (the cursor stays)
        page["items"] = await self.feed.blocks.filter_posts(viewer, page["items"])
        await self.feed.with_cross_posts(viewer, page["items"])
        await self.feed.seen_by(viewer, page["items"])
        return {"tag": name, "path": tag_path(name), **page}

    async def trends(self, limit: int) -> dict[str, Any]:
        rows = await trending.tags(self.db, min(limit, MAX_TRENDS))
        return {"items": [{"tag": r["tag"], "path": tag_path(r["tag"]),
                           "accounts": r["accounts"], "uses": r["uses"]} for r in rows]}

    async def search(self, query: str, limit: int) -> dict[str, Any]:
        name = checked(query.strip())
        if name is None:
            return {"items": [], "next_cursor": None}
        rows = await post_tags.search(self.db, name, limit)
        return {"items": [{"tag": r["tag"], "path": tag_path(r["tag"]), "uses": r["uses"]}
                          for r in rows], "next_cursor": None}
