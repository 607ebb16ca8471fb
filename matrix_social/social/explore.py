"""Explore: trending posts and apps, people to follow (with a reason), unified search."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mautrix.util.async_db import Database

from ..db import explore, feed_rooms, profiles, search
from ..errors import InvalidInput
from ..ids import Identities
from . import cursor as cursors
from .block_list import BlockList, Hidden
from .mutes import Mutes
from .tags import Tags
from .trending import Trending
from .views import Brandings, app_view, post_view

DAY_MS = 24 * 3600 * 1000
WEEK_MS = 7 * DAY_MS
SEARCH_TYPES = ("all", "users", "posts", "apps", "tags")


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class Explore:
    def __init__(self, db: Database, ids: Identities, trending: Trending,
                 brandings: Brandings, blocks: BlockList | None = None,
                 mutes: Mutes | None = None, tags: Tags | None = None) -> None:
        self.db = db
        self.blocks = blocks or BlockList(db)
        self.mutes = mutes
        self.tags = tags
        self.ids = ids
        self.trending = trending
        self.brandings = brandings

    @staticmethod
    def _decode(cursor: str | None, shape: tuple[type, ...]) -> tuple | None:
        return cursors.decode(cursor, shape)

    async def trending_posts(self, viewer: str, cursor: str | None, limit: int
                             ) -> dict[str, Any]:
        """Most liked in the last 24 hours, from the ranking computed in the background."""
        page = await self.trending.page(viewer, cursor, limit)
        page["items"] = await self.blocks.filter_posts(viewer, page["items"],
                                                       await self._hidden(viewer))
        if self.mutes is not None:
            muted = await self.mutes.for_feed(viewer)
            page["items"] = [v for v in page["items"] if not muted.hides(v)]
        return page

    async def trending_apps(self, viewer: str, cursor: str | None, limit: int
                            ) -> dict[str, Any]:
        """Most installed in the last 7 days, from the ranking kept in the background; without
        the apps of whom she does not see (the cursor stays: a page may be short)."""
        page = await self.trending.apps_page(cursor, limit)
        return self._without_their_apps(page, await self._hidden(viewer))

    async def suggestions(self, user: str, cursor: str | None, limit: int) -> dict[str, Any]:
        position = self._decode(cursor, (int, str))
        signals: defaultdict[str, dict[str, Any]] = defaultdict(
            lambda: {"interests": [], "apps": [], "followed_by": 0})
        for row in await explore.shared_interests(self.db, user):
            signals[row["user_id"]]["interests"].append(row["tag"])
        for row in await explore.shared_apps(self.db, user):
            if row["name"] not in signals[row["user_id"]]["apps"]:
                signals[row["user_id"]]["apps"].append(row["name"])
        for row in await explore.followed_by_followed(self.db, user):
            signals[row["user_id"]]["followed_by"] = row["n"]
        excluded = (await explore.followed_owners(self.db, user) | {user}
                    | await self._hidden(user)
                    | (set((await self.mutes.for_feed(user)).users) if self.mutes else set()))
        ranked = sorted(
            ((3 * len(s["interests"]) + 2 * len(s["apps"]) + s["followed_by"], uid, s)
             for uid, s in signals.items() if uid not in excluded),
            key=lambda item: (-item[0], item[1]),
        )
        if position is not None:
            ranked = [r for r in ranked
                      if r[0] < position[0] or (r[0] == position[0] and r[1] > position[1])]
        page = cursors.page(ranked, limit, lambda r: r, lambda r: (r[0], r[1]))
        items = []
        for score, uid, s in page["items"]:
            displayname, avatar = await profiles.get(self.db, uid)
            items.append({"user_id": uid, "handle": self.ids.handle_of(uid),
                          "display_name": displayname or self.ids.handle_of(uid),
                          "avatar_url": avatar, "score": score, "reasons": self._reasons(s),
                          "ai": await self._ai_of(uid)})
        return {"items": items, "next_cursor": page["next_cursor"]}

    async def _ai_of(self, user_id: str) -> dict[str, Any] | None:
        """Her AI, where it has a feed one can follow (a newcomer follows both at once)."""
        ai = self.ids.ai_of(user_id)
        if ai is None or await feed_rooms.room_of(self.db, ai) is None:
            return None
        displayname, avatar = await profiles.get(self.db, ai)
        return {"user_id": ai, "handle": self.ids.handle_of(ai),
                "display_name": displayname or self.ids.handle_of(ai), "avatar_url": avatar}

    async def interests(self, limit: int) -> dict[str, Any]:
        """The interests people name most: what a newcomer picks from."""
        rows = await explore.popular_interests(self.db, limit)
        return {"items": [{"tag": r["tag"], "people": r["people"]} for r in rows]}

    async def _hidden(self, viewer: str) -> Hidden:
        """Whom explore and search leave out for her: whom she blocked, and whom the operator
        bars (a policy list, a suspension: matrix/bars.py)."""
        return await self.blocks.hidden(viewer)

    @staticmethod
    def _without_their_apps(page: dict[str, Any], hidden: Hidden) -> dict[str, Any]:
        page["items"] = [a for a in page["items"] if a["author"]["user_id"] not in hidden]
        return page

    @staticmethod
    def _reasons(signal: dict[str, Any]) -> list[str]:
        reasons = []
        if signal["interests"]:
            reasons.append("you both like " + ", ".join(sorted(signal["interests"])[:3]))
        if signal["apps"]:
            reasons.append("you both use " + ", ".join(sorted(signal["apps"])[:3]))
        if signal["followed_by"]:
            reasons.append("followed by " + _plural(signal["followed_by"], "person",
                                                    "people") + " you follow")
        return reasons

    async def search(self, viewer: str, query: Any, kind: str, cursor: str | None,
                     limit: int) -> dict[str, Any]:
        if not isinstance(query, str) or not query.strip():
            raise InvalidInput("'q' must not be empty")
        if len(query) > 200:
            raise InvalidInput("'q' is longer than 200 characters")
        if kind not in SEARCH_TYPES:
            raise InvalidInput(f"'type' must be one of {', '.join(SEARCH_TYPES)}")
        if kind == "all" and cursor:
            raise InvalidInput("a cursor continues one type; pass type=users, posts or apps")
        if kind == "tags" and cursor:
            raise InvalidInput("tags come in one page; there is no cursor to continue")
        result: dict[str, Any] = {}
        hidden = await self._hidden(viewer)
        if kind in ("all", "users"):
            result["users"] = await self._search_users(query, cursor, limit)
            result["users"]["items"] = [u for u in result["users"]["items"]
                                        if u["user_id"] not in hidden]
        if kind in ("all", "posts"):
            result["posts"] = await self._search_posts(viewer, query, cursor, limit)
            result["posts"]["items"] = await self.blocks.filter_posts(
                viewer, result["posts"]["items"], hidden)
        if kind in ("all", "apps"):
            result["apps"] = self._without_their_apps(
                await self._search_apps(query, cursor, limit), hidden)
        if kind in ("all", "tags") and self.tags is not None:
            result["tags"] = await self.tags.search(query, limit)
        return result

    async def _search_users(self, query: str, cursor: str | None, limit: int) -> dict:
        rows = await search.users(self.db, query, self._decode(cursor, (int, str)), limit + 1)
        return cursors.page(
            rows, limit,
            lambda r: {"user_id": r["user_id"], "handle": self.ids.handle_of(r["user_id"]),
                       "display_name": r["displayname"] or self.ids.handle_of(r["user_id"]),
                       "avatar_url": r["avatar_url"], "bio": r["bio"] or ""},
            lambda r: (r["rank"], r["user_id"]))

    async def _search_posts(self, viewer: str, query: str, cursor: str | None,
                            limit: int) -> dict:
        rows = await search.posts(self.db, viewer, query,
                                  self._decode(cursor, (int, int, str)), limit + 1)
        return cursors.page(rows, limit, lambda r: post_view(r, self.ids.handle_of(r["author"]),
                                                                self.brandings),
                            lambda r: (r["tier"], r["ts"], r["event_id"]))

    async def _search_apps(self, query: str, cursor: str | None, limit: int) -> dict:
        rows = await search.apps(self.db, query, self._decode(cursor, (int, str)), limit + 1)
        return cursors.page(rows, limit, lambda r: app_view(r, self.ids.handle_of(r["author"])),
                            lambda r: (r["rank"], r["app_id"]))
