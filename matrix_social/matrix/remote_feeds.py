"""Feed rooms of users on other servers: found by their alias, joined by the bot, indexed here.

The owner's homeserver answers for `#feed_NAME:SERVER` (its own matrix-social creates the room
on the alias query). The bot joins without following, so the homeserver delivers the room's
events to us; the room's state and its latest posts are indexed at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import RoomAlias, RoomID

from .. import events as ev
from ..db import feed_rooms

if TYPE_CHECKING:
    from ..bridge import SocialBridge

log = logging.getLogger("matrix_social.remote")

BACKFILL_EVENTS = 50
MAX_REMEMBERED = 10_000


class RemoteUnreachable(Exception):
    """The other homeserver could not be reached (or would not answer) just now."""


class NoRemoteFeed(LookupError):
    pass


def unreachable(server: str, what: str, error: MatrixRequestError) -> RemoteUnreachable:
    return RemoteUnreachable(
        f"Could not {what} on {server}: {error.errcode or error.http_status} "
        f"{error.message or ''}".rstrip() + ". Try again later.")


async def join_via(intent: IntentAPI, room_id: RoomID, server: str, content: dict) -> None:
    """Join a room this homeserver may not be in yet, asking `server` for it."""
    await intent.api.request(Method.POST, Path.v3.join[room_id], content=content,
                             query_params={"server_name": server})
    await intent.state_store.joined(room_id, intent.mxid)


class RemoteFeeds:
    def __init__(self, bridge: SocialBridge) -> None:
        self.bridge = bridge
        self.ids = bridge.identities
        self.prefix = bridge.config["bridge.feed_alias_prefix"]
        self._checked: set[str] = set()

    @property
    def bot(self) -> IntentAPI:
        return self.bridge.az.intent

    async def attach(self, owner: str) -> RoomID:
        """Find the remote owner's feed room, join it as the bot and index it."""
        localpart, server = self.ids.split(owner)
        room_id = await self._resolve(RoomAlias(f"#{self.prefix}{localpart}:{server}"), server)
        try:
            await join_via(self.bot, room_id, server, {ev.FOLLOW_FLAG: False})
            state = await self.bot.api.request(Method.GET, Path.v3.rooms[room_id].state)
        except MatrixRequestError as e:
            raise unreachable(server, "join the feed room", e) from None
        await self._index_state(room_id, owner, state)
        await self._backfill(room_id)
        log.info("Attached %s's feed room %s from %s", owner, room_id, server)
        return room_id

    async def _resolve(self, alias: RoomAlias, server: str) -> RoomID:
        try:
            return (await self.bot.resolve_room_alias(alias)).room_id
        except MNotFound:
            raise NoRemoteFeed(f"{server} has no feed room {alias}") from None
        except MatrixRequestError as e:
            raise unreachable(server, f"look up {alias}", e) from None

    async def _index_state(self, room_id: RoomID, owner: str, state: list[dict[str, Any]]) -> None:
        feed = next((e for e in state if e.get("type") == str(ev.FEED_STATE)
                     and e.get("state_key") == ""), None)
        if feed is None or (feed.get("content") or {}).get(ev.FEED_OWNER_KEY) != owner:
            await self.bot.leave_room(room_id)
            raise NoRemoteFeed(f"{room_id} is not {owner}'s feed room")
        creator = next((e.get("sender") for e in state if e.get("type") == "m.room.create"), None)
        await self.bridge.ingest.apply(feed)
        await feed_rooms.upsert(self.bridge.db, room_id, owner)
        for raw in state:
            # The creating bot's own join is not a follow (a live stream never indexes it:
            # it comes before the feed state).
            if raw is feed or (raw.get("type") == "m.room.member"
                               and raw.get("state_key") == creator != owner):
                continue
            await self.bridge.ingest.apply({**raw, "room_id": room_id})

    async def _backfill(self, room_id: RoomID) -> None:
        """The latest posts, likes and comments, oldest first."""
        try:
            page = await self.bot.api.request(
                Method.GET, Path.v3.rooms[room_id].messages,
                query_params={"dir": "b", "limit": str(BACKFILL_EVENTS)})
        except MatrixRequestError as e:
            log.warning("Could not backfill %s: %s", room_id, e)
            return
        for raw in reversed(page.get("chunk", [])):
            if raw.get("state_key") is None:
                await self.bridge.ingest.apply(raw)

    def joined_unknown_room(self, room_id: str, user_id: str) -> None:
        """One of our users joined a room we know nothing of, maybe from Element by
        `#feed_NAME:SERVER`: if it is a remote feed room, attach it (in the background)."""
        if room_id in self._checked:
            return
        if len(self._checked) >= MAX_REMEMBERED:
            self._checked.clear()
        self._checked.add(room_id)
        self.bridge.background.spawn(self._discover(RoomID(room_id), user_id))

    async def _discover(self, room_id: RoomID, user_id: str) -> None:
        try:
            intent = await self.bridge.feed_rooms.intent_for(user_id)
            feed = await intent.get_state_event(room_id, ev.FEED_STATE)
        except Exception:  # not a feed room, or we cannot read it as this user
            return
        owner = (feed.serialize() if hasattr(feed, "serialize") else feed).get(
            ev.FEED_OWNER_KEY)
        if not isinstance(owner, str) or self.ids.split(owner) is None \
                or self.ids.local_localpart(owner):
            return
        try:
            attached = await self.bridge.feed_rooms.ensure(owner)
        except (RemoteUnreachable, NoRemoteFeed) as e:
            self._checked.discard(room_id)
            log.warning("Could not attach %s's feed room %s: %s", owner, room_id, e)
            return
        if attached != room_id:
            log.info("%s joined %s, which is not %s's feed room %s", user_id, room_id, owner,
                     attached)
