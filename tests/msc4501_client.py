"""A small MSC4501 client, written from the proposal's text only (not from matrix-social's code):
what Haven or any other MSC4501 client does and sees, on a plain matrix-nio connection.

It spells the MSC's unstable names itself, so a change of ours to them shows up as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from nio import AsyncClient, RoomCreateResponse, RoomPreset, RoomSendResponse, RoomVisibility

from .harness import Homeserver, User

PREFIX = "org.matrix.msc4501.social"
PROFILE_ROOM = f"{PREFIX}.profile"
GROUP_ROOM = f"{PREFIX}.group"
PROFILE_USER_ID = f"{PREFIX}.profile_user_id"
PROFILE_ROOM_FIELD = f"{PREFIX}.profile_room"
POST = f"{PREFIX}.post"
RELATES_TO = f"{PREFIX}.relates_to"
REPOST = f"{PREFIX}.repost"
LIKE = "👍"
REPOST_REACTION = "🔁"


def permalink(room_id: str, event_id: str) -> str:
    return f"https://matrix.to/#/{quote(room_id, safe='')}/{quote(event_id, safe='')}"


class Msc4501Client:
    def __init__(self, hs: Homeserver, user: User) -> None:
        self.hs = hs
        self.user = user
        self.nio: AsyncClient = hs.nio(user)

    async def _client_api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return await self.hs.request(method, f"{self.hs.synapse.url}/_matrix/client/v3{path}",
                                     token=self.user.access_token, json=body)

    # --- acting (§Profile rooms, §Posts, §Liking, §Reposts, §Replies) ------------------------

    async def create_group_room(self, name: str, join_rule: str = "public",
                                alias: str | None = None,
                                extra_state: list[dict] | None = None) -> str:
        """An ownerless group page (§Groups): anybody the power levels allow posts; Haven's
        rooms ask to join (`knock`)."""
        created = await self.nio.room_create(
            visibility=RoomVisibility.public, name=name, room_type=GROUP_ROOM, alias=alias,
            preset=RoomPreset.public_chat,
            initial_state=[
                {"type": "m.room.join_rules", "state_key": "",
                 "content": {"join_rule": join_rule}},
                {"type": "m.room.history_visibility", "state_key": "",
                 "content": {"history_visibility": "world_readable"}},
                *(extra_state or [])])
        assert isinstance(created, RoomCreateResponse), created
        return created.room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        """Let a knocker in (Haven's admins answer a knock with an invite)."""
        status, body = await self._client_api("POST", f"/rooms/{quote(room_id)}/invite",
                                              {"user_id": user_id})
        assert status == 200, (status, body)

    async def kick(self, room_id: str, user_id: str, reason: str = "") -> None:
        """Refuse a knock, or remove a member."""
        status, body = await self._client_api("POST", f"/rooms/{quote(room_id)}/kick",
                                              {"user_id": user_id, "reason": reason})
        assert status == 200, (status, body)

    async def ban(self, room_id: str, user_id: str, reason: str = "") -> None:
        status, body = await self._client_api("POST", f"/rooms/{quote(room_id)}/ban",
                                              {"user_id": user_id, "reason": reason})
        assert status == 200, (status, body)

    async def redact(self, room_id: str, event_id: str) -> int:
        """Take an event out (the homeserver's status: a member's redaction of another's
        event may be accepted and only checked when it is applied)."""
        status, _ = await self._client_api(
            "PUT", f"/rooms/{quote(room_id)}/redact/{quote(event_id, safe='')}/"
                   f"r{abs(hash((room_id, event_id)))}", {})
        return status

    async def membership(self, room_id: str, user_id: str) -> str | None:
        status, body = await self._client_api(
            "GET", f"/rooms/{quote(room_id)}/state/m.room.member/{quote(user_id)}")
        return body.get("membership") if status == 200 else None

    async def create_profile_room(self, name: str, owner: str | None = None,
                                  owner_level: int = 100, join_rule: str = "public") -> str:
        """A public profile room whose profile_user_id names `owner` (default: me), changeable
        only at `owner_level`; my profile field points at it when I am its owner."""
        owner = owner or self.user.user_id
        created = await self.nio.room_create(
            visibility=RoomVisibility.public, name=name, room_type=PROFILE_ROOM,
            preset=RoomPreset.public_chat,
            initial_state=[
                {"type": "m.room.join_rules", "state_key": "",
                 "content": {"join_rule": join_rule}},
                {"type": PROFILE_USER_ID, "state_key": "", "content": {"user_id": owner}},
                {"type": "m.room.history_visibility", "state_key": "",
                 "content": {"history_visibility": "world_readable"}}],
            power_level_override={"events": {PROFILE_USER_ID: owner_level}})
        assert isinstance(created, RoomCreateResponse), created
        return created.room_id

    async def point_profile_at(self, room_id: str) -> None:
        server = self.user.user_id.partition(":")[2]
        status, body = await self._client_api(
            "PUT", f"/profile/{quote(self.user.user_id)}/{PROFILE_ROOM_FIELD}",
            {PROFILE_ROOM_FIELD: {"room_id": room_id, "via": [server]}})
        assert status == 200, (status, body)

    async def join(self, room_id: str, via: str) -> None:
        """Following is joining (§Following); a room id is routable only with a server."""
        status, body = await self._client_api(
            "POST", f"/join/{quote(room_id)}?server_name={quote(via)}", {})
        assert status == 200, (status, body)

    async def knock(self, room_id: str, via: str) -> tuple[int, Any]:
        """Ask to join a room whose join rule is knock (Haven's default)."""
        return await self._client_api(
            "POST", f"/knock/{quote(room_id)}?server_name={quote(via)}", {"reason": "hi"})

    async def send(self, room_id: str, event_type: str, content: dict) -> str:
        sent = await self.nio.room_send(room_id, event_type, content)
        assert isinstance(sent, RoomSendResponse), sent
        return sent.event_id

    async def post(self, room_id: str, text: str, native: bool = False) -> str:
        return await self.send(room_id, POST if native else "m.room.message",
                               {"msgtype": "m.text", "body": text})

    async def like(self, room_id: str, event_id: str, key: str = LIKE) -> str:
        return await self.send(room_id, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": event_id, "key": key}})

    async def repost(self, my_room: str, original_room: str, original_id: str, sender: str,
                     copy: dict, comment: str = "") -> str:
        """A repost (or a quote with `comment`) in my room, and 🔁 on the original."""
        link = permalink(original_room, original_id)
        event_id = await self.send(my_room, "m.room.message", {
            "msgtype": "m.text", "body": f"{comment} {link}".strip(),
            RELATES_TO: {"rel_type": REPOST, "event_id": original_id, "room_id": original_room,
                         "sender": sender, "content": copy,
                         "via": [sender.partition(":")[2]]}})
        await self.send(original_room, "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": original_id, "key": REPOST_REACTION}})
        return event_id

    async def reply(self, room_id: str, post_id: str, text: str) -> str:
        return await self.send(room_id, "m.room.message", {
            "msgtype": "m.text", "body": text,
            "m.relates_to": {"rel_type": "m.thread", "event_id": post_id,
                             "is_falling_back": True, "m.in_reply_to": {"event_id": post_id}}})

    # --- reading (§Discovery, §Feeds, §Liking, §Repost counts) ------------------------------

    async def profile_room_of(self, user_id: str) -> str | None:
        """The room a user's profile names, verified both ways: the room's profile_user_id
        names the user back."""
        status, profile = await self._client_api("GET", f"/profile/{quote(user_id)}")
        pointer = (profile or {}).get(PROFILE_ROOM_FIELD) if status == 200 else None
        if not isinstance(pointer, dict):
            return None
        room_id = pointer["room_id"]
        await self.join(room_id, (pointer.get("via") or [user_id.partition(":")[2]])[0])
        status, claim = await self._client_api(
            "GET", f"/rooms/{quote(room_id)}/state/{PROFILE_USER_ID}/")
        return room_id if status == 200 and claim.get("user_id") == user_id else None

    async def read_room(self, room_id: str) -> RoomView:
        status, page = await self._client_api(
            "GET", f"/rooms/{quote(room_id)}/messages?dir=b&limit=200")
        assert status == 200, page
        view = RoomView()
        for e in reversed(page["chunk"]):
            content = e.get("content") or {}
            relates = content.get("m.relates_to") or {}
            if e["type"] in ("m.room.message", POST) and not relates:
                view.posts[e["event_id"]] = e
                if isinstance(content.get(RELATES_TO), dict):
                    view.reposts[e["event_id"]] = content[RELATES_TO]
            elif e["type"] == "m.room.message" and relates.get("rel_type") == "m.thread":
                view.replies.setdefault(relates["event_id"], []).append(e)
            elif e["type"] == "m.reaction" and relates.get("key") == LIKE:
                view.likers.setdefault(relates["event_id"], set()).add(e["sender"])
            elif e["type"] == "m.reaction" and relates.get("key") == REPOST_REACTION:
                view.reposters.setdefault(relates["event_id"], set()).add(e["sender"])
        return view


@dataclass
class RoomView:
    posts: dict[str, dict] = field(default_factory=dict)
    reposts: dict[str, dict] = field(default_factory=dict)  # event id -> relates_to
    replies: dict[str, list] = field(default_factory=dict)
    likers: dict[str, set] = field(default_factory=dict)
    reposters: dict[str, set] = field(default_factory=dict)
