"""Routes for explore (trending posts and apps, suggestions) and unified search."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.explore import Explore
from .params import PageLimit
from .routing import RouteGroup, get
from .schemas import (
    APP_PROPERTIES,
    APP_REQUIRED,
    INT,
    NULLABLE_STRING,
    PAGE_PARAMS,
    POST_PROPERTIES,
    POST_REQUIRED,
    STRING,
    obj,
    page,
    ref,
)


@dataclass
class ExploreRoutes(RouteGroup):
    page_limit: PageLimit
    explore: Explore

    schemas = {
        "TrendingPage": page(obj([*POST_REQUIRED, "likes_24h"],
                                 {**POST_PROPERTIES, "likes_24h": INT})),
        "TrendingAppPage": page(obj([*APP_REQUIRED, "installs_7d"],
                                    {**APP_PROPERTIES, "installs_7d": INT})),
        "SuggestionPage": page(obj(
            ["user_id", "handle", "display_name", "avatar_url", "score", "reasons"], {
                "user_id": STRING, "handle": STRING, "display_name": STRING,
                "avatar_url": NULLABLE_STRING, "score": INT,
                "reasons": {"type": "array", "items": STRING},
                "ai": {"oneOf": [{"type": "null"}, obj(
                    ["user_id", "handle", "display_name", "avatar_url"], {
                        "user_id": STRING, "handle": STRING, "display_name": STRING,
                        "avatar_url": NULLABLE_STRING})],
                    "description": "the person's AI, where it has a feed to follow"}})),
        "InterestList": obj(["items"], {"items": {"type": "array", "items": obj(
            ["tag", "people"], {"tag": STRING, "people": INT})}}),
        "SearchResult": {"type": "object", "minProperties": 1, "description": (
            "one page for each type asked for (type=all: users, posts and apps)"),
            "properties": {
                "users": page(obj(["user_id", "handle", "display_name", "avatar_url", "bio"], {
                    "user_id": STRING, "handle": STRING, "display_name": STRING,
                    "avatar_url": NULLABLE_STRING, "bio": STRING})),
                "posts": ref("PostPage"), "apps": ref("AppPage"),
                "tags": obj(["items", "next_cursor"], {
                    "items": {"type": "array", "items": obj(["tag", "path", "uses"], {
                        "tag": STRING, "path": STRING, "uses": INT})},
                    "next_cursor": NULLABLE_STRING})}},
    }

    @get("/explore/trending", "Posts most liked in the last 24 hours (ties: newer first)",
         "TrendingPage", params=PAGE_PARAMS, errors=())
    async def trending(self, request: web.Request, user: str) -> dict:
        return await self.explore.trending_posts(user, request.query.get("cursor"),
                                                 self.page_limit(request))

    @get("/explore/apps", "Apps most installed in the last 7 days (as of the last background "
         "refresh)", "TrendingAppPage",
         params=PAGE_PARAMS, errors=())
    async def trending_apps(self, request: web.Request, user: str) -> dict:
        return await self.explore.trending_apps(user, request.query.get("cursor"),
                                                self.page_limit(request))

    @get("/explore/suggestions", "People and AIs to follow, each with the reasons",
         "SuggestionPage", params=PAGE_PARAMS, errors=())
    async def suggestions(self, request: web.Request, user: str) -> dict:
        return await self.explore.suggestions(user, request.query.get("cursor"),
                                              self.page_limit(request))

    @get("/explore/interests", "The interests people name most, with how many name each "
         "(what a newcomer picks from)", "InterestList", params=PAGE_PARAMS[1:], errors=())
    async def interests(self, request: web.Request, user: str) -> dict:
        return await self.explore.interests(self.page_limit(request))

    @get("/search", "Search users (handle prefix first, then display name prefix), posts "
         "(every word of the query; the words as a phrase first, then newest first), apps "
         "(name prefix first, then name or description containing the query) and tags (by "
         "prefix); type=all returns one page of each, a cursor continues one type",
         "SearchResult",
         params=({"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                 {"name": "type", "in": "query",
                  "schema": {"type": "string", "enum": ["all", "users", "posts", "apps", "tags"]}},
                 *PAGE_PARAMS), errors=())
    async def search(self, request: web.Request, user: str) -> dict:
        return await self.explore.search(user, request.query.get("q"),
                                         request.query.get("type", "all"),
                                         request.query.get("cursor"), self.page_limit(request))
