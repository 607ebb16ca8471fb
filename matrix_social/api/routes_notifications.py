"""Routes for notifications: the grouped list, the unread count, marking read."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..social.notifications import MAX_UNREAD, TYPES, Notifications, parse_types
from .params import PageLimit, optional_json_object
from .routing import RouteGroup, get, post
from .schemas import AUTHOR, BOOL, INT, PAGE_PARAMS, STRING, obj, page, ref

_COUNT = obj(["count"], {"count": {
    **INT, "maximum": MAX_UNREAD,
    "description": f"groups not read yet, counted up to {MAX_UNREAD}: {MAX_UNREAD} means "
                   f"{MAX_UNREAD} or more (the app's bell shows {MAX_UNREAD - 1}+)"}})


@dataclass
class NotificationRoutes(RouteGroup):
    page_limit: PageLimit
    notifications: Notifications

    schemas = {
        "Notification": obj(["id", "type", "actors", "actor_count", "ts", "read"], {
            "id": {**INT, "description": "the newest notification of the group; a position "
                   "for POST /notifications/read"},
            "type": {"type": "string", "enum": list(TYPES)},
            "actors": {"type": "array", "items": STRING,
                       "description": "user ids, newest first (at most 10)"},
            "actor_count": INT, "ts": INT, "read": BOOL,
            "accounts": {"type": "array", "items": AUTHOR,
                         "description": "the actors' names and avatars, in the same order"},
            "post_id": STRING, "post_excerpt": {"type": "string", "nullable": True},
            "comment_id": STRING,
            "via": {**STRING, "description": "her AI, when the mention named her AI"},
            "room_id": {**STRING, "description": "where her AI answered (ai_answer)"}}),
        "NotificationPage": page(ref("Notification")),
        "UnreadCount": _COUNT,
        "ReadUpTo": {"type": "object", "properties": {"up_to": {
            **INT, "description": "a notification id; absent: everything so far"}}},
    }

    @get("/notifications", "Your notifications, grouped, newest first", "NotificationPage",
         params=(*PAGE_PARAMS, {
             "name": "types", "in": "query", "schema": {"type": "string"},
             "description": f"comma-separated, of {', '.join(TYPES)}"}), errors=(400,))
    async def list_notifications(self, request: web.Request, user: str) -> dict:
        return await self.notifications.page(
            user, request.query.get("cursor"), parse_types(request.query.get("types")),
            self.page_limit(request))

    @get("/notifications/unread_count",
         f"How many notification groups are unread (up to {MAX_UNREAD})", "UnreadCount",
         errors=())
    async def unread_count(self, request: web.Request, user: str) -> dict:
        return await self.notifications.unread_count(user)

    @post("/notifications/read", "Mark notifications read up to a position (never back)",
          "UnreadCount", body=ref("ReadUpTo"), errors=(400,))
    async def mark_read(self, request: web.Request, user: str) -> dict:
        body = await optional_json_object(request)
        return await self.notifications.mark_read(user, (body or {}).get("up_to"))
