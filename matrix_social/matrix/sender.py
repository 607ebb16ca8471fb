"""Sending as a user and indexing what was sent, at once.

The event is stamped with our own timestamp (appservice timestamp massaging, `?ts=`), so the
event indexed here is the one the transaction brings later, without reading it back from the
homeserver. A send with a transaction id (a client's retried, idempotent request) may get an
earlier event back instead; that one is read back, to index it as it is.
"""

from __future__ import annotations

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.types import EventID, EventType, RoomID

from ..clock import now_ms
from .ingest import Ingest
from .txn_ids import next_txn_id


async def send_event(intent: IntentAPI, room_id: RoomID, event_type: str, content: dict,
                     timestamp: int, state_key: str | None = None,
                     txn_id: str | None = None) -> EventID:
    """Send a message (or, with a state_key, a state event) as the intent's user, stamped
    with `timestamp`.

    Not through IntentAPI.send_message_event: before every send it checks the user's
    membership and power levels in mautrix's state store, five database queries per event.
    The homeserver checks both anyway and refuses with 403; callers make sure the user has
    joined."""
    if state_key is None:
        path = Path.v3.rooms[room_id].send[event_type][txn_id or intent.api.get_txn_id()]
    else:
        path = Path.v3.rooms[room_id].state[event_type][state_key]
    answer = await intent.api.request(Method.PUT, path, content, timestamp=timestamp)
    return EventID(answer["event_id"])


class IndexedSender:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    async def send(self, intent: IntentAPI, room_id: RoomID, event_type: EventType | str,
                   content: dict, state_key: str | None = None,
                   txn_id: str | None = None) -> EventID:
        txn_id = txn_id if state_key is None else None
        txn_id = txn_id or (next_txn_id() if state_key is None else None)
        ts = now_ms()
        event_id = await send_event(intent, room_id, str(event_type), content, ts, state_key,
                                    txn_id)
        if txn_id is not None:
            raw = await intent.api.request(Method.GET, Path.v3.rooms[room_id].event[event_id])
        else:
            raw = {"type": str(event_type), "room_id": room_id, "sender": intent.mxid,
                   "event_id": event_id, "origin_server_ts": ts, "content": content}
            if state_key is not None:
                raw["state_key"] = state_key
        await self.ingest.apply(raw)
        return event_id

    async def redact(self, intent: IntentAPI, room_id: RoomID, event_id: str) -> EventID:
        """Redact as the intent's user and index the redaction at once, as the homeserver's
        copy would be (so what it removed is told to the live streams like any redaction)."""
        redaction = await intent.redact(room_id, EventID(event_id))
        await self.ingest.apply({
            "type": "m.room.redaction", "room_id": room_id, "sender": intent.mxid,
            "event_id": redaction, "origin_server_ts": now_ms(), "redacts": event_id,
            "content": {"redacts": event_id}})
        return redaction
