"""Following: a join to the followed feed room; unfollowing: a leave. A person whose MSC4501
profile room asks to knock is asked (a knock, the follow pending until she is invited).
Followers and following lists, keyset-paginated."""

from __future__ import annotations

import asyncio
from typing import Any

from mautrix.types import RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..db import follow_requests, follows
from ..errors import InvalidInput, KnockRequired, RemoteUnreachable
from ..ids import Identities
from ..matrix.feed_rooms import FeedRooms
from ..matrix.ingest import FollowFence
from ..matrix.intents import Intents
from ..matrix.remote_feeds import REACH_TIMEOUT, knock_via
from . import cursor as cursors
from .block_list import BlockList
from .users import Users

KNOCK_REASON = "Asking to follow from matrix-social"


class Follows:
    def __init__(self, db: Database, ids: Identities, users: Users, intents: Intents,
                 feed_rooms: FeedRooms, fence: FollowFence,
                 blocks: BlockList | None = None) -> None:
        self.db = db
        self.blocks = blocks or BlockList(db)
        self.fence = fence
        self.ids = ids
        self.users = users
        self.intents = intents
        self.rooms = feed_rooms

    async def follow(self, user: str, handle: str) -> dict[str, Any]:
        try:
            target, room_id = await self._target(handle)
        except KnockRequired as knock:
            return await self._ask(user, knock)
        if target == user:
            raise InvalidInput("You cannot follow yourself")
        await self.blocks.refuse_if_blocked(target, user, "follow them")
        intent = await self.intents.for_user(user)
        if not await follows.is_following(self.db, room_id, user):
            async with self.fence.around(room_id, user, follows=True):
                await intent.join_room_by_id(room_id, extra_content={ev.FOLLOW_FLAG: True})
            await follows.upsert_provisional(self.db, room_id, user, now_ms())
        return await self.status(user, target, room_id)

    async def _ask(self, user: str, knock: KnockRequired) -> dict[str, Any]:
        """Following somebody whose profile room asks to knock: her knock, a pending request
        (matrix/knock_answers.py makes it a follow when she is invited)."""
        await self.blocks.refuse_if_blocked(knock.owner, user, "follow them")
        request = await follow_requests.get(self.db, knock.room_id, user)
        if request is None or request["state"] != follow_requests.PENDING:
            intent = await self.intents.for_user(user)
            server = await knock_via(intent, RoomID(knock.room_id), knock.via, KNOCK_REASON)
            await follow_requests.pending(self.db, knock.room_id, user, "profile", knock.owner,
                                          server)
        return await self.status(user, knock.owner, knock.room_id)

    async def unfollow(self, user: str, handle: str) -> dict[str, Any]:
        try:
            target, room_id = await self._target(handle)
        except KnockRequired as knock:  # a pending follow: withdraw the knock
            if await follow_requests.get(self.db, knock.room_id, user) is not None:
                await follow_requests.delete(self.db, knock.room_id, user)
                await (await self.intents.for_user(user)).leave_room(RoomID(knock.room_id))
            return await self.status(user, knock.owner, knock.room_id)
        if await follows.is_following(self.db, room_id, user):
            intent = await self.intents.for_user(user)
            async with self.fence.around(room_id, user, follows=False):
                await intent.leave_room(room_id)
            await follows.delete(self.db, room_id, user)
        return await self.status(user, target, room_id)

    async def _target(self, handle: str) -> tuple[str, str]:
        """The user and their feed room; for a user of another server within REACH_TIMEOUT
        (their server may be down, and the homeserver retries federation for minutes)."""
        named = self.ids.parse_handle(handle)
        server = self.ids.split(named)[1] if named else self.ids.domain
        try:
            async with asyncio.timeout(None if server == self.ids.domain
                                       else REACH_TIMEOUT):
                target = await self.users.resolve(handle)
        except TimeoutError:
            raise RemoteUnreachable(f"{server} did not answer within {REACH_TIMEOUT:g} "
                                    "seconds. Try again later.") from None
        # Bounded inside: the MSC4501 profile room, then the feed alias, each in its time.
        return target, await self.rooms.ensure(target)

    async def status(self, user: str, target: str, room_id: str) -> dict[str, Any]:
        following = await follows.is_following(self.db, room_id, user)
        view = {"user_id": target, "handle": self.users.handle_of(target), "room_id": room_id,
                "following": following, "state": "following" if following else "none",
                "followers_count": await follows.count_followers(self.db, room_id)}
        request = None if following else await follow_requests.get(self.db, room_id, user)
        if request is not None:
            view["state"] = request["state"]
            if request["reason"]:
                view["reason"] = request["reason"]
        return view

    async def followers(self, viewer: str, handle: str, cursor: str | None,
                        limit: int) -> dict[str, Any]:
        target = await self.users.resolve(handle)
        room_id = await self.rooms.ensure(target)
        rows = await follows.followers_page(self.db, room_id, cursors.decode(cursor),
                                            limit + 1)
        return await self._people_page(viewer, rows, limit,
                                       await follows.count_followers(self.db, room_id))

    async def following(self, viewer: str, handle: str, cursor: str | None,
                        limit: int) -> dict[str, Any]:
        target = await self.users.resolve(handle)
        rows = await follows.following_page(self.db, target, cursors.decode(cursor), limit + 1)
        return await self._people_page(viewer, rows, limit,
                                       await follows.count_following(self.db, target))

    async def _people_page(self, viewer: str, rows: list, limit: int,
                           total: int) -> dict[str, Any]:
        """Each person with the name, picture and bio the index has, and whether the viewer
        follows them (so a list can show the right Follow button)."""
        people = cursors.page(
            rows, limit,
            lambda r: {"user_id": r["user_id"], "handle": self.users.handle_of(r["user_id"]),
                       "since": r["ts"]},
            lambda r: (r["ts"], r["user_id"]))
        details, followed = await follows.people_details(
            self.db, viewer, [p["user_id"] for p in people["items"]])
        for person in people["items"]:
            row = details.get(person["user_id"])
            person.update(display_name=(row and row["displayname"]) or person["handle"],
                          avatar_url=row["avatar_url"] if row else None,
                          bio=(row and row["bio"]) or "",
                          following=person["user_id"] in followed)
        return {**people, "count": total}
