"""GitHub: the OAuth app web flow through authlib (PKCE S256, supported since July 2025), the
REST API through PyGithub (base_url configurable, retry=None so our scheduler owns waiting).

Reading: GET /users/{login}/events/public with If-None-Match (a 304 costs no budget) through
PyGithub's requester, honouring X-Poll-Interval. Kept: pushes (with their commits, fetched with
a compare because github.com push events no longer list them), pull requests opened and
merged (merged is read from the pull request itself), stars, published releases. GitHub has
nothing to publish to, and events are never edited or deleted. Only events GitHub marks
`"public": true` are items (the public events feed holds no other; an answer that did would
not make a private repository's activity public here).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from ...clock import now_ms
from ...errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from ...lazy_import import lazy_module
from ..headers import rate_hints, reset_ms, retry_after_ms
from ..net import DEFAULT_TIMEOUT
from ..oauth import OAuthEndpoints, OAuthFlow
from ..platform import (
    FIRST_SYNC_LIMIT,
    Account,
    Budget,
    FetchResult,
    Item,
    ItemLook,
    Platform,
    PlatformAdapter,
    PollHints,
    TokenSet,
    one_adapter,
    safe_url,
)

github = lazy_module("github")

MAX_PAGES = 3  # GitHub keeps at most 300 events
MAX_EXPANDED = 20  # compare / pull lookups per poll
MAX_COMMITS = 20
MAX_COMMIT_LINKS = 20
_ID = re.compile(r"[0-9]{1,24}")
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class GitHubSettings:
    client_id: str
    redirect_uri: str
    client_secret: str = field(default="", repr=False)
    web_base: str = "https://github.com"
    api_base: str = "https://api.github.com"
    scopes: tuple[str, ...] = ("read:user",)
    timeout_s: float = DEFAULT_TIMEOUT


def _ms(iso: str | None) -> int:
    try:
        return int(datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return now_ms()


def _map_error(e: github.GithubException) -> Exception:
    headers = {str(k).lower(): str(v) for k, v in (e.headers or {}).items()}
    status = e.status
    if status == 401:
        return AuthRevoked("github", "GitHub refused the token (revoked or expired)")
    if status == 429 or isinstance(e, github.RateLimitExceededException) or (
            status == 403 and headers.get("x-ratelimit-remaining") == "0"):
        until = retry_after_ms(headers) or reset_ms(headers.get("x-ratelimit-reset")) or 0
        return PlatformRateLimited("github", until, "GitHub rate limit")
    if status >= 500:
        return TransientError("github", f"GitHub: HTTP {status}", retry_after_ms(headers))
    message = (e.data or {}).get("message") if isinstance(e.data, dict) else None
    if status == 403:  # not the rate limit: this login may not read (scope, suspended account)
        return AuthRevoked("github", f"GitHub refused access ({str(message or 'HTTP 403')[:200]})")
    return Refused("github", str(message or f"HTTP {status}")[:300])


class GitHubAdapter(PlatformAdapter):
    name = "github"
    uses_pkce = True
    can_revoke = True

    def __init__(self, settings: GitHubSettings) -> None:
        self.settings = settings
        web = settings.web_base.rstrip("/")
        self.oauth = OAuthFlow(OAuthEndpoints(
            platform="github", client_id=settings.client_id, client_secret=settings.client_secret,
            redirect_uri=settings.redirect_uri, scopes=settings.scopes,
            authorize_url=web + "/login/oauth/authorize",
            token_url=web + "/login/oauth/access_token", auth_method="client_secret_post",
            pkce=True, timeout_s=settings.timeout_s))

    # --- OAuth -------------------------------------------------------------------------------

    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        return self.oauth.authorize_url(state, code_verifier)

    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        return await self.oauth.exchange(code, code_verifier)

    async def refresh(self, token: TokenSet) -> TokenSet:
        """OAuth app tokens do not expire; expiring user tokens come with a refresh token."""
        return await self.oauth.refresh(token) if token.refresh_token else token

    async def revoke(self, token: TokenSet) -> bool:
        """DELETE /applications/{client_id}/grant: removes the app's authorization (every token
        of it), for a disconnect."""
        await self._revoke(token, "grant")
        return True

    async def revoke_token(self, token: TokenSet) -> bool:
        """DELETE /applications/{client_id}/token: this token only, so a newer login of the
        same account (whose token belongs to the same authorization) keeps working."""
        await self._revoke(token, "token")
        return True

    async def _revoke(self, token: TokenSet, what: str) -> None:
        def call() -> None:
            g = github.Github(base_url=self.settings.api_base.rstrip("/"), retry=None,
                       timeout=int(self.settings.timeout_s),
                       auth=github.Auth.Login(self.settings.client_id, self.settings.client_secret))
            try:
                g.requester.requestJsonAndCheck(
                    "DELETE", f"/applications/{self.settings.client_id}/{what}",
                    input={"access_token": token.access_token})
            finally:
                g.close()

        await self._run(call)

    # --- PyGithub ----------------------------------------------------------------------------

    def _github(self, token: TokenSet) -> github.Github:
        return github.Github(base_url=self.settings.api_base.rstrip("/"), retry=None,
                      timeout=int(self.settings.timeout_s), per_page=100, lazy=True,
                      auth=github.Auth.Token(token.access_token))

    async def _run(self, work: Callable[[], Any]) -> Any:
        try:
            return await asyncio.to_thread(work)
        except github.GithubException as e:
            raise _map_error(e) from None
        except (requests.ConnectionError, requests.Timeout) as e:
            raise TransientError("github", f"GitHub unreachable: {type(e).__name__}") from None

    async def _call(self, token: TokenSet, work: Callable[[github.Github], Any]) -> Any:
        def blocking() -> Any:
            g = self._github(token)
            try:
                return work(g)
            finally:
                g.close()

        return await self._run(blocking)

    async def whoami(self, token: TokenSet) -> Account:
        def me(g: github.Github) -> dict[str, Any]:
            _, data = g.requester.requestJsonAndCheck("GET", "/user")
            return data

        data = await self._call(token, me)
        login = str(data["login"])
        return Account("github", str(data["id"]), login, data.get("name") or login,
                       safe_url(data.get("avatar_url")),
                       safe_url(data.get("html_url"), f"https://github.com/{login}") or "")

    # --- reading -----------------------------------------------------------------------------

    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        first = cursor is None
        cursor = dict(cursor or {})
        last_id = int(cursor["last_id"]) if cursor.get("last_id") else (None if first else 0)
        path = f"/users/{account.handle}/events/public"

        def read(g: github.Github) -> tuple[list[dict], str | None, PollHints, list[Item]]:
            headers, data = g.requester.requestJsonAndCheck(
                "GET", path, parameters={"per_page": 100},
                headers={"If-None-Match": etag} if etag and last_id is not None else None)
            hints = rate_hints(headers, "x-ratelimit", poll_interval=True,
                               not_modified=data is None)
            if data is None:  # 304 Not Modified
                return [], etag, hints, []
            new_etag = headers.get("etag") or headers.get("ETag")
            events = list(data)
            for page in range(2, MAX_PAGES + 1):
                if last_id is None or not events or int(events[-1]["id"]) <= last_id \
                        or len(data) < 100:
                    break
                _, data = g.requester.requestJsonAndCheck(
                    "GET", path, parameters={"per_page": 100, "page": page})
                events.extend(data or [])
            fresh = [e for e in events if last_id is None or int(e["id"]) > last_id]
            fresh.sort(key=lambda e: int(e["id"]))
            relevant = [e for e in fresh if self._relevant(e)]
            if first:
                relevant = relevant[-FIRST_SYNC_LIMIT:]
            budget = itertools.count()
            items = [item for e in relevant
                     if (item := self._item(g, e, budget)) is not None]
            return events, new_etag, hints, items

        events, new_etag, hints, items = await self._call(token, read)
        newest = max([int(e["id"]) for e in events] + ([last_id] if last_id else []),
                     default=None)
        new_cursor = {"last_id": str(newest or 0)}
        return FetchResult(items, [], [], new_cursor, new_etag, hints)

    @staticmethod
    def _relevant(event: dict[str, Any]) -> bool:
        kind, action = event.get("type"), (event.get("payload") or {}).get("action")
        if event.get("public") is not True:
            return False
        return (kind == "PushEvent" or (kind == "PullRequestEvent" and action in ("opened",
                                                                                  "closed"))
                or (kind == "WatchEvent" and action == "started")
                or (kind == "ReleaseEvent" and action == "published"))

    def _item(self, g: github.Github, event: dict[str, Any], budget: itertools.count
              ) -> Item | None:
        kind = event["type"]
        payload = event.get("payload") or {}
        repo = str((event.get("repo") or {}).get("name") or "")
        web = self.settings.web_base.rstrip("/")
        created = _ms(event.get("created_at"))
        base = {"repo": repo, "event_type": kind}
        if kind == "PushEvent":
            branch = str(payload.get("ref", "")).removeprefix("refs/heads/")
            before, head = str(payload.get("before", "")), str(payload.get("head", ""))
            count, commits = (self._commits(g, repo, before, head)
                              if next(budget) < MAX_EXPANDED else (0, []))
            lines = [f"pushed {count} commit{'s' if count != 1 else ''} to {repo} ({branch})"
                     if commits else f"pushed to {repo} ({branch})"]
            lines += [f"• {c['sha'][:7]} {c['message']}" for c in commits[:MAX_COMMITS]]
            url = (f"{web}/{repo}/compare/{before[:12]}...{head[:12]}"
                   if before and before != ZERO_SHA else f"{web}/{repo}/commit/{head}")
            return Item(event["id"], "push", "\n".join(lines), url, created,
                        extra={**base, "branch": branch, "head": head, "commits": commits})
        if kind == "PullRequestEvent":
            number = int(payload.get("number") or (payload.get("pull_request") or {})["number"])
            if next(budget) >= MAX_EXPANDED:
                return None
            try:
                pull = g.get_repo(repo).get_pull(number)
            except github.GithubException as e:
                if e.status not in (403, 404, 451):
                    raise
                return None  # that repository is gone or closed to us, not the whole login
            if payload.get("action") == "closed" and not pull.merged:
                return None  # closed without merging: not news
            verb, kind_name = (("merged", "pull_request_merged") if payload["action"] == "closed"
                               else ("opened", "pull_request_opened"))
            url = safe_url(pull.html_url, f"{web}/{repo}/pull/{number}") or ""
            return Item(event["id"], kind_name, f"{verb} pull request {repo}#{number}: "
                        f"{pull.title}", url, created,
                        extra={**base, "number": number, "title": pull.title})
        if kind == "WatchEvent":
            return Item(event["id"], "star", f"starred {repo}", f"{web}/{repo}", created,
                        extra=base)
        if kind == "ReleaseEvent":
            release = payload.get("release") or {}
            tag = str(release.get("tag_name") or "")
            name = str(release.get("name") or tag)
            url = safe_url(release.get("html_url"), f"{web}/{repo}/releases/tag/{tag}") or ""
            return Item(event["id"], "release", f"released {name} of {repo}", url, created,
                        extra={**base, "tag": tag, "name": name})
        return None

    def _commits(self, g: github.Github, repo: str, before: str, head: str
                 ) -> tuple[int, list[dict[str, str]]]:
        """The push's commits: compare before...head; a new branch (before is zeros) or a
        force-push (before unreachable) falls back to the head commit alone."""
        target = g.get_repo(repo)
        try:
            if before and before != ZERO_SHA:
                comparison = target.compare(before, head)
                total = comparison.total_commits  # one request; .commits reuses its first page
                commits = list(itertools.islice(comparison.commits, MAX_COMMITS))
            else:
                commits = [target.get_commit(head)]
                total = 1
        except github.GithubException as e:
            if e.status not in (403, 404, 451):
                raise
            try:
                commits, total = [target.get_commit(head)], 1
            except github.GithubException as again:
                if again.status not in (403, 404, 451):
                    raise
                return 0, []
        return total, [{"sha": c.sha, "message": (c.commit.message or "").split("\n", 1)[0][:200],
                 "url": safe_url(c.html_url, "") or ""} for c in commits]


# --- what GitHub is -----------------------------------------------------------------------------

def look(item: Item, account: Account) -> ItemLook:
    """"octocat pushed 2 commits to o/r (main)", each commit a link after it."""
    text, links = item.text, ()
    commits = item.extra.get("commits") if item.kind == "push" else None
    if isinstance(commits, list) and commits:
        text = text.split("\n", 1)[0]
        links = tuple((f"{c.get('sha', '')[:7]} {c.get('message', '')}".strip(), c["url"])
                      for c in commits[:MAX_COMMIT_LINKS]
                      if isinstance(c, dict) and str(c.get("url", "")).startswith("http"))
    return ItemLook(f"{account.handle} {text.strip()}".strip(), links)


def account_part(account: Account) -> str | None:
    """The login, lower-cased (logins are case-insensitive), of a well-formed account."""
    if not _ID.fullmatch(account.id or "") or not _LOGIN.fullmatch(account.handle or ""):
        return None
    return account.handle.lower()


PLATFORM = Platform(
    name="github", label="GitHub", mark="GH", color="#24292F",
    config_doc=("GitHub: an OAuth app. Optional: api_base (https://api.github.com), "
                "web_base\n(https://github.com), scopes.\n  github: {client_id: \"...\", "
                "client_secret: \"...\"}"),
    reads="Your pushes, pull requests, stars and releases come into your feed (GitHub is read "
          "only: nothing is published there).",
    settings=GitHubSettings, adapters=one_adapter(GitHubAdapter),
    # 304s are free; X-Poll-Interval is the floor GitHub sets (60 s).
    budget=Budget(base_s=120, floor_s=60, ceiling_s=1800),
    puppet_part=account_part, hosts=("github.com",), look=look)
