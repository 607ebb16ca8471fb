"""Following rooms that are not a person's feed: MSC4501 group rooms, by room id or alias,
here or on another server; and follows waiting on a knock (rooms whose join rule is knock).

A follow of a knock-only room is a request (db/follow_request, state 'pending') until the
room's admin invites her (matrix/knock_answers.py accepts and the follow begins) or answers
no ('refused'). Unfollowing a pending follow withdraws the knock (a leave). Nothing of a room
is read until one of our users has joined it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mautrix.util.async_db import Database

from .. import events as ev
from ..clock import now_ms
from ..db import follow_requests, follows, group_rooms
from ..errors import InvalidInput, RemoteUnreachable
from ..matrix.feed_owners import FeedOwners
from ..matrix.group_rooms import GroupRooms
from ..matrix.ingest import FollowFence
from ..matrix.intents import Intents
from ..matrix.remote_feeds import REACH_TIMEOUT
from .follows import KNOCK_REASON
from .users import Users

MAX_LISTED = 200


class RoomFollows:
    def __init__(self, db: Database, intents: Intents, owners: FeedOwners, groups: GroupRooms,
                 fence: FollowFence, users: Users) -> None:
        self.db = db
        self.intents = intents
        self.owners = owners
        self.groups = groups
        self.fence = fence
        self.users = users

    async def follow(self, user: str, room: str, via: str | None = None) -> dict[str, Any]:
        try:
            async with asyncio.timeout(REACH_TIMEOUT * 3):
                return await self._follow(user, room, via)
        except TimeoutError:
            raise RemoteUnreachable("The room's server did not answer in time. "
                                    "Try again later.") from None

    async def _follow(self, user: str, room: str, via: str | None) -> dict[str, Any]:
        where = await self.groups.address(room, via)
        room_id = where.room_id
        if await self.owners.feed_of(room_id) is not None:
            raise InvalidInput(f"{room_id} is a person's feed room: follow them by handle")
        if await follows.is_following(self.db, room_id, user):
            return await self.status(user, room_id)
        intent = await self.intents.for_user(user)
        summary = await self.groups.summary(intent, where)
        if summary is not None and summary.room_type != ev.SOCIAL_GROUP_ROOM_TYPE:
            raise InvalidInput(f"{room_id} is not an MSC4501 group room")
        if summary is not None and summary.asks_to_knock:
            server = await self.groups.knock(intent, where, KNOCK_REASON)
            await follow_requests.pending(self.db, room_id, user, "group", "", server)
            return await self.status(user, room_id)
        async with self.fence.around(room_id, user, follows=True):
            await self.groups.join(intent, where)
        await self.groups.adopt(intent, room_id)
        await follows.upsert_provisional(self.db, room_id, user, now_ms())
        await follow_requests.delete(self.db, room_id, user)
        return await self.status(user, room_id)

    async def unfollow(self, user: str, room: str) -> dict[str, Any]:
        where = await self.groups.address(room)
        room_id = where.room_id
        request = await follow_requests.get(self.db, room_id, user)
        following = await follows.is_following(self.db, room_id, user)
        if request is not None or following:
            await follow_requests.delete(self.db, room_id, user)
            intent = await self.intents.for_user(user)
            async with self.fence.around(room_id, user, follows=False):
                # Leaving withdraws a knock as it ends a membership.
                await intent.leave_room(room_id)
            await follows.delete(self.db, room_id, user)
        return await self.status(user, room_id)

    async def status(self, user: str, room_id: str) -> dict[str, Any]:
        view: dict[str, Any] = {"room_id": room_id, "state": "none", "following": False,
                                "followers_count": await follows.count_followers(self.db,
                                                                                 room_id)}
        name = await group_rooms.get(self.db, room_id)
        if name is not None:
            view["group"] = {"room_id": room_id, "name": name}
        if await follows.is_following(self.db, room_id, user):
            view.update(state="following", following=True)
        elif (request := await follow_requests.get(self.db, room_id, user)) is not None:
            view["state"] = request["state"]
            if request["reason"]:
                view["reason"] = request["reason"]
        return view

    async def listed(self, user: str) -> dict[str, Any]:
        """Her follows (people's feeds and groups) and her requests, newest first."""
        items: list[dict[str, Any]] = []
        for row in await follow_requests.of_user(self.db, user, MAX_LISTED):
            item = {"room_id": row["room_id"], "state": row["state"], "since": row["ts"],
                    "kind": row["kind"]}
            if row["target"]:
                item.update(user_id=row["target"],
                            handle=self.users.handle_of(row["target"]))
            if row["reason"]:
                item["reason"] = row["reason"]
            items.append(item)
        for row in await follows.rooms_of(self.db, user, MAX_LISTED):
            item = {"room_id": row["room_id"], "state": "following", "since": row["ts"]}
            if row["owner"]:
                item.update(kind="person", user_id=row["owner"],
                            handle=self.users.handle_of(row["owner"]))
            else:
                item.update(kind="group", group={"room_id": row["room_id"],
                                                 "name": row["group_name"] or ""})
            items.append(item)
        items.sort(key=lambda i: i["since"], reverse=True)
        return {"items": items[:MAX_LISTED]}
