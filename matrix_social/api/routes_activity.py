"""Routes for activity sharing: settings (and the social-config.json file), activities in,
drafts, the report_activity IPC call, and marking an AI's conversation public."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ..events import ACTIVITY_KINDS
from ..social.activity.drafts import Drafts
from ..social.activity.reports import Activities
from ..social.activity.settings import FREQUENCIES, KEYS, SHARE_KEYS, ActivitySettings
from ..social.ai_conversations import AiConversations
from ..social.ipc import Ipc
from .params import PageLimit, json_object
from .routing import BUSY, RouteGroup, delete, get, patch, post, put
from .schemas import (
    BOOL,
    INT,
    NULLABLE_STRING,
    PAGE_PARAMS,
    ROOM_ID,
    SHORT_AUTHOR,
    STRING,
    TEXT,
    obj,
    page,
    path_param,
    ref,
)

_DRAFT_ID = path_param("draft_id")


def _reported(result: dict[str, Any]) -> web.Response:
    created = result["shared"] and not result.get("duplicate")
    return web.json_response(result, status=201 if created else 200)


@dataclass
class ActivityRoutes(RouteGroup):
    page_limit: PageLimit
    activity_settings: ActivitySettings
    activities: Activities
    drafts: Drafts
    ipc: Ipc
    ai_conversations: AiConversations

    schemas = {
        "Settings": obj(list(KEYS), {
            **{key: BOOL for key in SHARE_KEYS},
            "auto_post_frequency": {"type": "string", "enum": list(FREQUENCIES)},
            "timezone": {"type": "string", "description": "IANA time zone, e.g. Europe/Paris"}}),
        "SettingsPatch": {"type": "object", "additionalProperties": False, "properties": {
            **{key: {"type": "boolean"} for key in SHARE_KEYS},
            "auto_post_frequency": {"type": "string", "enum": list(FREQUENCIES)},
            "timezone": {"type": "string"}}},
        "NewActivity": {"type": "object", "required": ["kind", "data"],
                        "additionalProperties": False, "properties": {
                            "kind": {"type": "string", "enum": list(ACTIVITY_KINDS)},
                            "data": {"type": "object", "description": (
                                "app_publish {app_id}; app_fork {original, author, app_id?}; "
                                "game_score {game, score, duration (seconds)}; ai_task {task}; "
                                "profile_update {fields}")}}},
        "Activity": obj(["id", "kind", "data", "source", "ts"], {
            "id": STRING, "kind": STRING, "data": {"type": "object"}, "source": STRING,
            "ts": INT}),
        "ActivityResult": obj(["shared", "activity", "draft"], {
            "shared": BOOL, "duplicate": BOOL, "draft_skipped": STRING,
            "activity": {"allOf": [ref("Activity")], "nullable": True},
            "draft": {"allOf": [ref("Draft")], "nullable": True}}),
        "Draft": obj(["id", "kind", "text", "as", "author", "activity", "app", "edited",
                      "status", "publish_at", "period", "post_id", "created_at"], {
            "id": STRING, "kind": STRING, "text": STRING,
            "as": {"type": "string", "enum": ["me", "ai"]}, "author": SHORT_AUTHOR,
            "activity": {"type": "object"}, "app": {"type": "object", "nullable": True},
            "edited": BOOL,
            "status": {"type": "string", "enum": ["pending", "publishing", "published"]},
            "publish_at": {"type": "integer", "nullable": True}, "period": NULLABLE_STRING,
            "post_id": NULLABLE_STRING, "created_at": INT}),
        "DraftPage": page(ref("Draft")),
        "DraftPreview": obj(["draft", "sender", "type", "content"], {
            "draft": ref("Draft"), "sender": STRING, "type": STRING,
            "content": {"type": "object"}}),
        "DraftPublished": obj(["draft", "post"], {"draft": ref("Draft"), "post": ref("Post")}),
        "Discarded": obj(["discarded"], {"discarded": BOOL}),
        "PublicMark": obj(["room_id", "ai", "marked", "public"], {
            "room_id": STRING, "ai": STRING, "marked": BOOL, "public": BOOL}),
    }

    @get("/settings", "Your activity-sharing settings (read afresh from your account data, "
         "m.matrix_os.social.settings)", "Settings", errors=())
    async def get_settings(self, request: web.Request, user: str) -> dict:
        return await self.activity_settings.get(user, fresh=True)

    @put("/settings", "Change the given settings only; an unknown key or a wrong type changes "
         "nothing", "Settings", body=ref("SettingsPatch"), errors=())
    async def put_settings(self, request: web.Request, user: str) -> dict:
        return await self.activity_settings.update(user, await json_object(request))

    @get("/settings/social-config", "Export your settings in the social-config.json shape",
         "Settings", errors=())
    async def export_settings(self, request: web.Request, user: str) -> dict:
        return await self.activity_settings.export_file(user)

    @put("/settings/social-config", "Import a social-config.json: every setting replaced "
         "(missing keys: the defaults, all sharing off)", "Settings",
         body=ref("SettingsPatch"), errors=())
    async def import_settings(self, request: web.Request, user: str) -> dict:
        return await self.activity_settings.import_file(user, await json_object(request))

    @post("/activity", "Report an activity of yours (app_publish, app_fork, game_score, "
          "ai_task, profile_update); a draft when you share its kind (201), nothing when you "
          "do not (200)", "ActivityResult", status=201, also=(200,), body=ref("NewActivity"))
    async def report(self, request: web.Request, user: str) -> web.Response:
        return _reported(await self.activities.report(user, await json_object(request)))

    @post("/ipc/report_activity", "report_activity({kind, data}): the IPC call for agents, as "
          "POST /activity", "ActivityResult", status=201, also=(200,), body=ref("NewActivity"))
    async def ipc_report(self, request: web.Request, user: str) -> web.Response:
        return _reported(await self.ipc.report_activity(user, await json_object(request)))

    @get("/drafts", "Your drafts waiting to be published, newest first", "DraftPage",
         params=PAGE_PARAMS, errors=())
    async def list_drafts(self, request: web.Request, user: str) -> dict:
        return await self.drafts.page(user, request.query.get("cursor"), self.page_limit(request))

    @get("/drafts/{draft_id}", "One of your drafts", "Draft", params=(_DRAFT_ID,))
    async def get_draft(self, request: web.Request, user: str) -> dict:
        return await self.drafts.get(user, request.match_info["draft_id"])

    @get("/drafts/{draft_id}/preview", "Exactly what publishing the draft sends: sender, "
         "event type and content", "DraftPreview", params=(_DRAFT_ID,))
    async def preview_draft(self, request: web.Request, user: str) -> dict:
        return await self.drafts.preview(user, request.match_info["draft_id"])

    @patch("/drafts/{draft_id}", "Edit a draft's text (an edited draft is never published "
           "automatically)", "Draft", params=(_DRAFT_ID,), errors=(404, 409),
           body={"type": "object", "required": ["text"], "additionalProperties": False,
                 "properties": {"text": TEXT}})
    async def edit_draft(self, request: web.Request, user: str) -> dict:
        return await self.drafts.edit(user, request.match_info["draft_id"],
                                      await json_object(request))

    @delete("/drafts/{draft_id}", "Discard a draft", "Discarded", params=(_DRAFT_ID,),
            errors=(404, 409))
    async def discard_draft(self, request: web.Request, user: str) -> dict:
        await self.drafts.discard(user, request.match_info["draft_id"])
        return {"discarded": True}

    @post("/drafts/{draft_id}/publish", "Publish the draft now, as an activity post in your "
          "feed (your AI's for AI tasks)", "DraftPublished", status=201, params=(_DRAFT_ID,),
          errors=(*BUSY, 409))
    async def publish_draft(self, request: web.Request, user: str) -> dict:
        return await self.drafts.publish(user, request.match_info["draft_id"])

    @put("/ai/conversations/{room_id}/public", "List (or unlist) your AI's conversation in a "
         "group you may change the state of, on its profile; never a DM", "PublicMark",
         params=(ROOM_ID,), body={"type": "object", "required": ["public"],
                                  "properties": {"public": {"type": "boolean"}}})
    async def mark_public(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.ai_conversations.mark(user, request.match_info["room_id"],
                                             body.get("public"))
