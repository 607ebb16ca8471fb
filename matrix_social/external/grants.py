"""The grants of stored connections: decrypted on use, refreshed ahead of expiry one at a time
per connection, the new grant stored before it is used (an X refresh token works once), a dead
grant marks the connection broken instead of being retried.

Whatever finds a grant dead (a refresh, a poll, a cross-post, an edit) marks the connection
broken through mark_broken(), which tells its owner (`on_broken`) once: only the call that
turned a working connection into a broken one does."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import platform_connections as connections
from ..db.platform_connections import ConnectionRow
from ..errors import AuthRevoked, PlatformError
from ..locks import KeyedLocks
from .platform import TokenSet
from .registry import Platforms, account_of
from .tokens import KeyUnavailable, TokenCipher

log = logging.getLogger("matrix_social.external.grants")

OnBroken = Callable[[ConnectionRow, str], Awaitable[None]]
T = TypeVar("T")


class Grants:
    def __init__(self, db: Database, platforms: Platforms, cipher: TokenCipher,
                 locks: KeyedLocks | None = None, on_broken: OnBroken | None = None) -> None:
        self.db = db
        self.platforms = platforms
        self.cipher = cipher
        self.locks = locks or KeyedLocks()
        self.on_broken = on_broken

    async def token(self, user_id: str, platform: str, force_refresh: bool = False) -> TokenSet:
        """A usable grant for the connection, refreshed if it is about to expire (or forced)."""
        async with self.locks.hold((user_id, platform)):
            row = await connections.get(self.db, user_id, platform)
            if row is None:
                raise AuthRevoked(platform, "not connected")
            if row.status != connections.OK:
                raise AuthRevoked(platform, row.status_reason or "the connection is broken")
            try:
                token = self.cipher.decrypt(row.token)
            except KeyUnavailable:
                await self._broken(row, "its key is no longer configured; connect again")
                raise AuthRevoked(platform, "the stored grant cannot be opened") from None
            declared = self.platforms.get(platform)
            if not force_refresh and not token.expires_within(now_ms(),
                                                              declared.refresh_margin_ms):
                return token
            if not token.refresh_token and not declared.refreshes_access_token:
                if force_refresh or token.expires_within(now_ms(), 0):
                    await self._broken(row, "the login expired; connect again")
                    raise AuthRevoked(platform, "expired without a refresh token")
                return token
            adapter = await self.platforms.adapter_for(platform, row.instance)
            try:
                fresh = await adapter.refresh(token)
            except AuthRevoked as e:
                await self._broken(row, f"the login was revoked or expired ({e.message})")
                raise
            await connections.set_token(self.db, user_id, platform, self.cipher.encrypt(fresh))
            return fresh

    async def call(self, row: ConnectionRow, work: Callable[[TokenSet], Awaitable[T]]) -> T:
        """`work(token)` with a usable grant: for every call to a platform (a poll, a
        cross-post, an image upload, an edit). A refusal of the login (AuthRevoked: any 401, a
        403 that is not about one post) gets one forced refresh when the grant has a refresh
        token (an access token that died early); refused again, or not refreshable, the
        connection is marked broken at once and she is told."""
        token = await self.token(row.user_id, row.platform)
        try:
            return await work(token)
        except AuthRevoked as e:
            refused = e
        if token.refresh_token:
            token = await self.token(row.user_id, row.platform, force_refresh=True)
            try:
                return await work(token)
            except AuthRevoked as e:
                refused = e
        await self.mark_broken(row, f"the login was revoked, expired or refused "
                                    f"({refused.message[:200]})")
        raise refused

    async def _broken(self, row: ConnectionRow, reason: str) -> None:
        await self.mark_broken(row, reason)

    async def mark_broken(self, row: ConnectionRow, reason: str) -> bool:
        """Mark the connection broken (nothing is read from or sent to it until she connects
        again) and tell her, if it was working. True if this call broke it."""
        if not await connections.mark_broken(self.db, row.user_id, row.platform, reason):
            return False
        log.info("%s connection of %s marked broken", row.platform, row.user_id)
        if self.on_broken is not None:
            await self.on_broken(row, reason)
        return True

    async def revoke_replaced(self, old: ConnectionRow) -> bool:
        """A new login replaced this connection's grant: revoke the old token at the platform
        where it has a way to (the adapter's can_revoke). Never fails the
        caller. True if the platform was asked and agreed."""
        try:
            token = self.cipher.decrypt(old.token)
            adapter = await self.platforms.adapter_for(old.platform, old.instance)
            if not adapter.can_revoke:
                return False
            return await adapter.revoke_token(token)
        except (PlatformError, KeyUnavailable) as e:
            log.warning("revoking the replaced %s grant of %s failed: %s", old.platform,
                        old.user_id, type(e).__name__)
            return False

    async def disconnect(self, user_id: str, platform: str) -> bool:
        """Revoke at the platform where it allows (failures there do not keep the connection),
        then forget the connection. False if there was none."""
        row = await connections.get(self.db, user_id, platform)
        if row is None:
            return False
        try:
            token = self.cipher.decrypt(row.token)
            adapter = await self.platforms.adapter_for(platform, row.instance)
            if adapter.can_revoke:
                await adapter.revoke(token)
        except (PlatformError, KeyUnavailable) as e:
            log.warning("revoking %s for %s failed: %s", platform, user_id, type(e).__name__)
        return await connections.delete(self.db, user_id, platform)

    @staticmethod
    def account(row: ConnectionRow):
        return account_of(row)
