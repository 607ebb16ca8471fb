"""A local feed's topic and its owner's bio are one thing: the owner's `m.room.topic` (from any
client) becomes the bio in the profile state, and a bio set in the profile state becomes the
topic. A side written to follow the other carries MIRRORED_FROM (the event it follows) and is
never mirrored back, so nothing echoes, however late the homeserver delivers our own write;
and only an event that still says what the room's state says is mirrored: a late copy of an
older topic or bio (a homeserver replaying what it could not deliver) would otherwise flip the
other side back, nor one older than the other side's current state (a topic she set in
Element just before another bio in the app, handled after it). That last check needs the
state event's time (`format=event`); a homeserver that answers with the content only gets
the first two. Writes of the profile state are one at a time per room with the API's."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import EventType, RoomID

from .. import events as ev
from ..content.fields import MAX_BIO
from ..locks import KeyedLocks
from .feed_owners import FeedOwners

log = logging.getLogger("matrix_social.profile")


class BioTopicSync:
    def __init__(self, az: AppService, owners: FeedOwners, writes: KeyedLocks) -> None:
        self.az = az
        self.owners = owners
        self.writes = writes  # shared with the API's profile update (FeedRooms)

    async def on_event(self, raw: dict[str, Any]) -> None:
        etype, content = raw.get("type"), raw.get("content")
        if raw.get("state_key") != "" or not isinstance(content, dict) \
                or etype not in ("m.room.topic", str(ev.PROFILE_STATE)) \
                or ev.MIRRORED_FROM in content:
            return
        feed = await self.owners.feed_of(raw["room_id"])
        if feed is None or feed.bot != self.az.bot_mxid \
                or not feed.speaks_for_owner(raw["sender"]):
            return
        room = RoomID(raw["room_id"])
        try:
            async with self.writes.hold(room):
                await self._mirror(room, raw)
        except MatrixRequestError as e:
            log.warning("Could not keep the topic and bio of %s together: %s", room, e)

    async def _mirror(self, room: RoomID, raw: dict[str, Any]) -> None:
        if raw["type"] == "m.room.topic":
            await self._follow(room, raw, "topic", ev.PROFILE_STATE, "bio")
        else:
            await self._follow(room, raw, "bio", EventType.ROOM_TOPIC, "topic")

    async def _follow(self, room: RoomID, raw: dict[str, Any], key: str,
                      other_type: EventType, other_key: str) -> None:
        """Write the other side from `raw` if `raw` still says what the room's state says
        (a late copy of an older one does not) and the other side was not set after it."""
        content = raw["content"]
        own, _ = await self._state(room, EventType.find(raw["type"]))
        if own.get(key, "") != content.get(key, ""):
            log.debug("Not mirroring an outdated %s of %s", raw["type"], room)
            return
        other, other_ts = await self._state(room, other_type)
        ts = raw.get("origin_server_ts")
        if isinstance(ts, int) and other_ts is not None and other_ts > ts:
            log.debug("Not mirroring %s of %s over a newer %s", raw["type"], room, other_type)
            return
        value = content.get(key)
        value = (value if isinstance(value, str) else "").strip()[:MAX_BIO]
        if other.get(other_key, "") == value:
            return
        if other_type == EventType.ROOM_TOPIC:
            new = {"topic": value}
        else:
            kept = {k: v for k, v in other.items() if k != ev.MIRRORED_FROM}
            new = {**kept, "bio": value, "links": other.get("links", []),
                   "interests": other.get("interests", [])}
        await self.az.intent.send_state_event(room, other_type, {
            **new, ev.MIRRORED_FROM: raw.get("event_id")})

    async def _state(self, room: RoomID, event_type: EventType) -> tuple[dict, int | None]:
        """A state event's content and, where the homeserver tells (format=event), when it
        was sent; ({}, None) when unset."""
        try:
            answer = await self.az.intent.api.request(
                Method.GET, Path.v3.rooms[room].state[event_type][""],
                query_params={"format": "event"})
        except MNotFound:
            return {}, None
        if isinstance(answer.get("content"), dict) and "origin_server_ts" in answer:
            ts = answer["origin_server_ts"]
            return answer["content"], ts if isinstance(ts, int) else None
        return dict(answer), None  # a homeserver that answers with the content only
