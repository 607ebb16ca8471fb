"""The one small interface every platform adapter implements, and the values it passes around.

Adapters do I/O only through the platform's library (tweepy, Mastodon.py, PyGithub) or aiohttp
(Instagram), and OAuth only through authlib. They hold no state between calls except their
settings: tokens, cursors and ETags come in as arguments and go out as results, so the caller
stores them (encrypted, for tokens) and a restart resumes from storage.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..errors import Refused

FIRST_SYNC_LIMIT = 20  # a first sync brings at most this many items, never the whole history


@dataclass
class TokenSet:
    """An OAuth grant. Its repr never shows a secret; to_json() is for the encrypted store only."""

    access_token: str
    refresh_token: str | None = None
    expires_at_ms: int | None = None
    scope: str = ""

    def __repr__(self) -> str:
        refresh = "yes" if self.refresh_token else "no"
        return (f"TokenSet(scope={self.scope!r}, expires_at_ms={self.expires_at_ms}, "
                f"refresh={refresh})")

    __str__ = __repr__

    def expires_within(self, now_ms: int, margin_ms: int) -> bool:
        return self.expires_at_ms is not None and self.expires_at_ms - margin_ms <= now_ms

    def to_json(self) -> str:
        return json.dumps({"access_token": self.access_token, "refresh_token": self.refresh_token,
                           "expires_at_ms": self.expires_at_ms, "scope": self.scope})

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        return cls(data["access_token"], data.get("refresh_token"), data.get("expires_at_ms"),
                   data.get("scope") or "")


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
    kind: str  # post | push | pull_request_opened | pull_request_merged | star | release
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
class OutgoingPost:
    """A cross-post, already formatted for its target (see formatting.py)."""

    text: str
    images: tuple[Image, ...] = ()
    image_url: str | None = None  # Instagram fetches the image itself from a public URL
    idempotency_key: str | None = None
    visibility: str = "public"  # Mastodon: public | unlisted | private | direct


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


class PlatformAdapter(ABC):
    """One platform (for Mastodon: one platform on one instance)."""

    name: ClassVar[str]
    uses_pkce: ClassVar[bool]
    can_publish: ClassVar[bool] = False
    can_edit: ClassVar[bool] = False
    can_delete: ClassVar[bool] = False
    can_revoke: ClassVar[bool] = False

    @abstractmethod
    def authorize_url(self, state: str, code_verifier: str | None) -> str:
        """Where to send the user's browser. No I/O."""

    @abstractmethod
    async def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet: ...

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

    async def publish(self, token: TokenSet, account: Account, post: OutgoingPost) -> Published:
        raise Refused(self.name, f"posting to {self.name} is not supported")

    async def edit(self, token: TokenSet, account: Account, remote_id: str,
                   post: OutgoingPost) -> Published:
        raise Refused(self.name, f"{self.name} does not let an app edit a post")

    async def delete(self, token: TokenSet, account: Account, remote_id: str) -> None:
        raise Refused(self.name, f"{self.name} does not let an app delete a post")
