"""Configuration: mautrix's round-trip YAML config, the registration, and start-up validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mautrix.bridge.config import BaseBridgeConfig
from mautrix.util.config import ConfigUpdateHelper, ForbiddenDefault

PLATFORMS = ("x", "mastodon", "github", "instagram")


class ConfigError(ValueError):
    """A config field is missing or invalid; str() is the one line shown to the operator."""

    def __init__(self, key: str, expected: str, got: Any = None) -> None:
        shown = "nothing" if got is None else repr(got)
        super().__init__(f"config field '{key}': expected {expected}, got {shown}")
        self.key = key


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
    ("bridge.masquerade_local_users", _is_bool, "true or false"),
    ("bridge.ai_suffix", _is_localpart, "a localpart suffix such as _ai"),
    ("bridge.feed_alias_prefix", _is_localpart, "an alias prefix such as feed_"),
    ("api.token_cache_seconds", _is_positive_int, "a number of seconds"),
    ("api.trending_refresh_seconds", _is_positive_int, "a number of seconds"),
    ("api.max_page_size", _is_positive_int, "a positive integer"),
    ("api.max_image_size", _is_positive_int, "a size in megabytes (a positive integer)"),
    ("api.app_runner_url", _is_text, "a URL template containing {url}"),
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
] + [
    (f"bridge.platform_prefixes.{p}", _is_localpart, "a localpart prefix such as x_")
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

    def do_update(self, helper: ConfigUpdateHelper) -> None:
        super().do_update(helper)
        copy = helper.copy
        copy("bridge.masquerade_local_users")
        copy("bridge.ai_suffix")
        copy("bridge.ai_displayname_template")
        copy("bridge.feed_alias_prefix")
        copy("bridge.soul_path_template")
        for platform in PLATFORMS:
            copy(f"bridge.platform_prefixes.{platform}")
        for key in ("enabled", "hostname", "listen_port"):
            copy(f"metrics.{key}")
        copy("api.token_cache_seconds")
        copy("api.trending_refresh_seconds")
        copy("api.max_page_size")
        copy("api.max_image_size")
        copy("api.app_runner_url")
        for key in ("backend", "http_url_template", "openai.base_url", "openai.model",
                    "openai.api_key", "timeout_seconds", "rate_limit_per_hour",
                    "history_messages", "ipc_send_as"):
            copy(f"ai.{key}")

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
        if self["bridge.encryption.allow"] and self["bridge.encryption.appservice"]:
            reg["org.matrix.msc3202"] = True
        return reg
