"""MSC4501 profile rooms: which room a person names as theirs, and whether the room agrees.

The MSC's two pointers are both self-asserted: the owner's profile field
`…social.profile_room` names the room (only the owner, or their server, can set it), and the
room's `…social.profile_user_id` state names the owner (whoever created the room can set it).
A room counts as the owner's profile room only when both agree: the field, read from the
owner's own server, names the room; the room is of the MSC's profile type; its
`profile_user_id` names the owner, needs power level 100 to change, and was sent by somebody
with power level 100. Then it is indexed like a feed room whose only voice is the owner's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError

from .. import events as ev

log = logging.getLogger("matrix_social.msc4501")

OWNER_LEVEL = 100
CREATOR_IMPLICIT_VERSIONS = ("12",)  # room versions where creators outrank every power level


@dataclass(frozen=True)
class ProfileRoomPointer:
    room_id: str
    via: tuple[str, ...]


def pointer_from_profile(profile: Any) -> ProfileRoomPointer | None:
    """The profile room a profile names: `{room_id, via}` under the current field, or the
    bare room id string of the older `…profile_room_id` field."""
    if not isinstance(profile, dict):
        return None
    value = profile.get(ev.SOCIAL_PROFILE_ROOM_FIELD)
    if isinstance(value, dict):
        room_id, via = value.get("room_id"), value.get("via")
        servers = tuple(s for s in via if _server_name(s))[:5] if isinstance(via, list) else ()
        return ProfileRoomPointer(room_id, servers) if _room_id(room_id) else None
    legacy = profile.get(ev.SOCIAL_PROFILE_ROOM_ID_FIELD)
    return ProfileRoomPointer(legacy, ()) if _room_id(legacy) else None


def is_room_id(value: Any) -> bool:
    """A room id safe to put in a URL (any room version)."""
    return _room_id(value)


def is_server_name(value: Any) -> bool:
    """A server name safe to put in a query (no path, query or user id characters)."""
    return _server_name(value)


def _room_id(value: Any) -> bool:
    # Room version 12 ids have no server part ("!opaque").
    return isinstance(value, str) and value.startswith("!") and 1 < len(value) <= 255 \
        and value.isprintable() and not any(c in value for c in "/?# ")


def _server_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255 and value.isprintable() \
        and not any(c in value for c in "/?#@ ")


async def profile_room_of(bot: IntentAPI, owner: str) -> ProfileRoomPointer | None:
    """The room the owner's profile names, asked of the owner's server (through ours); None
    when the profile names none or cannot be read."""
    try:
        profile = await bot.api.request(
            Method.GET, Path.v3.profile[owner], retry_count=0)
    except MatrixRequestError:
        return None
    return pointer_from_profile(profile)


@dataclass(frozen=True)
class RoomSummary:
    room_type: str | None
    join_rule: str | None
    name: str

    @property
    def asks_to_knock(self) -> bool:
        return self.join_rule in ev.KNOCK_JOIN_RULES


async def room_summary(intent: IntentAPI, room_id: str, via: tuple[str, ...]
                       ) -> RoomSummary | None:
    """What a room says of itself to somebody not in it (room summary, Matrix 1.15): only to
    choose between join and knock, never believed beyond that."""
    found = None
    for server in via[:3] or (None,):
        try:
            found = await intent.api.request(
                Method.GET, f"/_matrix/client/v1/room_summary/{quote(room_id)}",
                query_params={"via": server} if server else None, retry_count=0)
            break
        except MatrixRequestError as e:
            log.info("No summary of %s through %s: %s", room_id, server, e)
    if not isinstance(found, dict):
        return None
    kind, rule, name = found.get("room_type"), found.get("join_rule"), found.get("name")
    return RoomSummary(kind if isinstance(kind, str) else None,
                       rule if isinstance(rule, str) else None,
                       name if isinstance(name, str) else "")


def room_type(state: list[dict[str, Any]]) -> str | None:
    create = _state(state, "m.room.create")
    kind = (create.get("content") or {}).get("type") if create else None
    return kind if isinstance(kind, str) else None


def ownership_problem(state: list[dict[str, Any]], owner: str) -> str | None:
    """Why this room's state does not make it the owner's profile room; None when it does."""
    if room_type(state) != ev.SOCIAL_PROFILE_ROOM_TYPE:
        return "it is not an MSC4501 profile room"
    claim = _state(state, str(ev.SOCIAL_PROFILE_USER_ID))
    if claim is None or (claim.get("content") or {}).get(ev.SOCIAL_PROFILE_USER_ID_KEY) != owner:
        return f"its {ev.SOCIAL_PROFILE_USER_ID} does not name {owner}"
    levels = (_state(state, "m.room.power_levels") or {}).get("content") or {}
    needed = _level((levels.get("events") or {}).get(str(ev.SOCIAL_PROFILE_USER_ID)),
                    levels.get("state_default", 50))
    if needed < OWNER_LEVEL:
        return f"anybody at power level {needed} may change its {ev.SOCIAL_PROFILE_USER_ID}"
    if _power_of(state, levels, claim.get("sender")) < OWNER_LEVEL:
        return f"its {ev.SOCIAL_PROFILE_USER_ID} was sent by a user below power level 100"
    return None


def _power_of(state: list[dict[str, Any]], levels: dict, user: Any) -> int:
    create = _state(state, "m.room.create") or {}
    content = create.get("content") or {}
    creators = {create.get("sender"), *(content.get("additional_creators") or [])}
    if str(content.get("room_version", "1")) in CREATOR_IMPLICIT_VERSIONS and user in creators:
        return OWNER_LEVEL
    if not levels:  # no power levels: the creator has 100, everybody else 0
        return OWNER_LEVEL if user == create.get("sender") else 0
    return _level((levels.get("users") or {}).get(user), levels.get("users_default", 0))


def _level(value: Any, default: Any) -> int:
    for candidate in (value, default):
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return candidate
    return 0


def _state(state: list[dict[str, Any]], etype: str) -> dict[str, Any] | None:
    return next((e for e in state if e.get("type") == etype and e.get("state_key") == ""),
                None)


def profile_fields_writable(capabilities: Any, spec_versions: Any = ()) -> bool:
    """Whether the homeserver lets users set the profile room field: MSC4133's capability
    (stable or Synapse's unstable name) enabled and the field not disallowed; without the
    capability, a server announcing Matrix 1.16 has the feature on by default."""
    caps = (capabilities or {}).get("capabilities") if isinstance(capabilities, dict) else None
    caps = caps if isinstance(caps, dict) else {}
    found = caps.get(ev.PROFILE_FIELDS_CAPABILITY) or caps.get(
        ev.PROFILE_FIELDS_CAPABILITY_UNSTABLE)
    if isinstance(found, dict):
        allowed = found.get("allowed")
        disallowed = found.get("disallowed") or []
        return found.get("enabled") is True \
            and (not isinstance(allowed, list) or ev.SOCIAL_PROFILE_ROOM_FIELD in allowed) \
            and ev.SOCIAL_PROFILE_ROOM_FIELD not in disallowed
    return "v1.16" in (spec_versions or ())


def profile_field_path(user_id: str) -> str:
    """The Matrix 1.16 per-key profile route for the profile room field."""
    return (f"/_matrix/client/v3/profile/{quote(user_id, safe='')}/"
            f"{quote(ev.SOCIAL_PROFILE_ROOM_FIELD, safe='')}")
