"""Routes for activity sharing: settings (and the social-config.json file), activities in,
drafts, the report_activity IPC call, and marking an AI's conversation public."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..social.activity.drafts import Drafts
from ..social.activity.reports import Activities
from ..social.activity.settings import ActivitySettings
from ..social.ai_conversations import AiConversations
from ..social.ipc import Ipc
from .auth import Authenticator
from .params import PageLimit, json_object


def _reported(result: dict[str, Any]) -> web.Response:
    created = result["shared"] and not result.get("duplicate")
    return web.json_response(result, status=201 if created else 200)


def add_activity_routes(app: web.Application, auth: Authenticator, limit: PageLimit,
                        settings: ActivitySettings, activities: Activities, drafts: Drafts,
                        ipc: Ipc, conversations: AiConversations) -> None:
    routes = web.RouteTableDef()

    @routes.get("/settings")
    async def get_settings(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await settings.get(user, fresh=True))

    @routes.put("/settings")
    async def put_settings(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await settings.update(user, await json_object(request)))

    @routes.get("/settings/social-config")
    async def export_settings(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await settings.export_file(user))

    @routes.put("/settings/social-config")
    async def import_settings(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await settings.import_file(user, await json_object(request)))

    @routes.post("/activity")
    async def report(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return _reported(await activities.report(user, await json_object(request)))

    @routes.post("/ipc/report_activity")
    async def ipc_report(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return _reported(await ipc.report_activity(user, await json_object(request)))

    @routes.get("/drafts")
    async def list_drafts(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await drafts.page(user, request.query.get("cursor"), limit(request)))

    @routes.get("/drafts/{draft_id}")
    async def get_draft(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await drafts.get(user, request.match_info["draft_id"]))

    @routes.get("/drafts/{draft_id}/preview")
    async def preview_draft(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await drafts.preview(user, request.match_info["draft_id"]))

    @routes.patch("/drafts/{draft_id}")
    async def edit_draft(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await drafts.edit(user, request.match_info["draft_id"],
                                                   await json_object(request)))

    @routes.delete("/drafts/{draft_id}")
    async def discard_draft(request: web.Request) -> web.Response:
        user = await auth.user(request)
        await drafts.discard(user, request.match_info["draft_id"])
        return web.json_response({"discarded": True})

    @routes.post("/drafts/{draft_id}/publish")
    async def publish_draft(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await drafts.publish(user, request.match_info["draft_id"]),
                                 status=201)

    @routes.put("/ai/conversations/{room_id}/public")
    async def mark_public(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await conversations.mark(
            user, request.match_info["room_id"], body.get("public")))

    app.add_routes(routes)
