"""Direct chats: find the existing one through m.direct account data, or open a new one;
encrypted ones are told to our state store at once (what we send there is then encrypted
before the homeserver's echo of the room's state arrives)."""

from __future__ import annotations

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import IntentError, MatrixRequestError, MForbidden, MNotFound
from mautrix.types import EventType, Membership, RoomCreatePreset, RoomID, UserID

from ..locks import KeyedLocks

M_DIRECT = "m.direct"
MEGOLM = {"algorithm": "m.megolm.v1.aes-sha2"}
_locks = KeyedLocks()


async def direct_map(intent: IntentAPI) -> dict[str, list[str]]:
    try:
        data = await intent.get_account_data(M_DIRECT)
    except MNotFound:
        return {}
    return {k: list(v) for k, v in data.items() if isinstance(v, list)} \
        if isinstance(data, dict) else {}


async def _usable(intent: IntentAPI, room_id: str, other: str) -> bool:
    """Both still in the room, read straight from the homeserver: mautrix's get_members also
    rewrites the room's members in its state store, which on PostgreSQL fails with a
    duplicate key when two requests for the same pair do it at once."""
    try:
        answer = await intent.api.request(Method.GET, Path.v3.rooms[RoomID(room_id)].members)
    except MatrixRequestError:
        return False
    chunk = answer.get("chunk") if isinstance(answer, dict) else None
    states = {e.get("state_key"): (e.get("content") or {}).get("membership")
              for e in chunk or [] if isinstance(e, dict)}
    return states.get(intent.mxid) == "join" and states.get(other) in ("join", "invite")


async def is_encrypted(intent: IntentAPI, room_id: RoomID) -> bool:
    """Asked as a member (raw request: mautrix's helper would try to join first)."""
    try:
        await intent.api.request(Method.GET, Path.v3.rooms[room_id].state["m.room.encryption"])
    except MNotFound:
        return False
    return True


async def find_dm(intent: IntentAPI, other: str) -> RoomID | None:
    for room_id in reversed((await direct_map(intent)).get(other, [])):
        if await _usable(intent, room_id, other):
            return RoomID(room_id)
    return None


async def remember_encrypted(intent: IntentAPI, room_id: RoomID) -> None:
    await intent.state_store.set_encryption_info(room_id, MEGOLM)


async def _turn_on_encryption(intent: IntentAPI, room_id: RoomID) -> bool:
    """Encryption on in an existing room (Matrix never lets it be turned off again); False
    when the room's power levels do not let `intent` do it."""
    try:
        await intent.send_state_event(room_id, EventType.ROOM_ENCRYPTION, MEGOLM)
    except (IntentError, MForbidden):  # mautrix checks the power levels it knows first
        return False
    await remember_encrypted(intent, room_id)
    return True


async def open_dm(intent: IntentAPI, other: str, encrypted: bool,
                  upgrade: bool = False) -> tuple[RoomID, bool]:
    """(room, created): the existing DM with `other`, or a new one marked in m.direct.
    `upgrade` (with `encrypted`): an existing unencrypted DM gets encryption turned on, or,
    where `intent` may not do that, a new encrypted DM takes its place in m.direct."""
    async with _locks.hold((intent.mxid, other)):
        existing = await find_dm(intent, other)
        if existing and encrypted and upgrade and not await is_encrypted(intent, existing) \
                and not await _turn_on_encryption(intent, existing):
            existing = None
        if existing:
            return existing, False
        initial_state = []
        if encrypted:
            initial_state.append({"type": "m.room.encryption", "state_key": "",
                                  "content": MEGOLM})
        room_id = await intent.create_room(
            is_direct=True, invitees=[UserID(other)], preset=RoomCreatePreset.TRUSTED_PRIVATE,
            initial_state=initial_state)
        await intent.state_store.set_membership(room_id, intent.mxid, Membership.JOIN)
        await intent.state_store.set_membership(room_id, UserID(other), Membership.INVITE)
        if encrypted:
            await remember_encrypted(intent, room_id)
        direct = await direct_map(intent)
        direct.setdefault(other, []).append(room_id)
        await intent.set_account_data(M_DIRECT, direct)
        return room_id, True


