"""Which room is whose verified feed, and whose bot may speak for the owner in it
(feed_room), and which rooms are MSC4501 groups (group_room: nobody's, nobody speaks for
them), with a small cache."""

from __future__ import annotations

from dataclasses import dataclass

from mautrix.util.async_db import Database

from ..db import feed_rooms, group_rooms
from ..db.notify import Broadcast
from ..errors import UntrustedEvent

MAX_CACHED = 100_000


@dataclass(frozen=True)
class FeedRoom:
    room_id: str
    owner: str
    bot: str  # our bot for a local feed; the room's creator on the owner's server for a remote
    group: bool = False  # an MSC4501 group: no owner, no bot, every member may post

    def speaks_for_owner(self, sender: str) -> bool:
        if self.group:
            return False  # nobody can claim a group: its state names no owner we believe
        return sender == self.owner or (bool(self.bot) and sender == self.bot)

    def may_post(self, sender: str) -> bool:
        """Whose top-level messages are posts: the owner's in a feed; in a group whoever the
        room's power levels let send one (the homeserver checked them before we saw it)."""
        return self.group or sender == self.owner


def group_room(room_id: str) -> FeedRoom:
    return FeedRoom(room_id, owner="", bot="", group=True)


class FeedOwners:
    def __init__(self, db: Database, broadcast: Broadcast | None = None) -> None:
        self.db = db
        self._feeds: dict[str, FeedRoom] = {}
        self._rooms: dict[str, str] = {}  # owner -> room (every API post asks)
        self.broadcast = broadcast
        if broadcast is not None:  # a room recorded by another process: ask the database
            broadcast.on("feed_rooms", lambda _: self._drop())
            broadcast.on_gap(self._drop)

    async def feed_of(self, room_id: str) -> FeedRoom | None:
        feed = self._feeds.get(room_id)
        if feed is None:
            found = await feed_rooms.get(self.db, room_id)
            if found is None:
                return None
            if len(self._feeds) >= MAX_CACHED:
                self._feeds.clear()
            feed = self._feeds[room_id] = FeedRoom(room_id, *found)
        return feed

    async def group_of(self, room_id: str) -> FeedRoom | None:
        """The room as a group, when it is a group we read (never a feed room)."""
        key = "group:" + room_id
        feed = self._feeds.get(key)
        if feed is None:
            if await group_rooms.get(self.db, room_id) is None:
                return None
            if len(self._feeds) >= MAX_CACHED:
                self._feeds.clear()
            feed = self._feeds[key] = group_room(room_id)
        return feed

    async def feed_or_group(self, room_id: str) -> FeedRoom | None:
        return await self.feed_of(room_id) or await self.group_of(room_id)

    async def record_group(self, room_id: str, name: str) -> None:
        """A group just verified by its create event (matrix/group_rooms.py); never a room
        that is somebody's feed."""
        if await self.feed_of(room_id) is not None:
            raise UntrustedEvent(f"{room_id} is a feed room, not a group")
        await group_rooms.record(self.db, room_id, name)
        self._drop()
        if self.broadcast is not None:
            await self.broadcast.tell("feed_rooms")

    async def owner_of(self, room_id: str) -> str | None:
        feed = await self.feed_of(room_id)
        return feed.owner if feed else None

    async def room_of(self, owner: str) -> str | None:
        room = self._rooms.get(owner)
        if room is None:
            room = await feed_rooms.room_of(self.db, owner)
            if room:
                if len(self._rooms) >= MAX_CACHED:
                    self._rooms.clear()
                self._rooms[owner] = room
        return room

    async def feeds_among(self, room_ids: list[str]) -> set[str]:
        return await feed_rooms.feeds_among(self.db, room_ids)

    async def record(self, room_id: str, owner: str, bot: str) -> None:
        """A feed room just verified (created by our bot, or resolved on the owner's server);
        never a room recorded as a group."""
        if await group_rooms.get(self.db, room_id) is not None:
            raise UntrustedEvent(f"{room_id} is a group, nobody's feed room")
        await feed_rooms.record(self.db, room_id, owner, bot)
        self._drop()
        if self.broadcast is not None:
            await self.broadcast.tell("feed_rooms")

    def forget(self) -> None:
        self._drop()
        if self.broadcast is not None:
            self.broadcast.tell_soon("feed_rooms")

    def _drop(self) -> None:
        self._feeds.clear()
        self._rooms.clear()
