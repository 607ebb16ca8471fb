"""A fake of the Instagram API with Instagram Login: www.instagram.com/oauth/authorize,
api.instagram.com/oauth/access_token (short-lived token + user_id, no PKCE),
graph.instagram.com (long-lived exchange and refresh, /me, /me/media with
paging.cursors, content publishing that really GETs the image_url and takes JPEG only,
content_publishing_limit), Graph API error bodies ({"error": {message, type, code,
error_subcode, fbtrace_id}}) and X-Business-Use-Case-Usage headers.

UNCONFIRMED against the live service (see PLATFORMS.md): the exact token JSON, the HTTP status
of throttling errors (Meta documents the error codes, not the status: 400 here), and how a
personal account is stopped (here: it can log in, /me says PERSONAL, reads fail with code 10).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from .base import FakePlatform
from .oauth import OAuthError, OAuthServer, bearer

SCOPES = ("instagram_business_basic", "instagram_business_content_publish",
          "instagram_business_manage_comments", "instagram_business_manage_messages")
LONG_LIVED_S = 5183944


@dataclass
class IGUser:
    id: str
    username: str
    name: str
    account_type: str  # BUSINESS | MEDIA_CREATOR | PERSONAL


@dataclass
class IGMedia:
    id: str
    owner: str
    caption: str
    media_type: str
    media_url: str
    timestamp: float


def graph_error(message: str, code: int, status: int = 400, kind: str = "OAuthException",
                subcode: int | None = None, transient: bool | None = None) -> web.Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code,
                             "fbtrace_id": secrets.token_urlsafe(8)}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    return web.json_response({"error": error}, status=status)


class FakeInstagram(FakePlatform):
    name = "instagram"

    def __init__(self, client_id: str = "ig-app", client_secret: str = "ig-secret",
                 redirect_uri: str = "https://social.example.org/callback/instagram") -> None:
        super().__init__(window_s=3600, limits={}, default_limit=200)
        self.oauth = OAuthServer(code_ttl_s=600, access_ttl_s=3600, refresh=False,
                                 rotate_refresh=False, pkce_methods=(), require_pkce=False,
                                 scopes=SCOPES)
        self.oauth.register_client(client_id, client_secret, [redirect_uri])
        self.client_id, self.client_secret = client_id, client_secret
        self.users: dict[str, IGUser] = {}
        self.media: dict[str, IGMedia] = {}
        self.containers: dict[str, dict[str, Any]] = {}
        self.fetched_images: list[tuple[str, str]] = []  # (url, content type) really fetched
        self.published: list[IGMedia] = []
        self.quota_total = 50
        self.quota_window: list[float] = []
        self._ids = itertools.count(17_900_000_000_000_000, 1_000)

    # --- test controls -----------------------------------------------------------------------

    def add_user(self, username: str, account_type: str = "BUSINESS") -> str:
        user_id = str(next(self._ids))
        self.users[user_id] = IGUser(user_id, username, username.title(), account_type)
        if self.oauth.authorizing_user is None:
            self.oauth.authorizing_user = user_id
        return user_id

    def post(self, user_id: str, caption: str, media_type: str = "IMAGE",
             timestamp: float | None = None) -> str:
        media_id = str(next(self._ids))
        self.media[media_id] = IGMedia(media_id, user_id, caption, media_type,
                                       f"{self.base_url}/cdn/{media_id}.jpg",
                                       timestamp or time.time())
        return media_id

    def revoke_user(self, user_id: str) -> None:
        self.oauth.revoke_user(user_id)

    # --- shapes ------------------------------------------------------------------------------

    def rate_group(self, request: web.Request) -> str | None:
        return None if request.path.startswith(("/oauth/", "/cdn/")) else "graph"

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        used = round(100 * (limit - remaining) / limit)
        regain = 0 if remaining > 0 else max(1, round((reset - time.time()) / 60))
        return {"X-Business-Use-Case-Usage": json.dumps({"0": [{
            "type": "instagram", "call_count": used, "total_cputime": 1, "total_time": 1,
            "estimated_time_to_regain_access": regain}]})}

    def error(self, status: int, reset: float | None = None) -> web.Response:
        if status == 429:
            return graph_error("Application request limit reached", 4, status=400,
                               transient=True)
        if status == 401:
            return graph_error("Error validating access token: The session has been "
                               "invalidated.", 190, subcode=460)
        return graph_error("An unexpected error has occurred. Please retry your request "
                           "later.", 2, status=status, transient=True)

    def _token(self, request: web.Request):
        value = request.query.get("access_token") or bearer(request.headers.get("Authorization"))
        token = self.oauth.user_for(value)
        if token is None:
            raise _GraphError(graph_error("Error validating access token: Session has expired "
                                          "or the user has not authorized the application.",
                                          190, subcode=463))
        return token

    # --- OAuth -------------------------------------------------------------------------------

    async def authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        try:
            location = self.oauth.authorize(query)
        except OAuthError as e:
            return web.Response(status=400, content_type="text/html",
                                text=f"<p>Invalid Request: {e.description}</p>")
        raise web.HTTPFound(location + "#_")  # Instagram appends "#_" to the redirect

    async def access_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        try:
            client_id = self.oauth.check_client(form.get("client_id"), form.get("client_secret"),
                                                secret_required=True)
            if form.get("grant_type") != "authorization_code":
                raise OAuthError("invalid_request", "Invalid grant_type")
            token = self.oauth.redeem(form.get("code", ""), client_id, form.get("redirect_uri"),
                                      None)
        except OAuthError as e:
            message = ("Invalid platform app" if e.status == 401 else
                       "Invalid authorization code" if e.error == "invalid_grant" else
                       e.description)
            return web.json_response({"error_type": "OAuthException", "code": 400,
                                      "error_message": message}, status=400)
        return web.json_response({"access_token": token.access_token,
                                  "user_id": int(token.user_id),
                                  "permissions": token.scope.replace(" ", ",")})

    async def exchange(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "ig_exchange_token" or q.get("client_secret") != \
                self.client_secret:
            return graph_error("Invalid grant_type or client_secret", 100)
        short = self.oauth.user_for(q.get("access_token"))
        if short is None:
            return graph_error("Error validating access token", 190)
        self.oauth.access_ttl_s = LONG_LIVED_S
        token = self.oauth.issue(short.user_id, short.client_id, short.scope)
        self.oauth.access_ttl_s = 3600
        return web.json_response({"access_token": token.access_token, "token_type": "bearer",
                                  "expires_in": LONG_LIVED_S})

    async def refresh(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("grant_type") != "ig_refresh_token":
            return graph_error("Invalid grant_type", 100)
        old = self.oauth.user_for(q.get("access_token"))
        if old is None:
            return graph_error("Error validating access token", 190)
        self.oauth.access_ttl_s = LONG_LIVED_S
        token = self.oauth.issue(old.user_id, old.client_id, old.scope)
        self.oauth.access_ttl_s = 3600
        return web.json_response({"access_token": token.access_token, "token_type": "bearer",
                                  "expires_in": LONG_LIVED_S})

    # --- Graph -------------------------------------------------------------------------------

    def _media_json(self, media: IGMedia, fields: set[str]) -> dict[str, Any]:
        user = self.users[media.owner]
        full = {"id": media.id, "caption": media.caption, "media_type": media.media_type,
                "media_url": media.media_url, "username": user.username,
                "permalink": f"https://www.instagram.com/p/{media.id[-11:]}/",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000",
                                           time.gmtime(media.timestamp))}
        if media.media_type == "VIDEO":
            full["thumbnail_url"] = f"{self.base_url}/cdn/{media.id}_thumb.jpg"
        return {k: v for k, v in full.items() if k in fields or k == "id"}

    async def me(self, request: web.Request) -> web.Response:
        token = self._token(request)
        user = self.users[token.user_id]
        full = {"id": user.id, "user_id": user.id, "username": user.username, "name": user.name,
                "account_type": user.account_type,
                "profile_picture_url": f"{self.base_url}/cdn/avatar_{user.id}.jpg",
                "media_count": sum(1 for m in self.media.values() if m.owner == user.id)}
        fields = set(request.query.get("fields", "id").split(","))
        return web.json_response({k: v for k, v in full.items() if k in fields or k == "id"})

    async def my_media(self, request: web.Request) -> web.Response:
        token = self._token(request)
        user = self.users[token.user_id]
        if user.account_type == "PERSONAL":
            return graph_error("Application does not have permission for this action", 10)
        fields = set(request.query.get("fields", "id").split(","))
        limit = min(int(request.query.get("limit", "25")), 100)
        media = sorted((m for m in self.media.values() if m.owner == user.id),
                       key=lambda m: (m.timestamp, m.id), reverse=True)
        start = 0
        if "after" in request.query:
            ids = [m.id for m in media]
            after = request.query["after"]
            start = ids.index(after) + 1 if after in ids else len(ids)
        page = media[start:start + limit]
        body: dict[str, Any] = {"data": [self._media_json(m, fields) for m in page]}
        if page:
            body["paging"] = {"cursors": {"before": page[0].id, "after": page[-1].id}}
            if start + limit < len(media):
                query = {k: v for k, v in request.query.items() if k != "after"}
                body["paging"]["next"] = (f"{self.base_url}/me/media?"
                                          f"{urlencode({**query, 'after': page[-1].id})}")
        return web.json_response(body)

    async def node(self, request: web.Request) -> web.Response:
        self._token(request)
        node_id = request.match_info["id"]
        fields = set(request.query.get("fields", "id").split(","))
        if node_id in self.containers:
            container = self.containers[node_id]
            return web.json_response({"id": node_id, "status_code": container["status"]})
        if node_id in self.media:
            return web.json_response(self._media_json(self.media[node_id], fields))
        return graph_error(f"Unsupported get request. Object with ID '{node_id}' does not "
                           "exist, cannot be loaded due to missing permissions, or does not "
                           "support this operation.", 100, kind="GraphMethodException",
                           subcode=33)

    async def create_container(self, request: web.Request) -> web.Response:
        token = self._token(request)
        if request.match_info["id"] != token.user_id:
            return graph_error("Unsupported post request.", 100, kind="GraphMethodException",
                               subcode=33)
        if "instagram_business_content_publish" not in token.scope.split():
            return graph_error("Application does not have permission for this action", 10)
        params = {**request.query, **(await request.post())}
        image_url = params.get("image_url")
        if not image_url:
            return graph_error("Only photo or video can be accepted as media type.", 9004,
                               subcode=2207052)
        try:  # Instagram really fetches the image ("We cURL media...")
            async with aiohttp.ClientSession() as session, session.get(
                    image_url, timeout=aiohttp.ClientTimeout(total=10)) as response:
                data = await response.read()
                content_type = response.headers.get("Content-Type", "")
                ok = response.status == 200
        except aiohttp.ClientError:
            data, content_type, ok = b"", "", False
        self.fetched_images.append((image_url, content_type))
        if not ok:
            return graph_error("Media download has failed. The media URI doesn't meet our "
                               "requirements.", 9004, subcode=2207052)
        if not data.startswith(b"\xff\xd8\xff"):
            return graph_error("The image format is not supported. Only JPEG is supported.",
                               36003, subcode=2207009)
        caption = params.get("caption", "")
        if len(caption) > 2200 or caption.count("#") > 30:
            return graph_error("The caption is too long or has too many hashtags.", 100,
                               subcode=2207028)
        container_id = str(next(self._ids))
        self.containers[container_id] = {"owner": token.user_id, "caption": caption,
                                         "image": data, "image_url": image_url,
                                         "status": "FINISHED"}
        return web.json_response({"id": container_id})

    async def publish(self, request: web.Request) -> web.Response:
        token = self._token(request)
        params = {**request.query, **(await request.post())}
        container = self.containers.get(params.get("creation_id", ""))
        if container is None or container["owner"] != token.user_id or \
                container["status"] != "FINISHED":
            return graph_error("The media is not ready for publishing, please wait for a "
                               "moment", 9007, subcode=2207027)
        now = time.time()
        self.quota_window = [t for t in self.quota_window if now - t < 86400]
        if len(self.quota_window) >= self.quota_total:
            return graph_error("Application request limit reached", 9, status=400,
                               subcode=2207042)
        self.quota_window.append(now)
        container["status"] = "PUBLISHED"
        media_id = self.post(token.user_id, container["caption"])
        self.published.append(self.media[media_id])
        return web.json_response({"id": media_id})

    async def publishing_limit(self, request: web.Request) -> web.Response:
        self._token(request)
        now = time.time()
        used = len([t for t in self.quota_window if now - t < 86400])
        return web.json_response({"data": [{"quota_usage": used, "config": {
            "quota_total": self.quota_total, "quota_duration": 86400}}]})

    async def cdn(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\xff\xd8\xff\xe0fake-jpeg", content_type="image/jpeg")

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/oauth/authorize", self.authorize)
        r.add_post("/oauth/access_token", self.access_token)
        r.add_get("/access_token", self.exchange)
        r.add_get("/refresh_access_token", self.refresh)
        r.add_get("/me", self.me)
        r.add_get("/me/media", self.my_media)
        r.add_get("/cdn/{name}", self.cdn)
        r.add_post("/{id}/media", self.create_container)
        r.add_post("/{id}/media_publish", self.publish)
        r.add_get("/{id}/content_publishing_limit", self.publishing_limit)
        r.add_get("/{id}", self.node)


class _GraphError(web.HTTPBadRequest):
    def __init__(self, response: web.Response) -> None:
        super().__init__(text=response.text, content_type="application/json")
