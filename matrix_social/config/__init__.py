"""Configuration: mautrix's round-trip YAML config, the registration, and start-up validation."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from mautrix.bridge.config import BaseBridgeConfig
from mautrix.util.config import ConfigUpdateHelper, ForbiddenDefault

from ..errors import ConfigError

PLATFORMS = ("x", "mastodon", "github", "instagram")
TOKEN_KEYS_ENV = "MATRIX_SOCIAL_TOKEN_KEYS"
_PLATFORM_SETTINGS = {
    "x": {"client_id", "client_secret", "redirect_uri", "authorize_base", "api_base", "scopes",
          "timeout_s"},
    "mastodon": {"client_name", "website", "scopes", "redirect_uri", "allow_loopback",
                 "timeout_s"},
    "github": {"client_id", "client_secret", "redirect_uri", "web_base", "api_base", "scopes",
               "timeout_s"},
    "instagram": {"client_id", "client_secret", "redirect_uri", "authorize_base", "oauth_base",
                  "graph_base", "scopes", "timeout_s", "publish_poll_s", "publish_polls"},
}


def _is_http_url(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value) is not None


def _is_server_name(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", value) is not None


def _is_localpart(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[a-z0-9._=\-/]+", value) is not None


def _is_port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _is_database_url(value: Any) -> bool:
    pattern = r"sqlite3?:.+|postgres(ql)?://.+"
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _is_fernet_key(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return len(base64.urlsafe_b64decode(value.strip().encode())) == 32
    except (binascii.Error, ValueError):
        return False


def _platform_section(name: str) -> Callable[[Any], bool]:
    """null (not offered), or a mapping of known settings: text, numbers, a scope list, and
    http(s) URLs for the base URLs."""
    def check(value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, Mapping) or not set(value) <= _PLATFORM_SETTINGS[name]:
            return False
        for key, item in value.items():
            if key.endswith(("_base", "_uri", "website")) and item is not None \
                    and not _is_http_url(item):
                return False
            if key == "scopes" and not (isinstance(item, list)
                                        and all(isinstance(v, str) for v in item)):
                return False
        needs_client = name != "mastodon"
        return not needs_client or (isinstance(value.get("client_id"), str)
                                    and value["client_id"] != "")
    return check


Check = tuple[str, Callable[[Any], bool], str]

CHECKS: list[Check] = [
    ("homeserver.address", _is_http_url, "an http(s) URL such as http://127.0.0.1:8008"),
    ("homeserver.domain", _is_server_name, "a server name such as example.com"),
    ("homeserver.verify_ssl", _is_bool, "true or false"),
    ("appservice.address", _is_http_url, "an http(s) URL the homeserver can reach"),
    ("appservice.hostname", _is_text, "a listen address such as 127.0.0.1"),
    ("appservice.port", _is_port, "a port number from 1 to 65535"),
    ("appservice.max_body_size", _is_positive_int, "a size in megabytes (a positive integer)"),
    ("appservice.database", _is_database_url, "sqlite:FILE or postgres://USER@HOST/DB"),
    ("appservice.id", _is_text, "the registration id (text)"),
    ("appservice.bot_username", _is_localpart, "a Matrix localpart (a-z, 0-9, ._=-/)"),
    ("appservice.as_token", _is_text, "a token (run with -g to generate one)"),
    ("appservice.hs_token", _is_text, "a token (run with -g to generate one)"),
    ("appservice.ephemeral_events", _is_bool, "true or false"),
    ("bridge.masquerade_local_users", _is_bool, "true or false"),
    ("bridge.encryption.allow", _is_bool, "true or false"),
    ("bridge.encryption.appservice", lambda v: v in (True, False, "auto"),
     "true (to-device events in transactions), false (the bot's device syncs) or auto"),
    ("bridge.ai_suffix", _is_localpart, "a localpart suffix such as _ai"),
    ("bridge.feed_alias_prefix", _is_localpart, "an alias prefix such as feed_"),
    ("bridge.quarantine.max_per_sender", _is_positive_int, "a positive number of events"),
    ("bridge.quarantine.max_events", _is_positive_int, "a positive number of events"),
    ("bridge.quarantine.retention_days", _is_positive_int, "a positive number of days"),
    ("bridge.quarantine.max_event_bytes", lambda v: _is_positive_int(v) and v >= 1024,
     "a size in bytes, at least 1024"),
    ("api.token_cache_seconds", lambda v: isinstance(v, int) and not isinstance(v, bool)
     and 0 <= v <= 5, "0 to 5 seconds (a token revoked at the homeserver must stop working "
     "within 5 s)"),
    ("api.trending_refresh_seconds", _is_positive_int, "a number of seconds"),
    ("api.max_page_size", _is_positive_int, "a positive integer"),
    ("api.header_timeout_seconds", _is_positive_int, "a number of seconds"),
    ("api.max_image_size", _is_positive_int, "a size in megabytes (a positive integer)"),
    ("api.media.max_pixels", _is_positive_int, "a number of pixels, such as 40000000"),
    ("api.media.max_side", _is_positive_int, "a number of pixels, such as 8192"),
    ("api.media.max_decode_mb", _is_positive_int, "a size in megabytes (a positive integer)"),
    ("api.media.decode_concurrency", _is_positive_int, "a positive integer"),
    ("api.app_runner_url", _is_text, "a URL template containing {url}"),
    ("api.web_homeserver_url", lambda v: v in ("", None) or _is_http_url(v),
     "empty, or the http(s) URL browsers reach the homeserver at"),
    ("metrics.enabled", _is_bool, "true or false"),
    ("metrics.hostname", _is_text, "a listen address such as 127.0.0.1"),
    ("metrics.listen_port", _is_port, "a port number from 1 to 65535"),
    ("ai.backend", lambda v: v in ("builtin", "http", "openai"), "builtin, http or openai"),
    ("ai.http_url_template", _is_http_url, "an http(s) URL template with {localpart}"),
    ("ai.openai.base_url", _is_http_url, "an http(s) URL of an OpenAI-compatible API"),
    ("ai.timeout_seconds", _is_positive_int, "a number of seconds"),
    ("ai.rate_limit_per_hour", _is_positive_int, "a positive integer"),
    ("ai.history_messages", _is_positive_int, "a positive integer"),
    ("ai.ipc_send_as", lambda v: v in ("ai", "human"), "ai or human"),
    ("activity.review_window_seconds", _is_positive_int, "a number of seconds"),
    ("activity.scheduler_interval_seconds", _is_positive_int, "a number of seconds"),
    ("activity.settings_cache_seconds", lambda v: isinstance(v, int) and not isinstance(v, bool)
     and v >= 0, "a number of seconds (0: read them for every activity)"),
    ("platforms.public_url", lambda v: v in ("", None) or _is_http_url(v),
     "empty, or the service's public http(s) base URL"),
    ("platforms.token_keys", lambda v: v is None or (isinstance(v, list) and all(
        _is_fernet_key(k) for k in v)), "a list of Fernet keys (32 bytes, url-safe base64)"),
    ("platforms.allow_loopback_instances", _is_bool, "true or false"),
    ("platforms.media_url_ttl_seconds", _is_positive_int, "a number of seconds"),
    ("platforms.delivery_retry_seconds", lambda v: isinstance(v, int | float)
     and not isinstance(v, bool) and v > 0, "a positive number of seconds"),
    ("platforms.mastodon_visibility", lambda v: v in ("public", "unlisted", "private", "direct"),
     "public, unlisted, private or direct"),
] + [
    (f"bridge.platform_prefixes.{p}", _is_localpart, "a localpart prefix such as x_")
    for p in PLATFORMS
] + [
    (f"platforms.{p}", _platform_section(p),
     f"null, or the {p} settings ({', '.join(sorted(_PLATFORM_SETTINGS[p]))}; client_id "
     "required except for mastodon; base URLs http(s))")
    for p in PLATFORMS
]


class Config(BaseBridgeConfig):
    @property
    def forbidden_defaults(self) -> list[ForbiddenDefault]:
        ours = [
            ForbiddenDefault(
                "homeserver.domain", "example.com", "expected your server name, such as matrix.org"
            ),
            ForbiddenDefault(
                "homeserver.address",
                "https://matrix.example.com",
                "expected your homeserver's client-server API URL",
            ),
        ]
        return ours + super().forbidden_defaults

    def validate(self) -> None:
        """Raise ConfigError for the first missing or malformed field."""
        for key, check, expected in CHECKS:
            try:
                value = self[key]
            except KeyError:
                value = None
            if not check(value):
                raise ConfigError(key, expected, value)
        if "{url}" not in self["api.app_runner_url"]:
            raise ConfigError("api.app_runner_url", "a URL template containing {url}",
                              self["api.app_runner_url"])
        self._validate_platforms()

    def _validate_platforms(self) -> None:
        """An enabled platform needs somewhere for OAuth to come back to and a token key."""
        enabled = [p for p in PLATFORMS if self[f"platforms.{p}"] is not None]
        if not enabled:
            return
        if not self["platforms.public_url"] and not all(
                (self[f"platforms.{p}"] or {}).get("redirect_uri") for p in enabled):
            raise ConfigError("platforms.public_url", "the service's public URL (OAuth "
                              f"callbacks) when {', '.join(enabled)} is enabled",
                              self["platforms.public_url"])
        from_env = [k for k in os.environ.get(TOKEN_KEYS_ENV, "").split(",") if k.strip()]
        if not self["platforms.token_keys"] and not from_env:
            raise ConfigError("platforms.token_keys", f"at least one Fernet key (or "
                              f"{TOKEN_KEYS_ENV}) when {', '.join(enabled)} is enabled", [])
        if not all(_is_fernet_key(k) for k in from_env):
            raise ConfigError("platforms.token_keys", f"Fernet keys in {TOKEN_KEYS_ENV}",
                              "(not shown)")

    def do_update(self, helper: ConfigUpdateHelper) -> None:
        super().do_update(helper)
        copy = helper.copy
        copy("bridge.masquerade_local_users")
        copy("bridge.ai_suffix")
        copy("bridge.ai_displayname_template")
        copy("bridge.feed_alias_prefix")
        copy("bridge.soul_path_template")
        for key in ("max_per_sender", "max_events", "retention_days", "max_event_bytes"):
            copy(f"bridge.quarantine.{key}")
        for platform in PLATFORMS:
            copy(f"bridge.platform_prefixes.{platform}")
        for key in ("enabled", "hostname", "listen_port"):
            copy(f"metrics.{key}")
        copy("api.token_cache_seconds")
        copy("api.trending_refresh_seconds")
        copy("api.max_page_size")
        copy("api.header_timeout_seconds")
        copy("api.max_image_size")
        for key in ("max_pixels", "max_side", "max_decode_mb", "decode_concurrency"):
            copy(f"api.media.{key}")
        copy("api.app_runner_url")
        copy("api.web_homeserver_url")
        for key in ("public_url", "token_keys", "allow_loopback_instances",
                    "media_url_ttl_seconds", "delivery_retry_seconds", "mastodon_visibility",
                    *PLATFORMS):
            copy(f"platforms.{key}")
        for key in ("backend", "http_url_template", "openai.base_url", "openai.model",
                    "openai.api_key", "timeout_seconds", "rate_limit_per_hour",
                    "history_messages", "ipc_send_as"):
            copy(f"ai.{key}")
        for key in ("review_window_seconds", "scheduler_interval_seconds",
                    "settings_cache_seconds"):
            copy(f"activity.{key}")

    def _user_regex(self, localpart_regex: str) -> str:
        return f"@{localpart_regex}:{re.escape(self['homeserver.domain'])}"

    @property
    def namespaces(self) -> dict[str, list[dict[str, Any]]]:
        domain = re.escape(self["homeserver.domain"])
        ai_regex = f".*{re.escape(self['bridge.ai_suffix'])}"
        bot_regex = re.escape(self["appservice.bot_username"])
        users = [
            {"exclusive": True, "regex": self._user_regex(ai_regex)},
            {"exclusive": True, "regex": self._user_regex(bot_regex)},
        ]
        for platform in PLATFORMS:
            prefix = re.escape(self[f"bridge.platform_prefixes.{platform}"])
            users.append({"exclusive": True, "regex": self._user_regex(f"{prefix}.*")})
        if self["bridge.masquerade_local_users"]:
            users.append({"exclusive": False, "regex": self._user_regex(".*")})
        alias_prefix = re.escape(self["bridge.feed_alias_prefix"])
        return {
            "users": users,
            "aliases": [{"exclusive": True, "regex": f"#{alias_prefix}.*:{domain}"}],
            "rooms": [],
        }

    def save(self) -> None:
        """The config and the registration hold the as_token, which can act as every local
        user: both are readable by their owner only (0600), from before the first byte."""
        for path in (self.path, self.registration_path):
            if path:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
                os.chmod(path, 0o600)
        super().save()
        for path in (self.path, self.registration_path):
            if path and os.path.exists(path):
                os.chmod(path, 0o600)

    def generate_registration(self) -> None:
        self["appservice.as_token"] = self._new_token()
        self["appservice.hs_token"] = self._new_token()
        self._registration = self.registration()

    def registration(self) -> dict[str, Any]:
        reg: dict[str, Any] = {
            "id": self["appservice.id"],
            "url": self["appservice.address"],
            "as_token": self["appservice.as_token"],
            "hs_token": self["appservice.hs_token"],
            "sender_localpart": self["appservice.bot_username"],
            "rate_limited": False,
            "namespaces": self.namespaces,
        }
        if self["appservice.ephemeral_events"]:
            reg["receive_ephemeral"] = True
            reg["de.sorunome.msc2409.push_ephemeral"] = True
        # true or auto: ask for device lists and key counts in transactions (MSC3202).
        if self["bridge.encryption.allow"] and self["bridge.encryption.appservice"]:
            reg["org.matrix.msc3202"] = True
        # MSC4190: the bot's device is created with PUT /devices instead of a login.
        if self["bridge.encryption.allow"] and self["bridge.encryption.msc4190"]:
            reg["io.element.msc4190"] = True
        return reg
