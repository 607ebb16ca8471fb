"""Instagram: the Instagram API with Instagram Login (the Basic Display API was retired on
4 December 2024). Professional accounts (Business or Creator) only: a personal account is
refused with the reason. No maintained library exists, so the Graph calls are plain aiohttp;
the OAuth steps (code exchange, long-lived exchange, refresh) go through authlib. Instagram
has no PKCE.

Reading: /me/media, newest first, paged with paging.cursors.after until the newest item seen
before. Publishing: an image (JPEG only) that Instagram fetches itself from a public URL, a
container, then media_publish, within content_publishing_limit. The API offers neither editing
nor deleting a post.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import regex
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from ...clock import now_ms
from ...errors import AuthRevoked, PlatformError, PlatformRateLimited, Refused, TransientError
from ..formatting import fit, normalized
from ..net import DEFAULT_TIMEOUT, TimeoutAdapter
from ..oauth import OAuthEndpoints, OAuthFlow, token_from_response
from ..platform import (
    FIRST_SYNC_LIMIT,
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
    safe_url,
)

CAPTION_LIMIT = 2200
HASHTAG_LIMIT = 30
MENTION_LIMIT = 20
_HASHTAG = regex.compile(r"(?<![\p{L}\p{N}_&/])[#＃][\p{L}\p{M}\p{N}_]*\p{L}[\p{L}\p{M}\p{N}_]*")
_MENTION = regex.compile(r"(?<![\p{L}\p{N}_@])@[A-Za-z0-9_.]+")
MEDIA_FIELDS = "id,caption,media_type,media_url,permalink,thumbnail_url,timestamp"
MAX_PAGES = 5
RECENT_IDS = 50
PROFESSIONAL = {"BUSINESS", "MEDIA_CREATOR", "CREATOR"}
PERSONAL_REFUSAL = (
    "Instagram only lets apps read and post for professional accounts (Business or Creator). "
    "This is a personal account: switch it to a professional account in the Instagram app "
    "(Settings > Account type and tools), then connect again.")
_THROTTLED = {4, 17, 32, 613} | set(range(80000, 80015))


@dataclass(frozen=True)
class InstagramSettings:
    client_id: str  # the Instagram app id
    redirect_uri: str
    client_secret: str = field(default="", repr=False)
    authorize_base: str = "https://www.instagram.com"
    oauth_base: str = "https://api.instagram.com"
    graph_base: str = "https://graph.instagram.com"
    scopes: tuple[str, ...] = ("instagram_business_basic", "instagram_business_content_publish")
    timeout_s: float = DEFAULT_TIMEOUT
    publish_poll_s: float = 2.0  # between container status checks
    publish_polls: int = 15


def _ms(value: str | None) -> int:
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z").timestamp() * 1000)
    except ValueError:
        return now_ms()


def _regain_ms(headers: Any) -> int | None:
    """X-Business-Use-Case-Usage: {"<id>": [{"estimated_time_to_regain_access": minutes}]}"""
    raw = headers.get("X-Business-Use-Case-Usage") if headers else None
    try:
        usage = json.loads(raw) if raw else {}
        minutes = max(int(entry.get("estimated_time_to_regain_access") or 0)
                      for entries in usage.values() for entry in entries)
    except (ValueError, TypeError, AttributeError):
        return None
    return now_ms() + minutes * 60_000 if minutes > 0 else None


def _graph_error(status: int, body: Any, headers: Any) -> PlatformError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        if status >= 500:
            return TransientError("instagram", f"Instagram: HTTP {status}")
        return Refused("instagram", f"Instagram: HTTP {status}")
    code, subcode = error.get("code"), error.get("error_subcode")
    message = str(error.get("message") or f"HTTP {status}")[:300]
    if code == 190 or status == 401:
        return AuthRevoked("instagram", "Instagram refused the token (expired or revoked)")
    if code in _THROTTLED or (code == 9 and subcode == 2207042):
        return PlatformRateLimited("instagram", _regain_ms(headers) or now_ms() + 3600_000, message)
    if status == 403 or code == 10 or (isinstance(code, int) and 200 <= code < 300):
        # A permission of the login is missing or was removed: connecting again grants it.
        return AuthRevoked("instagram", f"Instagram refused access ({message})")
    if status >= 500 or error.get("is_transient") or code in (1, 2):
        return TransientError("instagram", message)
    return Refused("instagram", message)


class InstagramAdapter(PlatformAdapter):
    name = "instagram"
    uses_pkce = False

    def __init__(self, settings: InstagramSettings) -> None:
        self.settings = settings
        self.graph = settings.graph_base.rstrip("/")
        self.oauth = OAuthFlow(OAuthEndpoints(
            platform="instagram", client_id=settings.client_id,
            client_secret=settings.client_secret, redirect_uri=settings.redirect_uri,
            scopes=settings.scopes, scope_separator=",",
            authorize_url=settings.authorize_base.rstrip("/") + "/oauth/authorize",
            token_url=settings.oauth_base.rstrip("/") + "/oauth/access_token",
            auth_method="client_secret_post", pkce=False, timeout_s=settings.timeout_s))

    # --- OAuth (authlib) ---------------------------------------------------------------------

    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        return self.oauth.authorize_url(state, None)

    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        """The code for a 1-hour token, then that for a 60-day one."""
        short = await self.oauth.exchange(code.removesuffix("#_"), None)
        try:
            return await self._graph_token("/access_token", "ig_exchange_token", short,
                                           with_secret=True)
        except AuthRevoked as e:
            raise Refused("instagram", f"Instagram refused the login: {e.message}") from None

    async def refresh(self, token: TokenSet) -> TokenSet:
        """A new 60-day token; Instagram accepts this once the token is 24 hours old."""
        return await self._graph_token("/refresh_access_token", "ig_refresh_token", token,
                                       with_secret=False)

    async def _graph_token(self, path: str, grant_type: str, token: TokenSet,
                           with_secret: bool) -> TokenSet:
        def call() -> dict[str, Any]:
            with OAuth2Session(client_id=self.settings.client_id,
                               client_secret=self.settings.client_secret,
                               token_endpoint_auth_method="client_secret_post") as session:
                for prefix in ("http://", "https://"):
                    session.mount(prefix, TimeoutAdapter(self.settings.timeout_s))
                extra = {"client_secret": self.settings.client_secret} if with_secret else {}
                return dict(session.fetch_token(
                    self.graph + path, method="GET", grant_type=grant_type,
                    access_token=token.access_token, auth=lambda request: request, **extra))

        try:
            raw = await asyncio.to_thread(call)
        except OAuthError as e:  # a Graph error body: {"error": {"code": 190, ...}}
            if isinstance(e.error, dict):
                raise _graph_error(400, {"error": e.error}, {}) from None
            raise AuthRevoked("instagram", f"Instagram refused the token ({e.error})") from None
        except requests.HTTPError as e:
            response = e.response
            body = _json(response)
            raise _graph_error(response.status_code, body, response.headers) from None
        except (requests.ConnectionError, requests.Timeout) as e:
            raise TransientError("instagram", f"unreachable: {type(e).__name__}") from None
        except ValueError:
            raise TransientError("instagram", "unreadable token answer") from None
        if isinstance(raw.get("error"), dict):
            raise _graph_error(400, raw, {})
        return token_from_response("instagram", raw)

    # --- Graph (aiohttp) ---------------------------------------------------------------------

    async def _request(self, method: str, path: str, token: TokenSet,
                       params: dict[str, str] | None = None) -> tuple[Any, Any]:
        url = path if path.startswith("http") else self.graph + path
        query = dict(params or {})
        query["access_token"] = token.access_token
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.request(
                    method, url, params=query) as response:
                body = await response.json(content_type=None)
                headers = response.headers
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as e:
            raise TransientError("instagram", f"unreachable: {type(e).__name__}") from None
        except ValueError:
            raise TransientError("instagram", "unreadable answer") from None
        if status >= 400 or (isinstance(body, dict) and "error" in body):
            raise _graph_error(status, body, headers)
        return body, headers

    async def whoami(self, token: TokenSet) -> Account:
        me, _ = await self._request("GET", "/me", token, {
            "fields": "user_id,username,name,account_type,profile_picture_url"})
        account_type = str(me.get("account_type") or "").upper()
        if account_type and account_type not in PROFESSIONAL:
            raise Refused("instagram", PERSONAL_REFUSAL)
        username = str(me["username"])
        return Account("instagram", str(me.get("user_id") or me["id"]), username,
                       me.get("name") or username, safe_url(me.get("profile_picture_url")),
                       f"https://www.instagram.com/{username}/")

    def _item(self, media: dict[str, Any], account: Account) -> Item:
        kind = str(media.get("media_type") or "IMAGE")
        url = safe_url(media.get("thumbnail_url") if kind == "VIDEO" else media.get("media_url"))
        attached = (Media(url, "video" if kind == "VIDEO" else "image"),) if url else ()
        return Item(str(media["id"]), "post", str(media.get("caption") or ""),
                    safe_url(media.get("permalink"), account.url) or account.url,
                    _ms(media.get("timestamp")), attached, extra={"media_type": kind})

    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        first = cursor is None
        cursor = dict(cursor or {})
        newest_ms = int(cursor.get("newest_ms") or 0)
        recent = set(cursor.get("recent", []))
        params = {"fields": MEDIA_FIELDS, "limit": str(FIRST_SYNC_LIMIT if first else 50)}
        found: list[dict[str, Any]] = []
        headers: Any = {}
        path: str = "/me/media"
        for _ in range(1 if first else MAX_PAGES):
            body, headers = await self._request("GET", path, token, params)
            page = [m for m in body.get("data") or []
                    if isinstance(m, dict) and str(m.get("id") or "").isdigit()]
            fresh = [m for m in page if str(m["id"]) not in recent
                     and _ms(m.get("timestamp")) >= newest_ms]
            found.extend(fresh)
            after = ((body.get("paging") or {}).get("cursors") or {}).get("after")
            if len(fresh) < len(page) or not after or not (body.get("paging") or {}).get("next"):
                break
            params = {**params, "after": after}
        items = sorted((self._item(m, account) for m in found),
                       key=lambda i: (i.created_at_ms, i.remote_id))
        if items:
            newest_ms = max(newest_ms, items[-1].created_at_ms)
        recent_ids = list(dict.fromkeys([i.remote_id for i in reversed(items)] +
                                        list(cursor.get("recent", []))))[:RECENT_IDS]
        hints = PollHints(reset_at_ms=_regain_ms(headers))
        return FetchResult(items, [], [], {"newest_ms": newest_ms, "recent": recent_ids}, None,
                           hints)

    # --- publishing --------------------------------------------------------------------------

    async def publish(self, token: TokenSet, account: Account, post: OutgoingPost) -> Published:
        if not post.image_url:
            raise Refused("instagram", "Instagram only publishes posts with an image")
        limit, _ = await self._request("GET", f"/{account.id}/content_publishing_limit", token,
                                       {"fields": "quota_usage,config"})
        usage = (limit.get("data") or [{}])[0]
        total = (usage.get("config") or {}).get("quota_total")
        if isinstance(total, int) and usage.get("quota_usage", 0) >= total:
            raise PlatformRateLimited("instagram", now_ms() + 3600_000,
                              f"Instagram allows {total} API posts per 24 hours")
        container, _ = await self._request("POST", f"/{account.id}/media", token, {
            "image_url": post.image_url, "caption": post.text})
        container_id = str(container["id"])
        for attempt in range(self.settings.publish_polls):
            status, _ = await self._request("GET", f"/{container_id}", token,
                                            {"fields": "status_code"})
            code = status.get("status_code")
            if code == "FINISHED":
                break
            if code in ("ERROR", "EXPIRED"):
                raise Refused("instagram", "Instagram could not process the image")
            await asyncio.sleep(self.settings.publish_poll_s * (attempt + 1))
        else:
            raise TransientError("instagram", "Instagram is still processing the image")
        media, _ = await self._request("POST", f"/{account.id}/media_publish", token,
                                       {"creation_id": container_id})
        media_id = str(media["id"])
        details, _ = await self._request("GET", f"/{media_id}", token, {"fields": "permalink"})
        return Published(media_id, safe_url(details.get("permalink"), account.url) or "")

    async def edit(self, token: TokenSet, account: Account, remote_id: str,
                   post: OutgoingPost) -> Published:
        raise Refused("instagram", "Instagram does not let apps edit a post")

    async def delete(self, token: TokenSet, account: Account, remote_id: str) -> None:
        raise Refused("instagram", "Instagram does not let apps delete a post; delete it in "
                                   "the Instagram app")


def _json(response: requests.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None


# --- what Instagram is --------------------------------------------------------------------------

def caption_length(text: str) -> int:
    """UTF-16 code units: never fewer than Instagram counts, whichever unit it uses."""
    return len(text.encode("utf-16-le")) // 2


def format_instagram(draft: Draft, limits: TextLimits = TextLimits(CAPTION_LIMIT)) -> Preview:
    """An image (JPEG) with a caption of at most 2,200 characters, 30 hashtags and 20
    @mentions. A link in a caption is not clickable: a cut gets "…" and no link back."""
    limit = limits.characters
    if not draft.image_types:
        return Preview("instagram", None, 0, limit, refusal=(
            "Instagram only publishes posts with an image; this post has none"))
    if not any(t.startswith("image/") for t in draft.image_types[:1]):
        return Preview("instagram", None, 0, limit, refusal=(
            "Instagram only publishes images (JPEG); this post's attachment is not an image"))
    text = normalized(draft)
    hashtags = len(_HASHTAG.findall(text))
    if hashtags > HASHTAG_LIMIT:
        return Preview("instagram", None, caption_length(text), limit, refusal=(
            f"Instagram allows at most {HASHTAG_LIMIT} hashtags; this post has {hashtags}"))
    mentions = len(_MENTION.findall(text))
    if mentions > MENTION_LIMIT:
        return Preview("instagram", None, caption_length(text), limit, refusal=(
            f"Instagram allows at most {MENTION_LIMIT} @mentions; this post has {mentions}"))
    text, cut = fit(text, limit, caption_length, None)
    return Preview("instagram", text, caption_length(text), limit, cut)


PLATFORM = Platform(
    name="instagram", label="Instagram", mark="IG", color="#E1306C",
    config_doc=("Instagram (the Instagram API with Instagram Login: professional accounts "
                "only). Optional:\nauthorize_base, oauth_base, graph_base.\n  instagram: "
                "{client_id: \"<Instagram app id>\", client_secret: \"...\"}"),
    reads="Your Instagram media come into your feed, and your image posts here can be "
          "published on Instagram (professional accounts only).",
    settings=InstagramSettings, adapters=one_adapter(InstagramAdapter),
    # Undocumented read limits; posts are rare, so poll slowly.
    budget=Budget(base_s=900, floor_s=600, ceiling_s=3600),
    puppet_part=numeric_id, hosts=("instagram.com",),
    format=format_instagram, text_limits=TextLimits(CAPTION_LIMIT),
    publish_note="Image posts only: a post without an image is not published there.",
    fetches_images=True,
    login_note="a professional account",
    # The 60-day token can only be refreshed once it is 24 hours old: a week ahead. It is
    # refreshed with itself (no refresh token).
    refresh_margin_ms=7 * 24 * 3600 * 1000, refreshes_access_token=True)
