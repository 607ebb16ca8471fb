"""The configured platforms: settings from the config section, one adapter per platform (per
instance for Mastodon), and the per-instance Mastodon app registrations, cached in the db.

Config section (`platforms:`), every base URL overridable (tests point them at fakes):

    platforms:
      public_url: https://social.example.org   # OAuth callbacks go to
                              # {public_url}/api/social/connections/{platform}/callback
      token_keys: []          # Fernet keys, newest first; or MATRIX_SOCIAL_TOKEN_KEYS
      allow_loopback_instances: false          # tests/dev only
      x:         {client_id: ..., client_secret: ..., api_base: https://api.x.com,
                  authorize_base: https://x.com}
      mastodon:  {client_name: matrix-social, website: https://social.example.org}
      github:    {client_id: ..., client_secret: ..., api_base: https://api.github.com,
                  web_base: https://github.com}
      instagram: {client_id: ..., client_secret: ..., authorize_base: https://www.instagram.com,
                  oauth_base: https://api.instagram.com, graph_base: https://graph.instagram.com}

A platform without its section (Mastodon: `mastodon: {}` is enough) is not offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from mautrix.util.async_db import Database

from .. import log_redact
from ..clock import now_ms
from ..db import mastodon_apps
from ..db.mastodon_apps import MastodonAppRow
from ..db.platform_connections import ConnectionRow
from ..errors import Refused
from .net import check_instance_url
from .platform import Account, PlatformAdapter
from .platforms.github import GitHubAdapter, GitHubSettings
from .platforms.instagram import InstagramAdapter, InstagramSettings
from .platforms.mastodon import MastodonAdapter, MastodonApp, MastodonSettings, register_app
from .platforms.x import XAdapter, XSettings
from .tokens import TokenCipher

ALL = ("x", "mastodon", "github", "instagram")
_SETTINGS = {"x": XSettings, "mastodon": MastodonSettings, "github": GitHubSettings,
             "instagram": InstagramSettings}


@dataclass(frozen=True)
class PlatformsConfig:
    x: XSettings | None = None
    mastodon: MastodonSettings | None = None
    github: GitHubSettings | None = None
    instagram: InstagramSettings | None = None
    token_keys: tuple[str, ...] = ()
    allow_loopback: bool = False  # tests/dev: platform URLs (avatars, media) may be loopback
    public_url: str = ""

    def __repr__(self) -> str:
        return f"PlatformsConfig(enabled={self.enabled()})"

    def enabled(self) -> list[str]:
        return [name for name in ALL if getattr(self, name) is not None]

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any]) -> PlatformsConfig:
        public = str(section.get("public_url") or "").rstrip("/")
        allow_loopback = bool(section.get("allow_loopback_instances", False))
        built: dict[str, Any] = {}
        for name, kind in _SETTINGS.items():
            raw = section.get(name)
            if raw is None:
                continue
            known = {f.name for f in fields(kind)}
            values = {k: v for k, v in dict(raw).items() if k in known}
            unknown = set(dict(raw)) - known
            if unknown:
                raise ValueError(f"platforms.{name}: unknown setting(s) {sorted(unknown)}")
            if "scopes" in values:
                values["scopes"] = tuple(values["scopes"])
            values.setdefault("redirect_uri",
                              f"{public}/api/social/connections/{name}/callback")
            if name == "mastodon":
                values.setdefault("allow_loopback", allow_loopback)
            try:
                built[name] = kind(**values)
            except TypeError as e:
                raise ValueError(f"platforms.{name}: {e}") from None
            if not built[name].redirect_uri.startswith(("https://", "http://")):
                raise ValueError(f"platforms.{name}: set platforms.public_url or redirect_uri")
        return cls(**built, token_keys=tuple(section.get("token_keys") or ()),
                   allow_loopback=allow_loopback, public_url=public)


class Platforms:
    """Adapters for the enabled platforms. Holds no secrets beyond the app credentials."""

    def __init__(self, config: PlatformsConfig, db: Database, cipher: TokenCipher) -> None:
        # App secrets travel in URLs where a platform wants them there (Instagram's
        # ig_exchange_token), and urllib3 logs request lines at DEBUG: redact them everywhere.
        log_redact.install(*(getattr(getattr(config, name), "client_secret", None) or ""
                             for name in config.enabled()))
        self.config = config
        self.db = db
        self.cipher = cipher
        self._adapters: dict[str, PlatformAdapter] = {}

    def enabled(self) -> list[str]:
        return self.config.enabled()

    def _require(self, platform: str) -> Any:
        settings = getattr(self.config, platform, None) if platform in ALL else None
        if settings is None:
            raise Refused(platform, f"{platform!r} is not available on this server")
        return settings

    def adapter(self, platform: str) -> PlatformAdapter:
        """X, GitHub or Instagram (Mastodon needs its instance: mastodon_adapter)."""
        settings = self._require(platform)
        if platform == "mastodon":
            raise ValueError("use mastodon_adapter(instance)")
        if platform not in self._adapters:
            kind = {"x": XAdapter, "github": GitHubAdapter, "instagram": InstagramAdapter}
            self._adapters[platform] = kind[platform](settings)
        return self._adapters[platform]

    async def mastodon_app(self, instance_url: str) -> MastodonApp:
        """Our app on that instance: checked URL first (before any request), then the stored
        registration, else a new one, stored (secret encrypted) and returned."""
        settings: MastodonSettings = self._require("mastodon")
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

    async def mastodon_adapter(self, instance_url: str) -> MastodonAdapter:
        settings: MastodonSettings = self._require("mastodon")
        app = await self.mastodon_app(instance_url)
        key = f"mastodon {app.instance}"
        cached = self._adapters.get(key)
        if not isinstance(cached, MastodonAdapter) or cached.app != app:
            cached = self._adapters[key] = MastodonAdapter(settings, app)
        return cached

    async def forget_mastodon_app(self, app: MastodonApp) -> None:
        """The instance no longer knows this registration: drop it, so the next use makes a
        fresh one."""
        await mastodon_apps.delete(self.db, app.instance, app.redirect_uri, app.scopes,
                                   app.client_id)
        self._adapters.pop(f"mastodon {app.instance}", None)

    async def adapter_for_login(self, platform: str, instance: str | None) -> PlatformAdapter:
        """The adapter to start a login with. On Mastodon our app registration is checked
        first: an instance that forgot it would show the person an "unknown client" page, so
        it is dropped and made again, once."""
        adapter = await self.adapter_for(platform, instance)
        if isinstance(adapter, MastodonAdapter) and not await adapter.client_known():
            await self.forget_mastodon_app(adapter.app)
            adapter = await self.adapter_for(platform, instance)
        return adapter

    async def adapter_for(self, platform: str, instance: str | None) -> PlatformAdapter:
        if platform == "mastodon":
            if not instance:
                raise Refused("mastodon", "which Mastodon instance? e.g. mastodon.social")
            return await self.mastodon_adapter(instance)
        return self.adapter(platform)


def account_of(row: ConnectionRow) -> Account:
    return Account(row.platform, row.account_id, row.handle, row.name, row.avatar_url,
                   row.profile_url or "", instance=row.instance)
