"""The answer to a knock of ours (db/follow_request): an invite is accepted at once, as the
follower, and the follow becomes a follow (the room is then verified and indexed as any
followed room); a leave or a ban of the knocker by somebody else ends the request as refused,
with the room's reason. Nothing is done for an invite nobody asked for."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.errors import MatrixRequestError
from mautrix.types import RoomID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import follow_requests, follows
from ..errors import SocialError
from ..ids import Identities
from .group_rooms import GroupRooms, RoomAddress
from .intents import Intents
from .remote_feeds import RemoteFeeds

log = logging.getLogger("matrix_social.knocks")


class KnockAnswers:
    def __init__(self, db: Database, ids: Identities, intents: Intents,
                 groups: GroupRooms, remote_feeds: RemoteFeeds) -> None:
        self.remote_feeds = remote_feeds
        self.db = db
        self.ids = ids
        self.intents = intents
        self.groups = groups

    async def on_event(self, raw: dict[str, Any]) -> None:
        content = raw.get("content")
        user = raw.get("state_key")
        if raw.get("type") != "m.room.member" or not isinstance(content, dict) \
                or not isinstance(user, str) or not self.ids.is_local_human(user):
            return
        room_id, membership = raw["room_id"], content.get("membership")
        if membership not in ("invite", "leave", "ban"):
            return
        request = await follow_requests.get(self.db, room_id, user)
        if request is None or request["state"] != follow_requests.PENDING:
            return
        if membership == "invite":
            await self._accept(RoomID(room_id), user, request)
        elif raw.get("sender") == user:  # she withdrew the knock (from any client)
            await follow_requests.delete(self.db, room_id, user)
        else:
            reason = content.get("reason")
            said = reason if isinstance(reason, str) else ""
            await follow_requests.refuse(
                self.db, room_id, user,
                f"{'banned' if membership == 'ban' else 'refused'} by {raw.get('sender')}"
                + (f": {said}" if said else ""))
            log.info("%s's request to follow %s was refused by %s", user, room_id,
                     raw.get("sender"))

    async def _accept(self, room_id: RoomID, user: str, request) -> None:
        intent = await self.intents.for_user(user)
        where = RoomAddress(room_id, tuple(s for s in (request["via"],) if s)
                            or (self.ids.domain,))
        try:
            await self.groups.join(intent, where)
            if request["kind"] == "group":
                await self.groups.adopt(intent, room_id)
            else:  # a person's profile room: the same two-way check as any
                await self.remote_feeds.adopt_profile_room(intent, room_id, request["target"])
            await follows.upsert_provisional(self.db, room_id, user, now_ms())
        except (MatrixRequestError, SocialError) as e:
            await follow_requests.refuse(self.db, room_id, user, f"not followed: {e}")
            log.warning("%s was invited to %s but could not follow it: %s", user, room_id, e)
            return
        await follow_requests.delete(self.db, room_id, user)
        log.info("%s's request to follow %s was accepted", user, room_id)

