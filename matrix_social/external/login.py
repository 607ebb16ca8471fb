"""Connecting an account: the same flow for the REST API and the management room.

begin() checks what it can before anything leaves the server (the platform is enabled, a
server she names is a public one, our app is still known there), records a single-use state
bound to the user (hashed) with its PKCE verifier (encrypted), and returns the authorize URL.
finish() consumes that state (a wrong, replayed or expired one changes nothing), exchanges the
code and identifies the account.

Who may complete it (login CSRF): the state names who *started* the login, not who brings it
back, so a login link sent to somebody else would give that person's account to the starter.
So a login completes in one step only in the browser that started it: begin_in_browser() (the
web app) binds the state to a random cookie it sets in that browser (only its hash is stored),
and finish() checks it. Any other way back (the bot's link, a bare REST call, a link passed on)
ends on a confirmation: the grant is held encrypted, single-use, for the state's lifetime, and
the callback page shows a one-time code that only the starter can use, authenticated as
herself (`confirm CODE` to the bot, or the API's confirm call). See docs/platforms.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import login_confirmations, oauth_state
from ..db import platform_connections as connections
from ..db.platform_connections import ConnectionRow
from ..errors import Refused, UnknownClient
from .grants import Grants
from .oauth import new_code_verifier, new_state, state_hash
from .platform import Account, TokenSet
from .registry import Platforms
from .tokens import KeyUnavailable, TokenCipher

STATE_TTL_MS = 10 * 60 * 1000
MAX_PENDING = 5  # unfinished logins per user, and logins waiting for her confirmation
MAX_WRONG_CODES = 5  # wrong confirmation codes before her waiting logins are dropped
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a page, typed
CODE_LENGTH = 8  # 40 bits; with MAX_WRONG_CODES tries, guessing one is hopeless
COOKIE_PREFIX = "ms_login_"


@dataclass(frozen=True)
class BrowserBinding:
    """The cookie that binds a login to the browser that started it: HttpOnly, SameSite=Lax,
    Secure on https, limited to the callback's path, living as long as the state."""

    name: str
    value: str = field(repr=False)
    path: str
    secure: bool
    max_age_s: int


@dataclass(frozen=True)
class AwaitingConfirmation:
    """A login that came back without its starting browser: nothing is connected until the
    starter confirms `code`."""

    user_id: str
    platform: str
    account: Account
    code: str = field(repr=False)
    expires_at_ms: int


@dataclass(frozen=True)
class Connected:
    row: ConnectionRow
    replaced: bool  # a previous grant of hers for this platform was replaced (and revoked)


def cookie_names(state: str) -> tuple[str, str]:
    """The binding cookie's name for this state: plain (http) and with the __Secure- prefix
    (https; a browser accepts such a cookie only from a secure origin). One cookie per login, so
    two logins started side by side each keep theirs."""
    tag = hashlib.sha256(b"browser-binding\n" + state.encode()).hexdigest()[:16]
    return COOKIE_PREFIX + tag, "__Secure-" + COOKIE_PREFIX + tag


def _binding_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalized_code(text: str) -> str | None:
    """What she typed (any case, with or without the dash or spaces), or None if it cannot be
    a code."""
    cleaned = re.sub(r"[\s-]", "", text or "").upper()[:CODE_LENGTH + 1]
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


class LoginFlow:
    def __init__(self, db: Database, platforms: Platforms, cipher: TokenCipher, grants: Grants,
                 state_ttl_ms: int = STATE_TTL_MS, max_pending: int = MAX_PENDING) -> None:
        self.db = db
        self.platforms = platforms
        self.cipher = cipher
        self.grants = grants
        self.state_ttl_ms = state_ttl_ms
        self.max_pending = max_pending
        self._code_key = cipher.derive(b"login-confirmation-code")

    async def begin(self, user_id: str, platform: str, instance: str | None = None) -> str:
        """The URL to send the user to, for a login started without a browser session (the
        bot's command): it ends on a confirmation. Raises Refused with a reason fit for the
        user."""
        url, _ = await self._begin(user_id, platform, instance, browser=None)
        return url

    async def begin_in_browser(self, user_id: str, platform: str, instance: str | None = None
                               ) -> tuple[str, BrowserBinding]:
        """The URL, and the cookie to set in the browser that asked (the web app): that
        browser alone finishes the login in one step."""
        browser = secrets.token_urlsafe(32)
        url, state = await self._begin(user_id, platform, instance, browser=browser)
        path, secure = self.cookie_scope(platform)
        plain, prefixed = cookie_names(state)
        return url, BrowserBinding(prefixed if secure else plain, browser, path, secure,
                                   self.state_ttl_ms // 1000)

    def cookie_scope(self, platform: str) -> tuple[str, bool]:
        """Where the binding cookie goes: the callback's path only (as the public URL spells
        it), and Secure when the callback is https."""
        settings = self.platforms.settings(platform)
        redirect = urlsplit(getattr(settings, "redirect_uri", ""))
        return redirect.path or "/", redirect.scheme == "https"

    async def _begin(self, user_id: str, platform: str, instance: str | None,
                     browser: str | None) -> tuple[str, str]:
        now = now_ms()
        await oauth_state.purge_expired(self.db, now)
        if await oauth_state.count_pending(self.db, user_id, now) >= self.max_pending:
            raise Refused(platform, "too many unfinished logins; finish one or wait ten minutes")
        adapter = await self.platforms.adapter_for_login(platform, instance)
        state = new_state()
        verifier = adapter.login_secret(new_code_verifier())
        await oauth_state.insert(
            self.db, state_hash(state), user_id, platform, adapter.server,
            self.cipher.encrypt_text(verifier) if verifier else None, now,
            now + self.state_ttl_ms, _binding_hash(browser) if browser else None)
        return await adapter.authorize_url(state, verifier), state

    async def finish(self, state: str, code: str | None = None, error: str | None = None,
                     platform: str | None = None, user_id: str | None = None,
                     on_user: Callable[[str], None] | None = None, browser: str | None = None
                     ) -> Connected | AwaitingConfirmation:
        """Complete a login from the callback's query. `platform` is the callback's, `user_id`
        the authenticated caller if the callback request carries one, `browser` the binding
        cookie the request carried. `on_user` learns whose login it was as soon as the state
        is known (to tell her if it then fails).

        Connected at once when the starter brought it back: in the browser that started it
        (its cookie), or authenticated as herself; otherwise held for her confirmation."""
        now = now_ms()
        pending = await oauth_state.consume(self.db, state_hash(state or ""), now) \
            if state and len(state) <= 512 else None
        if pending is None:
            raise Refused(platform or "login", "this login link is unknown, already used or "
                                               "expired; start again")
        if on_user is not None:
            on_user(pending.user_id)
        if platform is not None and pending.platform != platform:
            raise Refused(platform, "this login was started for another platform; start again")
        if user_id is not None and pending.user_id != user_id:
            raise Refused(pending.platform, "this login was started by another user")
        if error or not code:
            reason = re.sub(r"[^A-Za-z0-9_ .-]", "", error or "no code")[:60]
            raise Refused(pending.platform, f"the login was cancelled or refused ({reason})")
        try:
            verifier = self.cipher.decrypt_text(pending.code_verifier) \
                if pending.code_verifier else None
        except KeyUnavailable:
            raise Refused(pending.platform, "this login can no longer be finished; start again"
                          ) from None
        adapter = await self.platforms.adapter_for(pending.platform, pending.instance)
        try:
            token = await adapter.exchange_code(code, verifier)
        except UnknownClient:
            await self.platforms.forget(pending.platform, adapter)  # made again at the next login
            raise
        account = await adapter.whoami(token)
        if self.platforms.get(pending.platform).puppet_part(account) is None:
            # The id reaches Matrix IDs, URLs and paths: anything odd is refused, not escaped.
            raise Refused(pending.platform, "the platform sent an account id that cannot be "
                                            "used; nothing was connected")
        bound = user_id == pending.user_id or (
            pending.browser_hash is not None and browser is not None
            and hmac.compare_digest(_binding_hash(browser), pending.browser_hash))
        if bound:
            return await self.connect(pending.user_id, pending.platform, account, token)
        return await self._hold(pending.user_id, pending.platform, account, token, now)

    async def _hold(self, user_id: str, platform: str, account: Account, token: TokenSet,
                    now: int) -> AwaitingConfirmation:
        await login_confirmations.purge_expired(self.db, now)
        if await login_confirmations.count_pending(self.db, user_id, now) >= self.max_pending:
            raise Refused(platform, "too many logins are waiting for confirmation; nothing was "
                                    "connected")
        code = new_code()
        expires = now + self.state_ttl_ms
        await login_confirmations.insert(
            self.db, self._code_hash(code), user_id, platform, asdict(account),
            self.cipher.encrypt(token), now, expires)
        return AwaitingConfirmation(user_id, platform, account, code, expires)

    def _code_hash(self, code: str) -> str:
        return hmac.new(self._code_key, code.encode(), hashlib.sha256).hexdigest()

    async def confirm(self, user_id: str, typed: str, platform: str | None = None
                      ) -> Connected:
        """She (authenticated: the bot's sender, the API's caller) confirms a login held for
        her with the code its callback page showed. Only her own held logins can match; a
        wrong code counts against them all, and after MAX_WRONG_CODES they are dropped."""
        now = now_ms()
        await login_confirmations.purge_expired(self.db, now)
        code = normalized_code(typed)
        held = await login_confirmations.take(self.db, self._code_hash(code), user_id,
                                              platform, now) if code else None
        if held is None:
            dropped = await login_confirmations.count_wrong(self.db, user_id, MAX_WRONG_CODES)
            if dropped:
                raise Refused(platform or "login", "too many wrong codes: the logins waiting "
                                                   "for you were cancelled; log in again")
            raise Refused(platform or "login", "that code is wrong, used or expired; nothing "
                                               "was connected")
        try:
            token = self.cipher.decrypt(held.token)
        except KeyUnavailable:
            raise Refused(held.platform, "this login can no longer be finished; start again"
                          ) from None
        return await self.connect(user_id, held.platform, Account(**held.account), token)

    async def log_in_with_password(self, user_id: str, platform: str, identifier: str,
                                   password: str) -> Connected:
        """A platform that connects with an app password (Bluesky): no redirect, so no state
        and no browser binding; she is the authenticated caller. The password is handed to the
        adapter once and never stored or logged; only the grant it returns is (encrypted)."""
        if self.platforms.get(platform).password_login is None:
            raise Refused(platform, "this platform connects through its own login page")
        adapter = await self.platforms.adapter_for(platform, None)
        token = await adapter.log_in(identifier, password)
        account = await adapter.whoami(token)
        if self.platforms.get(platform).puppet_part(account) is None:
            raise Refused(platform, "the platform sent an account id that cannot be used; "
                                    "nothing was connected")
        return await self.connect(user_id, platform, account, token)

    async def connect(self, user_id: str, platform: str, account: Account, token: TokenSet
                      ) -> Connected:
        """Store the connection with its grant encrypted; a grant it replaces (a new login
        while connected) is revoked at the platform where it can be."""
        now = now_ms()
        async with self.grants.locks.hold((user_id, platform)):  # no refresh in between
            previous = await connections.get(self.db, user_id, platform)
            await connections.upsert(self.db, self._row(user_id, platform, account, token, now))
        if previous is not None:
            await self.grants.revoke_replaced(previous)
        stored = await connections.get(self.db, user_id, platform)
        assert stored is not None
        return Connected(stored, previous is not None)

    def _row(self, user_id: str, platform: str, account: Account, token: TokenSet, now: int
             ) -> ConnectionRow:
        return ConnectionRow(
            user_id=user_id, platform=platform, account_key=account.key,
            account_id=account.id, handle=account.handle, name=account.name,
            avatar_url=account.avatar_url, profile_url=account.url, instance=account.instance,
            status=connections.OK, status_reason=None, share_with_followers=False,
            token=self.cipher.encrypt(token), cursor=None, etag=None, next_due=now,
            interval_s=None, failures=0, last_sync=None, created_at=now)
