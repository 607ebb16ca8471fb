"""A user's joined rooms with their last activity, name and encryption, from the homeserver's
/sync instead of two requests per room.

The first call for a user is one filtered initial /sync (the last timeline event, the name
and encryption state, m.direct); later calls are incremental syncs from the token it
returned, which carry only the rooms that changed. (An initial /sync is not repeated:
Synapse answers the same one from a cache for two minutes, so it would miss new activity.)
At most MAX_USERS users are kept, least recently used first out.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError

from ..locks import KeyedLocks

MAX_USERS = 256
_STATE = ("m.room.name", "m.room.encryption")
SYNC_FILTER = json.dumps({
    "presence": {"types": []},
    "account_data": {"types": ["m.direct"]},
    "room": {"timeline": {"limit": 1}, "ephemeral": {"types": []},
             "account_data": {"types": []},
             "state": {"types": list(_STATE), "lazy_load_members": True}},
}, separators=(",", ":"))


@dataclass
class RoomSummary:
    room_id: str
    last_activity: int | None = None
    name: str | None = None
    encrypted: bool = False


@dataclass
class RoomList:
    since: str | None = None
    rooms: dict[str, RoomSummary] = field(default_factory=dict)
    direct: dict[str, list[str]] = field(default_factory=dict)  # m.direct: user -> rooms


class RoomLists:
    def __init__(self, max_users: int = MAX_USERS) -> None:
        self.max_users = max_users
        self._lists: OrderedDict[str, RoomList] = OrderedDict()
        self._locks = KeyedLocks()

    async def get(self, intent: IntentAPI) -> RoomList:
        """The user's joined rooms as of now (one /sync request)."""
        async with self._locks.hold(intent.mxid):
            current = self._lists.pop(intent.mxid, None) or RoomList()
            try:
                answer = await self._sync(intent, current.since)
            except MatrixRequestError:
                if not current.since:
                    raise
                current = RoomList()  # the homeserver no longer knows the token: start over
                answer = await self._sync(intent, None)
            _apply(current, answer)
            self._lists[intent.mxid] = current
            while len(self._lists) > self.max_users:
                self._lists.popitem(last=False)
            return current

    @staticmethod
    async def _sync(intent: IntentAPI, since: str | None) -> Any:
        query = {"timeout": "0", "filter": SYNC_FILTER}
        if since:
            query["since"] = since
        return await intent.api.request(Method.GET, Path.v3.sync, query_params=query)


def _apply(current: RoomList, answer: Any) -> None:
    if not isinstance(answer, dict):
        raise ValueError("the homeserver's /sync answer is not an object")
    rooms = answer.get("rooms") if isinstance(answer.get("rooms"), dict) else {}
    for room_id, room in _section(rooms, "join").items():
        summary = current.rooms.setdefault(room_id, RoomSummary(room_id))
        for event in _events(room, "state"):
            _read_state(summary, event)
        for event in _events(room, "timeline"):
            _read_state(summary, event)
            ts = event.get("origin_server_ts")
            if isinstance(ts, int) and not isinstance(ts, bool):
                summary.last_activity = max(summary.last_activity or ts, ts)
    for room_id in _section(rooms, "leave"):
        current.rooms.pop(room_id, None)
    for event in _events(answer, "account_data"):
        if event.get("type") == "m.direct" and isinstance(event.get("content"), dict):
            current.direct = {user: [r for r in ids if isinstance(r, str)]
                              for user, ids in event["content"].items() if isinstance(ids, list)}
    if isinstance(answer.get("next_batch"), str):
        current.since = answer["next_batch"]


def _section(rooms: dict, name: str) -> dict[str, dict]:
    section = rooms.get(name)
    if not isinstance(section, dict):
        return {}
    return {k: v for k, v in section.items() if isinstance(k, str) and isinstance(v, dict)}


def _events(container: dict, name: str) -> list[dict]:
    part = container.get(name)
    events = part.get("events") if isinstance(part, dict) else None
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


def _read_state(summary: RoomSummary, event: dict) -> None:
    if event.get("state_key") != "":
        return
    content = event.get("content") if isinstance(event.get("content"), dict) else {}
    if event.get("type") == "m.room.name":
        name = content.get("name")
        summary.name = name if isinstance(name, str) and name else None
    elif event.get("type") == "m.room.encryption" and content.get("algorithm"):
        summary.encrypted = True
