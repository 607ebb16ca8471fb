"""Activity-sharing settings: the user's Matrix account data (m.matrix_os.social.settings) is
the truth, so the OS app reads and writes it directly; the index mirrors it.

Account data is not pushed to appservices, so it is read from the homeserver when needed: on
every GET /settings, and at most every `cache_seconds` for each activity (a change a client
makes directly is seen within that time). If the homeserver cannot be reached the mirror (the
last value read) is used.
"""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from mautrix.errors import MatrixConnectionError, MatrixError, MNotFound
from mautrix.util.async_db import Database

from ... import events as ev
from ...clock import Clock
from ...db import user_settings
from ...db.notify import Broadcast
from ...errors import CannotActAsUser, InvalidInput, RemoteUnreachable
from ...matrix.intents import Intents

log = logging.getLogger("matrix_social.activity")

SHARE_KEYS = ("share_app_publishes", "share_app_forks", "share_game_scores",
              "share_ai_activity", "share_profile_updates")
FREQUENCIES = ("off", "immediate", "daily_summary", "weekly_summary")
FILE_KEYS = (*SHARE_KEYS, "auto_post_frequency")  # ~/system/social-config.json, as the seed has it
KEYS = (*FILE_KEYS, "timezone")
DEFAULTS: dict[str, Any] = {**dict.fromkeys(SHARE_KEYS, False), "auto_post_frequency": "off",
                            "timezone": "UTC"}
# Which switch lets each kind of activity become a draft.
SWITCH_OF = {"app_publish": "share_app_publishes", "app_fork": "share_app_forks",
             "game_score": "share_game_scores", "ai_task": "share_ai_activity",
             "profile_update": "share_profile_updates"}
MAX_TIMEZONE_CHARS = 64


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(value: Any) -> bool:
    if not isinstance(value, str) or not value or len(value) > MAX_TIMEZONE_CHARS \
            or value not in _timezones():
        return False
    try:
        ZoneInfo(value)
    except (ValueError, OSError):
        return False
    return True


def _check(key: str, value: Any) -> str | None:
    """What is wrong with this value, or None."""
    if key in SHARE_KEYS:
        return None if isinstance(value, bool) else f"'{key}' must be true or false"
    if key == "auto_post_frequency":
        return None if value in FREQUENCIES and isinstance(value, str) else \
            f"'auto_post_frequency' must be one of {', '.join(FREQUENCIES)}"
    if key == "timezone":
        return None if valid_timezone(value) else \
            "'timezone' must be an IANA time zone name such as Europe/Paris"
    return f"Unknown setting '{key}'"


def clean_changes(body: Any, allowed: tuple[str, ...] = KEYS) -> dict[str, Any]:
    """Strict: every key known, every value of the right type, or nothing at all."""
    if not isinstance(body, dict):
        raise InvalidInput("settings must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidInput(f"Unknown settings: {', '.join(unknown)}")
    for key, value in body.items():
        problem = _check(key, value)
        if problem:
            raise InvalidInput(problem)
    return dict(body)


def from_stored(content: Any) -> dict[str, Any]:
    """Lenient, for what any client may have written: a missing or wrong value is the default
    (sharing stays off); keys we do not know are ignored."""
    content = content if isinstance(content, dict) else {}
    return {key: content[key] if key in content and _check(key, content[key]) is None
            else DEFAULTS[key] for key in KEYS}


def to_file(settings: dict[str, Any]) -> dict[str, Any]:
    """The social-config.json shape (docs/activity.md)."""
    return {key: settings[key] for key in KEYS}


class ActivitySettings:
    def __init__(self, db: Database, intents: Intents, clock: Clock,
                 cache_seconds: float, broadcast: Broadcast | None = None) -> None:
        self.db = db
        self.intents = intents
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self.broadcast = broadcast
        if broadcast is not None:  # changed through another process: read them again
            broadcast.keep_per_user("activity_settings", self._cache)

    async def get(self, user: str, fresh: bool = False) -> dict[str, Any]:
        cached = self._cache.get(user)
        if cached and not fresh and cached[0] > time.monotonic():
            return dict(cached[1])
        try:
            intent = await self.intents.for_user(user)
            content = await intent.get_account_data(ev.SOCIAL_SETTINGS_ACCOUNT_DATA)
        except MNotFound:
            content = {}
        except (MatrixError, OSError, TimeoutError, CannotActAsUser) as e:
            mirrored = await user_settings.get(self.db, user, user_settings.ACTIVITY)
            log.warning("Could not read %s's settings from the homeserver (%s); using the "
                        "index's copy", user, type(e).__name__)
            return from_stored(mirrored)
        settings = from_stored(content)
        await self._remember(user, settings)
        return dict(settings)

    async def export_file(self, user: str) -> dict[str, Any]:
        return to_file(await self.get(user, fresh=True))

    async def mirrored(self, user: str) -> dict[str, Any]:
        """The index's copy, without asking the homeserver (may be behind a direct change)."""
        return from_stored(await user_settings.get(self.db, user, user_settings.ACTIVITY))

    async def update(self, user: str, body: Any) -> dict[str, Any]:
        """Change the given keys only (PUT /settings)."""
        changes = clean_changes(body)
        return await self._write(user, changes, replace=False)

    async def import_file(self, user: str, body: Any) -> dict[str, Any]:
        """Replace the seed's settings with a social-config.json (missing ones: the defaults).
        The time zone is ours, not the seed's: a file without it (the seed's own six keys)
        leaves it as it was."""
        changes = clean_changes(body)
        return await self._write(user, changes, replace=True)

    async def _write(self, user: str, changes: dict[str, Any], replace: bool) -> dict[str, Any]:
        intent = await self.intents.for_user(user)
        try:
            try:
                current = await intent.get_account_data(ev.SOCIAL_SETTINGS_ACCOUNT_DATA)
            except MNotFound:
                current = {}
            current = current if isinstance(current, dict) else {}
            stored = from_stored(current)
            # A file replaces the seed's keys; keys beyond it stay unless the file has them.
            base = ({**DEFAULTS, **{k: v for k, v in stored.items() if k not in FILE_KEYS}}
                    if replace else stored)
            settings = {**base, **changes}
            # Keys another client keeps in the same account data are left as they were.
            others = {k: v for k, v in current.items() if k not in KEYS}
            await intent.set_account_data(ev.SOCIAL_SETTINGS_ACCOUNT_DATA,
                                          {**others, **settings})
        except MatrixConnectionError:
            raise RemoteUnreachable("The homeserver could not be reached; nothing was "
                                    "changed") from None
        await self._remember(user, settings)
        return dict(settings)

    async def _remember(self, user: str, settings: dict[str, Any]) -> None:
        cached = self._cache.get(user)
        if cached is None or cached[1] != settings:
            await user_settings.put(self.db, user, user_settings.ACTIVITY, settings,
                                     self.clock.now_ms())
            if self.broadcast is not None:
                await self.broadcast.tell("activity_settings", user)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[user] = (time.monotonic() + self.cache_seconds, dict(settings))
