"""The one interface of the external wing, as matrix-hookshot's Connections have one: what a
platform declares about itself (`Platform`), what its adapter does (`PlatformAdapter`), and the
values they pass around. Each platform is one module in `platforms/` that builds its `Platform`;
everything else (config checks, the registry, cross-post targets, puppet namespaces, the OpenAPI
enums, the web app's list, the bot's help) is derived from the registered declarations.

Adapters do I/O only through the platform's library (tweepy, Mastodon.py, PyGithub) or aiohttp
(Instagram), in worker threads for the blocking ones, and OAuth only through authlib. They hold
no state between calls except their settings: tokens, cursors and ETags come in as arguments and
go out as results, so the caller stores them (encrypted, for tokens) and a restart resumes from
storage.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from mautrix.util.async_db import Database

from ..errors import Refused

HOME = "home"  # the kind of a home-timeline item: for its owner's eyes only, never shared
FIRST_SYNC_LIMIT = 20  # a first sync brings at most this many items, never the whole history
URL_LENGTH = 23  # what a link counts where the platform shortens links (X, Mastodon)
DEFAULT_REFRESH_MARGIN_MS = 5 * 60 * 1000  # refresh a grant this long before it expires
_NUMERIC_ID = re.compile(r"[0-9]{1,24}")


@dataclass
class TokenSet:
    """An OAuth grant. Its repr never shows a secret; to_json() is for the encrypted store only."""

    access_token: str
    refresh_token: str | None = None
    expires_at_ms: int | None = None
    scope: str = ""
    # What else a platform's grant holds, kept encrypted with it (a DPoP key, the account's
    # server as the login found it...): the adapter's own, text only.
    extra: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        refresh = "yes" if self.refresh_token else "no"
        return (f"TokenSet(scope={self.scope!r}, expires_at_ms={self.expires_at_ms}, "
                f"refresh={refresh})")

    __str__ = __repr__

    def expires_within(self, now_ms: int, margin_ms: int) -> bool:
        return self.expires_at_ms is not None and self.expires_at_ms - margin_ms <= now_ms

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at_ms": self.expires_at_ms, "scope": self.scope,
                           **({"extra": self.extra} if self.extra else {})})

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
        return cls(data["access_token"], data.get("refresh_token"), data.get("expires_at_ms"),
                   data.get("scope") or "", {str(k): str(v) for k, v in extra.items()})


@dataclass(frozen=True)
class Account:
    """The external account a connection reads from (and posts as)."""

    platform: str
    id: str  # stable remote id: X/Instagram/Mastodon numeric id, GitHub login's numeric id
    handle: str  # what a person types: "alice" (X, GitHub, Instagram), "alice@example.social"
    name: str
    avatar_url: str | None
    url: str  # the profile page
    instance: str | None = None  # Mastodon: the instance's base URL

    @property
    def key(self) -> str:
        """Unique per platform (account ids are per instance on Mastodon)."""
        if self.instance is None:
            return self.id
        return f"{self.id}@{urlsplit(self.instance).netloc}"


@dataclass(frozen=True)
class Media:
    url: str
    kind: str  # image | video | gif
    alt: str | None = None


@dataclass(frozen=True)
class Item:
    """One external item, normalized. `remote_id` is the dedupe key and never changes for the
    life of the item (on X it is the first id of the edit history)."""

    remote_id: str
    kind: str  # post | repost | quote | push | pull_request_opened | pull_request_merged |
    # star | release | home (another's post from her home timeline: `extra["by"]` names them)
    text: str
    url: str  # "View on <platform>"
    created_at_ms: int
    media: tuple[Media, ...] = ()
    html: str | None = None  # the platform's own HTML, when it has one (Mastodon)
    edited_at_ms: int | None = None  # set on a new version of an item already seen
    version: str | None = None  # the platform's id of this version (X edit ids)
    extra: dict[str, Any] = field(default_factory=dict)  # platform detail (repo, commits...)
    content_warning: str | None = None  # the reason its text is hidden (Mastodon spoiler_text)
    sensitive: bool = False  # blur its media (Mastodon `sensitive`, X `possibly_sensitive`)


@dataclass(frozen=True)
class PollHints:
    """What the last response said about when to ask again (from its headers)."""

    remaining: int | None = None
    limit: int | None = None
    reset_at_ms: int | None = None
    poll_interval_s: int | None = None  # GitHub X-Poll-Interval
    not_modified: bool = False  # GitHub 304: nothing new, and it cost no budget


@dataclass
class FetchResult:
    items: list[Item]  # new, oldest first
    edits: list[Item]  # new versions of items seen before; remote_id is the original's
    deletions: list[str]  # remote ids that are gone
    cursor: dict[str, Any]  # opaque, JSON-able: store it and pass it back next time
    etag: str | None
    hints: PollHints


@dataclass(frozen=True)
class Image:
    data: bytes
    mimetype: str
    alt: str | None = None


@dataclass(frozen=True)
class ThreadPart:
    """One post of a thread: a long post goes out as a thread where its platform threads (a
    reply to the one before, each within the limit; Bluesky). `text` is the post's own words in
    this part and `numbering` what follows them (" 2/3"): sent, they are `text + numbering`.
    A part begins and ends between words, unless a word longer than a part had to be cut:
    `cut_before` / `cut_after` say so (a link or tag is never made of such a piece).

    As recorded for a delivery (delivery.py): `remote_id` is chosen before the part is sent (so
    an attempt that died mid-request can ask whether it was made), `ref` and `url` are known
    once it is made (`ref`: what a reply names beside the id; Bluesky: the record's CID)."""

    text: str
    numbering: str = ""
    cut_before: bool = False
    cut_after: bool = False
    remote_id: str | None = None
    ref: str | None = None
    url: str | None = None

    @property
    def sent(self) -> str:
        return self.text + self.numbering

    @property
    def made(self) -> bool:
        return self.ref is not None


class PartLog:
    """A thread's parts as they are made: each part's remote id reserved before it is sent, its
    ref once it is made. Kept in memory here; the delivery's log (delivery.py) also writes each
    step to the database before the next, so a later attempt (after a 5xx, a rate limit, a
    restart) continues where this one stopped and never makes a part twice."""

    def __init__(self, parts: Sequence[ThreadPart]) -> None:
        if not parts:
            raise ValueError("a thread has at least one part")
        self.parts = list(parts)

    async def reserve(self, index: int, remote_id: str) -> None:
        self.parts[index] = replace(self.parts[index], remote_id=remote_id)

    async def made(self, index: int, ref: str, url: str) -> None:
        self.parts[index] = replace(self.parts[index], ref=ref, url=url)


@dataclass(frozen=True)
class OutgoingPost:
    """A cross-post, already formatted for its target (see formatting.py)."""

    text: str
    images: tuple[Image, ...] = ()
    image_url: str | None = None  # Instagram fetches the image itself from a public URL
    idempotency_key: str | None = None
    parts: tuple[ThreadPart, ...] = ()  # a thread (2 or more), where the platform threads

    def thread(self) -> tuple[ThreadPart, ...]:
        """What a platform that threads sends: the parts, or the text as one part."""
        return self.parts or (ThreadPart(self.text),)


@dataclass(frozen=True)
class Published:
    remote_id: str
    url: str


def safe_url(value: Any, fallback: str | None = None) -> str | None:
    """An http(s) URL from a platform, or the fallback: a hostile server's javascript: or
    data: "link" must never reach a client as a "View on ..." link or an avatar."""
    if isinstance(value, str) and len(value) <= 2048 and not any(c.isspace() for c in value):
        parts = urlsplit(value)
        if parts.scheme in ("https", "http") and parts.netloc:
            return value
    return fallback


@dataclass(frozen=True)
class Draft:
    """A post as cross-posting sees it, before a platform formats it."""

    text: str
    post_url: str | None = None  # the link back to the post, added when the text is cut
    image_types: tuple[str, ...] = ()  # mimetypes of the attached images, in order


@dataclass(frozen=True)
class Preview:
    """What a platform would get: exactly what would be sent, or why it will not take it."""

    target: str
    text: str | None  # exactly what would be sent; None when refused
    length: int  # as the platform counts it
    limit: int
    truncated: bool = False
    refusal: str | None = None  # why this target will not get the post
    parts: tuple[ThreadPart, ...] = ()  # a thread: exactly each post sent (text: all of them)


@dataclass(frozen=True)
class TextLimits:
    """How long a post may be where it goes (Mastodon: per instance, read from it)."""

    characters: int
    url_length: int = URL_LENGTH


@dataclass(frozen=True)
class Budget:
    """A platform's polling budget: where the interval starts, and its floor and ceiling."""

    base_s: float
    floor_s: float
    ceiling_s: float


@dataclass(frozen=True)
class ItemLook:
    """How an item reads in Matrix and in the feed: its words, and links listed after them."""

    text: str
    links: tuple[tuple[str, str], ...] = ()  # (label, url)


def as_written(item: Item, account: Account) -> ItemLook:
    """The item's own text: how most platforms' items look."""
    return ItemLook(item.text)


def numeric_id(account: Account) -> str | None:
    """The puppet id of an account whose platform has numeric ids (X, Instagram): the id. An id
    reaches Matrix IDs, URLs and paths, so anything but the platform's own syntax is refused
    (None), never escaped."""
    return account.id if _NUMERIC_ID.fullmatch(account.id or "") else None


@dataclass(frozen=True)
class AccountServer:
    """For a platform whose accounts live on a server their owner names (Mastodon): what the
    person is asked for when she connects."""

    label: str  # "Your Mastodon server"
    example: str  # "mastodon.social"
    hint: str  # one sentence under the field


@dataclass(frozen=True)
class PasswordLogin:
    """For a platform that connects with an identifier and an app password instead of an OAuth
    redirect (Bluesky): what the person is asked for. The password is used once (the adapter's
    log_in()) and never stored."""

    identifier_label: str  # "Handle"
    identifier_example: str  # "alice.bsky.social"
    password_label: str  # "App password"
    hint: str  # one sentence under the fields


@dataclass(frozen=True)
class Shared:
    """The settings of the platforms section that every platform may read."""

    public_url: str = ""
    allow_loopback: bool = False  # tests/dev: platform URLs (avatars, media) may be loopback
    raw: Mapping[str, Any] = field(default_factory=dict)  # the whole section, for old keys


def callback_url(shared: Shared, name: str) -> str:
    """Where the platform sends the browser back after a login."""
    return f"{shared.public_url}/api/social/connections/{name}/callback"


def settings_from_section(kind: type, name: str, raw: Mapping[str, Any], shared: Shared) -> Any:
    """A platform's typed settings from its config section: known keys only (any other is an
    error naming it), lists as tuples, the callback URL from the public URL unless given."""
    known = {f.name for f in fields(kind)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"platforms.{name}: unknown setting(s) {sorted(unknown)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    if "redirect_uri" in known:
        values.setdefault("redirect_uri", callback_url(shared, name))
    try:
        settings = kind(**values)
    except TypeError as e:
        raise ValueError(f"platforms.{name}: {e}") from None
    redirect = getattr(settings, "redirect_uri", "https://")
    if not redirect.startswith(("https://", "http://")):
        raise ValueError(f"platforms.{name}: set platforms.public_url or redirect_uri")
    return settings


@dataclass(frozen=True)
class Context:
    """What a platform may use to make its adapters (Mastodon stores its app registrations)."""

    db: Database
    cipher: Any  # tokens.TokenCipher (tokens.py imports this module)
    shared: Shared


class Adapters(Protocol):
    """How a platform's adapters are made: one for the platform, or one per server."""

    async def get(self, server: str | None) -> PlatformAdapter: ...

    async def forget(self, adapter: PlatformAdapter) -> None:
        """The platform no longer knows this adapter's app: the next get() makes it again."""


class OneAdapter:
    """The adapters of a platform with one API for everybody (X, GitHub, Instagram)."""

    def __init__(self, adapter: PlatformAdapter) -> None:
        self.adapter = adapter

    async def get(self, server: str | None) -> PlatformAdapter:
        return self.adapter

    async def forget(self, adapter: PlatformAdapter) -> None:
        return None


def one_adapter(make: Callable[[Any], PlatformAdapter]) -> Callable[[Any, Context], Adapters]:
    """`Platform.adapters` for a platform with one API for everybody."""
    return lambda settings, context: OneAdapter(make(settings))


@dataclass(frozen=True)
class Platform:
    """Everything about one platform, declared in its module; nothing outside that module
    spells a platform's name, limits, budget or look."""

    name: str  # the key: config section, URL segment, `platform` of bridged items
    label: str  # "X", "Mastodon": what people read
    mark: str  # a short badge for the web app: "X", "M", "GH", "IG"
    color: str  # its brand colour, in the `branding` of bridged items
    reads: str  # what connecting it does, in people's words (web app, docs)
    settings: type  # its config section, typed (a frozen dataclass)
    adapters: Callable[[Any, Context], Adapters]  # (settings, context) -> its adapters
    budget: Budget  # polling
    puppet_part: Callable[[Account], str | None]  # its puppet ids: after the prefix, or None
    hosts: tuple[str, ...] = ()  # where its items' links live; () = any host (Mastodon)
    server: AccountServer | None = None  # accounts live on a server she names
    password_login: PasswordLogin | None = None  # connects with an app password, no redirect
    format: Callable[[Draft, TextLimits], Preview] | None = None  # None: nothing to publish to
    text_limits: TextLimits = TextLimits(0)  # unless the adapter reads them (text_limits())
    publish_note: str = ""  # what it takes, when that is not everything ("Image posts only")
    fetches_images: bool = False  # takes a post's image as a public URL it fetches (Instagram)
    login_note: str = ""  # said where she connects it ("a professional account")
    home_timeline: str = ""  # what her home timeline is called there; "" = not offered
    look: Callable[[Item, Account], ItemLook] = as_written
    refresh_margin_ms: int = DEFAULT_REFRESH_MARGIN_MS
    refreshes_access_token: bool = False  # refreshed with the access token itself (Instagram)
    configure: Callable[[type, str, Mapping[str, Any], Shared], Any] = settings_from_section
    puppet_prefix: str = ""  # the localpart prefix of its puppets; "" means "<name>_"
    config_doc: str = ""  # what the example config says above its section

    @property
    def publishes(self) -> bool:
        return self.format is not None

    @property
    def localpart_prefix(self) -> str:
        return self.puppet_prefix or f"{self.name}_"

    def settings_from(self, raw: Mapping[str, Any], shared: Shared) -> Any:
        return self.configure(self.settings, self.name, raw, shared)


class PlatformAdapter(ABC):
    """One platform's API (for Mastodon: on one instance), for one server's app."""

    uses_pkce: ClassVar[bool]
    can_edit: ClassVar[bool] = False
    can_delete: ClassVar[bool] = False
    can_revoke: ClassVar[bool] = False
    can_thread: ClassVar[bool] = False  # publish_thread(): a delivery's parts are recorded

    @property
    def server(self) -> str | None:
        """The server its accounts live on, for a platform that has several (Mastodon)."""
        return None

    def login_secret(self, code_verifier: str) -> str | None:
        """What the login keeps (encrypted) between authorize_url() and exchange_code(), which
        both get it back: the fresh PKCE verifier it is offered, or None without PKCE. A
        platform that needs more across the redirect (a DPoP key) returns its own text."""
        return code_verifier if self.uses_pkce else None

    async def ready_for_login(self) -> bool:
        """False when the platform no longer knows our app there (a Mastodon instance dropped
        our registration): the registry forgets it and makes it again, once."""
        return True

    async def text_limits(self) -> TextLimits | None:
        """The limits of posts where this adapter publishes, when it reads them from the
        platform (Mastodon instances set their own); None: the declared ones."""
        return None

    @abstractmethod
    async def authorize_url(self, state: str, code_verifier: str | None) -> str:
        """Where to send the user's browser."""

    @abstractmethod
    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet: ...

    async def log_in(self, identifier: str, password: str) -> TokenSet:
        """A grant from an identifier and an app password (a platform that declares
        `password_login`); the password is not kept."""
        raise Refused("login", "this platform connects through its own login page")

    @abstractmethod
    async def refresh(self, token: TokenSet) -> TokenSet:
        """A new grant. The old refresh token may be dead afterwards (X rotates them): the
        caller stores the result before using it."""

    async def revoke(self, token: TokenSet) -> bool:
        """Revoke the grant at the platform (a disconnect); False when the platform offers no
        way to."""
        return False

    async def revoke_token(self, token: TokenSet) -> bool:
        """Revoke this token only (a new login replaced it; the new one must keep working).
        Where revocation is per token anyway (X, Mastodon) that is revoke()."""
        return await self.revoke(token)

    @abstractmethod
    async def whoami(self, token: TokenSet) -> Account: ...

    @abstractmethod
    async def fetch(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None,
                    etag: str | None = None) -> FetchResult:
        """New items since `cursor`. None means the first sync: at most FIRST_SYNC_LIMIT items,
        the newest. The returned cursor is never None; store it (and the ETag) even when no
        item came, and pass it back next time.

        `edits` may name an item the caller never bridged (it predates the first sync): skip
        it, or bridge it as new. `deletions` may too: skip those."""

    async def fetch_home(self, token: TokenSet, account: Account, cursor: dict[str, Any] | None
                         ) -> FetchResult:
        """New items of her home timeline there (what the accounts she follows post), as
        fetch() does for her own: kind HOME, remote ids prefixed "home:", the author in
        `extra["by"]` ({id, handle, name, url}); only what the platform shows to anybody who
        may see it there (never a followers-only or direct post), its content warning kept."""
        raise Refused(account.platform, "this platform's home timeline cannot be read")

    async def publish(self, token: TokenSet, account: Account, post: OutgoingPost) -> Published:
        raise Refused(account.platform, f"posting to {account.platform} is not supported")

    async def publish_thread(self, token: TokenSet, account: Account, post: OutgoingPost,
                             log: PartLog) -> Published:
        """For a platform that threads (`can_thread`): post `log.parts` in order, each a reply
        to the one before, the images on the first; a part already made (`ref`) is skipped, a
        part reserved but not known to be made is looked for before it is sent again. Each
        step goes through `log` before the next request. Answers the first part."""
        raise Refused(account.platform, f"{account.platform} takes no threads")

    async def edit(self, token: TokenSet, account: Account, remote_id: str,
                   post: OutgoingPost) -> Published:
        raise Refused(account.platform, f"{account.platform} does not let an app edit a post")

    async def delete(self, token: TokenSet, account: Account, remote_id: str) -> None:
        raise Refused(account.platform, f"{account.platform} does not let an app delete a post")


