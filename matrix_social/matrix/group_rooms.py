"""MSC4501 group rooms (ownerless group pages) followed by our users: found by room id or alias,
joined (or knocked on) as the follower, verified by the room's own create event, indexed.

The bot never joins a group: the follower's membership is what brings the room's events to
this server (so nothing is read of a room none of our users has joined). A group is believed
to be a group only by the `type` of its m.room.create, read from the room once joined; the
room summary asked before (type, join rule) only chooses between join and knock. A room that
is somebody's feed room is never a group, and a group is never anybody's feed (FeedOwners).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import AppService, IntentAPI
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import RoomAlias, RoomID

from .. import events as ev
from ..errors import Forbidden, InvalidInput, NotFound
from ..ids import Identities
from . import msc4501
from .feed_owners import FeedOwners
from .ingest import Ingest
from .remote_feeds import BACKFILL_EVENTS, knock_via
from .user_directory import unreachable

log = logging.getLogger("matrix_social.groups")

@dataclass(frozen=True)
class RoomAddress:
    room_id: RoomID
    via: tuple[str, ...]


class GroupRooms:
    def __init__(self, az: AppService, ids: Identities, owners: FeedOwners,
                 ingest: Ingest) -> None:
        self.az = az
        self.ids = ids
        self.owners = owners
        self.ingest = ingest

    @property
    def bot(self) -> IntentAPI:
        return self.az.intent

    async def address(self, room: str, via: str | None = None) -> RoomAddress:
        """A room id (with the servers to ask) from `!id` or `#alias:server`."""
        room = (room or "").strip()
        if room.startswith("#") and self.ids.split("@" + room[1:]) is not None:
            try:
                found = await self.bot.resolve_room_alias(RoomAlias(room))
            except MNotFound:
                raise NotFound(f"No room has the alias {room}") from None
            except MatrixRequestError as e:
                raise unreachable(room.partition(":")[2], f"look up {room}", e) from None
            servers = tuple(s for s in found.servers if msc4501.is_server_name(s))[:5]
            return RoomAddress(found.room_id, servers or (room.partition(":")[2],))
        if not msc4501.is_room_id(room):
            raise InvalidInput("room must be a room id (!…) or an alias (#name:server)")
        servers = [via] if via and msc4501.is_server_name(via) else []
        if ":" in room:  # room versions before 12 name the creating server
            servers.append(room.partition(":")[2])
        return RoomAddress(RoomID(room), tuple(dict.fromkeys(servers)) or (self.ids.domain,))

    async def summary(self, intent: IntentAPI, where: RoomAddress
                      ) -> msc4501.RoomSummary | None:
        return await msc4501.room_summary(intent, where.room_id, where.via)

    async def join(self, intent: IntentAPI, where: RoomAddress) -> None:
        """Join as the follower (a join is a follow, MSC4501 §Following)."""
        last: MatrixRequestError | None = None
        for server in where.via:
            try:
                await intent.api.request(Method.POST, Path.v3.join[where.room_id],
                                         content={ev.FOLLOW_FLAG: True},
                                         query_params={"server_name": server})
                await intent.state_store.joined(where.room_id, intent.mxid)
                return
            except MatrixRequestError as e:
                last = e
        assert last is not None
        if last.http_status == 403:  # a private room: the homeserver said no, not "later"
            raise Forbidden(f"{where.room_id} does not let you in: {last.message}")
        if last.http_status == 404:
            raise NotFound(f"No room {where.room_id} was found")
        raise unreachable(where.via[-1], f"join {where.room_id}", last)

    async def knock(self, intent: IntentAPI, where: RoomAddress, reason: str) -> str:
        """Ask to join (the room's join rule is knock); the server that took the knock."""
        return await knock_via(intent, where.room_id, where.via, reason)

    async def adopt(self, intent: IntentAPI, room_id: RoomID) -> str:
        """The room just joined by `intent`'s user: recorded and indexed as a group when its
        create event says it is one (its state, read as that member); else left and refused.
        The group's name."""
        try:
            state = await intent.api.request(Method.GET, Path.v3.rooms[room_id].state)
        except MatrixRequestError as e:
            raise unreachable(room_id, "read the room", e) from None
        kind = msc4501.room_type(state)
        if kind != ev.SOCIAL_GROUP_ROOM_TYPE or await self.owners.feed_of(room_id):
            await intent.leave_room(room_id, reason="not an MSC4501 group room")
            raise InvalidInput(f"{room_id} is not an MSC4501 group room (its type is "
                               f"{kind or 'none'}); to follow a person, use their handle")
        name = _name(state)
        await self.owners.record_group(room_id, name)
        for raw in state:  # members (the followers), the name
            await self.ingest.apply({**raw, "room_id": room_id})
        await self._backfill(intent, room_id)
        log.info("Following the group %s (%s) as %s", room_id, name, intent.mxid)
        return name

    async def _backfill(self, intent: IntentAPI, room_id: RoomID) -> None:
        try:
            page = await intent.api.request(
                Method.GET, Path.v3.rooms[room_id].messages,
                query_params={"dir": "b", "limit": str(BACKFILL_EVENTS)})
        except MatrixRequestError as e:
            log.warning("Could not backfill the group %s: %s", room_id, e)
            return
        for raw in reversed(page.get("chunk", [])):
            if raw.get("state_key") is None:
                await self.ingest.apply(raw)


def _name(state: list[dict[str, Any]]) -> str:
    named = next((e for e in state if e.get("type") == "m.room.name"
                  and e.get("state_key") == ""), None)
    name = ((named or {}).get("content") or {}).get("name")
    return name[:255] if isinstance(name, str) else ""
