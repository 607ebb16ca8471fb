"""Who exists, and their Matrix profile, as the homeserver (ours or another) says."""

from __future__ import annotations

import time

from mautrix.appservice import AppService, IntentAPI
from mautrix.errors import MatrixRequestError
from mautrix.types import UserID
from mautrix.util.async_db import Database

from ..db import profiles
from ..errors import RemoteUnreachable
from ..ids import Identities

EXISTS_TTL_SECONDS = 300
MAX_REMEMBERED = 100_000


class UserDirectory:
    def __init__(self, az: AppService, db: Database, ids: Identities) -> None:
        self.az = az
        self.db = db
        self.ids = ids
        self._exists: dict[str, float] = {}

    @property
    def bot(self) -> IntentAPI:
        return self.az.intent

    async def exists(self, user_id: str) -> bool:
        if self._exists.get(user_id, 0) > time.monotonic():
            return True
        # Our AI puppets exist once their owner does; another server's AI may not have been
        # created yet either, so its owner answers for it.
        owner = self.ids.named_owner(user_id)
        local = self.ids.local_localpart(user_id) is not None
        candidates = [owner] if local and self.ids.is_ai(user_id) else [user_id, owner]
        for target in filter(None, candidates):
            if await self._profile_exists(target):
                if len(self._exists) >= MAX_REMEMBERED:
                    self._exists.clear()
                self._exists[user_id] = time.monotonic() + EXISTS_TTL_SECONDS
                return True
        return False

    async def _profile_exists(self, user_id: str) -> bool:
        try:
            await self.bot.get_profile(UserID(user_id))
        except MatrixRequestError as e:
            if e.http_status in (403, 404):
                return False
            server = self.ids.split(user_id)[1]
            if server != self.ids.domain:
                raise unreachable(server, f"look up {user_id}", e) from None
            raise
        return True

    async def profile(self, user_id: str) -> tuple[str, str | None]:
        """(display name or handle, avatar) from the homeserver; the index when it fails."""
        handle = self.ids.handle_of(user_id)
        try:
            found = await self.bot.get_profile(UserID(user_id))
        except MatrixRequestError:
            stored = await profiles.get(self.db, user_id)
            return stored[0] or handle, stored[1]
        return found.displayname or handle, found.avatar_url or None


def unreachable(server: str, what: str, error: MatrixRequestError) -> RemoteUnreachable:
    """A homeserver's refusal to reach another server, as a sentence for the user."""
    return RemoteUnreachable(
        f"Could not {what} on {server}: {error.errcode or error.http_status} "
        f"{error.message or ''}".rstrip() + ". Try again later.")
