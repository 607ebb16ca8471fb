"""Routes for reports (anyone) and moderation (the homeserver's admins): the queue, a report,
resolve, take down, suspend and unsuspend (a user of this server or of another), the
suspensions, each through the same code as the operator's `matrix-social moderation` and
logged with the admin's user id and the reason given."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ..errors import Forbidden
from ..social.moderation import CATEGORIES, STATUSES, Moderation, Reports
from .auth import Authenticator
from .params import PageLimit, json_object
from .routing import BUSY, RouteGroup, get, post
from .schemas import (
    AUTHOR,
    BOOL,
    INT,
    NULLABLE_STRING,
    PAGE_PARAMS,
    STRING,
    obj,
    page,
    path_param,
    ref,
)

_MATRIX = {"type": "array", "description": "what the homeserver's reporting endpoints said",
           "items": obj(["endpoint", "result"], {
               "endpoint": {"type": "string",
                            "enum": ["report_event", "report_user", "report_room"]},
               "result": {"type": "string", "enum": ["reported", "unsupported", "refused"]},
               "detail": STRING})}
_REASON = {"type": "string", "minLength": 1, "maxLength": 1000,
           "description": "why (kept in the moderation log with who acted)"}
_REPORT_ID = {"type": "string", "description": "the report this action settles: it is "
              "resolved by it"}
_ACTION = obj(["actor", "action", "target", "reason", "report_id", "at"], {
    "actor": STRING, "action": {"type": "string", "enum": [
        "resolve", "takedown", "suspend", "unsuspend"]},
    "target": STRING, "reason": STRING, "report_id": NULLABLE_STRING, "at": INT})
_NULLABLE_AUTHOR = {**AUTHOR, "nullable": True}
_COUNTS = obj(["follows", "likes", "comments", "reposts", "hashtags", "notifications"],
              {name: INT for name in ("follows", "likes", "comments", "reposts", "hashtags",
                                      "notifications")})
REPORT_ID = path_param("report_id", "The report's id.")
ADMINS_ONLY = "Only the homeserver's admins moderate"


@dataclass
class ModerationRoutes(RouteGroup):
    page_limit: PageLimit
    reports: Reports
    moderation: Moderation
    auth: Authenticator

    schemas = {
        "Reported": obj(["id", "status", "matrix"], {
            "id": STRING, "status": STRING, "matrix": _MATRIX}),
        "Policies": obj(["configured", "rooms", "rules", "matched_users"], {
            "configured": {"type": "array", "items": STRING},
            "rooms": {"type": "array", "items": obj(
                ["room_id", "configured_as", "synced_at", "rules"], {
                    "room_id": STRING, "configured_as": STRING, "synced_at": INT,
                    "rules": obj(["user", "server"], {"user": INT, "server": INT})})},
            "rules": {"type": "array", "items": obj(
                ["room_id", "type", "rule", "kind", "entity", "recommendation", "reason",
                 "sender", "at"], {
                    "room_id": STRING, "type": STRING, "rule": STRING,
                    "kind": {"type": "string", "enum": ["user", "server"]},
                    "entity": STRING, "recommendation": STRING, "reason": STRING,
                    "sender": STRING, "at": INT})},
            "matched_users": {"type": "array", "items": obj(
                ["user_id", "room_id", "kind", "entity", "rule", "reason"], {
                    "user_id": STRING, "room_id": STRING,
                    "kind": {"type": "string", "enum": ["user", "server"]},
                    "entity": STRING, "rule": STRING, "reason": STRING})}}),
        "Report": obj(
            ["id", "reporter", "event_id", "room_id", "user_id", "category", "reason",
             "matrix", "status", "created_at", "target", "reporter_profile", "actions"], {
                "id": STRING, "reporter": STRING, "event_id": NULLABLE_STRING,
                "room_id": NULLABLE_STRING, "user_id": NULLABLE_STRING, "category": STRING,
                "reason": STRING, "matrix": _MATRIX,
                "status": {"type": "string", "enum": list(STATUSES)}, "created_at": INT,
                "target": obj(["kind", "user", "text", "posted_at", "taken_down",
                               "suspended"], {
                    "kind": {"type": "string", "enum": ["post", "comment", "event", "user"],
                             "description": "event: no longer in the index"},
                    "user": _NULLABLE_AUTHOR, "text": NULLABLE_STRING,
                    "posted_at": {"type": "integer", "nullable": True},
                    "taken_down": BOOL, "suspended": BOOL}),
                "reporter_profile": AUTHOR,
                "actions": {"type": "array", "items": _ACTION,
                            "description": "what was done about it, oldest first"}}),
        "ReportPage": page(ref("Report")),
        "ModerationActions": obj(["items"], {"items": {"type": "array", "items": _ACTION}}),
        "ModeratorStatus": obj(["user_id", "is_admin"], {"user_id": STRING, "is_admin": BOOL}),
        "TakenDown": obj(["event_id", "room_id", "taken_down"], {
            "event_id": STRING, "room_id": STRING, "taken_down": BOOL}),
        "Suspension": obj(["user_id", "suspended", "room_id", "local"], {
            "user_id": STRING, "suspended": BOOL,
            "room_id": {**NULLABLE_STRING, "description": "their feed room, when known"},
            "local": {**BOOL, "description": "a user of this server (their feed room is made "
                      "read-only) or of another"},
            "kicked_from": {**INT, "description": "suspend: our feed rooms the bot kicked "
                            "them from (their follows end)"},
            "removed": {**_COUNTS, "description": "suspend: what left the index"},
            "restored": obj(["hashtags"], {"hashtags": INT})}),
        "Suspensions": obj(["items"], {"items": {"type": "array", "items": obj(
            ["user", "local", "actor", "reason", "since"], {
                "user": AUTHOR, "local": BOOL, "actor": STRING, "reason": STRING,
                "since": INT})}}),
    }

    async def _admin(self, request: web.Request, user: str) -> None:
        if not await self.auth.is_server_admin(request, user):
            raise Forbidden(ADMINS_ONLY)

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
        await self._admin(request, user)
        return await self.moderation.reports(request.query.get("status"),
                                             request.query.get("cursor"),
                                             self.page_limit(request))

    @get("/moderation/me", "Whether you moderate here (the homeserver's admin flag): the web "
         "app shows its Moderation section to those who do", "ModeratorStatus", errors=())
    async def me(self, request: web.Request, user: str) -> dict:
        return {"user_id": user, "is_admin": await self.auth.is_server_admin(request, user)}

    @get("/moderation/reports/{report_id}", "One report, with its target and what was done "
         "(homeserver admins only)", "Report", params=(REPORT_ID,))
    async def one(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        return await self.moderation.report(request.match_info["report_id"])

    @post("/moderation/reports/{report_id}/resolve", "Resolve a report, saying why "
          "(homeserver admins only; logged with who and why)", "Report", params=(REPORT_ID,),
          body=obj(["reason"], {"reason": _REASON}))
    async def resolve(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        body = await json_object(request)
        return await self.moderation.resolve(request.match_info["report_id"], user,
                                             body.get("reason"))

    @post("/moderation/takedown", "Take down a post or comment: redacted by its feed room's "
          "bot and removed from the index (homeserver admins only; logged with who and why)",
          "TakenDown", errors=BUSY, body=obj(["event_id", "reason"], {
              "event_id": STRING, "reason": _REASON, "report_id": _REPORT_ID}))
    async def takedown(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        body = await json_object(request)
        return await self.moderation.takedown(body.get("event_id"), user, body.get("reason"),
                                              body.get("report_id"))

    @post("/moderation/suspend", "Suspend a user of this server or of another: refused at "
          "the API and in the index, hidden from every view, kicked from our feed rooms, their "
          "likes, comments and reposts out of the counts; a local user's feed room becomes "
          "read-only (homeserver admins only; logged with who and why)",
          "Suspension", errors=BUSY, body=obj(["user_id", "reason"], {
              "user_id": STRING, "reason": _REASON, "report_id": _REPORT_ID}))
    async def suspend(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        body = await json_object(request)
        return await self.moderation.suspend(body.get("user_id"), user, body.get("reason"),
                                             body.get("report_id"))

    @post("/moderation/unsuspend", "Lift a suspension, saying why (homeserver admins only; "
          "logged with who and why): the bars end, their hashtags come back; their follows, "
          "likes, comments and reposts do not", "Suspension", errors=BUSY,
          body=obj(["user_id", "reason"], {"user_id": STRING, "reason": _REASON}))
    async def unsuspend(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        body = await json_object(request)
        return await self.moderation.unsuspend(body.get("user_id"), user, body.get("reason"))

    @get("/moderation/suspensions", "Everybody suspended, of this server and of others, newest "
         "first, with who suspended them and why (homeserver admins only)", "Suspensions",
         errors=())
    async def suspensions(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        return {"items": await self.moderation.suspensions()}

    @get("/moderation/actions", "The moderation log, newest first: who did what, and why "
         "(homeserver admins only)", "ModerationActions", errors=(),
         params=({"name": "limit", "in": "query",
                  "schema": {"type": "integer", "minimum": 1}},))
    async def log(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        return {"items": await self.moderation.actions(self.page_limit(request))}

    @get("/moderation/policies", "The policy lists this service follows: rooms, rules, and the "
         "users they bar now (homeserver admins only)", "Policies", errors=())
    async def policies(self, request: web.Request, user: str) -> dict:
        await self._admin(request, user)
        return await self.moderation.policies()
