"""Routes for external accounts: list, connect (an authorize URL, and the cookie that binds the
login to this browser), the OAuth callback the browser comes back to, confirming a login that
came back elsewhere, disconnect, and sharing with followers."""

from __future__ import annotations

import html
import json

from aiohttp import web

from ..errors import ApiError
from ..external.connections import (
    BrowserBinding,
    CallbackOutcome,
    ConfirmPrompt,
    Connections,
    browser_cookie,
    cookie_names,
)
from .auth import Authenticator
from .params import json_object, optional_json_object

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{body}
<p><a href="{back}">Back to your settings in Social</a></p></main></body></html>
"""
# From /api/social/connections/{platform}/callback to the web app's Settings (/social/settings),
# relative so that a public_url with a path prefix still leads there.
_BACK = "../../../../social/settings#connections"
_HEADERS = {"Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def _confirm_body(prompt: ConfirmPrompt) -> str:
    """Both accounts named, the code, who alone can use it, and what to do if that is not
    you (docs/platforms.md, "Who completes a login")."""
    e = html.escape
    who, account, name = e(prompt.matrix_user), e(prompt.account), e(prompt.platform)
    return (
        f"<p>Connect {name} <strong>{account}</strong> to Matrix <strong>{who}</strong>?</p>"
        f"<p>Nothing is connected yet: this login was not finished in the browser that "
        f"started it.</p>"
        f"<p>If you are {who}: send <code>confirm {e(prompt.code)}</code> to {e(prompt.bot)} "
        f"in your chat with it (an app signed in as you can also confirm the code for you). "
        f"It works once, for {prompt.minutes} minutes, and only for {who}.</p>"
        f"<p>If you are not {who}, do not give this code to anybody: whoever confirms it "
        f"reads and posts as {account} on {name}. Close this page and nothing is "
        f"connected.</p>")


def callback_response(request: web.Request, outcome: CallbackOutcome) -> web.Response:
    """A small page for the browser (or JSON, when asked for): connected, waiting for its
    starter's confirmation (202), or why not."""
    prompt = outcome.confirm
    status = 200 if outcome.ok else 202 if prompt else 400
    if "application/json" in request.headers.get("Accept", ""):
        if prompt is not None:
            body = {"connected": False, "platform": outcome.platform,
                    "message": outcome.message,
                    "confirm": {"code": prompt.code, "account": prompt.account,
                                "matrix_user": prompt.matrix_user,
                                "expires_in_minutes": prompt.minutes}}
        elif outcome.ok:
            body = {"connected": True, "platform": outcome.platform, "message": outcome.message}
        else:
            body = {"errcode": "M_INVALID_PARAM", "error": outcome.message}
        return web.Response(status=status, content_type="application/json",
                            text=json.dumps(body), headers=_HEADERS)
    if prompt is not None:
        title, body_html = "Confirm this connection", _confirm_body(prompt)
    else:
        title = "Connected" if outcome.ok else "Not connected"
        body_html = f"<p>{html.escape(outcome.message)}</p>"
    page = _PAGE.format(title=title, body=body_html, back=_BACK)
    return web.Response(status=status, content_type="text/html", headers=_HEADERS, text=page)


def _set_binding(response: web.Response, binding: BrowserBinding) -> None:
    response.set_cookie(binding.name, binding.value, max_age=binding.max_age_s,
                        path=binding.path, secure=binding.secure or None, httponly=True,
                        samesite="Lax")


def _clear_bindings(request: web.Request, response: web.Response, state: str | None,
                    path: str, secure: bool) -> None:
    """The binding cookie has done its work (or cannot any more): the browser forgets it."""
    if not state or len(state) > 512:
        return
    for name in cookie_names(state):
        if name in request.cookies:
            response.del_cookie(name, path=path, secure=secure or name.startswith("__Secure-")
                                or None, httponly=True, samesite="Lax")


def add_connection_routes(app: web.Application, auth: Authenticator,
                          connections: Connections) -> None:
    routes = web.RouteTableDef()

    @routes.get("/connections")
    async def list_connections(request: web.Request) -> web.Response:
        user = await auth.user(request)
        return web.json_response(await connections.list(user))

    @routes.post("/connections/{platform}")
    async def connect(request: web.Request) -> web.Response:
        # The web app's fetch is same-origin, so the cookie lands in the browser that will go
        # to the platform; a client without cookies gets the confirmation step instead.
        user = await auth.user(request)
        body = await optional_json_object(request)
        answer, binding = await connections.begin_in_browser(
            user, request.match_info["platform"], body.get("instance"))
        response = web.json_response(answer, headers={"Cache-Control": "no-store"})
        _set_binding(response, binding)
        return response

    @routes.get("/connections/{platform}/callback")
    async def callback(request: web.Request) -> web.Response:
        # Reached by the browser's redirect from the platform, usually without our bearer
        # token: the state names the user who started, the cookie the browser she started in.
        # With a token, it must be hers.
        caller = await auth.user(request) if "Authorization" in request.headers else None
        query = request.query
        for name in ("state", "code", "error"):
            if len(query.getall(name, [])) > 1:
                raise ApiError(400, "M_INVALID_PARAM", f"'{name}' is given more than once")
        platform, state = request.match_info["platform"], query.get("state")
        outcome = await connections.finish(platform, state, query.get("code"),
                                           query.get("error"), caller,
                                           browser_cookie(request.cookies, state))
        response = callback_response(request, outcome)
        _clear_bindings(request, response, state, *connections.cookie_scope(platform))
        return response

    @routes.post("/connections/{platform}/confirm")
    async def confirm(request: web.Request) -> web.Response:
        user = await auth.user(request)
        body = await json_object(request)
        return web.json_response(await connections.confirm(
            user, body.get("code"), request.match_info["platform"]))

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
