"""Routes for external accounts: list, connect (an authorize URL), the OAuth callback the
browser comes back to, disconnect, and sharing with followers."""

from __future__ import annotations

import html
import json

from aiohttp import web

from ..errors import ApiError
from ..social.connections import CallbackOutcome, Connections
from .auth import Authenticator
from .params import json_object, optional_json_object

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1><p>{message}</p>
<p><a href="{back}">Back to your settings in Social</a></p></main></body></html>
"""
# From /api/social/connections/{platform}/callback to the web app's Settings (/social/settings),
# relative so that a public_url with a path prefix still leads there.
_BACK = "../../../../social/settings#connections"
_HEADERS = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def callback_response(request: web.Request, outcome: CallbackOutcome) -> web.Response:
    """A small page for the browser (or JSON, when asked for): connected, or why not."""
    status = 200 if outcome.ok else 400
    if "application/json" in request.headers.get("Accept", ""):
        body = {"connected": True, "platform": outcome.platform, "message": outcome.message} \
            if outcome.ok else {"errcode": "M_INVALID_PARAM", "error": outcome.message}
        return web.Response(status=status, content_type="application/json",
                            text=json.dumps(body), headers=_HEADERS)
    title = "Connected" if outcome.ok else "Not connected"
    page = _PAGE.format(title=title, message=html.escape(outcome.message), back=_BACK)
    return web.Response(status=status, content_type="text/html", headers=_HEADERS, text=page)


def add_connection_routes(app: web.Application, auth: Authenticator,
                          connections: Connections) -> None:
    routes = web.RouteTableDef()

    @routes.get("/connections")
    async def list_connections(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await connections.list(user))

    @routes.post("/connections/{platform}")
    async def connect(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await optional_json_object(request)
        return web.json_response(await connections.begin(
            user, request.match_info["platform"], body.get("instance")))

    @routes.get("/connections/{platform}/callback")
    async def callback(request: web.Request) -> web.Response:
        # Reached by the browser's redirect from the platform, usually without our bearer
        # token: the state binds it to the user who started. With a token, it must be hers.
        caller = await auth.user(request) if "Authorization" in request.headers else None
        query = request.query
        for name in ("state", "code", "error"):
            if len(query.getall(name, [])) > 1:
                raise ApiError(400, "M_INVALID_PARAM", f"'{name}' is given more than once")
        outcome = await connections.finish(request.match_info["platform"], query.get("state"),
                                           query.get("code"), query.get("error"), caller)
        return callback_response(request, outcome)

    @routes.delete("/connections/{platform}")
    async def disconnect(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await connections.disconnect(user,
                                                              request.match_info["platform"]))

    @routes.patch("/connections/{platform}")
    async def update(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await connections.set_share(
            user, request.match_info["platform"], body.get("share_with_followers")))

    app.add_routes(routes)
