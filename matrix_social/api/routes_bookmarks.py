"""Routes for bookmarks: save a post for later, unsave it, list what you saved (yours only)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.bookmarks import Bookmarks
from .params import PageLimit
from .routing import RouteGroup, delete, get, post
from .schemas import (
    BOOL,
    INT,
    PAGE_PARAMS,
    POST_ID,
    POST_PROPERTIES,
    POST_REQUIRED,
    STRING,
    obj,
    page,
)


@dataclass
class BookmarkRoutes(RouteGroup):
    page_limit: PageLimit
    bookmarks: Bookmarks

    schemas = {
        "BookmarkStatus": obj(["post_id", "bookmarked"], {"post_id": STRING,
                                                           "bookmarked": BOOL}),
        "BookmarkPage": page(obj([*POST_REQUIRED, "saved_at"], {
            **POST_PROPERTIES, "saved_at": {**INT, "description": "when you saved it (ms)"}})),
    }

    @post("/posts/{post_id}/bookmark", "Bookmark a post (private: only you see your "
          "bookmarks); bookmarking it again changes nothing", "BookmarkStatus",
          params=(POST_ID,), status=200)
    async def add(self, request: web.Request, user: str) -> dict:
        return await self.bookmarks.add(user, request.match_info["post_id"])

    @delete("/posts/{post_id}/bookmark", "Remove your bookmark of a post", "BookmarkStatus",
            params=(POST_ID,), errors=())
    async def remove(self, request: web.Request, user: str) -> dict:
        return await self.bookmarks.remove(user, request.match_info["post_id"])

    @get("/bookmarks", "Your bookmarked posts, the most recently saved first", "BookmarkPage",
         params=PAGE_PARAMS, errors=())
    async def list(self, request: web.Request, user: str) -> dict:
        return await self.bookmarks.page(user, request.query.get("cursor"),
                                         self.page_limit(request))
