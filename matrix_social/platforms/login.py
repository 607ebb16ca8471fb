"""Connecting an account: the same flow for the REST API and the management room.

begin() checks what it can before anything leaves the server (the platform is enabled, a
Mastodon instance URL is public), records a single-use state bound to the user (hashed) with
its PKCE verifier (encrypted), and returns the authorize URL. finish() consumes that state
(a wrong, replayed or expired one changes nothing), exchanges the code, identifies the account
and stores the connection with its grant encrypted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import oauth_state
from ..db import platform_connections as connections
from ..db.platform_connections import ConnectionRow
from ..errors import Refused
from ..ids import platform_account_part
from .oauth import new_code_verifier, new_state, state_hash
from .registry import Platforms
from .tokens import KeyUnavailable, TokenCipher

STATE_TTL_MS = 10 * 60 * 1000
MAX_PENDING = 5  # unfinished logins per user


class LoginFlow:
    def __init__(self, db: Database, platforms: Platforms, cipher: TokenCipher,
                 state_ttl_ms: int = STATE_TTL_MS, max_pending: int = MAX_PENDING) -> None:
        self.db = db
        self.platforms = platforms
        self.cipher = cipher
        self.state_ttl_ms = state_ttl_ms
        self.max_pending = max_pending

    async def begin(self, user_id: str, platform: str, instance: str | None = None) -> str:
        """The URL to send the user to. Raises Refused with a reason fit for the user."""
        now = now_ms()
        await oauth_state.purge_expired(self.db, now)
        if await oauth_state.count_pending(self.db, user_id, now) >= self.max_pending:
            raise Refused(platform, "too many unfinished logins; finish one or wait ten minutes")
        adapter = await self.platforms.adapter_for(platform, instance)
        base = getattr(adapter, "app", None)
        state = new_state()
        verifier = new_code_verifier() if adapter.uses_pkce else None
        await oauth_state.insert(
            self.db, state_hash(state), user_id, platform, base.instance if base else None,
            self.cipher.encrypt_text(verifier) if verifier else None, now,
            now + self.state_ttl_ms)
        return adapter.authorize_url(state, verifier)

    async def finish(self, state: str, code: str | None = None, error: str | None = None,
                     platform: str | None = None, user_id: str | None = None,
                     on_user: Callable[[str], None] | None = None) -> ConnectionRow:
        """Complete a login from the callback's query. `platform` is the callback's, `user_id`
        the authenticated caller if the callback request carries one. `on_user` learns whose
        login it was as soon as the state is known (to tell her if it then fails)."""
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
        token = await adapter.exchange_code(code, verifier)
        account = await adapter.whoami(token)
        if platform_account_part(account.platform, account.id, account.handle,
                                 account.key) is None:
            # The id reaches Matrix IDs, URLs and paths: anything odd is refused, not escaped.
            raise Refused(pending.platform, "the platform sent an account id that cannot be "
                                            "used; nothing was connected")
        row = ConnectionRow(
            user_id=pending.user_id, platform=pending.platform, account_key=account.key,
            account_id=account.id, handle=account.handle, name=account.name,
            avatar_url=account.avatar_url, profile_url=account.url, instance=account.instance,
            status=connections.OK, status_reason=None, share_with_followers=False,
            token=self.cipher.encrypt(token), cursor=None, etag=None, next_due=now,
            interval_s=None, failures=0, last_sync=None, created_at=now)
        await connections.upsert(self.db, row)
        stored = await connections.get(self.db, pending.user_id, pending.platform)
        assert stored is not None
        return stored
