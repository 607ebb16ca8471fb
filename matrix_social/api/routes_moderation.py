"""Routes for reports (anyone) and the moderation queue (the homeserver's admins)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..errors import Forbidden
from ..social.moderation import CATEGORIES, STATUSES, Moderation, Reports
from .auth import Authenticator
from .params import PageLimit, json_object
from .routing import RouteGroup, get, post
from .schemas import INT, NULLABLE_STRING, PAGE_PARAMS, STRING, obj, page

_MATRIX = {"type": "array", "description": "what the homeserver's reporting endpoints said",
           "items": obj(["endpoint", "result"], {
               "endpoint": {"type": "string",
                            "enum": ["report_event", "report_user", "report_room"]},
               "result": {"type": "string", "enum": ["reported", "unsupported", "refused"]},
               "detail": STRING})}


@dataclass
class ModerationRoutes(RouteGroup):
    page_limit: PageLimit
    reports: Reports
    moderation: Moderation
    auth: Authenticator

    schemas = {
        "Reported": obj(["id", "status", "matrix"], {
            "id": STRING, "status": STRING, "matrix": _MATRIX}),
        "ReportPage": page(obj(
            ["id", "reporter", "event_id", "room_id", "user_id", "category", "reason",
             "matrix", "status", "created_at"], {
                "id": STRING, "reporter": STRING, "event_id": NULLABLE_STRING,
                "room_id": NULLABLE_STRING, "user_id": NULLABLE_STRING, "category": STRING,
                "reason": STRING, "matrix": _MATRIX, "status": STRING, "created_at": INT})),
    }

    @post("/reports", "Report a post, a comment or a user: to the homeserver's reporting "
          "endpoints as you, and to this service's moderation queue", "Reported", status=201,
          body={"type": "object", "required": ["reason", "category"], "properties": {
              "event_id": STRING, "user_id": STRING,
              "reason": {"type": "string", "maxLength": 1000},
              "category": {"type": "string", "enum": list(CATEGORIES)}}})
    async def report(self, request: web.Request, user: str) -> dict:
        return await self.reports.report(user, await json_object(request))

    @get("/moderation/reports", "The moderation queue, newest first (homeserver admins only)",
         "ReportPage", errors=(),
         params=(*PAGE_PARAMS, {"name": "status", "in": "query",
                                "schema": {"type": "string", "enum": list(STATUSES)}}))
    async def queue(self, request: web.Request, user: str) -> dict:
        if not await self.auth.is_server_admin(request, user):
            raise Forbidden("Only the homeserver's admins read the moderation queue")
        return await self.moderation.reports(request.query.get("status"),
                                             request.query.get("cursor"),
                                             self.page_limit(request))
