"""A fake GitHub: the OAuth app web flow (github.com/login/oauth, PKCE S256, errors as HTTP 200
JSON), the REST API (api.github.com): /user, public events with ETag/304 (a 304 costs no
budget) and X-Poll-Interval, compare, pulls, and x-ratelimit-* headers on every response.

Push events carry only repository_id/push_id/ref/head/before, as on github.com since 2025;
pull request events carry no `merged` flag (it is read from the pull request itself)."""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .base import FakePlatform
from .oauth import OAuthError, OAuthServer, basic, bearer

DOCS = "https://docs.github.com/rest"


@dataclass
class GUser:
    id: int
    login: str
    name: str | None


@dataclass
class Commit:
    sha: str
    message: str
    author: str


@dataclass
class Pull:
    number: int
    title: str
    merged: bool = False
    state: str = "open"


@dataclass
class Repo:
    full_name: str
    id: int
    commits: list[Commit] = field(default_factory=list)  # oldest first
    pulls: dict[int, Pull] = field(default_factory=dict)


class FakeGitHub(FakePlatform):
    name = "github"

    def __init__(self, client_id: str = "gh-client", client_secret: str = "gh-secret",
                 redirect_uri: str = "https://social.example.org/callback/github",
                 expiring_tokens: bool = False) -> None:
        super().__init__(window_s=3600, limits={}, default_limit=5000)
        self.oauth = OAuthServer(code_ttl_s=600, access_ttl_s=28800 if expiring_tokens else None,
                                 refresh=expiring_tokens, rotate_refresh=True,
                                 pkce_methods=("S256",), require_pkce=False)
        self.oauth.register_client(client_id, client_secret, [redirect_uri])
        self.client_id, self.client_secret = client_id, client_secret
        self.users: dict[int, GUser] = {}
        self.repos: dict[str, Repo] = {}
        self.events: list[dict[str, Any]] = []  # newest last
        self.poll_interval = 60
        self._ids = itertools.count(40_000_000_000)
        self._shas = itertools.count(1)

    # --- test controls -----------------------------------------------------------------------

    def add_user(self, login: str, name: str | None = None) -> int:
        user_id = 1000 + len(self.users)
        self.users[user_id] = GUser(user_id, login, name)
        if self.oauth.authorizing_user is None:
            self.oauth.authorizing_user = str(user_id)
        return user_id

    def repo(self, full_name: str) -> Repo:
        if full_name not in self.repos:
            self.repos[full_name] = Repo(full_name, 500 + len(self.repos))
        return self.repos[full_name]

    def _sha(self) -> str:
        return hashlib.sha1(str(next(self._shas)).encode()).hexdigest()

    def _event(self, user_id: int, kind: str, repo: Repo, payload: dict[str, Any]) -> str:
        user = self.users[user_id]
        event_id = str(next(self._ids))
        self.events.append({
            "id": event_id, "type": kind,
            "actor": {"id": user.id, "login": user.login, "display_login": user.login,
                      "url": f"{self.base_url}/users/{user.login}",
                      "avatar_url": f"{self.base_url}/avatars/{user.id}"},
            "repo": {"id": repo.id, "name": repo.full_name,
                     "url": f"{self.base_url}/repos/{repo.full_name}"},
            "payload": payload, "public": True,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        return event_id

    def push(self, user_id: int, full_name: str, messages: list[str],
             branch: str = "main") -> str:
        repo = self.repo(full_name)
        before = repo.commits[-1].sha if repo.commits else "0" * 40
        for message in messages:
            repo.commits.append(Commit(self._sha(), message, self.users[user_id].login))
        return self._event(user_id, "PushEvent", repo, {
            "repository_id": repo.id, "push_id": next(self._ids), "ref": f"refs/heads/{branch}",
            "head": repo.commits[-1].sha, "before": before})

    def open_pull(self, user_id: int, full_name: str, title: str) -> tuple[str, int]:
        repo = self.repo(full_name)
        number = len(repo.pulls) + 1
        repo.pulls[number] = Pull(number, title)
        return self._pull_event(user_id, repo, number, "opened"), number

    def close_pull(self, user_id: int, full_name: str, number: int, merged: bool) -> str:
        repo = self.repo(full_name)
        repo.pulls[number].state, repo.pulls[number].merged = "closed", merged
        return self._pull_event(user_id, repo, number, "closed")

    def _pull_event(self, user_id: int, repo: Repo, number: int, action: str) -> str:
        return self._event(user_id, "PullRequestEvent", repo, {
            "action": action, "number": number,
            "pull_request": {"url": f"{self.base_url}/repos/{repo.full_name}/pulls/{number}",
                             "id": 9000 + number, "number": number}})

    def star(self, user_id: int, full_name: str) -> str:
        return self._event(user_id, "WatchEvent", self.repo(full_name), {"action": "started"})

    def release(self, user_id: int, full_name: str, tag: str, name: str) -> str:
        return self._event(user_id, "ReleaseEvent", self.repo(full_name), {
            "action": "published", "release": {
                "tag_name": tag, "name": name, "draft": False, "prerelease": False,
                "html_url": f"https://github.com/{full_name}/releases/tag/{tag}"}})

    def other(self, user_id: int, full_name: str, kind: str = "IssueCommentEvent") -> str:
        return self._event(user_id, kind, self.repo(full_name), {"action": "created"})

    def revoke_user(self, user_id: int) -> None:
        self.oauth.revoke_user(str(user_id))

    # --- shapes ------------------------------------------------------------------------------

    def rate_group(self, request: web.Request) -> str | None:
        if request.path.startswith("/login/"):
            return None
        return "core"

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": str(int(reset)), "x-ratelimit-used": str(limit - remaining),
                "x-ratelimit-resource": "core"}

    def error(self, status: int, reset: float | None = None) -> web.Response:
        if status == 429:
            return web.json_response({
                "message": "You have exceeded a secondary rate limit. Please wait a few "
                           "minutes before you try again.", "documentation_url": DOCS}, status=429)
        if status == 403:
            return web.json_response({"message": "API rate limit exceeded for user ID 1.",
                                      "documentation_url": DOCS}, status=403)
        if status == 401:
            return web.json_response({"message": "Bad credentials", "documentation_url": DOCS,
                                      "status": "401"}, status=401)
        return web.json_response({"message": "Server Error"}, status=status)

    def _auth(self, request: web.Request):
        token = self.oauth.user_for(bearer(request.headers.get("Authorization")))
        if token is None:
            raise web.HTTPUnauthorized(text=json.dumps(
                {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}),
                content_type="application/json")
        return token

    # --- OAuth -------------------------------------------------------------------------------

    async def authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        query.setdefault("response_type", "code")  # GitHub does not require it
        try:
            location = self.oauth.authorize(query)
        except OAuthError as e:
            return web.Response(status=400, content_type="text/html",
                                text=f"<h1>Be careful!</h1><p>{e.description}</p>")
        raise web.HTTPFound(location)

    async def access_token(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        auth = basic(request.headers.get("Authorization"))
        client_id = auth[0] if auth else params.get("client_id")
        secret = auth[1] if auth else params.get("client_secret")
        try:
            try:
                client_id = self.oauth.check_client(client_id, secret, secret_required=True)
            except OAuthError:
                raise OAuthError("incorrect_client_credentials", "The client_id and/or "
                                 "client_secret passed are incorrect.") from None
            if params.get("grant_type") == "refresh_token":
                try:
                    token = self.oauth.refresh(params.get("refresh_token", ""), client_id)
                except OAuthError:
                    raise OAuthError("bad_refresh_token", "The refresh token passed is "
                                     "incorrect or expired.") from None
            else:
                try:
                    token = self.oauth.redeem(params.get("code", ""), client_id,
                                              params.get("redirect_uri"),
                                              params.get("code_verifier"))
                except OAuthError:
                    raise OAuthError("bad_verification_code",
                                     "The code passed is incorrect or expired.") from None
        except OAuthError as e:
            body = {"error": e.error, "error_description": e.description,
                    "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
                                 "troubleshooting-oauth-app-access-token-request-errors"}
            return self._token_answer(request, body)  # GitHub: errors are HTTP 200
        body = {"access_token": token.access_token, "token_type": "bearer",
                "scope": token.scope.replace(" ", ",")}
        if token.refresh_token:
            body.update(expires_in=28800, refresh_token=token.refresh_token,
                        refresh_token_expires_in=15897600)
        return self._token_answer(request, body)

    def _token_answer(self, request: web.Request, body: dict[str, Any]) -> web.Response:
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response(body)
        return web.Response(text=urlencode(body),
                            content_type="application/x-www-form-urlencoded")

    async def revoke_grant(self, request: web.Request) -> web.Response:
        auth = basic(request.headers.get("Authorization"))
        if auth != (self.client_id, self.client_secret) or \
                request.match_info["client_id"] != self.client_id:
            return web.json_response({"message": "Not Found", "documentation_url": DOCS},
                                     status=404)
        body = await request.json()
        if request.path.endswith("/grant"):
            self.oauth.revoke_grant(body.get("access_token", ""))
        else:  # /token: that token only
            self.oauth.revoke(body.get("access_token", ""))
        return web.Response(status=204)

    # --- API ---------------------------------------------------------------------------------

    async def user(self, request: web.Request) -> web.Response:
        token = self._auth(request)
        user = self.users[int(token.user_id)]
        return web.json_response({
            "login": user.login, "id": user.id, "node_id": f"U_{user.id}",
            "avatar_url": f"{self.base_url}/avatars/{user.id}",
            "html_url": f"https://github.com/{user.login}", "type": "User", "name": user.name,
            "url": f"{self.base_url}/users/{user.login}"})

    async def public_events(self, request: web.Request) -> web.StreamResponse:
        self._auth(request)
        login = request.match_info["login"]
        user = next((u for u in self.users.values() if u.login == login), None)
        if user is None:
            return web.json_response({"message": "Not Found", "documentation_url": DOCS},
                                     status=404)
        events = [e for e in reversed(self.events) if e["actor"]["id"] == user.id][:300]
        per_page = min(int(request.query.get("per_page", "30")), 100)
        page = int(request.query.get("page", "1"))
        chunk = events[(page - 1) * per_page:page * per_page]
        body = json.dumps(chunk)
        etag = 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "X-Poll-Interval": str(self.poll_interval),
                   "Cache-Control": "private, max-age=60, s-maxage=60"}
        if request.headers.get("If-None-Match") == etag:
            # Not counted against the budget: give back what the middleware took.
            window = self.rate.windows.get((self.rate_key(request), "core"))
            if window:
                window.used -= 1
                headers.update(self.rate_headers(self.rate.default,
                                                 self.rate.default - window.used,
                                                 window.started + self.rate.window_s))
            return web.Response(status=304, headers=headers)
        if page * per_page < len(events):
            base = f"{self.base_url}/users/{login}/events/public"
            headers["Link"] = f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"'
        return web.Response(text=body, content_type="application/json", headers=headers)

    async def compare(self, request: web.Request) -> web.Response:
        self._auth(request)
        repo = self.repos.get(f"{request.match_info['owner']}/{request.match_info['repo']}")
        base, _, head = request.match_info["basehead"].partition("...")
        shas = [c.sha for c in repo.commits] if repo else []
        if repo is None or base not in shas or head not in shas:
            return web.json_response({"message": "Not Found", "documentation_url": DOCS},
                                     status=404)
        commits = repo.commits[shas.index(base) + 1:shas.index(head) + 1]
        return web.json_response({
            "url": f"{self.base_url}/repos/{repo.full_name}/compare/{base}...{head}",
            "html_url": f"https://github.com/{repo.full_name}/compare/{base}...{head}",
            "status": "ahead", "ahead_by": len(commits), "behind_by": 0,
            "total_commits": len(commits), "commits": [self._commit(repo, c) for c in commits],
            "files": []})

    def _commit(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        return {"sha": commit.sha, "url": f"{self.base_url}/repos/{repo.full_name}/commits/"
                f"{commit.sha}", "html_url": f"https://github.com/{repo.full_name}/commit/"
                f"{commit.sha}", "commit": {"message": commit.message,
                                            "author": {"name": commit.author}}}

    async def commit(self, request: web.Request) -> web.Response:
        self._auth(request)
        repo = self.repos.get(f"{request.match_info['owner']}/{request.match_info['repo']}")
        found = next((c for c in repo.commits if c.sha == request.match_info["sha"]), None) \
            if repo else None
        if found is None:
            return web.json_response({"message": "Not Found", "documentation_url": DOCS},
                                     status=404)
        return web.json_response(self._commit(repo, found))

    async def pull(self, request: web.Request) -> web.Response:
        self._auth(request)
        repo = self.repos.get(f"{request.match_info['owner']}/{request.match_info['repo']}")
        pull = repo.pulls.get(int(request.match_info["number"])) if repo else None
        if pull is None:
            return web.json_response({"message": "Not Found", "documentation_url": DOCS},
                                     status=404)
        return web.json_response({
            "url": f"{self.base_url}/repos/{repo.full_name}/pulls/{pull.number}",
            "id": 9000 + pull.number, "number": pull.number, "state": pull.state,
            "title": pull.title, "merged": pull.merged,
            "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}"})

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/login/oauth/authorize", self.authorize)
        r.add_post("/login/oauth/access_token", self.access_token)
        r.add_delete("/applications/{client_id}/grant", self.revoke_grant)
        r.add_delete("/applications/{client_id}/token", self.revoke_grant)
        r.add_get("/user", self.user)
        r.add_get("/users/{login}/events/public", self.public_events)
        r.add_get("/repos/{owner}/{repo}/compare/{basehead}", self.compare)
        r.add_get("/repos/{owner}/{repo}/commits/{sha}", self.commit)
        r.add_get("/repos/{owner}/{repo}/pulls/{number}", self.pull)
