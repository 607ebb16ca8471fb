"""Sending as a user and indexing the homeserver's own copy of what was sent, at once."""

from __future__ import annotations

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.types import EventID, EventType, RoomID

from .ingest import Ingest
from .txn_ids import next_txn_id


class IndexedSender:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    async def send(self, intent: IntentAPI, room_id: RoomID, event_type: EventType | str,
                   content: dict, state_key: str | None = None,
                   txn_id: str | None = None) -> EventID:
        """Send a message (or, with a state_key, a state event) and index it right away. A
        message with a `txn_id` sent again gets the homeserver's first event back."""
        if state_key is None:
            event_id = await intent.send_message_event(
                room_id, EventType.find(str(event_type)), content,
                txn_id=txn_id or next_txn_id())
        else:
            event_id = await intent.send_state_event(
                room_id, EventType.find(str(event_type), t_class=EventType.Class.STATE),
                content, state_key=state_key)
        # Index the homeserver's own copy (its timestamp), exactly as the transaction will.
        raw = await intent.api.request(Method.GET, Path.v3.rooms[room_id].event[event_id])
        await self.ingest.apply(raw)
        return event_id
