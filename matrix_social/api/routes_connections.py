"""Routes for external accounts: list, connect (an authorize URL, and the cookie that binds the
login to this browser; or, for Bluesky, a handle and an app password), the OAuth callback the
browser comes back to, confirming a login that came back elsewhere, disconnect, and sharing
with followers."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

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
from .params import json_object, optional_json_object
from .routing import RouteGroup, delete, get, patch, post
from .schemas import ERROR, PLATFORM_NAMES

_PLATFORM = {"name": "platform", "in": "path", "required": True,
             "schema": {"type": "string", "enum": PLATFORM_NAMES}}
_SETS_BINDING = {"Set-Cookie": {
    "description": "ms_login_<tag> (or __Secure-ms_login_<tag>) binding the login to this "
                   "browser", "schema": {"type": "string"}}}
# The callback answers the browser with a small HTML page (JSON when asked).
_CONNECTED_PAGE = {"description": "A page saying connected", "content": {
    "text/html": {"schema": {"type": "string"}},
    "application/json": {"schema": {
        "type": "object", "required": ["connected", "platform", "message"],
        "properties": {"connected": {"type": "boolean"}, "platform": {"type": "string"},
                       "message": {"type": "string"}}}}}}
_HELD_PAGE = {"description": "Not connected yet: the login came back without the browser that "
                             "started it. The page names the platform account and the Matrix "
                             "user who started the login, and shows the one-time code only "
                             "that user can confirm (POST /connections/{platform}/confirm, or "
                             "`confirm CODE` to the bot)", "content": {
    "text/html": {"schema": {"type": "string"}},
    "application/json": {"schema": {
        "type": "object", "required": ["connected", "platform", "message", "confirm"],
        "properties": {"connected": {"type": "boolean", "enum": [False]},
                       "platform": {"type": "string"}, "message": {"type": "string"},
                       "confirm": {"type": "object",
                                   "required": ["code", "account", "matrix_user",
                                                "expires_in_minutes"],
                                   "properties": {
                                       "code": {"type": "string"},
                                       "account": {"type": "string"},
                                       "matrix_user": {"type": "string"},
                                       "expires_in_minutes": {"type": "integer"}}}}}}}}
_REFUSED_PAGE = {"description": "A page saying why not (Matrix-style when JSON is asked for)",
                 "content": {"text/html": {"schema": {"type": "string"}},
                             "application/json": {"schema": ERROR}}}

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


@dataclass
class ConnectionRoutes(RouteGroup):
    connections: Connections

    schemas = {
        "Connection": {"type": "object", "required": ["platform", "account", "status"],
                       "properties": {
                           "platform": {"type": "string"},
                           "account": {"type": "object", "required": [
                               "id", "handle", "name", "url", "avatar_url", "instance"],
                               "properties": {
                               "id": {"type": "string"}, "handle": {"type": "string"},
                               "name": {"type": "string"},
                               "url": {"type": "string", "nullable": True},
                               "avatar_url": {"type": "string", "nullable": True,
                                              "description": "The account's picture as copied "
                                                             "to the homeserver (mxc://), never "
                                                             "the platform's own URL"},
                               "instance": {"type": "string", "nullable": True}}},
                           "status": {"type": "string", "enum": ["ok", "broken"]},
                           "status_reason": {"type": "string", "nullable": True},
                           "last_sync": {"type": "integer", "nullable": True},
                           "share_with_followers": {"type": "boolean"},
                           "home_timeline": {"type": "boolean"},
                           "connected_at": {"type": "integer"},
                           "portal_room_id": {"type": "string", "nullable": True}}},
        "Connections": {"type": "object", "required": ["connections", "available"],
                        "properties": {
                            "connections": {"type": "array",
                                            "items": {"$ref": "#/components/schemas/Connection"}},
                            "available": {"type": "array", "items": {"type": "string"}}}},
        "Authorize": {"type": "object", "required": ["platform", "authorize_url"], "properties": {
            "platform": {"type": "string"}, "authorize_url": {"type": "string"},
            "expires_in_ms": {"type": "integer"}}},
        "Disconnected": {"type": "object", "required": ["platform", "connected"],
                         "properties": {"platform": {"type": "string"},
                                        "connected": {"type": "boolean"}}},
    }

    @get("/connections", "Your external accounts (platform, account, status, last sync, "
         "sharing; never a token) and the platforms this server offers", "Connections",
         errors=(401,))
    async def list_connections(self, request: web.Request, user: str) -> dict:
        return await self.connections.list(user)

    @post("/connections/{platform}",
          "Start connecting: the URL to send the browser to (Mastodon: give the instance); "
          "the bot reports the outcome in your management room. The answer sets an "
          "HttpOnly, SameSite=Lax cookie for the callback's path (Secure on https): the "
          "browser that made this request finishes the login in one step; any other way "
          "back ends on a confirmation", "Authorize", params=(_PLATFORM,),
          body={"type": "object", "properties": {"instance": {"type": "string"}}},
          errors=(400, 401, 404, 429), answer_headers=_SETS_BINDING)
    async def connect(self, request: web.Request, user: str) -> web.Response:
        # The web app's fetch is same-origin, so the cookie lands in the browser that will go
        # to the platform; a client without cookies gets the confirmation step instead.
        body = await optional_json_object(request)
        answer, binding = await self.connections.begin_in_browser(
            user, request.match_info["platform"], body.get("instance"))
        response = web.json_response(answer, headers={"Cache-Control": "no-store"})
        _set_binding(response, binding)
        return response

    @post("/connections/{platform}/app-password",
          "Connect a platform that takes an app password instead of a login page (Bluesky): "
          "your handle and an app password, used once to sign in and never stored (the "
          "session is, encrypted). Connected at once; wrong credentials change nothing",
          "Connection", params=(_PLATFORM,), errors=(400, 401, 404),
          body={"type": "object", "required": ["identifier", "password"],
                "properties": {"identifier": {"type": "string", "maxLength": 256},
                               "password": {"type": "string", "maxLength": 256}}})
    async def app_password(self, request: web.Request, user: str) -> web.Response:
        body = await json_object(request)
        answer = await self.connections.log_in_with_password(
            user, request.match_info["platform"], body.get("identifier"), body.get("password"))
        return web.json_response(answer, headers={"Cache-Control": "no-store"})

    @get("/connections/{platform}/callback",
         "Where the platform sends the browser back (OAuth redirect): finishes the login "
         "started by POST /connections/{platform}. No Matrix token needed: the single-use "
         "state names the user; with one, it must be hers. Connected at once only in the "
         "browser that started the login (its binding cookie) or with her token; otherwise "
         "held for her confirmation (202). A wrong, replayed or expired state changes "
         "nothing.", auth="optional",
         params=(_PLATFORM, *({"name": name, "in": "query", "schema": {"type": "string"}}
                              for name in ("state", "code", "error"))),
         responses={"200": _CONNECTED_PAGE, "202": _HELD_PAGE, "400": _REFUSED_PAGE,
                    "401": _REFUSED_PAGE, "403": _REFUSED_PAGE})
    async def callback(self, request: web.Request, caller: str | None) -> web.Response:
        # Reached by the browser's redirect from the platform, usually without our bearer
        # token: the state names the user who started, the cookie the browser she started in.
        # With a token, it must be hers.
        query = request.query
        for name in ("state", "code", "error"):
            if len(query.getall(name, [])) > 1:
                raise ApiError(400, "M_INVALID_PARAM", f"'{name}' is given more than once")
        platform, state = request.match_info["platform"], query.get("state")
        outcome = await self.connections.finish(platform, state, query.get("code"),
                                                query.get("error"), caller,
                                                browser_cookie(request.cookies, state))
        response = callback_response(request, outcome)
        _clear_bindings(request, response, state, *self.connections.cookie_scope(platform))
        return response

    @post("/connections/{platform}/confirm",
          "Confirm a login that came back in a browser that did not start it, with the "
          "one-time code its page showed; only the user who started that login can (a wrong "
          "code counts against her waiting logins, five drop them)", "Connection",
          params=(_PLATFORM,), errors=(400, 401, 404),
          body={"type": "object", "required": ["code"],
                "properties": {"code": {"type": "string", "maxLength": 64}}})
    async def confirm(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.connections.confirm(user, body.get("code"),
                                              request.match_info["platform"])

    @delete("/connections/{platform}",
            "Disconnect (revoking the grant where the platform allows)", "Disconnected",
            params=(_PLATFORM,), errors=(401, 404))
    async def disconnect(self, request: web.Request, user: str) -> dict:
        return await self.connections.disconnect(user, request.match_info["platform"])

    @patch("/connections/{platform}",
           "Share this connection's items with your followers (posts in your feed room), or "
           "stop; bring its home timeline (what the accounts you follow there post: "
           "Bluesky's Following feed) into your own feed view, for your eyes only (never "
           "shared, whatever share_with_followers says), or stop", "Connection",
           params=(_PLATFORM,),
           body={"type": "object", "minProperties": 1,
                 "properties": {"share_with_followers": {"type": "boolean"},
                                "home_timeline": {"type": "boolean"}}})
    async def update(self, request: web.Request, user: str) -> dict:
        body = await json_object(request)
        return await self.connections.update(user, request.match_info["platform"], body)
