"""Sending an event as a user, straight to the homeserver."""

from __future__ import annotations

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.types import EventID, RoomID


async def send_event(intent: IntentAPI, room_id: RoomID, event_type: str, content: dict,
                     timestamp: int, state_key: str | None = None) -> EventID:
    """Send a message (or, with a state_key, a state event) as the intent's user, stamped
    with `timestamp` (appservice timestamp massaging: the event keeps it as its
    origin_server_ts).

    Not through IntentAPI.send_message_event: before every send it checks the user's
    membership and power levels in mautrix's state store, five database queries per event
    (and re-reads the room's power levels). The homeserver checks both anyway and refuses
    with 403; callers make sure the user has joined."""
    if state_key is None:
        path = Path.v3.rooms[room_id].send[event_type][intent.api.get_txn_id()]
    else:
        path = Path.v3.rooms[room_id].state[event_type][state_key]
    answer = await intent.api.request(Method.PUT, path, content, timestamp=timestamp)
    return EventID(answer["event_id"])
