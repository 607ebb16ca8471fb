"""How the events of an appservice transaction reach the handler, in the order sent.

Messages and reactions, most of the stream, go to the handler as the JSON the homeserver sent:
parsing them into mautrix objects cost as much as everything else done with them. Every other
event (state, encrypted, ...) takes mautrix's path, which keeps its state store and the
encryption machinery up to date; the handler still reads those events' JSON as sent.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

from mautrix.types import Event

from .. import events as ev

_raw_events: contextvars.ContextVar[dict[str, dict] | None] = contextvars.ContextVar(
    "raw_events", default=None
)

DIRECT_TYPES = frozenset({"m.room.message", str(ev.SOCIAL_POST), "m.reaction", str(ev.AI_REQUEST),
                          str(ev.AI_RESPONSE)})


def goes_direct(raw: Any) -> bool:
    return (isinstance(raw, dict) and raw.get("type") in DIRECT_TYPES and "state_key" not in raw
            and all(isinstance(raw.get(key), str) for key in ("event_id", "room_id", "sender")))


Handler = Callable[..., Awaitable[Any]]


def make_router(handle_transaction: Handler, direct: Callable[[dict], Awaitable[None]]
                ) -> Handler:
    """A transaction handler in place of mautrix's: messages and reactions to `direct`, the
    rest to mautrix's `handle_transaction`, one event at a time."""

    async def route(txn_id: str, *, events: list, **kwargs: Any) -> Any:
        token = _raw_events.set({e["event_id"]: e for e in events
                                 if isinstance(e, dict) and isinstance(e.get("event_id"), str)})
        try:
            # To-device events, device lists, key counts and ephemeral events first, as mautrix.
            await handle_transaction(txn_id, events=[], **kwargs)
            for raw in events:
                if goes_direct(raw):
                    await direct(raw)
                else:
                    await handle_transaction(txn_id, events=[raw],
                                             extra_data=kwargs.get("extra_data"))
        finally:
            _raw_events.reset(token)
        return {}

    return route


def raw_json(evt: Event) -> dict[str, Any]:
    """The event's JSON: as received when it came in this transaction unchanged (not a
    decrypted event, whose id is the encrypted one's), else serialised from mautrix's object."""
    raw = (_raw_events.get() or {}).get(getattr(evt, "event_id", None))
    if raw is not None and raw.get("type") == str(evt.type):
        return raw
    return {**evt.serialize(), "type": str(evt.type)}
