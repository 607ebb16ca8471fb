"""Routes for hashtags: a tag's posts and the trending tags."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.tags import Tags
from .params import PageLimit
from .routing import RouteGroup, get
from .schemas import INT, PAGE_PARAMS, STRING, obj, page, path_param, ref

TAG = path_param("tag", "A hashtag, with or without '#' (percent-encoded), e.g. matrix.")
TAG_ITEM = {"tag": {**STRING, "description": "normalized: NFKC, case-folded"},
            "path": {**STRING, "description": "the tag's page in the web app"}}


@dataclass
class TagRoutes(RouteGroup):
    page_limit: PageLimit
    tags: Tags

    schemas = {
        "TagPage": {**page(ref("Post")), "required": ["tag", "path", "items", "next_cursor"],
                    "properties": {**page(ref("Post"))["properties"], **TAG_ITEM}},
        "TrendingTags": obj(["items"], {"items": {"type": "array", "items": obj(
            ["tag", "path", "accounts", "uses"], {
                **TAG_ITEM,
                "accounts": {**INT, "description": "distinct authors in the last 24 hours"},
                "uses": {**INT, "description": "posts with the tag in the last 24 hours"}})}}),
    }

    @get("/tags/{tag}", "Posts with a hashtag, newest first", "TagPage",
         params=(TAG, *PAGE_PARAMS), errors=(400,))
    async def tag_page(self, request: web.Request, user: str) -> dict:
        return await self.tags.page(user, request.match_info["tag"],
                                    request.query.get("cursor"), self.page_limit(request))

    @get("/trends/tags", "Hashtags of the last 24 hours, by how many people used them "
         "(one account counts once, however often it posts a tag)", "TrendingTags",
         params=({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},),
         errors=())
    async def trending(self, request: web.Request, user: str) -> dict:
        return await self.tags.trends(self.page_limit(request))
