"""Direct chats: find the existing one through m.direct account data, or open a new one."""

from __future__ import annotations

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import Membership, RoomCreatePreset, RoomID, UserID

from ..locks import KeyedLocks

M_DIRECT = "m.direct"
_locks = KeyedLocks()


async def direct_map(intent: IntentAPI) -> dict[str, list[str]]:
    try:
        data = await intent.get_account_data(M_DIRECT)
    except MNotFound:
        return {}
    return {k: list(v) for k, v in data.items() if isinstance(v, list)} \
        if isinstance(data, dict) else {}


async def _usable(intent: IntentAPI, room_id: str, other: str) -> bool:
    try:
        members = await intent.get_members(RoomID(room_id))
    except MatrixRequestError:
        return False
    states = {m.state_key: m.content.membership for m in members}
    return (states.get(intent.mxid) == Membership.JOIN
            and states.get(other) in (Membership.JOIN, Membership.INVITE))


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


async def open_dm(intent: IntentAPI, other: str, encrypted: bool) -> tuple[RoomID, bool]:
    """(room, created): the existing DM with `other`, or a new one marked in m.direct."""
    async with _locks.hold((intent.mxid, other)):
        existing = await find_dm(intent, other)
        if existing:
            return existing, False
        initial_state = []
        if encrypted:
            initial_state.append({"type": "m.room.encryption", "state_key": "",
                                  "content": {"algorithm": "m.megolm.v1.aes-sha2"}})
        room_id = await intent.create_room(
            is_direct=True, invitees=[UserID(other)], preset=RoomCreatePreset.TRUSTED_PRIVATE,
            initial_state=initial_state)
        direct = await direct_map(intent)
        direct.setdefault(other, []).append(room_id)
        await intent.set_account_data(M_DIRECT, direct)
        return room_id, True


