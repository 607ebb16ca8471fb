"""Configuration: mautrix's round-trip YAML config, the registration, and start-up validation,
all from the one table of keys (sections.py: each key's default, check and description)."""

from __future__ import annotations

import os
import re
from typing import Any

from mautrix.bridge.config import BaseBridgeConfig
from mautrix.util.config import ConfigUpdateHelper, ForbiddenDefault

from ..errors import ConfigError
from .sections import Settings
from .table import keys, view


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

    def view(self) -> Settings:
        """The config, typed (sections.py): what the service reads instead of paths."""
        return view(Settings, self.__getitem__)

    def validate(self) -> None:
        """Raise ConfigError for the first missing or malformed field. What an enabled
        platform needs besides its section (a public URL, token keys) the external wing checks
        (external/registry.py, check_config)."""
        for key in keys(Settings):
            if key.check is None:
                continue
            try:
                value = self[key.path]
            except KeyError:
                value = None
            if not key.check(value):
                raise ConfigError(key.path, key.expect, value)

    def do_update(self, helper: ConfigUpdateHelper) -> None:
        """mautrix copies its own keys; we copy ours (every key of the table it does not)."""
        super().do_update(helper)
        for key in keys(Settings):
            if not key.mautrix:
                helper.copy(key.path)

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
        # Each platform's puppets (the external wing fills in a registered platform's prefix).
        for prefix in (self["bridge.platform_prefixes"] or {}).values():
            prefix = re.escape(prefix)
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
