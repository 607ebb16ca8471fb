"""Routes for following and unfollowing, and the followers and following lists."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.follows import Follows
from .params import PageLimit, handle, json_object
from .routing import RouteGroup, delete, get, post
from .schemas import BOOL, HANDLE, INT, PAGE_PARAMS, STRING, obj, ref


@dataclass
class FollowRoutes(RouteGroup):
    page_limit: PageLimit
    follows: Follows

    schemas = {
        "FollowStatus": obj(["user_id", "handle", "room_id", "following", "followers_count"], {
            "user_id": STRING, "handle": STRING, "room_id": STRING, "following": BOOL,
            "followers_count": INT}),
        "PeoplePage": obj(["items", "count", "next_cursor"], {
            "items": {"type": "array", "items": obj(
                ["user_id", "handle", "since", "display_name", "avatar_url", "bio",
                 "following"], {
                    "user_id": STRING, "handle": STRING, "since": INT, "display_name": STRING,
                    "avatar_url": {"type": "string", "nullable": True}, "bio": STRING,
                    "following": {"type": "boolean",
                                  "description": "whether you follow this person"}})},
            "count": INT, "next_cursor": {"type": "string", "nullable": True}}),
        "HandleBody": {"type": "object", "required": ["handle"],
                       "properties": {"handle": {"type": "string"}}},
    }

    @post("/follow", "Follow a user or an AI (joins their feed room)", "FollowStatus",
          body=ref("HandleBody"))
    async def follow(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.follows.follow(user, handle(body.get("handle")))

    @delete("/unfollow", "Unfollow (leaves their feed room); handle in the query or the body",
            "FollowStatus",
            params=({"name": "handle", "in": "query", "schema": {"type": "string"}},))
    async def unfollow(self, request: web.Request, user: str) -> dict:
        target = request.query.get("handle")
        if target is None and request.can_read_body:
            target = (await json_object(request)).get("handle")
        return await self.follows.unfollow(user, handle(target))

    @get("/followers/{handle}", "Followers, newest first", "PeoplePage",
         params=(HANDLE, *PAGE_PARAMS))
    async def followers(self, request: web.Request, user: str) -> dict:
        return await self.follows.followers(user, request.match_info["handle"],
                                            request.query.get("cursor"), self.page_limit(request))

    @get("/following/{handle}", "Followed users and AIs, newest first", "PeoplePage",
         params=(HANDLE, *PAGE_PARAMS))
    async def following(self, request: web.Request, user: str) -> dict:
        return await self.follows.following(user, request.match_info["handle"],
                                            request.query.get("cursor"), self.page_limit(request))
