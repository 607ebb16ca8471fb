"""Our feed rooms stay readable in every client: a top-level message there from anyone but the
owner (or our bot) is not a post, so the bot redacts it with a reason that says to reply in a
thread (comments, reactions and repost notices stay); an invite sent by somebody who neither
owns nor follows the feed is withdrawn."""

from __future__ import annotations

import logging
from typing import Any

from mautrix.appservice import AppService
from mautrix.errors import MatrixRequestError
from mautrix.types import EventID, RoomID, UserID
from mautrix.util.async_db import Database

from ..db import follows
from .feed_owners import FeedOwners, FeedRoom

log = logging.getLogger("matrix_social.hygiene")

NOT_A_POST = ("Only {owner} posts in this feed. To answer a post, reply in its thread; this "
              "message was removed so the feed stays the owner's.")
INVITE_WITHDRAWN = "Only the owner and followers of this feed may invite people to it."


class FeedHygiene:
    def __init__(self, az: AppService, db: Database, owners: FeedOwners) -> None:
        self.az = az
        self.db = db
        self.owners = owners

    async def on_event(self, raw: dict[str, Any]) -> None:
        etype, content = raw.get("type"), raw.get("content")
        if etype not in ("m.room.message", "m.room.member") or not isinstance(content, dict):
            return
        feed = await self.owners.feed_of(raw["room_id"])
        if feed is None or feed.bot != self.az.bot_mxid:
            return  # only feeds our bot keeps (another server's bot keeps its own)
        try:
            if etype == "m.room.message":
                await self._message(raw, feed, content)
            elif content.get("membership") == "invite":
                await self._invite(raw, feed)
        except MatrixRequestError as e:
            log.warning("Could not tidy %s in %s: %s", raw.get("event_id"), raw["room_id"], e)

    async def _message(self, raw: dict, feed: FeedRoom, content: dict) -> None:
        relates = content.get("m.relates_to")
        rel_type = relates.get("rel_type") if isinstance(relates, dict) else None
        if raw["sender"] in (feed.owner, feed.bot) or rel_type is not None:
            return
        await self.az.intent.redact(RoomID(raw["room_id"]), EventID(raw["event_id"]),
                                    reason=NOT_A_POST.format(owner=feed.owner))
        log.info("Redacted %s's top-level message %s in %s's feed", raw["sender"],
                 raw["event_id"], feed.owner)

    async def _invite(self, raw: dict, feed: FeedRoom) -> None:
        inviter, invitee = raw["sender"], raw.get("state_key")
        if inviter in (feed.owner, feed.bot) or invitee in (feed.bot, self.az.bot_mxid) \
                or await follows.is_following(self.db, raw["room_id"], inviter):
            return
        await self.az.intent.kick_user(RoomID(raw["room_id"]), UserID(invitee),
                                       reason=INVITE_WITHDRAWN)
        log.info("Withdrew %s's invite of %s to %s's feed", inviter, invitee, feed.owner)
