"""A local feed's topic and its owner's bio are one thing: the owner's `m.room.topic` (from any
client) becomes the bio in the profile state, and a bio set in the profile state becomes the
topic. Each side is written only when it differs, so neither change echoes back; and only from
an event that still says what the room's state says: a late copy of an older topic or bio (a
homeserver replaying what it could not deliver) would otherwise flip the other side back, and
each flip's own late copy flip it again, without end."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import EventType, RoomID

from .. import events as ev
from ..content.fields import MAX_BIO
from .feed_owners import FeedOwners

log = logging.getLogger("matrix_social.profile")


class BioTopicSync:
    def __init__(self, az: AppService, owners: FeedOwners) -> None:
        self.az = az
        self.owners = owners

    async def on_event(self, raw: dict[str, Any]) -> None:
        etype, content = raw.get("type"), raw.get("content")
        if raw.get("state_key") != "" or not isinstance(content, dict) \
                or etype not in ("m.room.topic", str(ev.PROFILE_STATE)):
            return
        feed = await self.owners.feed_of(raw["room_id"])
        if feed is None or feed.bot != self.az.bot_mxid \
                or not feed.speaks_for_owner(raw["sender"]):
            return
        room = RoomID(raw["room_id"])
        try:
            if etype == "m.room.topic":
                if await self._is_current(room, EventType.ROOM_TOPIC, "topic", content):
                    await self._bio_from_topic(room, content.get("topic"))
            elif await self._is_current(room, ev.PROFILE_STATE, "bio", content):
                await self._topic_from_bio(room, content.get("bio"))
        except MatrixRequestError as e:
            log.warning("Could not keep the topic and bio of %s together: %s", room, e)

    async def _state(self, room: RoomID, event_type: EventType) -> dict:
        try:
            content = await self.az.intent.get_state_event(room, event_type)
        except MNotFound:
            return {}
        return content.serialize() if hasattr(content, "serialize") else dict(content)

    async def _is_current(self, room: RoomID, event_type: EventType, key: str,
                          content: dict) -> bool:
        current = (await self._state(room, event_type)).get(key, "")
        if current != content.get(key, ""):
            log.debug("Not mirroring an outdated %s of %s", event_type, room)
            return False
        return True

    async def _bio_from_topic(self, room: RoomID, topic: Any) -> None:
        topic = (topic if isinstance(topic, str) else "").strip()[:MAX_BIO]
        profile = await self._state(room, ev.PROFILE_STATE)
        if profile.get("bio", "") != topic:
            await self.az.intent.send_state_event(room, ev.PROFILE_STATE, {
                "bio": topic, "links": profile.get("links", []),
                "interests": profile.get("interests", [])})

    async def _topic_from_bio(self, room: RoomID, bio: Any) -> None:
        bio = bio if isinstance(bio, str) else ""
        if (await self._state(room, EventType.ROOM_TOPIC)).get("topic", "") != bio:
            await self.az.intent.send_state_event(room, EventType.ROOM_TOPIC, {"topic": bio})
