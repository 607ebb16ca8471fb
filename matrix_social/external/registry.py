"""The registered platforms (platforms/__init__.py) and what is derived from them: the checks
and typed settings of the config's `platforms:` section, the configured adapters, the puppet
prefixes, the cross-post targets, the look of bridged items in API answers, and the list the
web app shows.

Config section (`platforms:`): the keys every platform shares (config.py checks them), then
one section per platform, named after it and typed by its settings (each platform's module says
which keys it takes; every base URL is overridable, tests point them at fakes). A platform whose
section is null or absent is not offered (`mastodon: {}` is enough for Mastodon).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any

from mautrix.util.async_db import Database

from .. import log_redact
from ..config.sections import PlatformSection, use_platform_sections
from ..config.table import is_fernet_key, is_http_url, is_localpart
from ..db.platform_connections import ConnectionRow
from ..errors import ConfigError, NotFound, PlatformError, Refused
from ..social.views import Branding
from .platform import Account, Adapters, Context, Platform, PlatformAdapter, Shared, TextLimits
from .platforms import REGISTERED
from .tokens import ENV_VAR, TokenCipher


@dataclass(frozen=True)
class PlatformsConfig:
    """The platforms section, typed: the enabled platforms' settings, in registration order."""

    settings: Mapping[str, Any]
    token_keys: tuple[str, ...] = ()
    allow_loopback: bool = False  # tests/dev: platform URLs (avatars, media) may be loopback
    public_url: str = ""

    def __repr__(self) -> str:
        return f"PlatformsConfig(enabled={self.enabled()})"

    def enabled(self) -> list[str]:
        return list(self.settings)

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any],
                     declared: Sequence[Platform] = REGISTERED) -> PlatformsConfig:
        shared = Shared(public_url=str(section.get("public_url") or "").rstrip("/"),
                        allow_loopback=bool(section.get("allow_loopback_instances", False)),
                        raw=dict(section))
        settings = {p.name: p.settings_from(dict(section[p.name]), shared)
                    for p in declared if section.get(p.name) is not None}
        return cls(settings, token_keys=tuple(section.get("token_keys") or ()),
                   allow_loopback=shared.allow_loopback, public_url=shared.public_url)


class Platforms:
    """The registered platforms and the adapters of the enabled ones. Holds no secrets beyond
    the app credentials."""

    def __init__(self, config: PlatformsConfig, db: Database, cipher: TokenCipher,
                 declared: Sequence[Platform] = REGISTERED) -> None:
        # App secrets travel in URLs where a platform wants them there (Instagram's
        # ig_exchange_token), and urllib3 logs request lines at DEBUG: redact them everywhere.
        log_redact.install(*(getattr(settings, "client_secret", None) or ""
                             for settings in config.settings.values()))
        self.config = config
        self.declared = tuple(declared)
        self._by_name = {p.name: p for p in self.declared}
        self._context = Context(db, cipher, Shared(config.public_url, config.allow_loopback))
        self._adapters: dict[str, Adapters] = {}

    def names(self) -> list[str]:
        return [p.name for p in self.declared]

    def find(self, name: Any) -> Platform | None:
        return self._by_name.get(name) if isinstance(name, str) else None

    def get(self, name: str) -> Platform:
        """A registered platform; NotFound names the known ones."""
        platform = self.find(name)
        if platform is None:
            raise NotFound(f"No platform {str(name)[:40]!r}; known: {', '.join(self.names())}")
        return platform

    def label(self, name: str) -> str:
        platform = self.find(name)
        return platform.label if platform else name

    def enabled(self) -> list[str]:
        return self.config.enabled()

    def settings(self, name: str) -> Any | None:
        return self.config.settings.get(name)

    def targets(self) -> list[str]:
        """The platforms a post can be published to (enabled or not: a target that is not
        connected is refused with the reason, per post)."""
        return cross_post_targets(self.declared)

    def _require(self, name: str) -> Adapters:
        platform, settings = self.find(name), self.settings(name)
        if platform is None or settings is None:
            raise Refused(name, f"{name!r} is not available on this server")
        if name not in self._adapters:
            self._adapters[name] = platform.adapters(settings, self._context)
        return self._adapters[name]

    async def adapter_for(self, name: str, server: str | None) -> PlatformAdapter:
        """The adapter for an account of `name` (on `server`, for a platform with several)."""
        return await self._require(name).get(server)

    async def adapter_for_login(self, name: str, server: str | None) -> PlatformAdapter:
        """The adapter to start a login with. Our app there is checked first: a server that
        forgot it would show the person an "unknown client" page, so it is made again, once."""
        adapter = await self.adapter_for(name, server)
        if not await adapter.ready_for_login():
            await self.forget(name, adapter)
            adapter = await self.adapter_for(name, server)
        return adapter

    async def forget(self, name: str, adapter: PlatformAdapter) -> None:
        """The platform no longer knows the app behind `adapter`: the next use makes it again."""
        await self._require(name).forget(adapter)

    async def text_limits(self, name: str, server: str | None) -> TextLimits:
        """How long a post to `name` may be, for an account on `server`: as its adapter reads
        them when it can (a Mastodon instance's own), else as declared."""
        declared = self.get(name).text_limits
        if self.settings(name) is None:
            return declared
        try:
            adapter = await self.adapter_for(name, server)
            return await adapter.text_limits() or declared
        except PlatformError:  # not reachable now: the declared limits are a safe answer
            return declared


def account_of(row: ConnectionRow) -> Account:
    return Account(row.platform, row.account_id, row.handle, row.name, row.avatar_url,
                   row.profile_url or "", instance=row.instance)


# --- derived from the declarations -----------------------------------------------------------

def cross_post_targets(declared: Iterable[Platform] = REGISTERED) -> list[str]:
    return [p.name for p in declared if p.publishes]


def puppet_prefixes(configured: Mapping[str, Any] | None,
                    declared: Iterable[Platform] = REGISTERED) -> dict[str, str]:
    """Each platform's puppet localpart prefix: bridge.platform_prefixes.<name>, else the
    platform's own."""
    configured = configured or {}
    return {p.name: str(configured.get(p.name) or p.localpart_prefix) for p in declared}


def brandings(declared: Iterable[Platform] = REGISTERED) -> dict[str, Branding]:
    """How bridged items of each platform look in API answers (social/views.py)."""
    return {p.name: Branding(p.label, p.color, p.hosts) for p in declared}


def web_list(enabled: Iterable[str], declared: Iterable[Platform] = REGISTERED
             ) -> list[dict[str, Any]]:
    """The platforms as the web app lists them (GET /social/config.json): every registered one,
    in order, with what it reads, whether it publishes and what a login asks for."""
    on = set(enabled)
    return [{"name": p.name, "label": p.label, "mark": p.mark, "color": p.color,
             "reads": p.reads, "publishes": p.publishes, "publish_note": p.publish_note,
             "login_note": p.login_note, "enabled": p.name in on,
             "home_timeline": p.home_timeline or None,
             "server": None if p.server is None else {
                 "label": p.server.label, "example": p.server.example, "hint": p.server.hint},
             "password_login": None if p.password_login is None else {
                 "identifier_label": p.password_login.identifier_label,
                 "identifier_example": p.password_login.identifier_example,
                 "password_label": p.password_login.password_label,
                 "hint": p.password_login.hint}}
            for p in declared]


# --- the config section ------------------------------------------------------------------------

def _section_check(platform: Platform) -> tuple[Any, str]:
    """A check of one platform's section, from its settings' fields: null (not offered), or a
    mapping of its keys only, base URLs http(s), lists of text, its required keys given."""
    known = {f.name for f in fields(platform.settings)}
    required = sorted(f.name for f in fields(platform.settings)
                      if f.default is MISSING and f.default_factory is MISSING
                      and f.name != "redirect_uri")

    def check(value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, Mapping) or not set(value) <= known:
            return False
        for key, item in value.items():
            if key.endswith(("_base", "_uri", "website")) and item is not None \
                    and not is_http_url(item):
                return False
            if isinstance(item, list) and not all(isinstance(v, str) for v in item):
                return False
        return all(isinstance(value.get(k), str) and value[k] != "" for k in required)

    needs = f"; {', '.join(required)} required" if required else ""
    return check, (f"null, or the {platform.name} settings ({', '.join(sorted(known))}{needs}; "
                   "base URLs http(s))")


def check_config(config: Any, declared: Sequence[Platform] = REGISTERED) -> None:
    """The platform parts of the config, checked at start (ConfigError names the first bad
    key): puppet prefixes, each platform's section, then what an enabled platform needs: a
    public URL for OAuth callbacks and a key to encrypt tokens with."""
    section = config["platforms"] or {}
    prefixes = config["bridge.platform_prefixes"] or {}
    for platform in declared:
        if prefixes.get(platform.name) is not None and not is_localpart(prefixes[platform.name]):
            raise ConfigError(f"bridge.platform_prefixes.{platform.name}",
                              "a localpart prefix such as x_", prefixes[platform.name])
        check, expected = _section_check(platform)
        if not check(section.get(platform.name)):
            raise ConfigError(f"platforms.{platform.name}", expected, section.get(platform.name))
    enabled = [p.name for p in declared if section.get(p.name) is not None]
    if not enabled:
        return
    if not section.get("public_url") and not all(
            (section.get(name) or {}).get("redirect_uri") for name in enabled):
        raise ConfigError("platforms.public_url", "the service's public URL (OAuth "
                          f"callbacks) when {', '.join(enabled)} is enabled",
                          section.get("public_url"))
    from_env = [k for k in os.environ.get(ENV_VAR, "").split(",") if k.strip()]
    if not section.get("token_keys") and not from_env:
        raise ConfigError("platforms.token_keys", f"at least one Fernet key (or {ENV_VAR}) "
                          f"when {', '.join(enabled)} is enabled", [])
    if not all(is_fernet_key(k) for k in from_env):
        raise ConfigError("platforms.token_keys", f"Fernet keys in {ENV_VAR}", "(not shown)")
    try:
        PlatformsConfig.from_mapping(section, declared)
    except ValueError as e:
        raise ConfigError("platforms", "settings each platform accepts", str(e)) from None


def fill_prefixes(config: Any, declared: Iterable[Platform] = REGISTERED) -> None:
    """Give every registered platform its puppet prefix in the config (bridge.platform_prefixes),
    so the registration's namespaces name them all, a platform added after the config was
    written included."""
    for name, prefix in puppet_prefixes(config["bridge.platform_prefixes"], declared).items():
        config[f"bridge.platform_prefixes.{name}"] = prefix


def config_sections(declared: Iterable[Platform] = REGISTERED) -> list[PlatformSection]:
    """Each platform's part of the config table (config/sections.py): its section's check and
    the example config's comment, from its declaration, and its puppets' prefix."""
    return [PlatformSection(p.name, *_section_check(p), doc=p.config_doc,
                            prefix=p.localpart_prefix) for p in declared]


# The config's table of keys learns the registered platforms' sections when the wing is loaded.
use_platform_sections(config_sections())
