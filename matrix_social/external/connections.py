"""Connecting external accounts: the rules behind the REST API and the management room.

One flow underneath both (platforms/login.py): begin() gives the authorize URL, the browser
comes back to the callback, finish() stores the connection, or, when the login did not come
back in the browser that started it, holds it until its starter confirms with the code the
callback page shows (confirm(), from the bot's `confirm CODE` or the API). The management room
hears of every outcome, whichever way the login started; a broken connection is reported there
too (BrokenNotices, once per break).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mautrix.util.async_db import Database

from ..db import platform_connections as connections
from ..db import platform_puppets, portal_rooms
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
from .grants import Grants
from .login import (
    STATE_TTL_MS,
    AwaitingConfirmation,
    BrowserBinding,
    Connected,
    LoginFlow,
    cookie_names,
    shown_code,
)
from .management import ManagementRooms
from .registry import Platforms

log = logging.getLogger("matrix_social.connections")

__all__ = ["BrokenNotices", "BrowserBinding", "CallbackOutcome", "ConfirmPrompt",
           "Connections", "browser_cookie", "cookie_names"]


@dataclass(frozen=True)
class ConfirmPrompt:
    """What the callback page says when a login waits for its starter's confirmation."""

    platform: str  # the platform's name, "Mastodon"
    account: str  # "@alice@example.social"
    matrix_user: str  # who started the login, and gets the account if she confirms
    code: str  # as shown: ABCD-EFGH
    minutes: int
    bot: str  # whom to send `confirm CODE` to


@dataclass(frozen=True)
class CallbackOutcome:
    ok: bool
    platform: str
    message: str  # fit to show in the browser
    confirm: ConfirmPrompt | None = None  # set when nothing is connected until she confirms


def browser_cookie(cookies: Mapping[str, str], state: Any) -> str | None:
    """The binding cookie the callback request carries for this login's state, if any."""
    if not isinstance(state, str) or not state or len(state) > 512:
        return None
    for name in cookie_names(state):
        if name in cookies:
            return cookies[name]
    return None


def connected_text(done: Connected, name: str) -> str:
    again = " (the previous login was signed out)" if done.replaced else ""
    return (f"Connected {name} as @{done.row.handle}{again}. Your {name} items will appear "
            f"in your feed and in a room of their own.")


class BrokenNotices:
    """Tells her, in her management room, that a connection stopped working (Grants calls it
    once per break, whatever found the grant dead: a poll, a cross-post, an edit)."""

    def __init__(self, management: ManagementRooms, platforms: Platforms) -> None:
        self.management = management
        self.platforms = platforms

    async def tell(self, row: ConnectionRow, reason: str) -> None:
        name = self.platforms.label(row.platform)
        await self.management.notify(
            row.user_id, f"Your {name} connection (@{row.handle}) stopped working: {reason}. "
                         f"Nothing more will be read from {name} or published there until "
                         f"you connect again: say `login {row.platform}`.")


class Connections:
    def __init__(self, db: Database, platforms: Platforms, login: LoginFlow, grants: Grants,
                 management: ManagementRooms, wake: Callable[[], None], bot: str,
                 refresh_puppet: Callable[[ConnectionRow], Awaitable[Any]] | None = None
                 ) -> None:
        self.db = db
        self.platforms = platforms
        self.login = login
        self.grants = grants
        self.management = management
        self.wake = wake
        self.bot = bot
        self.refresh_puppet = refresh_puppet

    def _known(self, platform: Any) -> str:
        name = self.platforms.get(platform).name
        if name not in self.platforms.enabled():
            raise NotFound(f"{self.platforms.label(name)} is not available on this server")
        return name

    async def list(self, user_id: str) -> dict[str, Any]:
        rows = await connections.list_for_user(self.db, user_id)
        portals = {(p.platform, p.account_key): p.room_id
                   for p in await portal_rooms.for_user(self.db, user_id)}
        avatars = await platform_puppets.avatars_of_accounts(
            self.db, [(r.platform, r.account_key) for r in rows])
        return {"connections": [self.view(r, portals.get((r.platform, r.account_key)),
                                          avatars.get((r.platform, r.account_key)))
                                for r in rows],
                "available": self.platforms.enabled()}

    async def one(self, user_id: str, platform: str) -> dict[str, Any]:
        listed = await self.list(user_id)
        return next(c for c in listed["connections"] if c["platform"] == platform)

    @staticmethod
    def view(row: ConnectionRow, portal: str | None = None, avatar_mxc: str | None = None
             ) -> dict[str, Any]:
        """What the API shows of a connection: never its grant, cursor or ETag, and never a
        URL of the platform that a browser would load by itself (it would tell the platform
        who looks): the avatar is the copy on the homeserver (mxc), or none yet."""
        return {
            "platform": row.platform,
            "account": {"id": row.account_id, "handle": row.handle, "name": row.name,
                        "url": row.profile_url, "avatar_url": avatar_mxc,
                        "instance": row.instance},
            "status": row.status, "status_reason": row.status_reason,
            "last_sync": row.last_sync, "share_with_followers": row.share_with_followers,
            "home_timeline": row.home_timeline,
            "connected_at": row.created_at, "portal_room_id": portal,
        }

    def _check_begin(self, platform: Any, instance: Any) -> str:
        """Where the account lives is asked only of a platform whose accounts live on a server
        of their own (Mastodon), and must be given there."""
        declared = self.platforms.get(self._known(platform))
        if declared.password_login is not None:
            raise InvalidInput(f"{declared.label} connects with your handle and an app "
                               f"password: POST /connections/{declared.name}/app-password")
        if declared.server is not None:
            if not isinstance(instance, str) or not instance.strip():
                raise InvalidInput(f"'instance' is required for {declared.label}, e.g. "
                                   f"{declared.server.example}")
        elif instance is not None:
            raise InvalidInput(f"'instance' is only for a platform whose accounts live on a "
                               f"server of their own, not {declared.label}")
        return declared.name

    async def log_in_with_password(self, user_id: str, platform: Any, identifier: Any,
                                   password: Any, tell: bool = True) -> dict[str, Any]:
        """Connect a platform that takes an app password (Bluesky): connected at once, as
        she is the caller. Wrong credentials are her input to fix (InvalidInput)."""
        name = self._known(platform)
        declared = self.platforms.get(name)
        if declared.password_login is None:
            raise InvalidInput(f"{declared.label} connects through its own login page: "
                               f"POST /connections/{name}")
        if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > 256:
            raise InvalidInput(f"'identifier' must be your {declared.label} handle")
        if not isinstance(password, str) or not password or len(password) > 256:
            raise InvalidInput(f"'password' must be a {declared.label} app password")
        try:
            done = await self.login.log_in_with_password(user_id, name, identifier, password)
        except (PlatformRateLimited, TransientError):
            raise InvalidInput(f"{declared.label} could not be reached; try again later"
                               ) from None
        except Refused as e:
            raise InvalidInput(e.reason) from None
        await self._connected(done, tell)
        return await self.one(user_id, name)

    async def begin(self, user_id: str, platform: Any, instance: Any = None) -> dict[str, Any]:
        """A login with no browser session behind it (the bot's command): it ends on a
        confirmation step."""
        platform = self._check_begin(platform, instance)
        url = await self._started(self.login.begin(user_id, platform, instance))
        return self._answer(platform, url)

    async def begin_in_browser(self, user_id: str, platform: Any, instance: Any = None
                               ) -> tuple[dict[str, Any], BrowserBinding]:
        """A login started by a browser (the web app's POST): the answer, and the cookie that
        lets that browser alone finish it in one step."""
        platform = self._check_begin(platform, instance)
        url, binding = await self._started(
            self.login.begin_in_browser(user_id, platform, instance))
        return self._answer(platform, url), binding

    async def _started(self, starting: Awaitable[Any]) -> Any:
        try:
            return await starting
        except (PlatformRateLimited, TransientError):
            # The user's input (an instance) does not answer: hers to check, or to retry.
            raise InvalidInput("that instance could not be reached; check the address or try "
                               "again later") from None
        except Refused as e:
            if "too many unfinished logins" in e.reason:
                raise ApiError(429, "M_LIMIT_EXCEEDED", e.reason, retry_after_ms=STATE_TTL_MS
                               ) from None
            raise InvalidInput(e.reason) from None

    def cookie_scope(self, platform: str) -> tuple[str, bool]:
        """The binding cookie's path and whether it is Secure, for this platform's callback."""
        return self.login.cookie_scope(platform)

    def _answer(self, platform: str, url: str) -> dict[str, Any]:
        return {"platform": platform, "authorize_url": url,
                "expires_in_ms": self.login.state_ttl_ms}

    async def finish(self, platform: str, state: Any, code: Any, error: Any,
                     caller: str | None = None, browser: str | None = None
                     ) -> CallbackOutcome:
        """The browser came back from the platform. Never raises: the outcome says what
        happened, and the user (when the state names one) hears of it in her management
        room."""
        name = self.platforms.label(platform)
        whose: list[str] = []

        def text(value: Any) -> str | None:
            return value if isinstance(value, str) and len(value) <= 4096 else None

        try:
            if self.platforms.find(platform) is None:
                raise Refused(platform, "unknown platform")
            done = await self.login.finish(text(state) or "", text(code), text(error),
                                           platform=platform, user_id=caller,
                                           on_user=whose.append, browser=text(browser))
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
        if isinstance(done, AwaitingConfirmation):
            return await self._held(done)
        await self._connected(done)
        return CallbackOutcome(True, platform, f"{name} is connected as @{done.row.handle}. "
                                               "You can close this page.")

    async def _held(self, held: AwaitingConfirmation) -> CallbackOutcome:
        """Nothing is connected. The page (seen by whoever completed the login) names both
        accounts and the code; she, the starter, hears that a login waits, but not which
        account it was: a link she passed on must not tell her who opened it."""
        name = self.platforms.label(held.platform)
        minutes = max(1, self.login.state_ttl_ms // 60000)
        await self.management.notify(
            held.user_id, f"A {name} login you started came back in a browser that did not "
                          f"start it, so nothing is connected yet. If that was you, send "
                          f"`confirm CODE` here with the code that page shows (it works once, "
                          f"for {minutes} minutes). If not, ignore this: nothing happens.")
        prompt = ConfirmPrompt(name, f"@{held.account.handle}", held.user_id,
                               shown_code(held.code), minutes, self.bot)
        return CallbackOutcome(False, held.platform,
                               f"Connect {name} @{held.account.handle} to Matrix "
                               f"{held.user_id}? Nothing is connected yet.", prompt)

    async def confirm(self, user_id: str, code: Any, platform: Any = None, tell: bool = True
                      ) -> dict[str, Any]:
        """She confirms a login held for her (authenticated as herself: the API's caller, the
        bot command's sender, who answers her itself: `tell=False`)."""
        if platform is not None:
            platform = self._known(platform)
        if not isinstance(code, str) or not code.strip() or len(code) > 64:
            raise InvalidInput("'code' must be the code shown on the login page, e.g. "
                               "ABCD-EFGH")
        try:
            done = await self.login.confirm(user_id, code, platform)
        except Refused as e:
            raise InvalidInput(e.reason) from None
        await self._connected(done, tell)
        return await self.one(user_id, done.row.platform)

    async def _connected(self, done: Connected, tell: bool = True) -> None:
        row = done.row
        if self.refresh_puppet is not None:
            try:
                await self.refresh_puppet(row)
            except Exception:
                log.exception("the %s puppet of %s was not refreshed", row.platform,
                              row.user_id)
        if tell:
            await self.management.notify(row.user_id, connected_text(
                done, self.platforms.label(row.platform)))
        self.wake()

    async def _failed(self, whose: list[str], name: str, reason: str) -> CallbackOutcome:
        if whose:
            await self.management.notify(whose[0], f"Your {name} login did not complete: "
                                                   f"{reason}")
        return CallbackOutcome(False, name, reason)

    async def disconnect(self, user_id: str, platform: Any) -> dict[str, Any]:
        platform = self.platforms.get(platform).name
        label = self.platforms.label(platform)
        if not await self.grants.disconnect(user_id, platform):
            raise NotFound(f"{label} is not connected")
        await self.management.notify(user_id, f"Disconnected {label}.")
        return {"platform": platform, "connected": False}

    async def update(self, user_id: str, platform: Any, body: dict[str, Any]
                     ) -> dict[str, Any]:
        """PATCH: share_with_followers and/or home_timeline (all checked before any is
        changed)."""
        share, home = body.get("share_with_followers"), body.get("home_timeline")
        if share is None and home is None:
            raise InvalidInput("give 'share_with_followers' or 'home_timeline'")
        if share is not None and not isinstance(share, bool):
            raise InvalidInput("'share_with_followers' must be true or false")
        if home is not None:
            await self._check_home(platform, home)
        if share is not None:
            await self.set_share(user_id, platform, share)
        if home is not None and not await connections.set_home_timeline(
                self.db, user_id, platform, home):
            raise NotFound(f"{str(platform)[:40]} is not connected")
        return await self.one(user_id, platform)

    async def _check_home(self, platform: Any, home: Any) -> None:
        if not isinstance(home, bool):
            raise InvalidInput("'home_timeline' must be true or false")
        declared = self.platforms.find(platform)
        if declared is None:
            raise NotFound(f"{str(platform)[:40]} is not connected")
        if home and not declared.home_timeline:
            raise InvalidInput(f"{declared.label}'s home timeline cannot be brought in")

    async def set_share(self, user_id: str, platform: Any, share: Any) -> dict[str, Any]:
        if not isinstance(share, bool):
            raise InvalidInput("'share_with_followers' must be true or false")
        if self.platforms.find(platform) is None or \
                not await connections.set_share_with_followers(self.db, user_id, platform,
                                                               share):
            raise NotFound(f"{str(platform)[:40]} is not connected")
        return await self.one(user_id, platform)
