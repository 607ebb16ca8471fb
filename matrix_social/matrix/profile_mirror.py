"""A local feed owner's Matrix profile changed: the feed room's name and avatar follow it, and
so does the name of their AI ("NAME's AI").

Both ways in: her member event from any client (on_event), and her own edit through the API
(profile_edited), where the AI is renamed before the API answers, so the next read of the AI's
profile, posts or search already has her new name (it used to wait for the member event's
transaction, and a page read in between kept "OLDNAME's AI")."""

from __future__ import annotations

from typing import Any

from ..ids import Identities
from .ai_puppets import Puppets
from .feed_owners import FeedOwners
from .feed_rooms import FeedRooms


class ProfileMirror:
    def __init__(self, ids: Identities, owners: FeedOwners, feed_rooms: FeedRooms,
                 puppets: Puppets) -> None:
        self.ids = ids
        self.owners = owners
        self.feed_rooms = feed_rooms
        self.puppets = puppets

    async def on_event(self, raw: dict[str, Any]) -> None:
        content = raw.get("content")
        if raw.get("type") != "m.room.member" or not isinstance(content, dict) \
                or content.get("membership") != "join":
            return
        owner = await self.owners.owner_of(raw["room_id"])
        if owner is None or raw.get("state_key") != owner or not self.ids.local_localpart(owner):
            return
        displayname, avatar = content.get("displayname"), content.get("avatar_url")
        await self.feed_rooms.sync_room_profile(
            raw["room_id"], displayname if isinstance(displayname, str) else None,
            avatar if isinstance(avatar, str) else None)
        ai = self.ids.ai_of(owner)
        if ai:
            await self.puppets.rename_if_registered(ai)

    async def profile_edited(self, user: str, fields: list[str]) -> None:
        """After PATCH /profile (a Profiles.on_updated listener)."""
        if "display_name" not in fields or not self.ids.local_localpart(user):
            return
        ai = self.ids.ai_of(user)
        if ai:
            await self.puppets.rename_if_registered(ai)
