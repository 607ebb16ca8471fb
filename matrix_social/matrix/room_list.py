"""A user's joined rooms with their last activity, name and encryption, from the homeserver
instead of two requests per room.

Where the homeserver offers simplified sliding sync (MSC4186: Synapse), a page is one request
for the most recent rooms down to the page's end (SlidingRooms): the homeserver sorts the rooms
and leaves out feed and profile rooms by their type, so the first page costs what it shows,
not what the user is in. Otherwise (Conduit) the list comes from /sync (RoomLists):

The first call for a user is one filtered initial /sync (the last timeline event, the name
and encryption state, m.direct); later calls are incremental syncs from the token it
returned, which carry only the rooms that changed. (An initial /sync is not repeated:
Synapse answers the same one from a cache for two minutes, so it would miss new activity.)
At most MAX_USERS users are kept, least recently used first out.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError

from .. import events as ev
from ..locks import KeyedLocks

log = logging.getLogger("matrix_social.room_list")
MAX_USERS = 256
SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
# Rooms that are never conversations, left out by the homeserver (untyped feed rooms are left
# out by the caller, from the index).
NOT_CONVERSATIONS = [ev.FEED_ROOM_TYPE, ev.SOCIAL_PROFILE_ROOM_TYPE]
MAX_WINDOW = 1000  # the most recent rooms a page looks through
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
    recency: int = 0  # sliding sync's bump stamp: the homeserver's order of rooms


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
        _read_room(current.rooms.setdefault(room_id, RoomSummary(room_id)),
                   _events(room, "state"), _events(room, "timeline"))
    for room_id in _section(rooms, "leave"):
        current.rooms.pop(room_id, None)
    direct = _direct(_events(answer, "account_data"))
    if direct is not None:
        current.direct = direct
    if isinstance(answer.get("next_batch"), str):
        current.since = answer["next_batch"]


def _direct(account_data: list[dict]) -> dict[str, list[str]] | None:
    """m.direct (user -> rooms) among account data events, if there."""
    direct = None
    for event in account_data:
        if event.get("type") == "m.direct" and isinstance(event.get("content"), dict):
            direct = {user: [r for r in ids if isinstance(r, str)]
                      for user, ids in event["content"].items() if isinstance(ids, list)}
    return direct


def _section(rooms: dict, name: str) -> dict[str, dict]:
    section = rooms.get(name)
    if not isinstance(section, dict):
        return {}
    return {k: v for k, v in section.items() if isinstance(k, str) and isinstance(v, dict)}


def _events(container: dict, name: str) -> list[dict]:
    part = container.get(name)
    events = part.get("events") if isinstance(part, dict) else None
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []


def _read_room(summary: RoomSummary, state: list[dict], timeline: list[dict]) -> None:
    """Name and encryption from the room's state and timeline; its last activity from the
    newest timeline event's time."""
    for event in state:
        _read_state(summary, event)
    for event in timeline:
        _read_state(summary, event)
        ts = event.get("origin_server_ts")
        if isinstance(ts, int) and not isinstance(ts, bool):
            summary.last_activity = max(summary.last_activity or ts, ts)


def _read_state(summary: RoomSummary, event: dict) -> None:
    if event.get("state_key") != "":
        return
    content = event.get("content") if isinstance(event.get("content"), dict) else {}
    if event.get("type") == "m.room.name":
        name = content.get("name")
        summary.name = name if isinstance(name, str) and name else None
    elif event.get("type") == "m.room.encryption" and content.get("algorithm"):
        summary.encrypted = True


class SlidingRooms:
    """Pages of a user's rooms by simplified sliding sync (MSC4186), most recent first, asked
    with the caller's own access token: Synapse keeps a sliding sync connection per device,
    and an appservice acting as a user has none. None from `after` when the homeserver has no
    sliding sync (then for good: the same homeserver answers the same) or refuses this once
    (an expired token): the caller then uses RoomLists."""

    def __init__(self, http: Any, homeserver_url: str) -> None:
        self.http = http
        self.url = f"{homeserver_url.rstrip('/')}{SLIDING_SYNC}"
        self.unsupported = False

    async def after(self, token: str, position: tuple | None, wanted: int,
                    excluded: Callable[[list[str]], Awaitable[set[str]]], seen: int = 0
                    ) -> tuple[list[RoomSummary], dict[str, list[str]]] | None:
        """Up to `wanted` rooms after `position` ((recency, room id) of the last one shown),
        none of them `excluded`, and the user's m.direct. `seen` (how many rooms the earlier
        pages showed) says where in the homeserver's list to look: from a page before it
        (rooms move up and down as they see activity), in a window that doubles until it
        holds them, or holds every room (at most the MAX_WINDOW most recent). A window that
        starts past the position could skip rooms: then it starts from the top."""
        start = max(0, min(seen, MAX_WINDOW) - wanted) if position is not None else 0
        end = min(start + 2 * wanted, MAX_WINDOW)
        while not self.unsupported:
            answer = await self._ask(token, start, end - 1)
            if answer is None:
                return None
            rooms, count, direct = _read_window(answer)
            if start > 0 and not any((r.recency, r.room_id) >= position for r in rooms):
                start = 0
                continue
            left_out = await excluded([r.room_id for r in rooms])
            after = [r for r in rooms if r.room_id not in left_out
                     and (position is None or (r.recency, r.room_id) < position)]
            if len(after) >= wanted or end >= min(count, MAX_WINDOW):
                return after[:wanted], direct
            end = min(start + 2 * (end - start), MAX_WINDOW)
        return None

    async def _ask(self, token: str, first: int, last: int) -> Any:
        try:
            async with self.http.session.post(
                    self.url, params={"timeout": "0"}, json=_window(first, last),
                    headers={"Authorization": f"Bearer {token}"}) as resp:
                answer = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, ValueError) as e:
            log.warning("Sliding sync failed (%s): the list comes from /sync", type(e).__name__)
            return None
        if status == 200:
            return answer
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        if status in (404, 405, 501) or errcode == "M_UNRECOGNIZED":
            log.info("The homeserver has no simplified sliding sync: lists come from /sync")
            self.unsupported = True
        else:
            log.warning("Sliding sync answered %s %s: the list comes from /sync", status,
                        errcode)
        return None


def _window(first: int, last: int) -> dict[str, Any]:
    return {
        "lists": {"rooms": {
            "ranges": [[first, last]], "timeline_limit": 1,
            "required_state": [[t, ""] for t in _STATE],
            "filters": {"is_invite": False, "not_room_types": NOT_CONVERSATIONS},
        }},
        # Its own connection: a request without `pos` starts it over, never the user's
        # client's (Element X keeps its own under other names).
        "conn_id": "matrix-social.conversations",
        "extensions": {"account_data": {"enabled": True}},
    }


def _read_window(answer: Any) -> tuple[list[RoomSummary], int, dict[str, list[str]]]:
    if not isinstance(answer, dict):
        raise ValueError("the homeserver's sliding sync answer is not an object")
    rooms = answer.get("rooms") if isinstance(answer.get("rooms"), dict) else {}
    summaries = []
    for room_id, room in rooms.items():
        if not isinstance(room_id, str) or not isinstance(room, dict):
            continue
        summary = RoomSummary(room_id)
        stamp = room.get("bump_stamp")
        summary.recency = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0
        _read_room(summary, _listed(room, "required_state"), _listed(room, "timeline"))
        summaries.append(summary)
    summaries.sort(key=lambda r: (r.recency, r.room_id), reverse=True)
    listed = (answer.get("lists") or {}).get("rooms") if isinstance(answer.get("lists"),
                                                                   dict) else None
    count = listed.get("count") if isinstance(listed, dict) else None
    count = count if isinstance(count, int) and not isinstance(count, bool) else len(rooms)
    extensions = answer.get("extensions") if isinstance(answer.get("extensions"), dict) else {}
    data = extensions.get("account_data") if isinstance(extensions.get("account_data"),
                                                        dict) else {}
    return summaries, count, _direct(_listed(data, "global")) or {}


def _listed(room: dict, name: str) -> list[dict]:
    events = room.get(name)
    return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
