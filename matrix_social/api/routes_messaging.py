"""Routes for the Messages app, AI-to-AI requests and the send_matrix_message IPC call."""

from __future__ import annotations

from aiohttp import web

from ..social.ai_requests import AiRequests
from ..social.ipc import Ipc
from ..social.messaging import Messaging
from .auth import Authenticator
from .params import PageLimit, json_object


def add_messaging_routes(app: web.Application, auth: Authenticator, limit: PageLimit,
                         messaging: Messaging, ai_requests: AiRequests, ipc: Ipc) -> None:
    routes = web.RouteTableDef()

    @routes.post("/messages/dm")
    async def open_dm(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.open_dm(user, await json_object(request)))

    @routes.post("/messages/groups")
    async def create_group(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await messaging.create_group(user, await json_object(request)), status=201)

    @routes.get("/messages/conversations")
    async def conversations(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.conversations(
            user, request.query.get("cursor"), limit(request)))

    @routes.get("/messages/rooms/{room_id}/members")
    async def members(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.members(user, request.match_info["room_id"]))

    @routes.post("/messages/rooms/{room_id}/invite")
    async def invite(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.invite(
            user, request.match_info["room_id"], await json_object(request)))

    @routes.post("/messages/rooms/{room_id}/remove")
    async def remove(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.remove(
            user, request.match_info["room_id"], await json_object(request)))

    @routes.post("/messages/rooms/{room_id}/leave")
    async def leave(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.leave(user, request.match_info["room_id"]))

    @routes.post("/messages/rooms/{room_id}/send")
    async def send(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.send(
            user, request.match_info["room_id"], await json_object(request)), status=201)

    @routes.post("/ai/request")
    async def ai_request(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await ai_requests.ask(
            user, body.get("to"), body.get("content"), body.get("timeout")))

    @routes.post("/ipc/send_matrix_message")
    async def ipc_send(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await ipc.send_matrix_message(
            user, body.get("to"), body.get("content"), body.get("as")), status=201)

    app.add_routes(routes)
