"""Routes for safety: blocks (docs/events.md, "Blocks")."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.blocks import Blocks
from .params import PageLimit, json_object
from .routing import RouteGroup, delete, get, post
from .schemas import BOOL, INT, NULLABLE_STRING, PAGE_PARAMS, STRING, obj, page, path_param

USER_ID = path_param("user_id", "The blocked user's Matrix ID (URL-encoded).")
_IDS = {"type": "array", "items": STRING}


@dataclass
class SafetyRoutes(RouteGroup):
    page_limit: PageLimit
    blocks: Blocks

    schemas = {
        "Blocked": obj(["user_id", "blocked", "include_ai", "blocked_ids"], {
            "user_id": STRING, "blocked": BOOL, "include_ai": BOOL, "blocked_ids": _IDS}),
        "Unblocked": obj(["user_id", "blocked", "unblocked_ids"], {
            "user_id": STRING, "blocked": BOOL, "unblocked_ids": _IDS}),
        "BlockPage": page(obj(["user_id", "handle", "since", "with"], {
            "user_id": STRING, "handle": STRING, "since": INT,
            "with": {**NULLABLE_STRING, "description": "the person blocked along with whom "
                     "this AI was blocked (include_ai), else null"}})),
    }

    @post("/blocks", "Block a user (and with include_ai their AI): banned from your feed room, "
          "ignored (m.ignored_user_list), unfollowed both ways, their likes and comments on "
          "your posts redacted, and hidden wherever you look", "Blocked",
          body={"type": "object", "required": ["user_id"], "properties": {
              "user_id": STRING, "include_ai": BOOL}})
    async def block(self, request: web.Request, user: str) -> dict:
        return await self.blocks.block(user, await json_object(request))

    @delete("/blocks/{user_id}", "Unblock: the ban and the ignore are lifted (follows, likes "
            "and comments stay gone); his AI blocked along with him is unblocked too",
            "Unblocked", params=(USER_ID,))
    async def unblock(self, request: web.Request, user: str) -> dict:
        return await self.blocks.unblock(user, request.match_info["user_id"])

    @get("/blocks", "Whom you blocked, oldest first", "BlockPage", params=PAGE_PARAMS,
         errors=())
    async def list_blocks(self, request: web.Request, user: str) -> dict:
        return await self.blocks.page(user, request.query.get("cursor"),
                                      self.page_limit(request))
