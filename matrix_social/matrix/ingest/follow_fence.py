"""Our own follows and unfollows, until their member events come back through the stream.

The API writes a follow (or removes it) as soon as the homeserver accepted the join (or the
leave), without waiting for the event. A member event sent *before* it may still be on its way
in a transaction: applied after our write, it would undo it for a moment (a follower counted
after she unfollowed). The homeserver delivers a room's events in order, so until our own
member events arrive, any member event of that user in that room is older than our actions and
is skipped; ours come back in the order we took them, and the last clears the fence. The fence
goes up before the request (our event may come back before the homeserver's answer does). No
clocks are compared. A fence whose events never come (the homeserver lost them) lapses after
FENCE_MS.

With API replicas (docs/replicas.md) the follow is written by a replica and the member event
arrives at the ingest process: the fence goes up in every process by NOTIFY, told (and the
NOTIFY committed) before the join or leave is sent, so it reaches the ingest process's socket
before the homeserver has even seen the request.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ...db.notify import Broadcast

FENCE_MS = 10 * 60 * 1000
MAX_FENCES = 10_000
MAX_ACTIONS = 16


class FollowFence:
    def __init__(self, broadcast: Broadcast | None = None) -> None:
        # Our own actions per (room, user) whose member events have not come back, oldest
        # first: (follows, when).
        self._fences: dict[tuple[str, str], deque[tuple[bool, float]]] = {}
        self.broadcast = broadcast
        if broadcast is not None:
            broadcast.on("follow_fence", self._from_another_process)

    @asynccontextmanager
    async def around(self, room_id: str, user_id: str, follows: bool) -> AsyncIterator[None]:
        """Up for our own join (follows) or leave, sent inside; lifted if sending fails."""
        self._set(room_id, user_id, follows)
        if self.broadcast is not None:
            await self.broadcast.tell("follow_fence", [room_id, user_id, follows])
        try:
            yield
        except BaseException:
            self._lift_newest(room_id, user_id)  # nothing of ours is on its way
            if self.broadcast is not None:
                await self.broadcast.tell("follow_fence", [room_id, user_id, None])
            raise

    def _from_another_process(self, data: object) -> None:
        if not isinstance(data, list) or len(data) != 3:
            return
        room_id, user_id, follows = data
        if not isinstance(room_id, str) or not isinstance(user_id, str):
            return
        if follows is None:
            self._lift_newest(room_id, user_id)
        else:
            self._set(room_id, user_id, bool(follows))

    def passes(self, room_id: str, user_id: str, follows: bool) -> bool:
        """Whether a member event saying `follows` may change the index. Our actions come
        back in the order we took them: the event matching the oldest one still on its way is
        that one (it is taken off), and changes the index only when it is our newest; any
        other event is older than all of them: skipped. (Matching only the newest would let
        the join of a follow taken back and made again lift the fence for the leave between
        them, which would then undo the second follow.)"""
        key = (room_id, user_id)
        ours = self._fences.get(key)
        if not ours:
            return True
        if (time.monotonic() - ours[-1][1]) * 1000 > FENCE_MS:
            del self._fences[key]  # the homeserver lost ours
            return True
        if ours[0][0] != follows:
            return False
        ours.popleft()
        if ours:
            return False
        del self._fences[key]
        return True

    def _set(self, room_id: str, user_id: str, follows: bool) -> None:
        key = (room_id, user_id)
        if key not in self._fences and len(self._fences) >= MAX_FENCES:
            self._fences.clear()
        self._fences.setdefault(key, deque(maxlen=MAX_ACTIONS)).append(
            (follows, time.monotonic()))

    def _lift_newest(self, room_id: str, user_id: str) -> None:
        ours = self._fences.get((room_id, user_id))
        if ours:
            ours.pop()
        if not ours:
            self._fences.pop((room_id, user_id), None)
