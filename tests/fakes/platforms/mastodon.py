"""A fake Mastodon instance (4.3): app registration, Doorkeeper OAuth with PKCE (S256 only),
accounts and statuses with Link-header pagination (max_id/since_id/min_id), edits
(`edited_at`), deletions (404), Idempotency-Key, X-RateLimit-* headers with ISO reset times,
/api/v1/instance/ and /api/v2/instance/ with a configurable character limit.

Visibility as Mastodon's AccountStatusesFilter and StatusPolicy have it: the author's own
token sees all her statuses, followers-only (`private`) and `direct` ones included; anybody
else sees `public` and `unlisted`. A boost of her own followers-only status keeps its
visibility. Content warnings (`spoiler_text`) force `sensitive`, as PostStatusService does."""

from __future__ import annotations

import html
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import regex
from aiohttp import web
from twitter_text.extract_urls import extract_urls_with_indices

from .base import FakePlatform, iso
from .oauth import OAuthError, OAuthServer, bearer

SCOPES = ("read", "write", "push", "profile", "follow", "read:accounts", "read:statuses",
          "write:statuses", "write:media")
INVALID_GRANT = ("The provided authorization grant is invalid, expired, revoked, does not match "
                 "the redirection URI used in the authorization request, or was issued to "
                 "another client.")
INVALID_CLIENT = ("Client authentication failed due to unknown client, no client authentication "
                  "included, or unsupported authentication method.")


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    created_at: float
    visibility: str = "public"
    edited_at: float | None = None
    media_ids: list[str] = field(default_factory=list)
    in_reply_to_id: str | None = None
    reblog_of: str | None = None
    spoiler_text: str = ""
    sensitive: bool = False


@dataclass
class MAccount:
    id: str
    username: str
    display_name: str


def countable_length(text: str, url_length: int = 23) -> int:
    """Mastodon's StatusLengthValidator: grapheme clusters, URLs with a scheme count 23."""
    total, position = 0, 0
    for url in extract_urls_with_indices(text, extract_urls_without_protocol=False):
        start, end = url["indices"]
        total += len(regex.findall(r"\X", text[position:start])) + url_length
        position = end
    return total + len(regex.findall(r"\X", text[position:]))


class FakeMastodon(FakePlatform):
    name = "mastodon"

    def __init__(self, max_characters: int = 500, version: str = "4.3.0") -> None:
        super().__init__(window_s=300, limits={}, default_limit=300)
        self.oauth = OAuthServer(code_ttl_s=600, access_ttl_s=None, refresh=False,
                                 rotate_refresh=False, pkce_methods=("S256",),
                                 require_pkce=False, scopes=SCOPES)
        self.max_characters = max_characters
        self.version = version
        self.apps: dict[str, dict[str, Any]] = {}  # by client_id
        self.accounts: dict[str, MAccount] = {}
        self.statuses: dict[str, Status] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[tuple[str, str], str] = {}  # (account, key) -> status id
        self.published: list[Status] = []
        self.hostile: dict[str, Any] = {}  # test control: values to send instead of the real ones
        self.honours_exclude_reblogs = True  # False: a server that ignores the parameter
        self.follows: dict[str, set[str]] = {}  # account id -> the accounts it follows
        self._ids = itertools.count(113_000_000_000_000_000, 1_000)

    # --- test controls -----------------------------------------------------------------------

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_account(self, username: str, display_name: str | None = None) -> str:
        account_id = str(100 + len(self.accounts))
        self.accounts[account_id] = MAccount(account_id, username, display_name or username)
        if self.oauth.authorizing_user is None:
            self.oauth.authorizing_user = account_id
        return account_id

    def post(self, account_id: str, text: str, **kwargs: Any) -> str:
        status_id = self.next_id()
        self.statuses[status_id] = Status(status_id, account_id, text, time.time(), **kwargs)
        return status_id

    def edit(self, status_id: str, text: str, spoiler_text: str | None = None) -> None:
        status = self.statuses[status_id]
        status.text, status.edited_at = text, time.time()
        if spoiler_text is not None:
            status.spoiler_text = spoiler_text

    def reblog(self, account_id: str, status_id: str) -> str:
        """A boost; of a followers-only status (only its author may), it stays followers-only."""
        original = self.statuses[status_id]
        visibility = original.visibility if original.visibility != "direct" else "private"
        return self.post(account_id, "", reblog_of=status_id, visibility=visibility)

    def set_visibility(self, status_id: str, visibility: str) -> None:
        """Mastodon lets no edit change a status's visibility; a server that did would."""
        self.statuses[status_id].visibility = visibility
        self.statuses[status_id].edited_at = time.time()

    def add_media(self, account_id: str, description: str | None = None) -> str:
        """An image attachment of hers (served as a real PNG) to pass to post(media_ids=)."""
        media_id = self.next_id()
        self.media[media_id] = {
            "id": media_id, "type": "image", "url": f"{self.base_url}/avatars/m{media_id}.png",
            "preview_url": f"{self.base_url}/avatars/m{media_id}.png", "remote_url": None,
            "description": description, "blurhash": None, "meta": {}, "_owner": account_id}
        return media_id

    def delete(self, status_id: str) -> None:
        del self.statuses[status_id]

    def follow(self, account_id: str, other: str) -> None:
        self.follows.setdefault(account_id, set()).add(other)

    def revoke_user(self, account_id: str) -> None:
        self.oauth.revoke_user(account_id)

    def forget_apps(self) -> None:
        """The instance loses every app registration (an admin removed them, the database was
        restored): their client ids are unknown from now on, and their tokens die with them."""
        for client_id in list(self.apps):
            self.oauth.forget_client(client_id)
        self.apps.clear()

    def of(self, account_id: str) -> list[Status]:
        return sorted((s for s in self.statuses.values() if s.account_id == account_id),
                      key=lambda s: int(s.id), reverse=True)

    # --- shapes ------------------------------------------------------------------------------

    def rate_group(self, request: web.Request) -> str | None:
        return "api" if request.path.startswith("/api/") and request.path != "/api/v1/apps" \
            else None

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": iso(reset)}

    def error(self, status: int, reset: float | None = None) -> web.Response:
        if status == 429:
            return web.json_response({"error": "Too many requests"}, status=429)
        if status in (502, 503, 504):
            return web.Response(status=status, content_type="text/html",
                                text=f"<html><body><h1>{status}</h1>nginx</body></html>")
        if status == 401:
            return web.json_response({"error": "The access token is invalid"}, status=401)
        return web.json_response({"error": "We're sorry, but something went wrong on our end."},
                                 status=status)

    def _account_json(self, account: MAccount) -> dict[str, Any]:
        return {
            "id": account.id, "username": account.username, "acct": account.username,
            "display_name": account.display_name, "locked": False, "bot": False,
            "created_at": "2023-01-01T00:00:00.000Z", "note": "<p>fake</p>",
            "url": self.hostile.get("account_url", f"{self.base_url}/@{account.username}"),
            "avatar": self.hostile.get("avatar", f"{self.base_url}/avatars/{account.id}.png"),
            "avatar_static": f"{self.base_url}/avatars/{account.id}.png",
            "header": "", "header_static": "", "followers_count": 0, "following_count": 0,
            "statuses_count": len(self.of(account.id)), "last_status_at": None, "emojis": [],
            "fields": []}

    def _visible(self, status: Status, viewer: str | None) -> bool:
        return status.visibility in ("public", "unlisted") or status.account_id == viewer

    def _status_json(self, status: Status) -> dict[str, Any]:
        account = self.accounts[status.account_id]
        url = f"{self.base_url}/@{account.username}/{status.id}"
        paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br />')}</p>"
                             for p in status.text.split("\n\n")) if status.text else ""
        original = self.statuses.get(status.reblog_of) if status.reblog_of else None
        return {
            "id": status.id, "created_at": iso(status.created_at),
            "in_reply_to_id": status.in_reply_to_id, "in_reply_to_account_id": None,
            "sensitive": status.sensitive or bool(status.spoiler_text),
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility, "language": "en",
            "uri": f"{self.base_url}/users/{account.username}/statuses/{status.id}",
            "url": self.hostile.get("status_url", url), "replies_count": 0,
            "reblogs_count": 0, "favourites_count": 0,
            "edited_at": iso(status.edited_at) if status.edited_at else None,
            "content": paragraphs,
            "reblog": self._status_json(original) if original else None, "application": None,
            "account": self._account_json(account),
            "media_attachments": [self.media[m] for m in status.media_ids if m in self.media],
            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None}

    def _auth(self, request: web.Request):
        token = self.oauth.user_for(bearer(request.headers.get("Authorization")))
        if token is None:
            raise web.HTTPUnauthorized(text='{"error":"The access token is invalid"}',
                                       content_type="application/json")
        return token

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params: dict[str, Any] = {}
        for key in set(form.keys()):
            values = form.getall(key)
            params[key.removesuffix("[]")] = values if key.endswith("[]") else values[-1]
        return params

    # --- apps and OAuth ----------------------------------------------------------------------

    async def create_app(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        redirect = params.get("redirect_uris", "")
        uris = redirect if isinstance(redirect, list) else redirect.split()
        if not params.get("client_name") or not uris:
            return web.json_response({"error": "Validation failed: Application name can't be "
                                      "blank, Redirect URI can't be blank"}, status=422)
        client_id = self.hostile.get("client_id", secrets.token_urlsafe(32))
        secret = secrets.token_urlsafe(32)
        self.oauth.register_client(client_id, secret, uris)
        scopes = params.get("scopes", "read").split()
        self.apps[client_id] = {"name": params["client_name"], "scopes": scopes}
        return web.json_response({
            "id": str(len(self.apps)), "name": params["client_name"],
            "website": params.get("website"), "scopes": scopes, "redirect_uri": "\n".join(uris),
            "redirect_uris": uris, "client_id": client_id, "client_secret": secret,
            "client_secret_expires_at": 0, "vapid_key": "BCk-fake="})

    async def authorize(self, request: web.Request) -> web.Response:
        try:
            location = self.oauth.authorize(dict(request.query))
        except OAuthError as e:
            return web.Response(status=400, content_type="text/html",
                                text=f"<h1>An error has occurred</h1><p>{e.description}</p>")
        raise web.HTTPFound(location)

    async def token(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        try:
            client_id = self.oauth.check_client(params.get("client_id"),
                                                params.get("client_secret"), secret_required=True)
            if params.get("grant_type") == "client_credentials":  # an app-only token
                token = self.oauth.issue("", client_id, params.get("scope") or "read")
            elif params.get("grant_type") != "authorization_code":
                raise OAuthError("unsupported_grant_type", "The authorization grant type is "
                                 "not supported by the authorization server.")
            else:
                token = self.oauth.redeem(params.get("code", ""), client_id,
                                          params.get("redirect_uri"),
                                          params.get("code_verifier"))
        except OAuthError as e:
            if e.status == 401:
                return web.json_response({"error": "invalid_client",
                                          "error_description": INVALID_CLIENT}, status=401)
            description = INVALID_GRANT if e.error == "invalid_grant" else e.description
            return web.json_response({"error": e.error, "error_description": description},
                                     status=400)
        return web.json_response({
            "access_token": self.hostile.get("access_token", token.access_token),
            "token_type": "Bearer", "scope": token.scope, "created_at": int(time.time())})

    async def revoke(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        try:
            self.oauth.check_client(params.get("client_id"), params.get("client_secret"),
                                    secret_required=True)
        except OAuthError:
            return web.json_response({"error": "invalid_client",
                                      "error_description": INVALID_CLIENT}, status=401)
        self.oauth.revoke(params.get("token", ""))
        return web.json_response({})

    # --- instance ----------------------------------------------------------------------------

    def _configuration(self) -> dict[str, Any]:
        return {"statuses": {"max_characters": self.max_characters, "max_media_attachments": 4,
                             "characters_reserved_per_url": 23},
                "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png"],
                                      "image_size_limit": 16777216}}

    async def instance_v1(self, request: web.Request) -> web.Response:
        return web.json_response({"uri": f"127.0.0.1:{self.port}", "title": "Fake Mastodon",
                                  "version": self.version, "urls": {},
                                  "configuration": self._configuration()})

    async def instance_v2(self, request: web.Request) -> web.Response:
        return web.json_response({"domain": f"127.0.0.1:{self.port}", "title": "Fake Mastodon",
                                  "version": self.version, "source_url": "",
                                  "api_versions": {"mastodon": 2},
                                  "configuration": self._configuration()})

    # --- accounts and statuses ---------------------------------------------------------------

    async def verify_credentials(self, request: web.Request) -> web.Response:
        token = self._auth(request)
        return web.json_response(self._account_json(self.accounts[token.user_id]))

    async def account_statuses(self, request: web.Request) -> web.Response:
        viewer = self._auth(request).user_id
        account_id = request.match_info["id"]
        if account_id not in self.accounts:
            return web.json_response({"error": "Record not found"}, status=404)
        q = request.query
        try:
            limit = min(int(q.get("limit", "20")), 40)
        except ValueError:
            return web.json_response({"error": "limit is invalid"}, status=422)
        statuses = [s for s in self.of(account_id) if self._visible(s, viewer)]
        if q.get("exclude_replies") in ("true", "1", "True"):
            statuses = [s for s in statuses if s.in_reply_to_id is None]
        if q.get("exclude_reblogs") in ("true", "1", "True") and self.honours_exclude_reblogs:
            statuses = [s for s in statuses if s.reblog_of is None]
        if "max_id" in q:
            statuses = [s for s in statuses if int(s.id) < int(q["max_id"])]
        if "min_id" in q:  # the page immediately newer than min_id, still newest first
            newer = [s for s in statuses if int(s.id) > int(q["min_id"])]
            page = sorted(newer, key=lambda s: int(s.id))[:limit]
            page.reverse()
        else:
            if "since_id" in q:
                statuses = [s for s in statuses if int(s.id) > int(q["since_id"])]
            page = statuses[:limit]
        if "statuses" in self.hostile:
            return web.json_response(self.hostile["statuses"])
        response = web.json_response([self._status_json(s) for s in page])
        if page:
            base = f"{self.base_url}/api/v1/accounts/{account_id}/statuses"
            keep = {k: v for k, v in q.items() if k not in ("max_id", "min_id", "since_id")}
            older = urlencode({**keep, "max_id": page[-1].id})
            newer_ = urlencode({**keep, "min_id": page[0].id})
            response.headers["Link"] = f'<{base}?{older}>; rel="next", <{base}?{newer_}>; ' \
                                       f'rel="prev"'
        return response

    async def home_timeline(self, request: web.Request) -> web.Response:
        """Her statuses and those of the accounts she follows, followers-only ones of theirs
        included (she follows them), direct ones not; min_id/max_id paging with Link."""
        viewer = self._auth(request).user_id
        q = request.query
        limit = min(int(q.get("limit", "20")), 40)
        authors = self.follows.get(viewer, set()) | {viewer}
        statuses = sorted((s for s in self.statuses.values() if s.account_id in authors
                           and s.visibility != "direct"), key=lambda s: int(s.id), reverse=True)
        if "max_id" in q:
            statuses = [s for s in statuses if int(s.id) < int(q["max_id"])]
        if "min_id" in q:
            page = sorted((s for s in statuses if int(s.id) > int(q["min_id"])),
                          key=lambda s: int(s.id))[:limit]
            page.reverse()
        else:
            page = statuses[:limit]
        response = web.json_response([self._status_json(s) for s in page])
        if page:
            base = f"{self.base_url}/api/v1/timelines/home"
            keep = {k: v for k, v in q.items() if k not in ("max_id", "min_id", "since_id")}
            response.headers["Link"] = (
                f'<{base}?{urlencode({**keep, "max_id": page[-1].id})}>; rel="next", '
                f'<{base}?{urlencode({**keep, "min_id": page[0].id})}>; rel="prev"')
        return response

    async def get_status(self, request: web.Request) -> web.Response:
        viewer = self._auth(request).user_id
        status = self.statuses.get(request.match_info["id"])
        if status is None or not self._visible(status, viewer):
            return web.json_response({"error": "Record not found"}, status=404)
        return web.json_response(self._status_json(status))

    async def get_statuses(self, request: web.Request) -> web.Response:
        viewer = self._auth(request).user_id
        ids = request.query.getall("id[]", [])
        return web.json_response([self._status_json(self.statuses[i]) for i in ids
                                  if i in self.statuses and self._visible(self.statuses[i],
                                                                          viewer)])

    def _validate(self, text: str, media_ids: list[str], owner: str) -> web.Response | None:
        if not text and not media_ids:
            return web.json_response({"error": "Validation failed: Text can't be blank"},
                                     status=422)
        if countable_length(text) > self.max_characters:
            return web.json_response({"error": "Validation failed: Text character limit of "
                                      f"{self.max_characters} exceeded"}, status=422)
        if any(self.media.get(m, {}).get("_owner") != owner for m in media_ids):
            return web.json_response({"error": "Record not found"}, status=404)
        return None

    async def create_status(self, request: web.Request) -> web.Response:
        token = self._auth(request)
        key = request.headers.get("Idempotency-Key")
        if key and (token.user_id, key) in self.idempotency:
            existing = self.statuses.get(self.idempotency[(token.user_id, key)])
            if existing:
                return web.json_response(self._status_json(existing))
        params = await self._params(request)
        text = params.get("status", "")
        media_ids = params.get("media_ids") or []
        media_ids = media_ids if isinstance(media_ids, list) else [media_ids]
        invalid = self._validate(text, media_ids, token.user_id)
        if invalid:
            return invalid
        visibility = params.get("visibility", "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            return web.json_response({"error": "Validation failed: Visibility is invalid"},
                                     status=422)
        status_id = self.post(token.user_id, text, visibility=visibility, media_ids=media_ids,
                              spoiler_text=params.get("spoiler_text", ""),
                              sensitive=str(params.get("sensitive")).lower() == "true")
        if key:
            self.idempotency[(token.user_id, key)] = status_id
        self.published.append(self.statuses[status_id])
        return web.json_response(self._status_json(self.statuses[status_id]))

    async def update_status(self, request: web.Request) -> web.Response:
        token = self._auth(request)
        status = self.statuses.get(request.match_info["id"])
        if status is None:
            return web.json_response({"error": "Record not found"}, status=404)
        if status.account_id != token.user_id:
            return web.json_response({"error": "This action is not allowed"}, status=403)
        params = await self._params(request)
        text = params.get("status", "")
        invalid = self._validate(text, status.media_ids, token.user_id)
        if invalid:
            return invalid
        self.edit(status.id, text)
        return web.json_response(self._status_json(status))

    async def delete_status(self, request: web.Request) -> web.Response:
        token = self._auth(request)
        status = self.statuses.get(request.match_info["id"])
        if status is None:
            return web.json_response({"error": "Record not found"}, status=404)
        if status.account_id != token.user_id:
            return web.json_response({"error": "This action is not allowed"}, status=403)
        body = self._status_json(status)
        body["text"] = status.text
        self.delete(status.id)
        return web.json_response(body)

    async def upload_media(self, request: web.Request) -> web.Response:
        token = self._auth(request)
        form = await request.post()
        upload = form.get("file")
        data = upload.file.read() if hasattr(upload, "file") else b""
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG")):
            return web.json_response({"error": "Validation failed: File content type is "
                                      "invalid"}, status=422)
        media_id = self.next_id()
        self.media[media_id] = {
            "id": media_id, "type": "image", "url": f"{self.base_url}/media/{media_id}.jpg",
            "preview_url": f"{self.base_url}/media/{media_id}_small.jpg", "remote_url": None,
            "description": form.get("description"), "blurhash": None, "meta": {},
            "_owner": token.user_id}
        public = {k: v for k, v in self.media[media_id].items() if not k.startswith("_")}
        return web.json_response(public)

    async def not_found(self, request: web.Request) -> web.Response:
        return web.json_response({"error": "Not found"}, status=404)

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/v1/apps", self.create_app)
        r.add_get("/.well-known/oauth-authorization-server", self.not_found)
        r.add_get("/oauth/authorize", self.authorize)
        r.add_post("/oauth/token", self.token)
        r.add_post("/oauth/revoke", self.revoke)
        for path in ("/api/v1/instance", "/api/v1/instance/"):
            r.add_get(path, self.instance_v1)
        for path in ("/api/v2/instance", "/api/v2/instance/"):
            r.add_get(path, self.instance_v2)
        r.add_get("/api/v1/accounts/verify_credentials", self.verify_credentials)
        r.add_get("/api/v1/accounts/{id}/statuses", self.account_statuses)
        r.add_get("/api/v1/statuses", self.get_statuses)
        r.add_get("/api/v1/timelines/home", self.home_timeline)
        r.add_post("/api/v1/statuses", self.create_status)
        r.add_get("/api/v1/statuses/{id}", self.get_status)
        r.add_put("/api/v1/statuses/{id}", self.update_status)
        r.add_delete("/api/v1/statuses/{id}", self.delete_status)
        r.add_post("/api/v2/media", self.upload_media)
