"""X (Twitter): OAuth 2.0 + PKCE through authlib, API calls through tweepy's Client.

tweepy hard-codes https://api.twitter.com; its requests session gets an adapter that sends
those requests to the configured API base (https://api.x.com in production, a loopback fake in
tests). A user's OAuth 2.0 token is a bearer token for tweepy, and every call passes
user_auth=False (tweepy's default for writes is OAuth 1.0a).

Reading: the user's own posts (no replies, no reposts). First sync: the newest 20. Then
`since_id` paging with `next_token`. Edits arrive as a new id whose `edit_history_tweet_ids`
starts with the original (the dedupe key). Posts seen in the last hour are re-checked with
GET /2/tweets?ids= so deletions (and edits) inside X's 30-minute edit window are noticed; X
offers no deletion feed outside the enterprise APIs, so later deletions are not seen.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import requests

from ...clock import now_ms
from ...errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from ...lazy_import import lazy_module
from ..formatting import fit, normalized, text_or_image
from ..headers import rate_hints, reset_ms
from ..net import DEFAULT_TIMEOUT, redirecting_session
from ..oauth import OAuthEndpoints, OAuthFlow
from ..platform import (
    FIRST_SYNC_LIMIT,
    HOME,
    Account,
    Budget,
    Draft,
    FetchResult,
    Item,
    Media,
    OutgoingPost,
    Platform,
    PlatformAdapter,
    PollHints,
    Preview,
    Published,
    TextLimits,
    TokenSet,
    numeric_id,
    one_adapter,
)

tweepy = lazy_module("tweepy")
twitter_text = lazy_module("twitter_text")

TWEEPY_HOST = "https://api.twitter.com"
X_LIMIT = 280  # weighted characters (twitter-text config v3)
WATCH_MS = 60 * 60 * 1000  # re-check posts this young for deletions and edits
MAX_PAGES = 10  # at most 1,000 new posts per poll
HOME_PATH = "/2/users/{id}/timelines/reverse_chronological"
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
NOT_AT_THIS_ACCESS_LEVEL = ("this service's X app may not read home timelines (X offers them "
                            "from its Basic access level up)")
TWEET_FIELDS = ["created_at", "attachments", "author_id", "possibly_sensitive"]
MEDIA_FIELDS = ["url", "preview_image_url", "type", "alt_text"]
_MEDIA_KINDS = {"photo": "image", "video": "video", "animated_gif": "gif"}


@dataclass(frozen=True)
class XSettings:
    client_id: str
    redirect_uri: str
    client_secret: str | None = field(default=None, repr=False)  # None: a public client
    authorize_base: str = "https://x.com"
    api_base: str = "https://api.x.com"
    scopes: tuple[str, ...] = ("tweet.read", "tweet.write", "users.read", "offline.access",
                               "media.write")
    timeout_s: float = DEFAULT_TIMEOUT


def _ms(iso: str | None) -> int:
    if not iso:
        return now_ms()
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _detail(error: tweepy.HTTPException) -> str:
    try:
        body = error.response.json()
    except ValueError:
        return f"HTTP {error.response.status_code}"
    detail = body.get("detail") or body.get("title")
    if not detail and body.get("errors"):
        detail = body["errors"][0].get("message") or body["errors"][0].get("detail")
    return str(detail or f"HTTP {error.response.status_code}")[:300]


def _problem_type(error: tweepy.HTTPException) -> str:
    try:
        body = error.response.json()
    except ValueError:
        return ""
    return str(body.get("type") or "") if isinstance(body, dict) else ""


def _without_urls(text: str) -> str:
    """X rewrites links to t.co in what it returns; compare texts without them."""
    return re.sub(r"https?://\S+", "<url>", text).strip()


class XAdapter(PlatformAdapter):
    name = "x"
    uses_pkce = True
    can_edit = True  # only for accounts X lets edit (paid tiers); others get Refused
    can_delete = True
    can_revoke = True

    def __init__(self, settings: XSettings) -> None:
        self.settings = settings
        api = settings.api_base.rstrip("/")
        self.oauth = OAuthFlow(OAuthEndpoints(
            platform="x", client_id=settings.client_id, client_secret=settings.client_secret,
            redirect_uri=settings.redirect_uri, scopes=settings.scopes,
            authorize_url=settings.authorize_base.rstrip("/") + "/i/oauth2/authorize",
            token_url=api + "/2/oauth2/token", revoke_url=api + "/2/oauth2/revoke",
            auth_method="client_secret_basic" if settings.client_secret else "none",
            pkce=True, timeout_s=settings.timeout_s))

    # --- OAuth -------------------------------------------------------------------------------

    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        if not code_verifier:
            raise ValueError("X requires PKCE")
        return self.oauth.authorize_url(state, code_verifier)

    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        return await self.oauth.exchange(code, code_verifier)

    async def refresh(self, token: TokenSet) -> TokenSet:
        return await self.oauth.refresh(token)

    async def revoke(self, token: TokenSet) -> bool:
        await self.oauth.revoke(token)
        return True

    # --- tweepy ------------------------------------------------------------------------------

    def _client(self, token: TokenSet) -> tweepy.Client:
        client = tweepy.Client(bearer_token=token.access_token, return_type=requests.Response,
                               wait_on_rate_limit=False)
        client.session = redirecting_session(TWEEPY_HOST, self.settings.api_base,
                                             self.settings.timeout_s)
        return client

    async def _call(self, token: TokenSet, work: Callable[[tweepy.Client], Any],
                    writing: bool = False, one_post: bool = False,
                    access_level_ok: bool = False) -> Any:
        """A 403 refuses this login's access (missing scope, suspended or locked account) and
        breaks the connection, unless it is about one post: an edit or deletion of an existing
        post (`one_post`), or a new post X holds for a duplicate (publish() resolves that); or,
        with `access_level_ok`, X's "client-forbidden" for an endpoint the app's access level
        does not include (Refused: the login itself is fine)."""
        def blocking() -> Any:
            client = self._client(token)
            try:
                return work(client)
            finally:
                client.session.close()

        try:
            return await asyncio.to_thread(blocking)
        except tweepy.TooManyRequests as e:
            until = reset_ms(e.response.headers.get("x-rate-limit-reset"))
            raise PlatformRateLimited("x", until or 0, "X rate limit") from None
        except tweepy.Unauthorized:
            raise AuthRevoked("x", "X refused the token (revoked or expired)") from None
        except tweepy.Forbidden as e:
            detail = _detail(e)
            if one_post or (writing and "duplicate" in detail.lower()):
                raise Refused("x", detail) from None
            if access_level_ok and _problem_type(e).endswith("/client-forbidden"):
                raise Refused("x", NOT_AT_THIS_ACCESS_LEVEL) from None
            raise AuthRevoked("x", f"X refused access ({detail})") from None
        except tweepy.NotFound as e:
            raise Refused("x", _detail(e)) from None
        except tweepy.TwitterServerError as e:
            raise TransientError("x", f"X: HTTP {e.response.status_code}") from None
        except tweepy.BadRequest as e:
            if writing:
                raise Refused("x", _detail(e)) from None
            raise TransientError("x", f"X refused the request: {_detail(e)}") from None
        except tweepy.HTTPException as e:
            raise TransientError("x", f"X: HTTP {e.response.status_code}") from None
        except (requests.ConnectionError, requests.Timeout) as e:
            raise TransientError("x", f"X unreachable: {type(e).__name__}") from None
        except ValueError as e:
            raise TransientError("x", f"X sent something unreadable: {e}") from None

    async def whoami(self, token: TokenSet) -> Account:
        response = await self._call(token, lambda c: c.get_me(
            user_auth=False, user_fields=["profile_image_url"]))
        data = response.json()["data"]
        return Account("x", str(data["id"]), data["username"], data.get("name") or
                       data["username"], data.get("profile_image_url"),
                       f"https://x.com/{data['username']}")

    # --- reading -----------------------------------------------------------------------------

    def _item(self, tweet: dict[str, Any], media: dict[str, dict[str, Any]],
              account: Account) -> Item:
        history = [str(i) for i in tweet.get("edit_history_tweet_ids") or [tweet["id"]]]
        root = history[0]
        attached = []
        for key in (tweet.get("attachments") or {}).get("media_keys") or []:
            m = media.get(key)
            url = m and (m.get("url") or m.get("preview_image_url"))
            if url:
                attached.append(Media(url, _MEDIA_KINDS.get(m.get("type"), "image"),
                                      m.get("alt_text")))
        created = _ms(tweet.get("created_at"))
        return Item(root, "post", tweet.get("text", ""),
                    f"https://x.com/{account.handle}/status/{root}", created, tuple(attached),
                    edited_at_ms=created if len(history) > 1 else None, version=str(tweet["id"]),
                    extra={"edit_history": history},
                    sensitive=tweet.get("possibly_sensitive") is True)

    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        first = cursor is None
        cursor = dict(cursor or {})
        since_id = cursor.get("since_id")
        watch: dict[str, list[Any]] = {w[0]: w for w in cursor.get("watch", [])}
        now = now_ms()

        def read(client: tweepy.Client) -> tuple[list[dict], dict[str, dict], PollHints]:
            tweets: list[dict] = []
            media: dict[str, dict] = {}
            hints = PollHints()
            page_token = None
            for _ in range(1 if first else MAX_PAGES):
                response = client.get_users_tweets(
                    account.id, user_auth=False, exclude=["retweets", "replies"],
                    max_results=FIRST_SYNC_LIMIT if first else 100,
                    since_id=since_id, pagination_token=page_token, tweet_fields=TWEET_FIELDS,
                    expansions=["attachments.media_keys"], media_fields=MEDIA_FIELDS)
                hints = rate_hints(response.headers, "x-rate-limit")
                body = response.json()
                tweets.extend(body.get("data") or [])
                for m in (body.get("includes") or {}).get("media") or []:
                    media[m["media_key"]] = m
                page_token = (body.get("meta") or {}).get("next_token")
                if not page_token:
                    break
            return tweets, media, hints

        tweets, media, hints = await self._call(token, read)
        items: list[Item] = []
        edits: list[Item] = []
        newest = int(since_id) if since_id else 0
        for tweet in sorted(tweets, key=lambda t: int(t["id"])):
            newest = max(newest, int(tweet["id"]))
            item = self._item(tweet, media, account)
            if item.remote_id in watch or (since_id and item.edited_at_ms
                                           and int(item.remote_id) <= int(since_id)):
                edits.append(item)  # a new version of a post seen before
            else:
                items.append(item)
            watch[item.remote_id] = [item.remote_id, item.version, item.created_at_ms]

        watch = {k: w for k, w in watch.items() if now - w[2] < WATCH_MS}
        deletions: list[str] = []
        checked = [w for w in watch.values()
                   if w[1] not in {i.version for i in items + edits}][:100]
        if checked:
            found, missing = await self._lookup(token, [w[1] for w in checked])
            newer: dict[str, str] = {}
            for w in checked:
                if w[1] in missing:
                    deletions.append(w[0])
                    watch.pop(w[0], None)
                elif w[1] in found:
                    latest = found[w[1]]["edit_history_tweet_ids"][-1]
                    if str(latest) != w[1]:
                        newer[str(latest)] = w[0]
            if newer:
                versions, _ = await self._lookup(token, list(newer))
                for version_id, tweet in versions.items():
                    item = self._item(tweet, {}, account)
                    edits.append(item)
                    watch[item.remote_id] = [item.remote_id, version_id,
                                             watch[item.remote_id][2]]
        new_cursor = {"since_id": str(newest) if newest else since_id,
                      "watch": sorted(watch.values(), key=lambda w: int(w[0]))}
        return FetchResult(items, edits, deletions, new_cursor, None, hints)

    async def _lookup(self, token: TokenSet, ids: list[str]
                      ) -> tuple[dict[str, dict], set[str]]:
        def call(client: tweepy.Client) -> dict[str, Any]:
            return client.get_tweets(ids, user_auth=False, tweet_fields=TWEET_FIELDS).json()

        body = await self._call(token, call)
        found = {str(t["id"]): t for t in body.get("data") or []}
        missing = {str(e.get("resource_id") or e.get("value")) for e in body.get("errors") or []
                   if str(e.get("type", "")).endswith("/resource-not-found")}
        return found, missing

    async def fetch_home(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None
                         ) -> FetchResult:
        """Her home timeline (reverse chronological, OAuth 2.0 user context), forward from
        `since_id` as fetch() reads her own: others' posts only (hers come through fetch()),
        never a protected account's (its posts are for its approved followers), no retweets or
        replies; edits and deletions there are not followed. An app whose X access level has
        no home timeline is Refused, the login untouched."""
        first = cursor is None
        since_id = (cursor or {}).get("since_id")

        def read(client: tweepy.Client) -> tuple[list[dict], dict[str, dict], dict[str, dict],
                                                 PollHints]:
            tweets: list[dict] = []
            users: dict[str, dict] = {}
            media: dict[str, dict] = {}
            hints = PollHints()
            page_token = None
            for _ in range(1 if first else MAX_PAGES):
                params = {"max_results": FIRST_SYNC_LIMIT if first else 100,
                          "exclude": "replies,retweets", "tweet.fields": ",".join(TWEET_FIELDS),
                          "expansions": "author_id,attachments.media_keys",
                          "media.fields": ",".join(MEDIA_FIELDS),
                          "user.fields": "username,name,protected"}
                if since_id:
                    params["since_id"] = since_id
                if page_token:
                    params["pagination_token"] = page_token
                response = client.request("GET", HOME_PATH.format(id=account.id), params=params,
                                          user_auth=False)
                hints = rate_hints(response.headers, "x-rate-limit")
                body = response.json()
                tweets.extend(body.get("data") or [])
                includes = body.get("includes") or {}
                users.update({str(u["id"]): u for u in includes.get("users") or []})
                media.update({m["media_key"]: m for m in includes.get("media") or []})
                page_token = (body.get("meta") or {}).get("next_token")
                if not page_token:
                    break
            return tweets, users, media, hints

        tweets, users, media, hints = await self._call(token, read, access_level_ok=True)
        items: list[Item] = []
        newest = int(since_id) if since_id else 0
        for tweet in sorted(tweets, key=lambda t: int(t["id"])):
            newest = max(newest, int(tweet["id"]))
            item = self._home_item(tweet, users.get(str(tweet.get("author_id"))), media,
                                   account)
            if item is not None:
                items.append(item)
        return FetchResult(items, [], [], {"since_id": str(newest) if newest else since_id},
                           None, hints)

    def _home_item(self, tweet: dict[str, Any], author: dict[str, Any] | None,
                   media: dict[str, dict[str, Any]], account: Account) -> Item | None:
        if not author or author.get("protected") is not False:
            return None  # unknown, or posts for its approved followers only
        if str(author.get("id")) == account.id or not _HANDLE.fullmatch(
                str(author.get("username") or "")):
            return None
        handle = str(author["username"])
        by = Account("x", str(author["id"]), handle, str(author.get("name") or handle)[:200],
                     None, f"https://x.com/{handle}")
        item = self._item(tweet, media, by)
        return replace(item, remote_id=f"home:{item.remote_id}", kind=HOME,
                       text=f"@{handle}: {item.text}", edited_at_ms=None,
                       extra={"by": {"id": by.id, "handle": handle, "name": by.name,
                                     "url": by.url}})

    # --- writing -----------------------------------------------------------------------------

    def _upload(self, client: tweepy.Client, post: OutgoingPost) -> list[str]:
        ids = []
        for image in post.images[:4]:
            response = client.request("POST", "/2/media/upload", json={
                "media": base64.b64encode(image.data).decode(), "media_category": "tweet_image"},
                user_auth=False)
            ids.append(str(response.json()["data"]["id"]))
        return ids

    def _url(self, account: Account, tweet_id: str) -> str:
        return f"https://x.com/{account.handle}/status/{tweet_id}"

    async def publish(self, token: TokenSet, account: Account, post: OutgoingPost) -> Published:
        def create(client: tweepy.Client) -> dict[str, Any]:
            media_ids = self._upload(client, post) or None
            return client.create_tweet(text=post.text or None, media_ids=media_ids,
                                       user_auth=False).json()["data"]

        try:
            data = await self._call(token, create, writing=True)
        except Refused as e:
            # A retry of a post that went through before a crash: X refuses the duplicate.
            existing = await self._find_own(token, account, post.text) \
                if "duplicate" in e.reason.lower() else None
            if existing is None:
                raise
            return Published(existing, self._url(account, existing))
        return Published(str(data["id"]), self._url(account, str(data["id"])))

    async def _find_own(self, token: TokenSet, account: Account, text: str) -> str | None:
        response = await self._call(token, lambda c: c.get_users_tweets(
            account.id, user_auth=False, max_results=20, exclude=["retweets", "replies"]))
        for tweet in response.json().get("data") or []:
            if _without_urls(tweet.get("text", "")) == _without_urls(text):
                return str((tweet.get("edit_history_tweet_ids") or [tweet["id"]])[0])
        return None

    async def edit(self, token: TokenSet, account: Account, remote_id: str,
                   post: OutgoingPost) -> Published:
        found, missing = await self._lookup(token, [remote_id])
        if remote_id in missing or remote_id not in found:
            raise Refused("x", "the post no longer exists on X")
        latest = str(found[remote_id]["edit_history_tweet_ids"][-1])
        await self._call(token, lambda c: c.request("POST", "/2/tweets", json={
            "text": post.text, "edit_options": {"previous_post_id": latest}}, user_auth=False),
            writing=True, one_post=True)
        return Published(remote_id, self._url(account, remote_id))

    async def delete(self, token: TokenSet, account: Account, remote_id: str) -> None:
        try:
            await self._call(token, lambda c: c.delete_tweet(remote_id, user_auth=False),
                             writing=True, one_post=True)
        except Refused as e:
            if "could not find" not in e.reason.lower():  # already gone: done
                raise


# --- what X is --------------------------------------------------------------------------------

def x_length(text: str) -> int:
    """twitter-text config v3 weighted length: URLs 23, CJK and emoji 2 (a ZWJ sequence is one
    emoji), after NFC."""
    return twitter_text.parse_tweet(text).weightedLength


def format_x(draft: Draft, limits: TextLimits = TextLimits(X_LIMIT)) -> Preview:
    refused = text_or_image(draft, "x", limits.characters)
    if refused is not None:
        return refused
    text, cut = fit(normalized(draft), limits.characters, x_length, draft.post_url)
    return Preview("x", text, x_length(text) if text else 0, limits.characters, cut)


# X: per-user 900 reads/15 min on pay-per-use, 5/15 min on Basic, 1/15 min on Free; every post
# read is billed, so start at 5 min and let the rate headers slow us down on a smaller tier.
PLATFORM = Platform(
    name="x", label="X", mark="X", color="#000000",
    config_doc=("X: an OAuth 2.0 app with PKCE (client_secret only for a confidential "
                "client). Optional:\napi_base (https://api.x.com), authorize_base "
                "(https://x.com), scopes.\n  x: {client_id: \"...\", client_secret: "
                "\"...\"}"),
    reads="Your posts on X come into your feed, and your posts here can be published on X.",
    settings=XSettings, adapters=one_adapter(XAdapter),
    budget=Budget(base_s=300, floor_s=180, ceiling_s=1800),
    puppet_part=numeric_id, hosts=("x.com", "twitter.com"),
    format=format_x, text_limits=TextLimits(X_LIMIT), home_timeline="Following")
