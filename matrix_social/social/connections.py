"""Connecting external accounts: the rules behind the REST API and the management room.

One flow underneath both (platforms/login.py): begin() gives the authorize URL, the browser
comes back to the callback, finish() stores the connection. The management room hears of every
outcome, whichever way the login started; a broken connection is reported there too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database

from .. import events as ev
from ..db import platform_connections as connections
from ..db import portal_rooms
from ..db.platform_connections import ConnectionRow
from ..errors import (
    ApiError,
    InvalidInput,
    NotFound,
    PlatformError,
    PlatformRateLimited,
    Refused,
    TransientError,
)
from ..matrix.management import ManagementRooms
from ..platforms.grants import Grants
from ..platforms.login import STATE_TTL_MS, LoginFlow
from ..platforms.registry import ALL, Platforms

log = logging.getLogger("matrix_social.connections")

PLATFORMS = ALL


@dataclass(frozen=True)
class CallbackOutcome:
    ok: bool
    platform: str
    message: str  # fit to show in the browser


def platform_name(platform: str) -> str:
    return ev.PLATFORM_NAMES.get(platform, platform)


class Connections:
    def __init__(self, db: Database, platforms: Platforms, login: LoginFlow, grants: Grants,
                 management: ManagementRooms, wake: Callable[[], None]) -> None:
        self.db = db
        self.platforms = platforms
        self.login = login
        self.grants = grants
        self.management = management
        self.wake = wake

    def _known(self, platform: Any) -> str:
        if not isinstance(platform, str) or platform not in PLATFORMS:
            raise NotFound(f"No platform {str(platform)[:40]!r}; known: {', '.join(PLATFORMS)}")
        if platform not in self.platforms.enabled():
            raise NotFound(f"{platform_name(platform)} is not available on this server")
        return platform

    async def list(self, user_id: str) -> dict[str, Any]:
        rows = await connections.list_for_user(self.db, user_id)
        portals = {(p.platform, p.account_key): p.room_id
                   for p in await portal_rooms.for_user(self.db, user_id)}
        return {"connections": [self.view(r, portals.get((r.platform, r.account_key)))
                                for r in rows],
                "available": self.platforms.enabled()}

    @staticmethod
    def view(row: ConnectionRow, portal: str | None = None) -> dict[str, Any]:
        """What the API shows of a connection: never its grant, cursor or ETag."""
        return {
            "platform": row.platform,
            "account": {"id": row.account_id, "handle": row.handle, "name": row.name,
                        "url": row.profile_url, "avatar_url": row.avatar_url,
                        "instance": row.instance},
            "status": row.status, "status_reason": row.status_reason,
            "last_sync": row.last_sync, "share_with_followers": row.share_with_followers,
            "connected_at": row.created_at, "portal_room_id": portal,
        }

    async def begin(self, user_id: str, platform: Any, instance: Any = None) -> dict[str, Any]:
        platform = self._known(platform)
        if platform == "mastodon":
            if not isinstance(instance, str) or not instance.strip():
                raise InvalidInput("'instance' is required for Mastodon, e.g. mastodon.social")
        elif instance is not None:
            raise InvalidInput(f"'instance' is only for Mastodon, not {platform_name(platform)}")
        try:
            url = await self.login.begin(user_id, platform, instance)
        except (PlatformRateLimited, TransientError):
            # The user's input (an instance) does not answer: hers to check, or to retry.
            raise InvalidInput("that instance could not be reached; check the address or try "
                               "again later") from None
        except Refused as e:
            if "too many unfinished logins" in e.reason:
                raise ApiError(429, "M_LIMIT_EXCEEDED", e.reason, retry_after_ms=STATE_TTL_MS
                               ) from None
            raise InvalidInput(e.reason) from None
        return {"platform": platform, "authorize_url": url,
                "expires_in_ms": self.login.state_ttl_ms}

    async def finish(self, platform: str, state: Any, code: Any, error: Any,
                     caller: str | None = None) -> CallbackOutcome:
        """The browser came back from the platform. Never raises: the outcome says what
        happened, and the user (when the state names one) hears of it in her management
        room."""
        name = platform_name(platform)
        whose: list[str] = []

        def text(value: Any) -> str | None:
            return value if isinstance(value, str) and len(value) <= 4096 else None

        try:
            if platform not in PLATFORMS:
                raise Refused(platform, "unknown platform")
            row = await self.login.finish(text(state) or "", text(code), text(error),
                                          platform=platform, user_id=caller,
                                          on_user=whose.append)
        except Refused as e:
            if caller is not None and whose and whose[0] != caller:
                # Her login came back in somebody else's session: tell her in her words.
                await self.management.notify(whose[0], f"Your {name} login was brought back "
                                                       "by another account and was cancelled; "
                                                       "start again.")
                return CallbackOutcome(False, name, e.reason)
            return await self._failed(whose, name, e.reason)
        except PlatformError as e:
            log.info("%s login failed: %s", platform, type(e).__name__)
            return await self._failed(whose, name, f"{name} did not complete the login "
                                                   f"({e.message}); please try again")
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            # An answer in a shape we do not know (or a hostile instance): its kind only.
            log.warning("%s login: unexpected answer (%s)", platform, type(e).__name__)
            return await self._failed(whose, name, f"{name} sent an answer this server does "
                                                   "not understand; nothing was connected")
        account = f"@{row.handle}"
        await self.management.notify(
            row.user_id, f"Connected {name} as {account}. Your {name} items will appear in "
                         f"your feed and in a room of their own.")
        self.wake()
        return CallbackOutcome(True, platform, f"{name} is connected as {account}. You can "
                                               "close this page.")

    async def _failed(self, whose: list[str], name: str, reason: str) -> CallbackOutcome:
        if whose:
            await self.management.notify(whose[0], f"Your {name} login did not complete: "
                                                   f"{reason}")
        return CallbackOutcome(False, name, reason)

    async def disconnect(self, user_id: str, platform: Any) -> dict[str, Any]:
        if not isinstance(platform, str) or platform not in PLATFORMS:
            raise NotFound(f"No platform {str(platform)[:40]!r}")
        if not await self.grants.disconnect(user_id, platform):
            raise NotFound(f"{platform_name(platform)} is not connected")
        await self.management.notify(user_id, f"Disconnected {platform_name(platform)}.")
        return {"platform": platform, "connected": False}

    async def set_share(self, user_id: str, platform: Any, share: Any) -> dict[str, Any]:
        if not isinstance(share, bool):
            raise InvalidInput("'share_with_followers' must be true or false")
        if not isinstance(platform, str) or platform not in PLATFORMS or \
                not await connections.set_share_with_followers(self.db, user_id, platform,
                                                               share):
            raise NotFound(f"{str(platform)[:40]} is not connected")
        row = await connections.get(self.db, user_id, platform)
        assert row is not None
        return self.view(row)

    async def broken(self, row: ConnectionRow, reason: str) -> None:
        """A connection stopped working (revoked or expired grant): tell her, once."""
        name = platform_name(row.platform)
        await self.management.notify(
            row.user_id, f"Your {name} connection (@{row.handle}) stopped working: {reason}. "
                         f"Nothing more will be read from {name} until you connect again: "
                         f"say `login {row.platform}`.")
