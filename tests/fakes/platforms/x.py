"""A fake X API v2 (api.x.com) and its OAuth 2.0 authorization server (x.com/i/oauth2).

Shapes from docs.x.com and its openapi.json: `data`/`includes`/`meta` envelopes, snowflake
string ids, `edit_history_tweet_ids`, `meta.next_token`/`newest_id`, exclusive `since_id`,
problem+json errors, `x-rate-limit-*` headers on every API response (15-minute windows per
user), 201 on POST /2/tweets, refresh tokens that work once (they rotate)."""

from __future__ import annotations

import base64
import binascii
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from twitter_text import parse_tweet

from .base import FakePlatform
from .oauth import OAuthError, OAuthServer, basic, bearer

SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write",
          "like.read", "follows.read")
PROBLEM = "https://api.x.com/2/problems/"
EDIT_WINDOW_S = 30 * 60
MAX_EDITS = 5


@dataclass
class Tweet:
    id: str
    author_id: str
    text: str
    created_at: float
    history: list[str]  # shared by every version of one post, oldest first
    media_keys: list[str] = field(default_factory=list)
    possibly_sensitive: bool = False


@dataclass
class User:
    id: str
    username: str
    name: str
    profile_image_url: str
    can_edit: bool = False  # X lets only some (paying) accounts edit
    protected: bool = False  # posts for approved followers only


def _problem(status: int, title: str, detail: str, kind: str = "about:blank",
             **extra: Any) -> web.Response:
    body = {"title": title, "detail": detail, "type": kind, "status": status, **extra}
    return web.json_response(body, status=status)


def _invalid(parameter: str, value: str, message: str) -> web.Response:
    return web.json_response({
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "type": PROBLEM + "invalid-request"}, status=400)


class FakeX(FakePlatform):
    name = "x"

    def __init__(self, client_id: str = "x-client", client_secret: str | None = "x-secret",
                 redirect_uri: str = "https://social.example.org/callback/x") -> None:
        super().__init__(window_s=900, limits={
            "users/me": 75, "timeline": 900, "lookup": 900, "create": 100, "delete": 50,
            "media": 500, "home": 180}, default_limit=900)
        self.oauth = OAuthServer(code_ttl_s=30, access_ttl_s=7200, refresh=True,
                                 rotate_refresh=True, pkce_methods=("S256", "plain"),
                                 require_pkce=True, scopes=SCOPES)
        self.oauth.register_client(client_id, client_secret, [redirect_uri])
        self.users: dict[str, User] = {}
        self.tweets: dict[str, Tweet] = {}  # every version by id
        self.media: dict[str, dict[str, Any]] = {}  # by media_key
        self.uploads: dict[str, tuple[str, bytes]] = {}  # media id -> (owner, bytes)
        self.published: list[Tweet] = []  # created through the API
        self.follows: dict[str, set[str]] = {}  # user id -> the ids she follows
        # False: the app's access level has no home timeline (X's Free tier): 403
        # client-forbidden, "client-not-enrolled"
        self.home_enrolled = True
        self._ids = itertools.count(1_800_000_000_000_000_000, 1_000)

    # --- test controls -----------------------------------------------------------------------

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_user(self, username: str, name: str | None = None, can_edit: bool = False) -> str:
        user_id = str(10_000 + len(self.users))
        self.users[user_id] = User(user_id, username, name or username.title(),
                                   f"{self.base_url}/avatars/{user_id}.jpg", can_edit)
        if self.oauth.authorizing_user is None:
            self.oauth.authorizing_user = user_id
        return user_id

    def post(self, user_id: str, text: str, created_at: float | None = None,
             photo_urls: list[str] | None = None, possibly_sensitive: bool = False) -> str:
        tweet_id = self.next_id()
        keys = []
        for url in photo_urls or []:
            key = f"3_{self.next_id()}"
            self.media[key] = {"media_key": key, "type": "photo", "url": url}
            keys.append(key)
        self.tweets[tweet_id] = Tweet(tweet_id, user_id, text, created_at or time.time(),
                                      [tweet_id], keys, possibly_sensitive)
        return tweet_id

    def follow(self, user_id: str, other_id: str) -> None:
        self.follows.setdefault(user_id, set()).add(other_id)

    def edit(self, tweet_id: str, text: str) -> str:
        """A new version: a new id appended to the shared edit history."""
        old = self.tweets[tweet_id]
        new_id = self.next_id()
        old.history.append(new_id)
        self.tweets[new_id] = Tweet(new_id, old.author_id, text, time.time(), old.history,
                                    list(old.media_keys), old.possibly_sensitive)
        return new_id

    def delete(self, tweet_id: str) -> None:
        """Deleting any version deletes the whole edit chain."""
        for version in list(self.tweets[tweet_id].history):
            self.tweets.pop(version, None)

    def revoke_user(self, user_id: str) -> None:
        self.oauth.revoke_user(user_id)

    def current(self, user_id: str) -> list[Tweet]:
        """The user's posts as timelines show them: latest versions, newest first."""
        latest = {t.history[-1] for t in self.tweets.values() if t.author_id == user_id}
        return sorted((self.tweets[i] for i in latest), key=lambda t: int(t.id), reverse=True)

    # --- platform shapes ---------------------------------------------------------------------

    def rate_group(self, request: web.Request) -> str | None:
        path, method = request.path, request.method
        if not path.startswith("/2/") or path.startswith("/2/oauth2/"):
            return None
        if path == "/2/users/me":
            return "users/me"
        if path.startswith("/2/users/") and path.endswith("/tweets"):
            return "timeline"
        if path.endswith("/timelines/reverse_chronological"):
            return "home"
        if path == "/2/tweets":
            return "create" if method == "POST" else "lookup"
        if path.startswith("/2/tweets/") and method == "DELETE":
            return "delete"
        if path.startswith("/2/media"):
            return "media"
        return "other"

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(int(reset))}

    def error(self, status: int, reset: float | None = None) -> web.Response:
        titles = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
                  503: "Service Unavailable", 401: "Unauthorized", 403: "Forbidden"}
        title = titles.get(status, "Error")
        return _problem(status, title, title)

    def _token(self, request: web.Request, *scopes: str):
        token = self.oauth.user_for(bearer(request.headers.get("Authorization")))
        if token is None:
            raise _Unauthorized()
        if not set(scopes) <= set(token.scope.split()):
            raise _Forbidden(f"missing scope: {' '.join(scopes)}")
        return token

    # --- OAuth -------------------------------------------------------------------------------

    async def authorize(self, request: web.Request) -> web.Response:
        try:
            location = self.oauth.authorize(dict(request.query))
        except OAuthError as e:
            return web.Response(status=400, text=f"Something went wrong: {e.description}")
        raise web.HTTPFound(location)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        auth = basic(request.headers.get("Authorization"))
        client_id = auth[0] if auth else form.get("client_id")
        try:
            client_id = self.oauth.check_client(client_id, auth[1] if auth else None,
                                                secret_required=True)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                try:
                    token = self.oauth.redeem(form.get("code", ""), client_id,
                                              form.get("redirect_uri"), form.get("code_verifier"))
                except OAuthError:
                    raise OAuthError("invalid_request", "Value passed for the authorization "
                                     "code was invalid.") from None
            elif grant_type == "refresh_token":
                try:
                    token = self.oauth.refresh(form.get("refresh_token", ""), client_id)
                except OAuthError:
                    raise OAuthError("invalid_request",
                                     "Value passed for the token was invalid.") from None
            else:
                raise OAuthError("invalid_request", "Missing required parameter [grant_type].")
        except OAuthError as e:
            if e.status == 401:
                return web.json_response({"error": "unauthorized_client", "error_description":
                                          "Missing valid authorization header"}, status=401)
            return web.json_response({"error": e.error, "error_description": e.description},
                                     status=e.status)
        body = {"token_type": "bearer", "expires_in": 7200, "access_token": token.access_token,
                "scope": token.scope}
        if "offline.access" in token.scope.split():
            body["refresh_token"] = token.refresh_token
        return web.json_response(body)

    async def revoke(self, request: web.Request) -> web.Response:
        form = await request.post()
        auth = basic(request.headers.get("Authorization"))
        try:
            self.oauth.check_client(auth[0] if auth else form.get("client_id"),
                                    auth[1] if auth else None, secret_required=True)
        except OAuthError:
            return web.json_response({"error": "unauthorized_client", "error_description":
                                      "Missing valid authorization header"}, status=401)
        self.oauth.revoke(form.get("token", ""))
        return web.json_response({"revoked": True})

    # --- API ---------------------------------------------------------------------------------

    def _tweet_json(self, tweet: Tweet, fields: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": tweet.id, "text": tweet.text,
                                "edit_history_tweet_ids": list(tweet.history)}
        if "created_at" in fields:
            data["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                               time.gmtime(tweet.created_at))
        if "author_id" in fields:
            data["author_id"] = tweet.author_id
        if "attachments" in fields and tweet.media_keys:
            data["attachments"] = {"media_keys": list(tweet.media_keys)}
        if "possibly_sensitive" in fields:
            data["possibly_sensitive"] = tweet.possibly_sensitive
        return data

    def _includes(self, tweets: list[Tweet], request: web.Request) -> dict[str, Any]:
        expansions = request.query.get("expansions", "").split(",")
        includes: dict[str, Any] = {}
        if "attachments.media_keys" in expansions:
            media = [self.media[k] for t in tweets for k in t.media_keys if k in self.media]
            if media:
                includes["media"] = media
        if "author_id" in expansions:
            fields = set(request.query.get("user.fields", "").split(","))
            includes["users"] = [self._user_json(self.users[a], fields)
                                 for a in dict.fromkeys(t.author_id for t in tweets)]
        return includes

    @staticmethod
    def _user_json(user: User, fields: set[str]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
        if "protected" in fields:
            data["protected"] = user.protected
        if "profile_image_url" in fields:
            data["profile_image_url"] = user.profile_image_url
        return data

    async def me(self, request: web.Request) -> web.Response:
        token = self._token(request, "users.read", "tweet.read")
        user = self.users[token.user_id]
        data = {"id": user.id, "name": user.name, "username": user.username}
        if "profile_image_url" in request.query.get("user.fields", "").split(","):
            data["profile_image_url"] = user.profile_image_url
        return web.json_response({"data": data})

    async def timeline(self, request: web.Request) -> web.Response:
        self._token(request, "tweet.read", "users.read")
        user_id = request.match_info["id"]
        if user_id not in self.users:
            return _problem(404, "Not Found Error", f"Could not find user with id: [{user_id}].",
                            PROBLEM + "resource-not-found")
        return self._page(request, self.current(user_id))

    async def home(self, request: web.Request) -> web.Response:
        """GET /2/users/:id/timelines/reverse_chronological: hers and those she follows,
        newest first (protected accounts' too: she was approved); only for herself."""
        token = self._token(request, "tweet.read", "users.read")
        if not self.home_enrolled:
            return web.json_response({
                "client_id": "x-client", "title": "Client Forbidden",
                "detail": "When authenticating requests to the Twitter API v2 endpoints, you "
                          "must use keys and tokens from a Twitter developer App that is "
                          "attached to a Project.",
                "reason": "client-not-enrolled", "required_enrollment": "Appropriate Level "
                "of API Access", "type": PROBLEM + "client-forbidden"}, status=403)
        user_id = request.match_info["id"]
        if user_id != token.user_id:
            return _problem(403, "Forbidden", "You can only view your own home timeline.")
        authors = {user_id} | self.follows.get(user_id, set())
        tweets = sorted((t for a in authors for t in self.current(a)),
                        key=lambda t: int(t.id), reverse=True)
        return self._page(request, tweets)

    def _page(self, request: web.Request, tweets: list[Tweet]) -> web.Response:
        """One page of a timeline (newest first), as X pages them."""
        query = request.query
        raw_max = query.get("max_results", "10")
        if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
            return _invalid("max_results", raw_max, f"The `max_results` query parameter value "
                            f"[{raw_max}] is not between 5 and 100")
        for name, keep in (("since_id", lambda t, v: int(t.id) > v),
                           ("until_id", lambda t, v: int(t.id) < v)):
            if name in query:
                if not query[name].isdigit():
                    return _invalid(name, query[name], f"The `{name}` query parameter value "
                                    f"[{query[name]}] is not valid")
                tweets = [t for t in tweets if keep(t, int(query[name]))]
        if "pagination_token" in query:
            try:
                below = int(base64.urlsafe_b64decode(query["pagination_token"] + "==").decode())
            except (ValueError, binascii.Error):
                return _invalid("pagination_token", query["pagination_token"],
                                "The `pagination_token` query parameter value is not valid")
            tweets = [t for t in tweets if int(t.id) < below]
        page, rest = tweets[:int(raw_max)], tweets[int(raw_max):]
        if not page:
            return web.json_response({"meta": {"result_count": 0}})
        fields = set(query.get("tweet.fields", "").split(","))
        meta: dict[str, Any] = {"result_count": len(page), "newest_id": page[0].id,
                                "oldest_id": page[-1].id}
        if rest:
            meta["next_token"] = base64.urlsafe_b64encode(page[-1].id.encode()).decode().rstrip(
                "=")
        body: dict[str, Any] = {"data": [self._tweet_json(t, fields) for t in page],
                                "meta": meta}
        includes = self._includes(page, request)
        if includes:
            body["includes"] = includes
        return web.json_response(body)

    async def lookup(self, request: web.Request) -> web.Response:
        self._token(request, "tweet.read", "users.read")
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids or len(ids) > 100 or not all(i.isdigit() for i in ids):
            return _invalid("ids", request.query.get("ids", ""),
                            "The `ids` query parameter value is not valid")
        fields = set(request.query.get("tweet.fields", "").split(","))
        found = [self.tweets[i] for i in ids if i in self.tweets]
        errors = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].",
                   "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                   "resource_id": i, "type": PROBLEM + "resource-not-found"}
                  for i in ids if i not in self.tweets]
        body: dict[str, Any] = {}
        if found:
            body["data"] = [self._tweet_json(t, fields) for t in found]
        if errors:
            body["errors"] = errors
        return web.json_response(body)

    async def create(self, request: web.Request) -> web.Response:
        token = self._token(request, "tweet.write", "tweet.read", "users.read")
        try:
            body = await request.json()
        except ValueError:
            return _problem(400, "Invalid Request", "Request body is not valid JSON.",
                            PROBLEM + "invalid-request")
        text = body.get("text", "")
        media_ids = (body.get("media") or {}).get("media_ids") or []
        if not text and not media_ids:
            return _invalid("text", "", "Either text or media is required")
        if text and not parse_tweet(text).valid:
            return _problem(400, "Invalid Request", "Your Post text is too long.",
                            PROBLEM + "invalid-request")
        for media_id in media_ids:
            owner = self.uploads.get(media_id, ("", b""))[0]
            if owner != token.user_id:
                return _invalid("media.media_ids", media_id, "Your media IDs are invalid.")
        previous = (body.get("edit_options") or {}).get("previous_post_id")
        user = self.users[token.user_id]
        if previous is not None:
            old = self.tweets.get(previous)
            if old is None or old.author_id != token.user_id:
                return _problem(404, "Not Found Error",
                                f"Could not find tweet with id: [{previous}].",
                                PROBLEM + "resource-not-found")
            first = self.tweets.get(old.history[0])
            if (not user.can_edit or old.history[-1] != previous or len(old.history) > MAX_EDITS
                    or first is None or time.time() - first.created_at > EDIT_WINDOW_S):
                return _problem(403, "Forbidden", "You are not permitted to edit this Post.")
            new_id = self.edit(previous, text)
            tweet = self.tweets[new_id]
        else:
            recent = [t.text for t in self.current(token.user_id)[:50]]
            if text and text in recent:
                return _problem(403, "Forbidden",
                                "You are not allowed to create a Tweet with duplicate content.")
            tweet_id = self.next_id()
            keys = []
            for media_id in media_ids:
                key = f"3_{media_id}"
                self.media[key] = {"media_key": key, "type": "photo",
                                   "url": f"{self.base_url}/media/{media_id}.jpg"}
                keys.append(key)
            tweet = Tweet(tweet_id, token.user_id, text, time.time(), [tweet_id], keys)
            self.tweets[tweet_id] = tweet
        self.published.append(tweet)
        return web.json_response({"data": {"id": tweet.id, "text": tweet.text,
                                           "edit_history_tweet_ids": list(tweet.history)}},
                                 status=201)

    async def destroy(self, request: web.Request) -> web.Response:
        token = self._token(request, "tweet.write", "tweet.read", "users.read")
        tweet = self.tweets.get(request.match_info["id"])
        if tweet is None:
            return _problem(404, "Not Found Error",
                            f"Could not find tweet with id: [{request.match_info['id']}].",
                            PROBLEM + "resource-not-found")
        if tweet.author_id != token.user_id:
            return _problem(403, "Forbidden",
                            "You are not allowed to delete a Tweet that is not yours.")
        self.delete(tweet.id)
        return web.json_response({"data": {"deleted": True}})

    async def upload(self, request: web.Request) -> web.Response:
        token = self._token(request, "media.write")
        if request.content_type == "application/json":
            body = await request.json()
            try:
                data = base64.b64decode(body.get("media", ""), validate=True)
            except (binascii.Error, ValueError):
                return _invalid("media", "", "media is not valid base64")
            category = body.get("media_category")
        else:
            form = await request.post()
            field_ = form.get("media")
            data = field_.file.read() if hasattr(field_, "file") else b""
            category = form.get("media_category")
        kinds = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif",
                 b"RIFF": "image/webp"}
        kind = next((v for k, v in kinds.items() if data.startswith(k)), None)
        if category != "tweet_image" or kind is None:
            return _invalid("media", category or "", "The media type is not supported.")
        media_id = self.next_id()
        self.uploads[media_id] = (token.user_id, data)
        return web.json_response({"data": {
            "id": media_id, "media_key": f"3_{media_id}", "size": len(data),
            "expires_after_secs": 86400, "image": {"image_type": kind}}})

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/i/oauth2/authorize", self.authorize)
        app.router.add_post("/2/oauth2/token", self.token)
        app.router.add_post("/2/oauth2/revoke", self.revoke)
        app.router.add_get("/2/users/me", self.me)
        app.router.add_get("/2/users/{id}/tweets", self.timeline)
        app.router.add_get("/2/users/{id}/timelines/reverse_chronological", self.home)
        app.router.add_get("/2/tweets", self.lookup)
        app.router.add_post("/2/tweets", self.create)
        app.router.add_delete("/2/tweets/{id}", self.destroy)
        app.router.add_post("/2/media/upload", self.upload)


class _Unauthorized(web.HTTPUnauthorized):
    def __init__(self) -> None:
        super().__init__(text='{"title":"Unauthorized","type":"about:blank","status":401,'
                              '"detail":"Unauthorized"}', content_type="application/problem+json")


class _Forbidden(web.HTTPForbidden):
    def __init__(self, detail: str) -> None:
        import json

        super().__init__(text=json.dumps({"title": "Forbidden", "type": "about:blank",
                                          "status": 403, "detail": detail}),
                         content_type="application/problem+json")
