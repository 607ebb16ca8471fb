"""Bluesky (AT Protocol): the `atproto` SDK's synchronous Client, in worker threads.

Login: a handle (or email) and an *app password* (Settings → Privacy and security → App
passwords), given once and never stored: com.atproto.server.createSession answers an access
JWT (about two hours) and a refresh JWT (single use, about two months), kept encrypted as the
grant (TokenSet; the account's DID, handle and PDS in its `extra`). Grants (grants.py) refresh
it ahead of expiry through refreshSession and store the new pair before it is used; the SDK's
own silent refresh is switched off, or it would rotate the refresh token behind our back.
A 401 (ExpiredToken, InvalidToken, a revoked app password) is AuthRevoked: one forced refresh,
then the connection is broken and she is told. The PDS the session names (its DID document) is
used only over https (loopback http only where the section allows loopback, for tests).

OAuth (PAR + PKCE + DPoP, with a client metadata document at a public https URL) is what a
real deployment should move to; atproto 0.0.73 has no client for it, so it is not offered.

Reading: app.bsky.feed.getAuthorFeed (filter posts_no_replies), newest first with a cursor to
older pages: the first sync takes the newest 20, later polls page down until they reach what
they saw. Her posts, her reposts (kind `repost`, keyed by the repost record) and quote posts
(kind `quote`); images with their alt text, link cards and the quoted post become the item's
links. Posts of the last 24 hours are re-checked (getPosts): a missing one is a deletion.
Bluesky has no edits. Self-labels (porn, sexual, nudity, graphic-media) mark media sensitive
and are the content warning.

Writing: 300 graphemes (Unicode extended grapheme clusters, as the app counts them; links count
in full) and 3,000 UTF-8 bytes per post. A longer post goes out as a thread (formatting.thread:
split between sentences or words, never inside a grapheme cluster, each part numbered " 1/3"),
each part a reply to the one before and naming the first as its root (uri and CID), the images
(up to four with alt text, uploadBlob, each at most 1,000,000 bytes) on the first. Each part's
rich-text facets (links, #tags, @mentions resolved to DIDs) are found in that part's own text,
so their UTF-8 byte offsets are the part's; a link or tag is never made of a piece of a word
that had to be cut. Each part's record key (a TID) is chosen and recorded (PartLog) before it
is created, and its CID once it is: a later attempt skips what was made and asks the PDS
(getRecord) about a part whose answer never came, so a 5xx, a rate limit or a restart never
posts a part twice. Delete is deleteRecord, part by part; an edit is refused with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import regex

from ...clock import now_ms
from ...errors import AuthRevoked, PlatformRateLimited, Refused, TransientError
from ...lazy_import import lazy_module
from ..formatting import normalized, text_or_image, thread
from ..headers import rate_hints, reset_ms
from ..net import DEFAULT_TIMEOUT
from ..platform import (
    FIRST_SYNC_LIMIT,
    HOME,
    Account,
    Budget,
    Draft,
    FetchResult,
    Item,
    ItemLook,
    Media,
    OutgoingPost,
    PartLog,
    PasswordLogin,
    Platform,
    PlatformAdapter,
    PollHints,
    Preview,
    Published,
    Shared,
    TextLimits,
    ThreadPart,
    TokenSet,
    one_adapter,
    safe_url,
    settings_from_section,
)

# One lazy module only: a lazily loaded submodule would be a second copy of it, with
# exception classes of its own that the SDK never raises.
atproto_client = lazy_module("atproto_client")

BLUESKY_LIMIT = 300  # graphemes
MAX_POST_BYTES = 3000  # the lexicon's maxLength of a post's text, in UTF-8 bytes
MAX_PARTS = 10  # a longer post's thread ends with "…" and the link back
POST = "app.bsky.feed.post"
TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
MAX_ALT = 2000
WATCH_MS = 24 * 3600 * 1000
MAX_WATCH = 25  # app.bsky.feed.getPosts takes at most 25 URIs
MAX_PAGES = 10
PAGE = 50
MAX_TEXT = 20_000
APP = "https://bsky.app"
SENSITIVE_LABELS = {"porn": "Adult content", "sexual": "Sexually suggestive",
                    "nudity": "Nudity", "graphic-media": "Graphic media"}
NO_EDIT = ("Bluesky has no edit: a published post cannot be changed. Delete it there and "
           "post again")
_DID = re.compile(r"did:(plc:[a-z2-7]{24}|web:[a-zA-Z0-9.-]{1,253})")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
_HANDLE = re.compile(r"(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
                     r"[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?")


@dataclass(frozen=True)
class BlueskySettings:
    service: str = "https://bsky.social"  # the entryway: where handles log in
    allow_loopback: bool = False  # tests and development: a loopback http PDS
    timeout_s: float = DEFAULT_TIMEOUT


def graphemes(text: str) -> int:
    """The length Bluesky counts: extended grapheme clusters (UAX #29)."""
    return len(regex.findall(r"\X", text))


def fits_post(text: str, limit: int = BLUESKY_LIMIT) -> bool:
    """Whether the PDS takes `text` as one post's: `limit` graphemes and 3,000 UTF-8 bytes."""
    return len(text.encode()) <= MAX_POST_BYTES and graphemes(text) <= limit


def new_tid() -> str:
    """A record key as a PDS makes one (a TID): the microseconds since the epoch and a random
    clock id, 13 base32-sortable characters."""
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _ms(value: Any) -> int | None:
    try:
        return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _post_parts(uri: str) -> tuple[str, str, str] | None:
    """(did, collection, rkey) of an at:// URI of the shapes we use, else None."""
    match = re.fullmatch(r"at://([^/]+)/([a-z0-9.]+)/([^/]+)", uri or "")
    if not match or not _DID.fullmatch(match.group(1)) or not _RKEY.fullmatch(match.group(3)):
        return None
    return match.group(1), match.group(2), match.group(3)


def post_url(uri: str, handle_or_did: str) -> str:
    parts = _post_parts(uri)
    rkey = parts[2] if parts else ""
    return f"{APP}/profile/{quote(handle_or_did, safe=':.')}/post/{quote(rkey, safe='')}"


class BlueskyAdapter(PlatformAdapter):
    name = "bluesky"
    uses_pkce = False
    can_edit = False
    can_delete = True
    can_revoke = True  # deleteSession ends the session (the app password stays hers)
    can_thread = True

    def __init__(self, settings: BlueskySettings) -> None:
        self.settings = settings

    # --- the SDK -----------------------------------------------------------------------------

    def _pds_allowed(self, url: str) -> bool:
        parts = urlsplit(url or "")
        if parts.scheme == "https" and parts.hostname:
            return True
        return self.settings.allow_loopback and parts.scheme == "http" and \
            parts.hostname in ("127.0.0.1", "localhost", "::1")

    def _client(self, token: TokenSet | None, seen: dict[str, Any]) -> Any:
        def remember(response: Any) -> None:
            seen["headers"] = dict(response.headers)

        request = atproto_client.request.Request(timeout=self.settings.timeout_s,
                                          event_hooks={"response": [remember]})
        client = _client_class()(base_url=self.settings.service, request=request)
        if token is not None:
            pds = token.extra.get("pds") or self.settings.service
            if not self._pds_allowed(pds):
                raise AuthRevoked("bluesky", "the stored session names an unusable server")
            session = atproto_client.Session(token.extra.get("handle", ""),
                                              token.extra.get("did", ""), token.access_token,
                                              token.refresh_token or "", pds)
            client.login(session_string=session.encode(), fetch_bsky_profile=False)
        return client

    async def _call(self, token: TokenSet | None, work: Callable[[Any], Any],
                    writing: bool = False) -> tuple[Any, PollHints]:
        seen: dict[str, Any] = {}

        def blocking() -> Any:
            client = self._client(token, seen)
            try:
                return work(client)
            finally:
                client.request.close()

        try:
            result = await asyncio.to_thread(blocking)
        except atproto_client.exceptions.RateLimitExceededError as e:
            headers = e.response.headers if e.response is not None else {}
            until = reset_ms(headers.get("ratelimit-reset"))
            raise PlatformRateLimited("bluesky", until or 0, "Bluesky rate limit") from None
        except atproto_client.exceptions.UnauthorizedError as e:
            raise AuthRevoked("bluesky", f"Bluesky refused the session ({_error(e)})") from None
        except atproto_client.exceptions.BadRequestError as e:
            code = _error_code(e)
            if code in ("ExpiredToken", "InvalidToken", "AccountTakedown",
                        "AuthenticationRequired"):
                raise AuthRevoked("bluesky", f"Bluesky refused the session ({_error(e)})"
                                  ) from None
            if writing:
                raise Refused("bluesky", _error(e)) from None
            raise TransientError("bluesky", f"Bluesky refused the request ({_error(e)})"
                                 ) from None
        except atproto_client.exceptions.NetworkError as e:
            raise TransientError("bluesky", f"Bluesky unreachable ({type(e).__name__})"
                                 ) from None
        except atproto_client.exceptions.RequestErrorBase as e:
            raise TransientError("bluesky", f"Bluesky: {_error(e)}") from None
        except (atproto_client.exceptions.AtProtocolError, ValueError, KeyError, TypeError) as e:
            raise TransientError("bluesky", f"unreadable answer: {type(e).__name__}") from None
        return result, rate_hints(seen.get("headers") or {}, "ratelimit")

    # --- login -------------------------------------------------------------------------------

    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        raise Refused("bluesky", "Bluesky connects with your handle and an app password")

    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        raise Refused("bluesky", "Bluesky connects with your handle and an app password")

    async def log_in(self, identifier: str, password: str) -> TokenSet:
        identifier = (identifier or "").strip().removeprefix("@")
        if not identifier or len(identifier) > 256 or not password or len(password) > 256:
            raise Refused("bluesky", "give your handle (or email) and an app password")

        def create(client: Any) -> Any:
            return client.com.atproto.server.create_session(
                atproto_client.models.ComAtprotoServerCreateSession.Data(identifier=identifier,
                                                                  password=password))

        try:
            session, _ = await self._call(None, create)
        except AuthRevoked:
            raise Refused("bluesky", "Bluesky did not accept that handle and app password"
                          ) from None
        return self._token(session)

    def _token(self, session: Any) -> TokenSet:
        pds = atproto_client.client.session.get_session_pds_endpoint(session) \
            or self.settings.service
        if not self._pds_allowed(pds):
            raise Refused("bluesky", "Bluesky named a server this service does not use")
        if not _DID.fullmatch(session.did or ""):
            raise Refused("bluesky", "Bluesky sent an account id that cannot be used")
        exp = atproto_client.Session(session.handle, session.did, session.access_jwt,
                                      session.refresh_jwt, pds).access_jwt_payload.exp
        return TokenSet(session.access_jwt, session.refresh_jwt,
                        int(exp) * 1000 if exp else None, "atproto",
                        {"did": session.did, "handle": session.handle, "pds": pds.rstrip("/")})

    async def refresh(self, token: TokenSet) -> TokenSet:
        if not token.refresh_token:
            raise AuthRevoked("bluesky", "no refresh token")
        refresh = token.refresh_token

        def again(client: Any) -> Any:
            return client.com.atproto.server.refresh_session(
                headers={"Authorization": f"Bearer {refresh}"})

        session, _ = await self._call(token, again)
        fresh = self._token(session)
        if fresh.extra["did"] != token.extra.get("did"):
            raise AuthRevoked("bluesky", "the refreshed session is another account's")
        return fresh

    async def revoke(self, token: TokenSet) -> bool:
        refresh = token.refresh_token or ""

        def end(client: Any) -> Any:
            return client.com.atproto.server.delete_session(
                headers={"Authorization": f"Bearer {refresh}"})

        await self._call(token, end)
        return True

    async def whoami(self, token: TokenSet) -> Account:
        did = token.extra.get("did", "")
        profile, _ = await self._call(token, lambda c: c.app.bsky.actor.get_profile(
            {"actor": did}))
        if profile.did != did:
            raise Refused("bluesky", "Bluesky answered with another account's profile")
        handle = profile.handle if _HANDLE.fullmatch(profile.handle or "") else did
        return Account("bluesky", did, handle, (profile.display_name or handle)[:200],
                       safe_url(profile.avatar), f"{APP}/profile/{quote(handle, safe=':.')}")

    # --- reading -----------------------------------------------------------------------------

    def _item(self, entry: Mapping[str, Any], account: Account, anybody: bool = False
              ) -> Item | None:
        post = entry.get("post") or {}
        uri = str(post.get("uri") or "")
        author = post.get("author") or {}
        if _post_parts(uri) is None or not _DID.fullmatch(str(author.get("did") or "")):
            return None
        record = post.get("record") or {}
        reason = entry.get("reason") or {}
        reposted = reason.get("$type") == "app.bsky.feed.defs#reasonRepost"
        if not reposted and not anybody and author.get("did") != account.id:
            return None  # her feed never holds another's post unless she reposted it
        text = str(record.get("text") or "")[:MAX_TEXT]
        url = post_url(uri, str(author.get("handle") or author.get("did")))
        created = _ms(record.get("createdAt")) or _ms(post.get("indexedAt")) or now_ms()
        embed = post.get("embed") or {}
        media = tuple(_images(embed))
        extra: dict[str, Any] = {"uri": uri}
        kind = "post"
        quoted = _quoted(embed)
        if quoted is not None:
            kind = "quote"
            extra["quote"] = quoted
        card = _card(embed)
        if card is not None:
            extra["card"] = card
        labels = [lab.get("val") for lab in post.get("labels") or [] if isinstance(lab, dict)]
        warnings = [SENSITIVE_LABELS[v] for v in labels if v in SENSITIVE_LABELS]
        remote_id = uri
        if reposted:
            kind = "repost"
            by = str(author.get("handle") or author.get("did"))
            extra["reposted"] = {"handle": by, "url": url}
            who = str((reason.get("by") or {}).get("handle") or "")
            text = f"Reposted @{by}: {text}" if text else f"Reposted @{by}"
            if anybody and who:
                text = f"@{who} reposted @{by}: {text.split(': ', 1)[-1]}"
            repost_uri = str(reason.get("uri") or "")
            remote_id = repost_uri if _post_parts(repost_uri) else f"{uri}#repost"
            created = _ms(reason.get("indexedAt")) or created
        return Item(remote_id, kind, text, url, created, media, extra=extra,
                    content_warning=", ".join(warnings) or None, sensitive=bool(warnings))

    async def _read(self, token: TokenSet, cursor: dict[str, Any] | None,
                    page_of: Callable[[Any, dict[str, Any]], Any],
                    make: Callable[[Mapping[str, Any]], Item | None]
                    ) -> tuple[list[Item], dict[str, Any], PollHints]:
        """A feed read newest first, paged down to what the last read saw (its `since` time
        and `recent` keys): the new items oldest first, and the next cursor."""
        first = cursor is None
        cursor = dict(cursor or {})
        known = set(cursor.get("recent") or [])
        since = cursor.get("since") if isinstance(cursor.get("since"), int) else None

        def seen_before(entry: Mapping[str, Any]) -> bool:
            return _entry_key(entry) in known or (since is not None
                                                   and _entry_ms(entry) <= since)

        def read(client: Any) -> list[dict[str, Any]]:
            entries: list[dict[str, Any]] = []
            page_cursor = None
            for _ in range(1 if first else MAX_PAGES):
                params: dict[str, Any] = {"limit": FIRST_SYNC_LIMIT if first else PAGE}
                if page_cursor:
                    params["cursor"] = page_cursor
                page = _as_dict(page_of(client, params))
                feed = [e for e in page.get("feed") or [] if isinstance(e, dict)]
                entries.extend(feed)
                page_cursor = page.get("cursor")
                if not feed or not page_cursor or any(seen_before(e) for e in feed):
                    break
            return entries

        entries, hints = await self._call(token, read)
        items: list[Item] = []
        for entry in reversed(entries):  # the feed is newest first
            if seen_before(entry):
                continue
            item = make(entry)
            if item is None or any(i.remote_id == item.remote_id for i in items):
                continue
            items.append(item)
        items.sort(key=lambda i: i.created_at_ms)
        newest = max([_entry_ms(e) for e in entries] + [since or 0]) or None
        recent = [i.remote_id for i in items] + list(cursor.get("recent") or [])
        return items, {**cursor, "since": newest, "recent": recent[:200]}, hints

    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        did = account.id
        items, new_cursor, hints = await self._read(
            token, cursor, lambda c, params: c.app.bsky.feed.get_author_feed(
                {**params, "actor": did, "filter": "posts_no_replies"}),
            lambda entry: self._item(entry, account))
        cursor = new_cursor
        now = now_ms()
        watch = {w[0]: w for w in cursor.get("watch") or [] if now - w[2] < WATCH_MS}
        for item in items:
            if item.kind != "repost":
                watch[item.remote_id] = [item.remote_id, item.extra["uri"], item.created_at_ms]
        deletions: list[str] = []
        fresh = {i.remote_id for i in items}
        recheck = sorted((w for w in watch.values() if w[0] not in fresh), key=lambda w: w[2],
                         reverse=True)[:MAX_WATCH]
        if recheck:
            uris = [w[1] for w in recheck]
            found, hints = await self._call(token, lambda c: c.app.bsky.feed.get_posts(
                {"uris": uris}))
            alive = {p.uri for p in found.posts}
            for w in recheck:
                if w[1] not in alive:
                    deletions.append(w[0])
                    watch.pop(w[0], None)
        new_cursor = {**cursor, "watch": sorted(watch.values(), key=lambda w: w[2])}
        return FetchResult(items, [], deletions, new_cursor, None, hints)

    async def fetch_home(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None
                         ) -> FetchResult:
        """Her following feed (app.bsky.feed.getTimeline). Every Bluesky post is public; a
        label's warning is kept. Deletions there are not followed (the item stays hers)."""
        items, new_cursor, hints = await self._read(
            token, cursor, lambda c, params: c.app.bsky.feed.get_timeline(params),
            lambda entry: self._home_item(entry, account))
        return FetchResult(items, [], [], new_cursor, None, hints)

    def _home_item(self, entry: Mapping[str, Any], account: Account) -> Item | None:
        item = self._item(entry, account, anybody=True)
        if item is None:
            return None
        author = (entry.get("post") or {}).get("author") or {}
        reason = entry.get("reason") or {}
        by = reason.get("by") if reason.get("$type") == \
            "app.bsky.feed.defs#reasonRepost" else author
        handle = str((by or {}).get("handle") or (by or {}).get("did") or "")
        if not _DID.fullmatch(str((by or {}).get("did") or "")):
            return None
        name = str((by or {}).get("displayName") or handle)[:200]
        text = item.text if item.kind == "repost" else f"@{handle}: {item.text}"
        return replace(item, remote_id=f"home:{_entry_key(entry)}", kind=HOME, text=text,
                       extra={**item.extra, "by": {
                           "id": by["did"], "handle": handle, "name": name,
                           "url": f"{APP}/profile/{quote(handle, safe=':.')}"}})

    # --- writing -----------------------------------------------------------------------------

    async def publish(self, token: TokenSet, account: Account, post: OutgoingPost) -> Published:
        """The post, or its thread, with a log kept in memory only (a delivery records its
        own: publish_thread)."""
        return await self.publish_thread(token, account, post, PartLog(post.thread()))

    async def publish_thread(self, token: TokenSet, account: Account, post: OutgoingPost,
                             log: PartLog) -> Published:
        waiting = [part for part in log.parts if not part.made]
        if any(not fits_post(part.sent) for part in waiting):
            raise Refused("bluesky", f"the text is longer than Bluesky's {BLUESKY_LIMIT} "
                                     "characters")
        images = post.images[:MAX_IMAGES] if not log.parts[0].made else ()
        if any(len(i.data) > MAX_IMAGE_BYTES for i in images):
            raise Refused("bluesky", "an image is larger than Bluesky's 1 MB limit")
        root: tuple[str, str] | None = None
        parent: tuple[str, str] | None = None
        for index in range(len(log.parts)):
            if not log.parts[index].made:
                await self._make(token, account, log, index, images if index == 0 else (),
                                 root, parent)
            part = log.parts[index]
            made = (part.remote_id or "", part.ref or "")
            root, parent = root or made, made
        first = log.parts[0]
        return Published(first.remote_id or "",
                         first.url or post_url(first.remote_id or "", account.handle))

    async def _make(self, token: TokenSet, account: Account, log: PartLog, index: int,
                    images: tuple[Any, ...], root: tuple[str, str] | None,
                    parent: tuple[str, str] | None) -> None:
        """Part `index`: its record key reserved in the log first; a key reserved by an
        earlier attempt is looked for at the PDS before it is created again."""
        part = log.parts[index]
        if part.remote_id is None:
            rkey = new_tid()
            uri = f"at://{account.id}/{POST}/{rkey}"
            await log.reserve(index, uri)
        else:
            uri = part.remote_id
            parts = _post_parts(uri)
            if parts is None or parts[0] != account.id or parts[1] != POST:
                raise Refused("bluesky", "a recorded part is not one of her Bluesky posts")
            rkey = parts[2]
            cid = await self._made_before(token, account.id, rkey)
            if cid is not None:
                await log.made(index, cid, post_url(uri, account.handle))
                return
        models = atproto_client.models

        def create(client: Any) -> Any:
            embed = None
            if images:
                uploads = [client.upload_blob(i.data) for i in images]
                embed = models.AppBskyEmbedImages.Main(images=[
                    models.AppBskyEmbedImages.Image(alt=(i.alt or "")[:MAX_ALT],
                                                    image=upload.blob)
                    for i, upload in zip(images, uploads, strict=True)])
            reply = None
            if root is not None and parent is not None:
                reply = models.AppBskyFeedPost.ReplyRef(
                    root=models.ComAtprotoRepoStrongRef.Main(uri=root[0], cid=root[1]),
                    parent=models.ComAtprotoRepoStrongRef.Main(uri=parent[0], cid=parent[1]))
            record = models.AppBskyFeedPost.Record(
                created_at=client.get_current_time_iso(), text=part.sent, reply=reply,
                embed=embed, langs=["en"], facets=_facets(client, part) or None)
            return client.app.bsky.feed.post.create(account.id, record, rkey=rkey)

        created, _ = await self._call(token, create, writing=True)
        if created.uri != uri:
            raise TransientError("bluesky", "the PDS made the post under another key")
        await log.made(index, created.cid, post_url(created.uri, account.handle))

    async def _made_before(self, token: TokenSet, did: str, rkey: str) -> str | None:
        """The CID of her post `rkey`, or None when the PDS has no such record."""

        def look(client: Any) -> str | None:
            try:
                return client.app.bsky.feed.post.get(did, rkey).cid
            except atproto_client.exceptions.BadRequestError as e:
                if _error_code(e) == "RecordNotFound":
                    return None
                raise

        cid, _ = await self._call(token, look)
        return cid

    async def edit(self, token: TokenSet, account: Account, remote_id: str,
                   post: OutgoingPost) -> Published:
        raise Refused("bluesky", NO_EDIT)

    async def delete(self, token: TokenSet, account: Account, remote_id: str) -> None:
        parts = _post_parts(remote_id)
        if parts is None or parts[0] != account.id or parts[1] != "app.bsky.feed.post":
            raise Refused("bluesky", "that is not one of her Bluesky posts")
        await self._call(token, lambda c: c.delete_post(remote_id), writing=True)


_CLIENT_CLASS: list[type] = []


def _client_class() -> type:
    """The SDK's Client without its silent refresh (Grants refreshes and stores first); made
    on first use, the SDK being imported lazily."""
    if not _CLIENT_CLASS:
        class NoSilentRefresh(atproto_client.Client):
            def _should_refresh_session(self) -> bool:
                return False

        _CLIENT_CLASS.append(NoSilentRefresh)
    return _CLIENT_CLASS[0]


def _as_dict(model: Any) -> dict[str, Any]:
    return atproto_client.models.get_model_as_dict(model)


def _entry_key(entry: Mapping[str, Any]) -> str:
    reason = entry.get("reason") or {}
    uri = str((entry.get("post") or {}).get("uri") or "")
    if reason.get("$type") == "app.bsky.feed.defs#reasonRepost":
        repost = str(reason.get("uri") or "")
        return repost if _post_parts(repost) else f"{uri}#repost"
    return uri


def _entry_ms(entry: Mapping[str, Any]) -> int:
    """When the entry came into her feed: the repost's time for a repost."""
    reason = entry.get("reason") or {}
    return _ms(reason.get("indexedAt") or (entry.get("post") or {}).get("indexedAt")) or 0


def _facets(client: Any, part: ThreadPart) -> list[Any]:
    """The part's facets, found in its own words (their byte offsets are the part's; its
    numbering has none), without any that touches a piece of a word cut at the part's edge."""
    found = client.detect_facets(part.text)
    pieces: list[tuple[int, int]] = []
    if part.cut_before:
        first = regex.match(r"\S+", part.text)
        if first:
            pieces.append((0, len(first.group().encode())))
    if part.cut_after:
        last = regex.search(r"\S+$", part.text)
        if last:
            pieces.append((len(part.text[:last.start()].encode()), len(part.text.encode())))
    return [f for f in found if not any(f.index.byte_start < end and f.index.byte_end > start
                                        for start, end in pieces)]


def _error_code(error: Any) -> str:
    content = getattr(getattr(error, "response", None), "content", None)
    return str(getattr(content, "error", "") or "")


def _error(error: Any) -> str:
    content = getattr(getattr(error, "response", None), "content", None)
    status = getattr(getattr(error, "response", None), "status_code", "")
    message = getattr(content, "message", None) or getattr(content, "error", None)
    return str(message or f"HTTP {status}")[:300]


def _images(embed: Mapping[str, Any]) -> list[Media]:
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        return _images(embed.get("media") or {})
    if kind != "app.bsky.embed.images#view":
        return []
    return [Media(url, "image", str(image.get("alt") or "")[:MAX_ALT] or None)
            for image in embed.get("images") or []
            if isinstance(image, dict)
            and (url := safe_url(image.get("fullsize") or image.get("thumb")))]


def _card(embed: Mapping[str, Any]) -> dict[str, str] | None:
    if embed.get("$type") != "app.bsky.embed.external#view":
        return None
    external = embed.get("external") or {}
    url = safe_url(external.get("uri"))
    if url is None:
        return None
    return {"url": url, "title": str(external.get("title") or url)[:300]}


def _quoted(embed: Mapping[str, Any]) -> dict[str, str] | None:
    kind = embed.get("$type")
    if kind == "app.bsky.embed.recordWithMedia#view":
        embed = embed.get("record") or {}
        kind = "app.bsky.embed.record#view"
    if kind != "app.bsky.embed.record#view":
        return None
    record = embed.get("record") or {}
    uri = str(record.get("uri") or "")
    author = record.get("author") or {}
    if record.get("$type") != "app.bsky.embed.record#viewRecord" or _post_parts(uri) is None:
        return None
    handle = str(author.get("handle") or author.get("did") or "")
    value = record.get("value") or {}
    return {"url": post_url(uri, handle), "handle": handle,
            "text": str(value.get("text") or "")[:1000]}


def look(item: Item, account: Account) -> ItemLook:
    """Her words, then the quoted post and the link card as links (images are the item's)."""
    links: list[tuple[str, str]] = []
    quoted = item.extra.get("quote")
    if quoted:
        links.append((f"Quoting @{quoted['handle']}: {quoted['text'][:200]}", quoted["url"]))
    card = item.extra.get("card")
    if card:
        links.append((card["title"], card["url"]))
    return ItemLook(item.text, tuple(links))


# --- what Bluesky is ---------------------------------------------------------------------------

def format_bluesky(draft: Draft, limits: TextLimits = TextLimits(BLUESKY_LIMIT)) -> Preview:
    """One post, or a thread when it is longer than a post: the parts as sent (the preview's
    text is all of them, a blank line apart; its length the longest part's)."""
    refused = text_or_image(draft, "bluesky", limits.characters)
    if refused is not None:
        return refused
    parts, cut = thread(normalized(draft), lambda text: fits_post(text, limits.characters),
                        draft.post_url, MAX_PARTS)
    if len(parts) == 1:
        return Preview("bluesky", parts[0].sent, graphemes(parts[0].sent), limits.characters,
                       cut)
    return Preview("bluesky", "\n\n".join(p.sent for p in parts),
                   max(graphemes(p.sent) for p in parts), limits.characters, cut,
                   parts=tuple(parts))


def account_part(account: Account) -> str | None:
    """A hash of the DID (its `:` cannot be in a localpart as it is), for a well-formed one."""
    if not _DID.fullmatch(account.id or ""):
        return None
    return hashlib.sha256(account.id.encode()).hexdigest()[:24]


def _configure(kind: type, name: str, raw: Mapping[str, Any], shared: Shared) -> Any:
    values = dict(raw)
    values.setdefault("allow_loopback", shared.allow_loopback)
    return settings_from_section(kind, name, values, shared)


PLATFORM = Platform(
    name="bluesky", label="Bluesky", mark="B", color="#1185FE",
    config_doc=("Bluesky: people connect with their handle and an app password (never "
                "stored; the session is, encrypted).\n{} enables it; optional: service (the "
                "entryway, https://bsky.social)."),
    reads="Your Bluesky posts and reposts come into your feed, and your posts here can be "
          "published on Bluesky.",
    settings=BlueskySettings, adapters=one_adapter(BlueskyAdapter), configure=_configure,
    # 3,000 requests/5 min per IP on a PDS; the AppView's reads are generous too.
    budget=Budget(base_s=120, floor_s=60, ceiling_s=1800),
    puppet_part=account_part, hosts=("bsky.app",),
    format=format_bluesky, text_limits=TextLimits(BLUESKY_LIMIT, 0),
    look=look, refresh_margin_ms=20 * 60 * 1000, home_timeline="Following",
    password_login=PasswordLogin(
        identifier_label="Handle", identifier_example="alice.bsky.social",
        password_label="App password",
        hint="Create an app password in Bluesky under Settings → Privacy and security → App "
             "passwords. It is used once to sign in and never stored."),
    login_note="Connect with an app password, never your main password.")
