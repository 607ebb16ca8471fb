"""The Messages app's rules: DMs, groups, conversations and rich messages, as the user."""

from __future__ import annotations

from typing import Any

from mautrix.api import Method, Path
from mautrix.errors import MatrixRequestError
from mautrix.types import EventType, Membership, RoomCreatePreset, RoomID, UserID

from .. import events as ev
from ..content import compose
from ..content.fields import clean_text
from ..errors import Forbidden, InvalidInput, NotFound
from ..ids import Identities
from ..matrix.dms import is_encrypted, open_dm
from ..matrix.e2be_notices import UNENCRYPTED_DM, EncryptionNotices
from ..matrix.e2be_route import EncryptionRoute
from ..matrix.feed_owners import FeedOwners
from ..matrix.intents import Intents
from ..matrix.room_list import RoomLists, RoomSummary, SlidingRooms
from ..matrix.txn_ids import next_txn_id
from . import cursor as cursors
from .block_list import BlockList
from .media import Uploads
from .users import Users

MAX_MEMBERS = 100
ENCRYPTED_REFUSAL = ("This room is end-to-end encrypted. Only your own client holds its keys, "
                     "so send from your client; the service will not send here as you.")


class Messaging:
    def __init__(self, ids: Identities, users: Users, intents: Intents, owners: FeedOwners,
                 media: Uploads, e2be_route: EncryptionRoute, e2be_notices: EncryptionNotices,
                 runner_template: str, sliding: SlidingRooms,
                 blocks: BlockList | None = None) -> None:
        self.blocks = blocks
        self.e2be_route = e2be_route
        self.e2be_notices = e2be_notices
        self.ids = ids
        self.users = users
        self.intents = intents
        self.owners = owners
        self.media = media
        self.runner_template = runner_template
        self.room_lists = RoomLists()
        self.sliding = sliding

    async def _user(self, value: Any, field: str = "user") -> str:
        return await self.users.existing(value, field)

    async def _reachable(self, user: str, value: Any, field: str) -> str:
        """Somebody `user` may write to or invite: not when they, or the owner of the AI they
        are, blocked `user`."""
        other = await self._user(value, field)
        if self.blocks is not None:
            for owner in {other, self.ids.ai_owner(other) or other}:
                await self.blocks.refuse_if_blocked(owner, user, f"reach {other}")
        return other

    async def _member_room(self, user: str, room_id: str) -> RoomID:
        intent = await self.intents.for_user(user)
        try:
            membership = await intent.api.request(
                Method.GET, Path.v3.rooms[room_id].state["m.room.member"][user])
        except MatrixRequestError:
            raise NotFound(f"You are not in room {room_id}") from None
        if membership.get("membership") != Membership.JOIN.value:
            raise NotFound(f"You are not in room {room_id}")
        return RoomID(room_id)

    async def open_dm(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        other = await self._reachable(user, body.get("to"), "to")
        if other == user:
            raise InvalidInput("You cannot open a DM with yourself")
        encrypted = body.get("encrypted", True)
        if not isinstance(encrypted, bool):
            raise InvalidInput("'encrypted' must be true or false")
        unreadable = encrypted and self.ids.is_ai(other) and not self.e2be_route.available
        if unreadable and "encrypted" in body:
            raise InvalidInput("AIs on this server cannot read encrypted messages "
                               f"({self.e2be_route.detail}); leave out 'encrypted' or send false")
        intent = await self.intents.for_user(user)
        room_id, created = await open_dm(intent, other, encrypted and not unreadable)
        result = {"room_id": room_id, "created": created, "with": other,
                  "encrypted": await is_encrypted(intent, room_id)}
        if unreadable and created:
            result["notice"] = UNENCRYPTED_DM.format(reason=self.e2be_route.detail)
            await self.e2be_notices.unencrypted_dm(UserID(other), room_id)
        elif unreadable and result["encrypted"]:
            result["notice"] = ("This DM is end-to-end encrypted, and AIs on this server cannot "
                                f"read encrypted messages: {self.e2be_route.detail}.")
        return result

    async def create_group(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        name = clean_text(body.get("name"), "name", max_chars=100)
        members = body.get("members", [])
        if not isinstance(members, list) or len(members) > MAX_MEMBERS:
            raise InvalidInput(f"'members' must be a list of at most {MAX_MEMBERS} user IDs")
        invitees = [await self._reachable(user, m, "members[]") for m in members]
        encrypted = body.get("encrypted", False)
        if not isinstance(encrypted, bool):
            raise InvalidInput("'encrypted' must be true or false")
        intent = await self.intents.for_user(user)
        initial_state = [{"type": "m.room.encryption", "state_key": "",
                          "content": {"algorithm": "m.megolm.v1.aes-sha2"}}] if encrypted else []
        room_id = await intent.create_room(
            name=name, invitees=[UserID(m) for m in invitees if m != user],
            preset=RoomCreatePreset.PRIVATE, initial_state=initial_state)
        return {"room_id": room_id, "name": name, "invited": invitees, "encrypted": encrypted}

    async def invite(self, user: str, room_id: str, body: dict[str, Any]) -> dict[str, Any]:
        room = await self._member_room(user, room_id)
        target = await self._reachable(user, body.get("user"), "user")
        intent = await self.intents.for_user(user)
        await intent.invite_user(room, UserID(target))
        return await self.members(user, room_id)

    async def remove(self, user: str, room_id: str, body: dict[str, Any]) -> dict[str, Any]:
        room = await self._member_room(user, room_id)
        target = await self._user(body.get("user"))
        reason = clean_text(body.get("reason"), "reason", required=False)
        intent = await self.intents.for_user(user)
        try:
            await intent.kick_user(room, UserID(target), reason=reason)
        except MatrixRequestError as e:
            if e.http_status == 403:
                raise Forbidden(f"You may not remove people from this room: {e.message}") \
                    from None
            raise
        return await self.members(user, room_id)

    async def leave(self, user: str, room_id: str) -> dict[str, Any]:
        room = await self._member_room(user, room_id)
        intent = await self.intents.for_user(user)
        await intent.leave_room(room)
        return {"room_id": room_id, "left": True}

    async def members(self, user: str, room_id: str) -> dict[str, Any]:
        room = await self._member_room(user, room_id)
        intent = await self.intents.for_user(user)
        joined = await intent.api.request(Method.GET, Path.v3.rooms[room].joined_members)
        items = [{"user_id": uid, "display_name": info.get("display_name"),
                  "avatar_url": info.get("avatar_url"), "is_ai": self.ids.is_ai(uid)}
                 for uid, info in sorted(joined.get("joined", {}).items())]
        return {"room_id": room_id, "members": items, "count": len(items)}

    async def conversations(self, user: str, token: str, cursor: str | None,
                            limit: int) -> dict[str, Any]:
        """DMs and groups (every joined room but feed rooms), most recent first: by the
        homeserver's sliding sync where it has one (asked with the caller's `token`), else
        from the user's /sync (matrix/room_list.py); one homeserver request per page, the
        first included."""
        position, seen = _position(cursor)
        intent = await self.intents.for_user(user)
        window = await self.sliding.after(token, position, limit + 1, self.owners.feeds_among,
                                          seen)
        if window is not None:
            rooms, direct = window
            dm_with = {room: other for other, room_ids in direct.items() for room in room_ids}
            return cursors.page(rooms, limit, lambda room: _conversation(room, dm_with),
                                lambda room: (room.recency, room.room_id, seen + limit))
        joined = await self.room_lists.get(intent)
        feeds = await self.owners.feeds_among(list(joined.rooms))
        dm_with = {room: other for other, room_ids in joined.direct.items()
                   for room in room_ids}
        ordered = sorted(((r.last_activity or 0, r.room_id, r) for r in joined.rooms.values()
                          if r.room_id not in feeds), reverse=True)
        if position is not None:
            ordered = [item for item in ordered if item[:2] < position]
        return cursors.page(ordered, limit, lambda item: _conversation(item[2], dm_with),
                            lambda item: (*item[:2], seen + limit))

    async def send(self, user: str, room_id: str, body: dict[str, Any]) -> dict[str, Any]:
        room = await self._member_room(user, room_id)
        content = await self._rich_content(user, body)
        intent = await self.intents.for_user(user)
        if await is_encrypted(intent, room):
            raise Forbidden(ENCRYPTED_REFUSAL)
        event_id = await intent.send_message_event(room, EventType.ROOM_MESSAGE, content,
                                                   txn_id=next_txn_id())
        return {"room_id": room_id, "event_id": event_id, "content": content}

    async def _rich_content(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        kind = body.get("kind", "text")
        text = clean_text(body.get("text"), "text", max_chars=20_000, required=kind == "text")
        if kind == "text":
            return {"msgtype": "m.text", "body": text}
        if kind == "app":
            return compose.app_content(body.get("app"), self.runner_template, text)
        if kind in ("image", "file"):
            row = await self.media.own(user, body.get("media"), "media")
            mxc = row["mxc"]
            if kind == "image":
                content = compose.image_content([compose.ImageRef(
                    mxc, row["mimetype"], row["size"], row["width"], row["height"])], text)
                content.pop(ev.POST_BLOCK, None)
                return content
            filename = clean_text(body.get("filename") or "file", "filename", max_chars=255)
            return {"msgtype": "m.file", "body": text or filename, "filename": filename,
                    "url": mxc, "info": {"mimetype": row["mimetype"], "size": row["size"]}}
        raise InvalidInput("'kind' must be one of text, image, file, app")


def _position(cursor: str | None) -> tuple[tuple | None, int]:
    """(recency, room id) of the last conversation shown, and how many were shown: a hint of
    where to look in the homeserver's list, never trusted beyond that."""
    decoded = cursors.decode(cursor, (int, str, int))
    return (decoded[:2], decoded[2]) if decoded else (None, 0)


def _conversation(room: RoomSummary, dm_with: dict[str, str]) -> dict[str, Any]:
    return {"room_id": room.room_id, "kind": "dm" if room.room_id in dm_with else "group",
            "with": dm_with.get(room.room_id), "name": room.name,
            "last_activity": room.last_activity, "encrypted": room.encrypted}
