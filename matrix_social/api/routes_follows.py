"""Routes for following and unfollowing, and the followers and following lists."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..errors import InvalidInput
from ..social.follows import Follows
from ..social.room_follows import RoomFollows
from .params import PageLimit, handle, json_object
from .routing import RouteGroup, delete, get, post
from .schemas import BOOL, HANDLE, INT, PAGE_PARAMS, STRING, obj, ref


@dataclass
class FollowRoutes(RouteGroup):
    page_limit: PageLimit
    follows: Follows
    room_follows: RoomFollows

    schemas = {
        "FollowStatus": obj(["user_id", "handle", "room_id", "following", "followers_count"], {
            "user_id": STRING, "handle": STRING, "room_id": STRING, "following": BOOL,
            "followers_count": INT,
            "state": {"type": "string", "enum": ["following", "pending", "refused", "none"],
                      "description": "pending: her profile room asks to knock; the knock "
                      "waits for an invite"},
            "reason": STRING}),
        "PeoplePage": obj(["items", "count", "next_cursor"], {
            "items": {"type": "array", "items": obj(
                ["user_id", "handle", "since", "display_name", "avatar_url", "bio",
                 "following"], {
                    "user_id": STRING, "handle": STRING, "since": INT, "display_name": STRING,
                    "avatar_url": {"type": "string", "nullable": True}, "bio": STRING,
                    "following": {"type": "boolean",
                                  "description": "whether you follow this person"}})},
            "count": INT, "next_cursor": {"type": "string", "nullable": True}}),
        "HandleBody": {"type": "object", "properties": {
            "handle": {"type": "string", "description": "a person or an AI"},
            "room": {"type": "string", "description": "instead of handle: an MSC4501 group "
                     "room, by room id or alias"},
            "via": {"type": "string", "description": "with a room id: a server in the room"}}},
        "RoomFollowStatus": obj(["room_id", "state", "following", "followers_count"], {
            "room_id": STRING, "following": BOOL, "followers_count": INT,
            "state": {"type": "string", "enum": ["following", "pending", "refused", "none"],
                      "description": "pending: knocked, waiting for the room's invite"},
            "reason": STRING,
            "group": obj(["room_id", "name"], {"room_id": STRING, "name": STRING})}),
        "FollowAnswer": {"anyOf": [ref("FollowStatus"), ref("RoomFollowStatus")],
                         "description": "FollowStatus for a person (handle), RoomFollowStatus "
                         "for a group room (room)"},
        "FollowsList": obj(["items"], {"items": {"type": "array", "items": {
            "type": "object", "description": "a followed room or a follow request: room_id, "
            "state (following, pending, refused), kind (person, group, profile), since, "
            "user_id and handle for a person, group {room_id, name} for a group, reason"}}}),
    }

    @post("/follow", "Follow a user or an AI (joins their feed room), or an MSC4501 group "
          "room (`room`; knocks when the room asks, the follow is then pending)",
          "FollowAnswer", body=ref("HandleBody"))
    async def follow(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        if body.get("room") is not None:
            return await self.room_follows.follow(user, _room(body.get("room")),
                                                  _via(body.get("via")))
        return await self.follows.follow(user, handle(body.get("handle")))

    @get("/follows", "Your follows and follow requests (pending, refused), newest first",
         "FollowsList")
    async def follows_list(self, request: web.Request, user: str) -> dict:
        return await self.room_follows.listed(user)

    @delete("/unfollow", "Unfollow (leaves their feed room, or the group room: `room`, which "
            "also withdraws a pending knock); handle or room in the query or the body",
            "FollowAnswer",
            params=({"name": "handle", "in": "query", "schema": {"type": "string"}},
                    {"name": "room", "in": "query", "schema": {"type": "string"}}))
    async def unfollow(self, request: web.Request, user: str) -> dict:
        target, room = request.query.get("handle"), request.query.get("room")
        if target is None and room is None and request.can_read_body:
            body = await json_object(request)
            target, room = body.get("handle"), body.get("room")
        if room is not None:  # a group, or a pending follow (withdraws the knock)
            return await self.room_follows.unfollow(user, _room(room))
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


def _room(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        raise InvalidInput("room must be a room id (!…) or an alias (#name:server)")
    return value.strip()


def _via(value) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 255):
        raise InvalidInput("via must be a server name")
    return value
