"""Mastodon: one adapter per instance. The app registration (Mastodon.create_app) is made once
per instance and returned for the caller to store; OAuth (authorization code + PKCE S256, which
Mastodon supports from 4.3) goes through authlib; API calls through Mastodon.py with
ratelimit_method="throw" so the scheduler, not a sleeping thread, owns the waiting.

The instance is user-given, so: its URL is checked before any request (net.check_instance_url)
and every connection to it goes through the address guard (net.guarded_session). Anything it
sends is data: Mastodon.py would read a *file* named by an access token or client id passed
to its constructor, so tokens are set on the client after construction, never passed in.

Reading: first sync the newest 20 statuses (no replies, no boosts), then forward with
`min_id` through the Link header's rel="prev". Statuses of the last 24 hours are re-checked
(GET /api/v1/statuses?id[]= from 4.3, else one GET each): a changed `edited_at` is an edit,
a missing status a deletion.

Privacy: the author's own token sees all her statuses, followers-only (`private`) and
`direct` ones too. Only `public` and `unlisted` statuses are ever items; a boost is never one
(whatever the instance does with exclude_reblogs). Mastodon does not let an edit change a
status's visibility, but a server that did would see a watched status that is no longer public
or unlisted taken back like a deletion. `spoiler_text` is the item's content warning and
`sensitive` marks its media.

Her home timeline, when she brings it in (fetch_home): others' public and unlisted statuses
only, boosts as their originals, content warnings kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import regex

from ... import log_redact
from ...clock import now_ms
from ...content.fields import normalized_cw
from ...db import mastodon_apps
from ...db.mastodon_apps import MastodonAppRow
from ...errors import AuthRevoked, PlatformError, PlatformRateLimited, Refused, TransientError
from ...lazy_import import lazy_module
from ..formatting import fit, normalized, text_or_image
from ..net import DEFAULT_TIMEOUT, check_instance_url, guarded_session
from ..oauth import OAuthEndpoints, OAuthFlow
from ..platform import (
    FIRST_SYNC_LIMIT,
    HOME,
    URL_LENGTH,
    Account,
    AccountServer,
    Budget,
    Context,
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
    Shared,
    TextLimits,
    TokenSet,
    safe_url,
    settings_from_section,
)

mastodon = lazy_module("mastodon")
twitter_text = lazy_module("twitter_text")

WATCH_MS = 24 * 3600 * 1000
MAX_WATCH = 40
MAX_SINGLE_CHECKS = 10  # before 4.3 each re-check is its own request
MAX_PAGES = 10
DEFAULT_LIMIT = 500  # characters, unless the instance says otherwise
VISIBILITIES = ("public", "unlisted", "private", "direct")
MAX_TEXT = 20_000
MAX_HTML = MAX_TEXT * 4
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
BRIDGED_VISIBILITIES = ("public", "unlisted")  # never private (followers-only) or direct


def bridgeable(status: dict[str, Any]) -> bool:
    """A status anybody may see, and her own (not a boost): only these leave Mastodon."""
    return status.get("visibility") in BRIDGED_VISIBILITIES and not status.get("reblog")


@dataclass(frozen=True)
class MastodonSettings:
    redirect_uri: str
    client_name: str = "matrix-social"
    website: str | None = None
    scopes: tuple[str, ...] = ("read", "write")
    allow_loopback: bool = False  # tests and development only
    timeout_s: float = DEFAULT_TIMEOUT
    visibility: str = "public"  # of cross-posts (platforms.mastodon_visibility)

    def __post_init__(self) -> None:
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"platforms.mastodon_visibility: one of {', '.join(VISIBILITIES)}")


@dataclass(frozen=True)
class MastodonApp:
    """Our registration on one instance: create once, store (the secret encrypted), reuse."""

    instance: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: str


@dataclass(frozen=True)
class InstanceInfo:
    version: str
    max_characters: int = DEFAULT_LIMIT
    characters_reserved_per_url: int = URL_LENGTH
    max_media_attachments: int = 4


async def register_app(settings: MastodonSettings, instance_url: str) -> MastodonApp:
    """Check the instance URL, then register our app there (POST /api/v1/apps)."""
    base = await check_instance_url(instance_url, settings.allow_loopback)

    def create() -> tuple[str, str]:
        with guarded_session(settings.allow_loopback, settings.timeout_s) as session:
            return mastodon.Mastodon.create_app(
                settings.client_name, scopes=list(settings.scopes),
                redirect_uris=settings.redirect_uri, website=settings.website,
                api_base_url=base, session=session, request_timeout=settings.timeout_s)

    try:
        client_id, secret = await asyncio.to_thread(create)
    except mastodon.MastodonNetworkError as e:
        raise _network_error(e) from None
    except (KeyError, TypeError, ValueError, mastodon.MastodonError):
        raise Refused("mastodon", "that server did not accept an app registration; is it a "
                                  "Mastodon instance?") from None
    if not all(isinstance(v, str) and _ID.fullmatch(v) for v in (client_id, secret)):
        raise Refused("mastodon", "that server sent an unusable app registration")
    return MastodonApp(base, client_id, secret, settings.redirect_uri, " ".join(settings.scopes))


def _network_error(e: Exception) -> PlatformError:
    if "not a public address" in str(e):
        return Refused("mastodon", "that instance points to a private or local network address")
    return TransientError("mastodon", "the instance is unreachable")


def _ms(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _key(status_id: str) -> tuple[int, str]:
    """Mastodon ids are opaque strings: order by length, then lexically."""
    return len(status_id), status_id


class MastodonAdapter(PlatformAdapter):
    name = "mastodon"
    uses_pkce = True
    can_edit = True
    can_delete = True
    can_revoke = True

    def __init__(self, settings: MastodonSettings, app: MastodonApp) -> None:
        self.settings = settings
        self.app = app
        self._info: InstanceInfo | None = None
        self.oauth = OAuthFlow(OAuthEndpoints(
            platform="mastodon", client_id=app.client_id, client_secret=app.client_secret,
            redirect_uri=app.redirect_uri, scopes=tuple(app.scopes.split()),
            authorize_url=app.instance + "/oauth/authorize",
            token_url=app.instance + "/oauth/token",
            revoke_url=app.instance + "/oauth/revoke", auth_method="client_secret_post",
            pkce=True, timeout_s=settings.timeout_s),
            session_factory=self._session)

    def _session(self):
        return guarded_session(self.settings.allow_loopback, self.settings.timeout_s)

    # --- OAuth -------------------------------------------------------------------------------

    @property
    def server(self) -> str:
        return self.app.instance

    async def ready_for_login(self) -> bool:
        return await self.client_known()

    async def text_limits(self) -> TextLimits:
        info = await self.instance_info()
        return TextLimits(info.max_characters, info.characters_reserved_per_url)

    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        return self.oauth.authorize_url(state, code_verifier)

    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        token = await self.oauth.exchange(code, code_verifier)
        if not _ID.fullmatch(token.access_token):
            raise Refused("mastodon", "the instance sent an unusable access token")
        return token

    async def refresh(self, token: TokenSet) -> TokenSet:
        """Mastodon tokens do not expire; there is nothing to refresh unless one was given."""
        return await self.oauth.refresh(token) if token.refresh_token else token

    async def revoke(self, token: TokenSet) -> bool:
        await self.oauth.revoke(token)
        return True

    async def client_known(self) -> bool:
        """False when the instance no longer knows our app (its registration was removed)."""
        return await self.oauth.client_known()

    # --- Mastodon.py -------------------------------------------------------------------------

    def _api(self, token: TokenSet | None) -> mastodon.Mastodon:
        # With version_check_mode="none" Mastodon.py ignores mastodon_version (and would upload
        # media to the v1 endpoint); "created" with the known version makes no request either.
        api = mastodon.Mastodon(api_base_url=self.app.instance, ratelimit_method="throw",
                                request_timeout=self.settings.timeout_s,
                                version_check_mode="created" if self._info else "none",
                                mastodon_version=self._info.version if self._info else None,
                                session=self._session(), user_agent=self.settings.client_name)
        if token is not None:
            api.access_token = token.access_token  # never through the constructor (see above)
        return api

    async def _call(self, token: TokenSet | None, work: Callable[[mastodon.Mastodon], Any],
                    writing: bool = False, one_post: bool = False) -> tuple[Any, PollHints]:
        """`one_post`: the call acts on one existing status (edit, delete), so a 403 refuses
        that status; any other 403 refuses the login's access and breaks the connection."""
        holder: dict[str, mastodon.Mastodon] = {}

        def blocking() -> tuple[Any, PollHints]:
            api = holder["api"] = self._api(token)
            try:
                return work(api), self._hints(api)
            finally:
                api.session.close()

        try:
            return await asyncio.to_thread(blocking)
        except mastodon.MastodonRatelimitError:
            api = holder.get("api")
            reset = getattr(api, "ratelimit_reset", None) if api else None
            raise PlatformRateLimited("mastodon", int(reset * 1000) if reset else 0,
                              "Mastodon rate limit") from None
        except mastodon.MastodonUnauthorizedError:
            raise AuthRevoked("mastodon", "the instance refused the token (revoked?)") from None
        except mastodon.MastodonServerError as e:
            raise TransientError("mastodon", f"the instance answered HTTP {_status(e)}") from None
        except mastodon.MastodonNetworkError as e:
            raise _network_error(e) from None
        except mastodon.MastodonNotFoundError:
            raise
        except mastodon.MastodonAPIError as e:
            message = _message(e)
            if _status(e) == 403 and token is not None and not one_post:
                raise AuthRevoked("mastodon", f"the instance refused access ({message})"
                                  ) from None
            if writing or _status(e) in (403, 410):
                raise Refused("mastodon", message) from None
            raise TransientError("mastodon", message) from None
        except (mastodon.MastodonError, ValueError, KeyError, TypeError) as e:
            raise TransientError("mastodon", f"unreadable answer: {type(e).__name__}") from None

    @staticmethod
    def _hints(api: mastodon.Mastodon) -> PollHints:
        reset = getattr(api, "ratelimit_reset", None)
        return PollHints(remaining=getattr(api, "ratelimit_remaining", None),
                         limit=getattr(api, "ratelimit_limit", None),
                         reset_at_ms=int(reset * 1000) if reset else None)

    async def instance_info(self) -> InstanceInfo:
        """Version and limits (configuration.statuses.max_characters) from /api/v2/instance."""
        if self._info is None:
            try:
                raw, _ = await self._call(None, lambda api: api.instance_v2())
            except mastodon.MastodonNotFoundError:  # before 4.0
                try:
                    raw, _ = await self._call(None, lambda api: api.instance_v1())
                except mastodon.MastodonNotFoundError:
                    raise Refused("mastodon", "that server is not a Mastodon instance") from None
            statuses = ((raw.get("configuration") or {}).get("statuses") or {})

            def number(name: str, default: int) -> int:
                value = statuses.get(name)
                return value if isinstance(value, int) and 0 < value < 10**7 else default

            numbers = (re.findall(r"\d+", str(raw.get("version") or ""))[:3] + ["0"] * 3)[:3]
            self._info = InstanceInfo(
                ".".join(str(min(int(n), 9999)) for n in numbers),
                number("max_characters", DEFAULT_LIMIT),
                number("characters_reserved_per_url", URL_LENGTH),
                number("max_media_attachments", 4))
        return self._info

    async def whoami(self, token: TokenSet) -> Account:
        await self.instance_info()
        me, _ = await self._call(token, lambda api: api.account_verify_credentials())
        host = urlsplit(self.app.instance).netloc
        return Account("mastodon", str(me["id"]), f"{me['username']}@{host}",
                       me.get("display_name") or me["username"], safe_url(me.get("avatar")),
                       safe_url(me.get("url"), f"{self.app.instance}/@{me['username']}") or "",
                       instance=self.app.instance)

    # --- reading -----------------------------------------------------------------------------

    def _item(self, status: dict[str, Any], account: Account) -> Item:
        text = html_to_text(status.get("content") or "")
        media = tuple(
            Media(url, "image" if m.get("type") == "image" else str(m.get("type") or "image"),
                  m.get("description"))
            for m in status.get("media_attachments") or []
            if (url := safe_url(m.get("url") or m.get("preview_url"))))
        fallback = f"{account.url.rstrip('/')}/{status['id']}"
        edited = _ms(status.get("edited_at"))
        return Item(str(status["id"]), "post", text, safe_url(status.get("url"), fallback) or "",
                    _ms(status.get("created_at")) or now_ms(), media,
                    html=(status.get("content") or "")[:MAX_HTML], edited_at_ms=edited,
                    version=str(status.get("edited_at") or ""),
                    content_warning=normalized_cw(status.get("spoiler_text")),
                    sensitive=status.get("sensitive") is True)

    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        info = await self.instance_info()
        first = cursor is None
        cursor = dict(cursor or {})
        # After a first sync that found nothing, everything is new: forward from the start.
        min_id = cursor.get("min_id") or (None if first else "0")
        watch: dict[str, list[Any]] = {w[0]: w for w in cursor.get("watch", [])}

        def read(api: mastodon.Mastodon) -> list[dict[str, Any]]:
            if first:
                return list(api.account_statuses(account.id, limit=FIRST_SYNC_LIMIT,
                                                 exclude_replies=True, exclude_reblogs=True))
            statuses: list[dict[str, Any]] = []
            page = api.account_statuses(account.id, min_id=min_id, limit=40,
                                        exclude_replies=True, exclude_reblogs=True)
            for _ in range(MAX_PAGES):
                if not page:
                    break
                statuses.extend(page)
                page = api.fetch_previous(page)  # rel="prev": the page newer than this one
            return statuses

        statuses, hints = await self._call(token, read)
        now = now_ms()
        items: list[Item] = []
        seen: set[str] = set()
        newest = min_id
        valid = [s for s in statuses if _ID.fullmatch(str(s.get("id")) if s.get("id") else "")]
        for status in sorted(valid, key=lambda s: _key(str(s["id"]))):
            status_id = str(status["id"])
            if newest is None or _key(status_id) > _key(newest):
                newest = status_id  # past a followers-only status too: it is never fetched again
            if status_id in seen or not bridgeable(status):
                continue
            item = self._item(status, account)
            seen.add(item.remote_id)
            items.append(item)
            watch[item.remote_id] = [item.remote_id, item.version or "", item.created_at_ms]

        watch = {k: w for k, w in watch.items() if now - w[2] < WATCH_MS}
        checked = sorted((w for k, w in watch.items() if k not in seen),
                         key=lambda w: _key(w[0]), reverse=True)[:MAX_WATCH]
        edits: list[Item] = []
        deletions: list[str] = []
        if checked:
            current, hints = await self._recheck(token, [w[0] for w in checked], info)
            for w in checked:
                status = current.get(w[0])
                if status is not None and status.get("_unchecked"):
                    continue
                if status is None or not bridgeable(status):
                    deletions.append(w[0])  # gone, or no longer public: taken back
                    watch.pop(w[0])
                elif str(status.get("edited_at") or "") != w[1]:
                    item = self._item(status, account)
                    edits.append(item)
                    watch[w[0]] = [w[0], item.version or "", w[2]]
        new_cursor = {"min_id": newest, "watch": sorted(watch.values(), key=lambda w: _key(w[0]))}
        return FetchResult(items, edits, deletions, new_cursor, None, hints)

    async def fetch_home(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None
                         ) -> FetchResult:
        """Her home timeline (GET /api/v1/timelines/home), forward with `min_id` as fetch()
        reads her own: only public and unlisted statuses of others (never followers-only or
        direct, though her token reads them), a boost as its original, the CW kept. Her own
        statuses come through fetch(); edits and deletions there are not followed."""
        await self.instance_info()
        first = cursor is None
        min_id = (cursor or {}).get("min_id") or (None if first else "0")

        def read(api: mastodon.Mastodon) -> list[dict[str, Any]]:
            if first:
                return list(api.timeline_home(limit=FIRST_SYNC_LIMIT))
            statuses: list[dict[str, Any]] = []
            page = api.timeline_home(min_id=min_id, limit=40)
            for _ in range(MAX_PAGES):
                if not page:
                    break
                statuses.extend(page)
                page = api.fetch_previous(page)
            return statuses

        statuses, hints = await self._call(token, read)
        items: list[Item] = []
        newest = min_id
        valid = [s for s in statuses if _ID.fullmatch(str(s.get("id")) if s.get("id") else "")]
        for status in sorted(valid, key=lambda s: _key(str(s["id"]))):
            status_id = str(status["id"])
            if newest is None or _key(status_id) > _key(newest):
                newest = status_id
            item = self._home_item(status, account)
            if item is not None and all(i.remote_id != item.remote_id for i in items):
                items.append(item)
        return FetchResult(items, [], [], {"min_id": newest}, None, hints)

    def _home_item(self, status: dict[str, Any], account: Account) -> Item | None:
        original = status.get("reblog") or status
        if status.get("visibility") not in BRIDGED_VISIBILITIES or \
                original.get("visibility") not in BRIDGED_VISIBILITIES:
            return None
        author = original.get("account") or {}
        booster = (status.get("account") or {}) if status.get("reblog") else None
        if str(author.get("id")) == account.id and booster is None:
            return None  # hers: read by fetch()
        if not _ID.fullmatch(str(author.get("id") or "")) or not author.get("acct"):
            return None
        acct = str(author["acct"])[:200]
        url = safe_url(author.get("url"), f"{self.app.instance}/@{acct}") or ""
        by = Account("mastodon", str(author["id"]), acct,
                     str(author.get("display_name") or acct)[:200], None, url,
                     instance=self.app.instance)
        item = self._item(original, by)
        prefix = f"@{booster.get('acct')} boosted @{acct}" if booster else f"@{acct}"
        return replace(item, remote_id=f"home:{status['id']}", kind=HOME,
                       text=f"{prefix}: {item.text}", html=None, edited_at_ms=None,
                       extra={"by": {"id": by.id, "handle": acct, "name": by.name,
                                     "url": url}})

    async def _recheck(self, token: TokenSet, ids: list[str], info: InstanceInfo
                       ) -> tuple[dict[str, dict[str, Any]], PollHints]:
        """The statuses that still exist, by id."""
        if _version_at_least(info.version, (4, 3)):
            found, hints = await self._call(token, lambda api: api.statuses(ids))
            return {str(s["id"]): s for s in found}, hints
        current: dict[str, dict[str, Any]] = {}
        hints = PollHints()
        for status_id in ids[:MAX_SINGLE_CHECKS]:
            try:
                status, hints = await self._call(token, lambda api, i=status_id: api.status(i))
                current[status_id] = status
            except mastodon.MastodonNotFoundError:
                pass
        for status_id in ids[MAX_SINGLE_CHECKS:]:  # not checked this time: assume unchanged
            current[status_id] = {"id": status_id, "edited_at": None, "_unchecked": True}
        return current, hints

    # --- writing -----------------------------------------------------------------------------

    async def publish(self, token: TokenSet, account: Account, post: OutgoingPost) -> Published:
        info = await self.instance_info()

        def create(api: mastodon.Mastodon) -> dict[str, Any]:
            media_ids = [api.media_post(io.BytesIO(image.data), mime_type=image.mimetype,
                                        description=image.alt)["id"]
                         for image in post.images[:info.max_media_attachments]]
            return api.status_post(post.text, media_ids=media_ids or None,
                                   visibility=self.settings.visibility,
                                   idempotency_key=post.idempotency_key)

        status, _ = await self._write(token, create)
        return Published(str(status["id"]), safe_url(status.get("url"), account.url) or "")

    async def edit(self, token: TokenSet, account: Account, remote_id: str,
                   post: OutgoingPost) -> Published:
        status, _ = await self._write(token, lambda api: api.status_update(remote_id, post.text),
                                      one_post=True)
        return Published(str(status["id"]), safe_url(status.get("url"), account.url) or "")

    async def delete(self, token: TokenSet, account: Account, remote_id: str) -> None:
        try:
            await self._write(token, lambda api: api.status_delete(remote_id), one_post=True)
        except Refused as e:
            if "not found" not in e.reason.lower():
                raise

    async def _write(self, token: TokenSet, work: Callable[[mastodon.Mastodon], Any],
                     one_post: bool = False) -> Any:
        try:
            return await self._call(token, work, writing=True, one_post=one_post)
        except mastodon.MastodonNotFoundError:
            raise Refused("mastodon", "the status was not found on the instance") from None


def _status(error: mastodon.MastodonAPIError) -> int:
    return error.args[1] if len(error.args) > 1 and isinstance(error.args[1], int) else 0


def _message(error: mastodon.MastodonAPIError) -> str:
    detail = error.args[3] if len(error.args) > 3 and error.args[3] else f"HTTP {_status(error)}"
    return str(detail)[:300]


def _version_at_least(version: str, wanted: tuple[int, int]) -> bool:
    numbers = [int(n) for n in re.findall(r"\d+", version)[:2]] + [0, 0]
    return (numbers[0], numbers[1]) >= wanted


# --- HTML to text -----------------------------------------------------------------------------

class _Text(HTMLParser):
    """Plain text from a status's HTML: paragraphs and line breaks kept, tags dropped, entities
    decoded. The result is text, never markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _Text()
    parser.feed(content[:MAX_HTML])
    parser.close()
    return "".join(parser.parts).strip()[:MAX_TEXT]  # convert_charrefs already decoded


# --- our app on each instance ------------------------------------------------------------------

class MastodonInstances:
    """Mastodon's adapters: one per instance, with our app registration there, made the first
    time somebody connects on it and stored (the secret encrypted). The instance URL is checked
    before any request."""

    def __init__(self, settings: MastodonSettings, context: Context) -> None:
        self.settings = settings
        self.db = context.db
        self.cipher = context.cipher
        self._adapters: dict[str, MastodonAdapter] = {}

    async def app(self, instance_url: str) -> MastodonApp:
        """Our app on that instance: checked URL first (before any request), then the stored
        registration, else a new one, stored (secret encrypted) and returned."""
        settings = self.settings
        base = await check_instance_url(instance_url, settings.allow_loopback)
        scopes = " ".join(settings.scopes)
        row = await mastodon_apps.get(self.db, base, settings.redirect_uri, scopes)
        if row is None:
            app = await register_app(settings, base)
            row = await mastodon_apps.insert_or_get(self.db, MastodonAppRow(
                base, settings.redirect_uri, scopes, app.client_id,
                self.cipher.encrypt_text(app.client_secret)), now_ms())
        secret = self.cipher.decrypt_text(row.client_secret)
        log_redact.install(secret)
        return MastodonApp(row.instance, row.client_id, secret, row.redirect_uri, row.scopes)

    async def get(self, server: str | None) -> MastodonAdapter:
        if not server:
            raise Refused("mastodon", "which Mastodon instance? e.g. mastodon.social")
        app = await self.app(server)
        cached = self._adapters.get(app.instance)
        if cached is None or cached.app != app:
            cached = self._adapters[app.instance] = MastodonAdapter(self.settings, app)
        return cached

    async def forget(self, adapter: Any) -> None:
        """The instance no longer knows this registration: drop it, so the next use makes a
        fresh one."""
        app = adapter.app
        await mastodon_apps.delete(self.db, app.instance, app.redirect_uri, app.scopes,
                                   app.client_id)
        self._adapters.pop(app.instance, None)


# --- what Mastodon is --------------------------------------------------------------------------

def mastodon_length(text: str, url_length: int = URL_LENGTH) -> int:
    """StatusLengthValidator: grapheme clusters, every URL with a scheme counts the instance's
    `characters_reserved_per_url`, found with twitter-text's extractor as Mastodon does. Its
    extra schemes (gemini://, ipfs://...) are counted in full, which can only over-count."""
    urls = twitter_text.extract_urls_with_indices(text, extract_urls_without_protocol=False)
    total, position = 0, 0
    for url in urls:
        start, end = url["indices"]
        total += len(regex.findall(r"\X", text[position:start])) + url_length
        position = end
    return total + len(regex.findall(r"\X", text[position:]))


def format_mastodon(draft: Draft, limits: TextLimits = TextLimits(DEFAULT_LIMIT)) -> Preview:
    refused = text_or_image(draft, "mastodon", limits.characters)
    if refused is not None:
        return refused

    def count(t: str) -> int:
        return mastodon_length(t, limits.url_length)

    text, cut = fit(normalized(draft), limits.characters, count, draft.post_url)
    return Preview("mastodon", text, count(text), limits.characters, cut)


def account_part(account: Account) -> str | None:
    """A hash of "id@instance" (ids are per instance), for a well-formed id only."""
    if not _ID.fullmatch(account.id or "") or "@" not in (account.key or ""):
        return None
    return hashlib.sha256(account.key.encode()).hexdigest()[:24]


def _configure(kind: type, name: str, raw: Mapping[str, Any], shared: Shared) -> Any:
    """Loopback instances follow the section's allow_loopback_instances; the visibility of
    cross-posts is platforms.mastodon_visibility."""
    values = dict(raw)
    values.setdefault("allow_loopback", shared.allow_loopback)
    if shared.raw.get("mastodon_visibility") is not None:
        values.setdefault("visibility", shared.raw["mastodon_visibility"])
    return settings_from_section(kind, name, values, shared)


PLATFORM = Platform(
    name="mastodon", label="Mastodon", mark="M", color="#6364FF",
    config_doc=("Mastodon: our app is registered on each instance the first time someone "
                "connects there.\n{} enables it; optional: client_name, website, scopes."),
    reads="Your public posts come into your feed, and your posts here can be published on "
          "Mastodon.",
    settings=MastodonSettings, adapters=MastodonInstances, configure=_configure,
    # 300 requests/5 min per account.
    budget=Budget(base_s=120, floor_s=60, ceiling_s=1800),
    puppet_part=account_part, hosts=(),  # any instance
    server=AccountServer("Your Mastodon server", "mastodon.social",
                         "The address of the server your account is on, e.g. "
                         "mastodon.social."),
    format=format_mastodon, text_limits=TextLimits(DEFAULT_LIMIT), home_timeline="Home")
