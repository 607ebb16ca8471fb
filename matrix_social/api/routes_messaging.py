"""Routes for the Messages app, AI-to-AI requests and the send_matrix_message IPC call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..ai.ai_to_ai import MAX_TIMEOUT, RequestTimeout
from ..ipc import send_matrix_message
from .auth import Authenticator
from .errors import ApiError, invalid_param, read_json_object

if TYPE_CHECKING:
    from ..bridge import SocialBridge


def _timeout(value: Any) -> float:
    if value is None:
        return 30.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value <= MAX_TIMEOUT:
        raise invalid_param(f"'timeout' must be a number of seconds from 1 to {MAX_TIMEOUT}")
    return float(value)


def add_messaging_routes(app: web.Application, bridge: SocialBridge,
                         auth: Authenticator) -> None:
    routes = web.RouteTableDef()
    messaging = bridge.messaging

    @routes.post("/messages/dm")
    async def open_dm(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.open_dm(user, await read_json_object(request)))

    @routes.post("/messages/groups")
    async def create_group(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(
            await messaging.create_group(user, await read_json_object(request)), status=201)

    @routes.get("/messages/conversations")
    async def conversations(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.conversations(
            user, request.query.get("cursor"),
            bridge.social.page_limit(request.query.get("limit"))))

    @routes.get("/messages/rooms/{room_id}/members")
    async def members(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.members(user, request.match_info["room_id"]))

    @routes.post("/messages/rooms/{room_id}/invite")
    async def invite(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.invite(
            user, request.match_info["room_id"], await read_json_object(request)))

    @routes.post("/messages/rooms/{room_id}/remove")
    async def remove(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.remove(
            user, request.match_info["room_id"], await read_json_object(request)))

    @routes.post("/messages/rooms/{room_id}/leave")
    async def leave(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.leave(user, request.match_info["room_id"]))

    @routes.post("/messages/rooms/{room_id}/send")
    async def send(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await messaging.send(
            user, request.match_info["room_id"], await read_json_object(request)), status=201)

    @routes.post("/ai/request")
    async def ai_request(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request)
        to = body.get("to")
        target = bridge.identities.parse_handle(to) if isinstance(to, str) else None
        suffix = bridge.config["bridge.ai_suffix"]
        if target is None or not bridge.identities.split(target)[0].endswith(suffix):
            raise invalid_param(f"'to' must be an AI, such as bob{suffix} or @bob{suffix}:server")
        content = body.get("content")
        if isinstance(content, str):
            content = {"body": content}
        if not isinstance(content, dict) or not isinstance(content.get("body"), str):
            raise invalid_param("'content' must be text or an object with a 'body'")
        timeout = _timeout(body.get("timeout"))
        if not await bridge.social.user_exists(target):
            raise ApiError(404, "M_NOT_FOUND", f"No AI {target}")
        try:
            answer = await bridge.ai_to_ai.request(bridge.identities.ai_of(user), target,
                                                   content, timeout)
        except RequestTimeout as e:
            raise ApiError(504, "M_UNKNOWN", str(e)) from None
        return web.json_response(answer)

    @routes.post("/ipc/send_matrix_message")
    async def ipc_send(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await read_json_object(request)
        return web.json_response(await send_matrix_message(
            bridge, user, body.get("to"), body.get("content"), body.get("as")), status=201)

    app.add_routes(routes)
