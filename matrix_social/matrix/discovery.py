"""A local user joined a room we know nothing of, maybe from Element by `#feed_NAME:SERVER`:
if it is another server's feed room, attach it (in the background)."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.types import RoomID

from .. import events as ev
from ..background import Background
from ..errors import NoRemoteFeed, RemoteUnreachable
from ..ids import Identities
from .feed_owners import FeedOwners
from .feed_rooms import FeedRooms
from .intents import Intents

log = logging.getLogger("matrix_social.remote")
MAX_REMEMBERED = 10_000


class RemoteFeedDiscovery:
    def __init__(self, ids: Identities, owners: FeedOwners, intents: Intents,
                 feed_rooms: FeedRooms, background: Background) -> None:
        self.ids = ids
        self.owners = owners
        self.intents = intents
        self.feed_rooms = feed_rooms
        self.background = background
        self._checked: set[str] = set()

    async def on_event(self, raw: dict[str, Any]) -> None:
        content = raw.get("content")
        if raw.get("type") != "m.room.member" or not isinstance(content, dict) \
                or content.get("membership") != "join":
            return
        user_id, room_id = raw.get("state_key"), raw["room_id"]
        if not isinstance(user_id, str) or not self.ids.is_local_human(user_id) \
                or room_id in self._checked or await self.owners.owner_of(room_id):
            return
        if len(self._checked) >= MAX_REMEMBERED:
            self._checked.clear()
        self._checked.add(room_id)
        self.background.spawn(self._discover(RoomID(room_id), user_id))

    async def _claimed_owner(self, room_id: RoomID, user_id: str) -> str | None:
        """Whom the room says it belongs to: our feed state, or MSC4501's profile_user_id.
        A claim only: ensure() finds the owner's room from the owner's side."""
        try:
            intent = await self.intents.for_user(user_id)
        except Exception:
            return None
        for event_type, key in ((ev.FEED_STATE, ev.FEED_OWNER_KEY),
                                (ev.SOCIAL_PROFILE_USER_ID, ev.SOCIAL_PROFILE_USER_ID_KEY)):
            try:
                state = await intent.get_state_event(room_id, event_type)
            except Exception:  # not such a room, or we cannot read it as this user
                continue
            owner = (state.serialize() if hasattr(state, "serialize") else state).get(key)
            if owner is not None:
                return owner
        return None

    async def _discover(self, room_id: RoomID, user_id: str) -> None:
        owner = await self._claimed_owner(room_id, user_id)
        if not isinstance(owner, str) or self.ids.split(owner) is None \
                or self.ids.local_localpart(owner):
            return
        try:
            attached = await self.feed_rooms.ensure(owner)
        except (RemoteUnreachable, NoRemoteFeed) as e:
            self._checked.discard(room_id)
            log.warning("Could not attach %s's feed room %s: %s", owner, room_id, e)
            return
        if attached != room_id:
            log.info("%s joined %s, which is not %s's feed room %s", user_id, room_id, owner,
                     attached)
