"""Our own follows and unfollows, until their member events come back through the stream.

The API writes a follow (or removes it) as soon as the homeserver accepted the join (or the
leave), without waiting for the event. A member event sent *before* it may still be on its way
in a transaction: applied after our write, it would undo it for a moment (a follower counted
after she unfollowed). The homeserver delivers a room's events in order, so until our own
member event arrives, any member event of that user in that room is older than our action and
is skipped; ours clears the fence. The fence goes up before the request (our event may come
back before the homeserver's answer does). No clocks are compared. A fence whose event never comes
(the homeserver lost it) lapses after FENCE_MS.

With API replicas (docs/replicas.md) the follow is written by a replica and the member event
arrives at the ingest process: the fence goes up in every process by NOTIFY, told (and the
NOTIFY committed) before the join or leave is sent, so it reaches the ingest process's socket
before the homeserver has even seen the request.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ...db.notify import Broadcast

FENCE_MS = 10 * 60 * 1000
MAX_FENCES = 10_000


class FollowFence:
    def __init__(self, broadcast: Broadcast | None = None) -> None:
        self._fences: dict[tuple[str, str], tuple[bool, float]] = {}
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
            self._fences.pop((room_id, user_id), None)  # nothing of ours is on its way
            if self.broadcast is not None:
                await self.broadcast.tell("follow_fence", [room_id, user_id, None])
            raise

    def _from_another_process(self, data: object) -> None:
        if not isinstance(data, list) or len(data) != 3:
            return
        room_id, user_id, follows = data
        if follows is None:
            self._fences.pop((room_id, user_id), None)
        else:
            self._set(room_id, user_id, bool(follows))

    def passes(self, room_id: str, user_id: str, follows: bool) -> bool:
        """Whether a member event saying `follows` may change the index. The event that
        matches our own action passes and lifts the fence; an opposite one is older: skipped."""
        key = (room_id, user_id)
        fence = self._fences.get(key)
        if fence is None:
            return True
        ours, since = fence
        if ours == follows or (time.monotonic() - since) * 1000 > FENCE_MS:
            del self._fences[key]
            return True
        return False

    def _set(self, room_id: str, user_id: str, follows: bool) -> None:
        if len(self._fences) >= MAX_FENCES:
            self._fences.clear()
        self._fences[(room_id, user_id)] = (follows, time.monotonic())
