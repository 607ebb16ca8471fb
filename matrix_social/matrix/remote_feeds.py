"""Feed rooms of users on other servers: found by their alias, joined by the bot, indexed here.

The owner's homeserver answers for `#feed_NAME:SERVER` (its own matrix-social creates the room
on the alias query). The bot joins without following, so the homeserver delivers the room's
events to us; the room's state and its latest posts are indexed at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

from mautrix.api import Method, Path
from mautrix.appservice import AppService, IntentAPI
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import RoomAlias, RoomID

from .. import events as ev
from ..errors import KnockRequired, NoRemoteFeed, RemoteUnreachable
from ..ids import Identities
from . import msc4501
from .feed_owners import FeedOwners
from .ingest import Ingest
from .user_directory import unreachable

log = logging.getLogger("matrix_social.remote")

BACKFILL_EVENTS = 50
# A follow of somebody whose server is down fails within this, instead of waiting for the
# homeserver's own federation retries (a minute or more) inside the request.
REACH_TIMEOUT = 5.0


async def join_via(intent: IntentAPI, room_id: RoomID, server: str, content: dict) -> None:
    """Join a room this homeserver may not be in yet, asking `server` for it."""
    await intent.api.request(Method.POST, Path.v3.join[room_id], content=content,
                             query_params={"server_name": server})
    await intent.state_store.joined(room_id, intent.mxid)


async def knock_via(intent: IntentAPI, room_id: RoomID, servers: tuple[str, ...],
                    reason: str) -> str:
    """Ask to join a room whose join rule is knock, through the first server that takes it;
    that server's name."""
    last: MatrixRequestError | None = None
    for server in servers:
        try:
            await intent.api.request(Method.POST, f"/_matrix/client/v3/knock/{quote(room_id)}",
                                     content={"reason": reason},
                                     query_params={"server_name": server})
            return server
        except MatrixRequestError as e:
            last = e
    if last is None:
        raise RemoteUnreachable(f"No server to ask for {room_id}")
    raise unreachable(servers[-1], f"knock on {room_id}", last)


class RemoteFeeds:
    def __init__(self, az: AppService, ids: Identities, owners: FeedOwners, ingest: Ingest,
                 alias_prefix: str, reach_timeout: float = REACH_TIMEOUT) -> None:
        self.az = az
        self.ids = ids
        self.owners = owners
        self.ingest = ingest
        self.prefix = alias_prefix
        self.reach_timeout = reach_timeout

    @property
    def bot(self) -> IntentAPI:
        return self.az.intent

    async def attach(self, owner: str) -> RoomID:
        """Find the remote owner's feed room, join it as the bot and index it: the MSC4501
        profile room their profile names, if it agrees, else `#feed_NAME` on their server."""
        localpart, server = self.ids.split(owner)
        try:
            async with asyncio.timeout(self.reach_timeout):
                found = await self._join_profile_room(owner, server)
        except TimeoutError:
            log.info("%s's profile room did not answer within %g seconds", owner,
                     self.reach_timeout)
            found = None
        try:
            if found is None:
                async with asyncio.timeout(self.reach_timeout):
                    room_id, state = await self._join(owner, localpart, server)
        except TimeoutError:
            raise RemoteUnreachable(
                f"{server} did not answer within {self.reach_timeout:g} seconds. "
                "Try again later.") from None
        if found is not None:
            room_id, state = found
            await self.owners.record(room_id, owner, "")  # only the owner speaks for the owner
            for raw in state:
                await self.ingest.apply({**raw, "room_id": room_id})
        else:
            await self._index_state(room_id, owner, server, state)
        await self._backfill(room_id)
        log.info("Attached %s's feed room %s from %s", owner, room_id, server)
        return room_id

    async def _join(self, owner: str, localpart: str, server: str) -> tuple[RoomID, list]:
        room_id = await self._resolve(RoomAlias(f"#{self.prefix}{localpart}:{server}"), server)
        try:
            await join_via(self.bot, room_id, server, {ev.FOLLOW_FLAG: False})
            state = await self.bot.api.request(Method.GET, Path.v3.rooms[room_id].state)
        except MatrixRequestError as e:
            raise unreachable(server, "join the feed room", e) from None
        return room_id, state

    async def _join_profile_room(self, owner: str, server: str
                                 ) -> tuple[RoomID, list] | None:
        """The MSC4501 profile room the owner's profile names, joined, with its state, when
        the room names the owner back (msc4501.ownership_problem); else None."""
        pointer = await msc4501.profile_room_of(self.bot, owner)
        if pointer is None or await self.owners.owner_of(pointer.room_id):
            return None
        room_id = RoomID(pointer.room_id)
        servers = (*pointer.via, server) if server not in pointer.via else pointer.via
        summary = await msc4501.room_summary(self.bot, room_id, servers)
        if summary is not None and summary.asks_to_knock \
                and summary.room_type == ev.SOCIAL_PROFILE_ROOM_TYPE:
            # The bot cannot join; the follower knocks, and the room is verified once she is
            # let in (matrix/knock_answers.py).
            raise KnockRequired(f"{owner}'s profile room lets people in by invite: following "
                                "them asks for one", room_id, servers, owner)
        try:
            for via in servers:
                try:
                    await join_via(self.bot, room_id, via, {ev.FOLLOW_FLAG: False})
                    break
                except MatrixRequestError:
                    if via == server:
                        raise
            state = await self.bot.api.request(Method.GET, Path.v3.rooms[room_id].state)
        except MatrixRequestError as e:
            log.info("Could not join %s's profile room %s: %s", owner, room_id, e)
            return None
        if msc4501.room_type(state) != ev.SOCIAL_PROFILE_ROOM_TYPE:
            # A matrix-social feed room named by the field is found by its alias instead.
            if msc4501.room_type(state) != ev.FEED_ROOM_TYPE:
                await self.bot.leave_room(room_id)
            return None
        problem = msc4501.ownership_problem(state, owner)
        if problem:
            await self.bot.leave_room(room_id)
            log.warning("%s's profile names %s, but %s", owner, room_id, problem)
            return None
        return room_id, state

    async def adopt_profile_room(self, intent: IntentAPI, room_id: RoomID, owner: str) -> None:
        """The knock-only profile room `intent`'s user was just let into: recorded as the
        owner's feed when it passes the same two-way check as any profile room (read now, as
        that member); else she leaves it and the follow is refused."""
        try:
            state = await intent.api.request(Method.GET, Path.v3.rooms[room_id].state)
        except MatrixRequestError as e:
            raise unreachable(room_id, "read the profile room", e) from None
        problem = msc4501.ownership_problem(state, owner) or await self._not_named(owner, room_id)
        if problem:
            await intent.leave_room(room_id, reason="not the owner's profile room")
            raise NoRemoteFeed(f"{room_id} is not {owner}'s profile room: {problem}")
        await self.owners.record(room_id, owner, "")
        for raw in state:
            await self.ingest.apply({**raw, "room_id": room_id})
        await self._backfill(room_id, intent)
        log.info("Attached %s's knock-only profile room %s", owner, room_id)

    async def _not_named(self, owner: str, room_id: str) -> str | None:
        pointer = await msc4501.profile_room_of(self.bot, owner)
        if pointer is None or pointer.room_id != room_id:
            return f"{owner}'s profile does not name it"
        return None

    async def _resolve(self, alias: RoomAlias, server: str) -> RoomID:
        try:
            return (await self.bot.resolve_room_alias(alias)).room_id
        except MNotFound:
            raise NoRemoteFeed(f"{server} has no feed room {alias}") from None
        except MatrixRequestError as e:
            raise unreachable(server, f"look up {alias}", e) from None

    async def _index_state(self, room_id: RoomID, owner: str, server: str,
                           state: list[dict[str, Any]]) -> None:
        """The room is the owner's feed because their server maps the alias to it; its state
        must agree. The room's creator speaks for the owner only if it is a user of the
        owner's own server (that server's matrix-social bot)."""
        feed = next((e for e in state if e.get("type") == str(ev.FEED_STATE)
                     and e.get("state_key") == ""), None)
        if feed is None or (feed.get("content") or {}).get(ev.FEED_OWNER_KEY) != owner:
            await self.bot.leave_room(room_id)
            raise NoRemoteFeed(f"{room_id} is not {owner}'s feed room")
        creator = next((e.get("sender") for e in state if e.get("type") == "m.room.create"), "")
        creator_server = (self.ids.split(creator) or ("", ""))[1]
        await self.owners.record(room_id, owner, creator if creator_server == server else "")
        for raw in state:
            await self.ingest.apply({**raw, "room_id": room_id})

    async def _backfill(self, room_id: RoomID, reader: IntentAPI | None = None) -> None:
        """The latest posts, likes and comments, oldest first."""
        try:
            page = await (reader or self.bot).api.request(
                Method.GET, Path.v3.rooms[room_id].messages,
                query_params={"dir": "b", "limit": str(BACKFILL_EVENTS)})
        except MatrixRequestError as e:
            log.warning("Could not backfill %s: %s", room_id, e)
            return
        for raw in reversed(page.get("chunk", [])):
            if raw.get("state_key") is None:
                await self.ingest.apply(raw)
