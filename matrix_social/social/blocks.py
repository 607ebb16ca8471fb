"""Blocking, Matrix-first (docs/events.md, "Blocks"): the blocked user is banned from her feed
room by its bot (so it holds in every client and over federation), added to her
`m.ignored_user_list` (so her own clients hide him and the homeserver drops his invites),
unfollowed both ways, and his likes and comments on her posts are redacted by the bot; the
index then hides him wherever she looks (block_list.py). Unblocking lifts the ban and the
ignore; follows, likes and comments stay gone."""

from __future__ import annotations

import json
import logging
from typing import Any

from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, RoomID, UserID
from mautrix.util.async_db import Database

from ..clock import now_ms
from ..content.parse import notice_of
from ..db import blocks
from ..db import comments as comments_db
from ..db import feed_rooms as feed_rooms_db
from ..db import follows as follows_db
from ..db import likes as likes_db
from ..db import notifications as notifications_db
from ..db.retry import in_transaction
from ..errors import InvalidInput, NotFound, SocialError
from ..ids import Identities
from ..matrix.feed_rooms import FeedRooms
from ..matrix.intents import Intents
from . import cursor as cursors
from .follows import Follows
from .users import Users

log = logging.getLogger("matrix_social.blocks")
IGNORED_USERS = "m.ignored_user_list"
BAN_REASON = "Blocked by the owner of this feed"
# His marks on her posts redacted at a block, newest first; older ones stay (and are hidden
# from her views by the index all the same).
MAX_REDACTIONS = 500


class Blocks:
    def __init__(self, db: Database, ids: Identities, users: Users, intents: Intents,
                 feed_rooms: FeedRooms, follows: Follows) -> None:
        self.db = db
        self.ids = ids
        self.users = users
        self.intents = intents
        self.rooms = feed_rooms
        self.follows = follows

    def _named_ai(self, user_id: str) -> str | None:
        parts = self.ids.split(user_id)
        if parts is None or self.ids.named_owner(user_id) is not None:
            return None
        return f"@{parts[0]}{self.ids.ai_suffix}:{parts[1]}"

    async def block(self, owner: str, body: dict[str, Any]) -> dict[str, Any]:
        target = self.users.user_id(body.get("user_id"), "user_id")
        include_ai = body.get("include_ai", False)
        if not isinstance(include_ai, bool):
            raise InvalidInput("'include_ai' must be true or false")
        if target in (owner, self.ids.ai_of(owner), self.ids.bot):
            raise InvalidInput("You cannot block yourself, your own AI or the service")
        # Anybody of another server can be blocked at once, even while their server is down
        # (the ban and the ignore need nothing from it); ours must exist.
        if self.ids.local_localpart(target) is not None and not await self.users.exists(target):
            raise NotFound(f"No user {target}")
        targets = [target]
        ai = self._named_ai(target) if include_ai else None
        if ai is not None and ai != owner:
            targets.append(ai)
        await in_transaction(self.db, blocks.add_all, owner, targets, target, now_ms())
        # His notifications to her go for good (an unblock brings none back); from now on
        # none is derived (db/notifications.py).
        await notifications_db.forget_actors(self.db, owner, targets)
        room = await self.rooms.ensure(owner)
        for who in targets:
            await self._shut_out(owner, room, who)
        await self._set_ignored(owner, add=targets)
        return {"user_id": target, "blocked": True, "include_ai": ai is not None,
                "blocked_ids": targets}

    async def _shut_out(self, owner: str, room: RoomID, who: str) -> None:
        """Ban, unfollow both ways, and redact his likes and comments in her feed room."""
        try:
            # His member events sent before the ban may still be on their way: the fence
            # keeps a late join from making him her follower again.
            async with self.follows.fence.around(room, who, follows=False):
                await self.rooms.bot.ban_user(room, UserID(who), BAN_REASON)
        except MatrixRequestError as e:
            log.warning("Could not ban %s from %s: %s", who, room, e)
        await follows_db.delete(self.db, room, who)  # the ban ends it; the index at once
        his_room = await feed_rooms_db.room_of(self.db, who)
        if his_room and await follows_db.is_following(self.db, his_room, owner):
            try:
                await self.follows.unfollow(owner, who)
            except (SocialError, MatrixRequestError) as e:
                log.info("%s stays joined to %s's feed for now: %s", owner, who, e)
        likes, comments = await blocks.their_marks_in_room(self.db, room, who, MAX_REDACTIONS)
        notices = [notice for row in await blocks.their_reposts_of_room(
                       self.db, room, who, MAX_REDACTIONS)
                   if (notice := notice_of(json.loads(row["content"])))]
        for event_id in [*likes, *comments, *notices]:
            try:
                await self.rooms.bot.redact(room, EventID(event_id), reason=BAN_REASON)
            except MatrixRequestError as e:
                log.warning("Could not redact %s in %s: %s", event_id, room, e)
        for event_id in likes:
            await in_transaction(self.db, likes_db.delete, event_id)
        for event_id in comments:
            await in_transaction(self.db, comments_db.delete, event_id)

    async def unblock(self, owner: str, user_id: str) -> dict[str, Any]:
        target = self.users.user_id(user_id, "user_id")
        removed = await in_transaction(self.db, blocks.remove, owner, target)
        if not removed:
            raise NotFound(f"You have not blocked {target}")
        room = await self.rooms.ensure(owner)
        for who in removed:
            try:
                await self.rooms.bot.unban_user(room, UserID(who), "Unblocked")
            except MatrixRequestError as e:
                log.warning("Could not unban %s from %s: %s", who, room, e)
        await self._set_ignored(owner, remove=removed)
        return {"user_id": target, "blocked": False, "unblocked_ids": removed}

    async def page(self, owner: str, cursor: str | None, limit: int) -> dict[str, Any]:
        rows = await blocks.page(self.db, owner, cursors.decode(cursor), limit + 1)
        return cursors.page(
            rows, limit,
            lambda r: {"user_id": r["blocked"], "handle": self.ids.handle_of(r["blocked"]),
                       "since": r["ts"], "with": r["via"]},
            lambda r: (r["ts"], r["blocked"]))

    async def _set_ignored(self, owner: str, add: list[str] = (), remove: list[str] = ()
                           ) -> None:
        """Her m.ignored_user_list, read and written whole (the spec's shape), keeping what
        her own clients put there."""
        intent = await self.intents.for_user(owner)
        try:
            content = await intent.get_account_data(IGNORED_USERS)
        except MatrixRequestError:
            content = {}
        ignored = content.get("ignored_users") if isinstance(content, dict) else None
        ignored = dict(ignored) if isinstance(ignored, dict) else {}
        for who in add:
            ignored.setdefault(who, {})
        for who in remove:
            ignored.pop(who, None)
        await intent.set_account_data(IGNORED_USERS, {"ignored_users": ignored})
