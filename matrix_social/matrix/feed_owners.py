"""Which room is whose feed, as the index knows it (feed_room), with a small cache."""

from __future__ import annotations

from mautrix.util.async_db import Database

from ..db import feed_rooms

MAX_CACHED = 100_000


class FeedOwners:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._owners: dict[str, str] = {}

    async def owner_of(self, room_id: str) -> str | None:
        owner = self._owners.get(room_id)
        if owner is None:
            owner = await feed_rooms.owner_of(self.db, room_id)
            if owner:
                if len(self._owners) >= MAX_CACHED:
                    self._owners.clear()
                self._owners[room_id] = owner
        return owner

    async def room_of(self, owner: str) -> str | None:
        return await feed_rooms.room_of(self.db, owner)

    def forget(self) -> None:
        self._owners.clear()
