"""Feed rooms made before MSC4501 support get what new ones are made with: the room's
`…social.profile_user_id` naming its owner (sent by the bot, which speaks for her at power
100) and the `…social.profile_room` field on her profile. Once per room, at start, in the
background; a room that fails (homeserver busy, owner gone) is tried again at the next start."""

from __future__ import annotations

import logging

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError, MNotFound
from mautrix.types import RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..db import feed_rooms as feed_rooms_db
from .feed_rooms import FeedRooms

log = logging.getLogger("matrix_social.msc4501")

BATCH = 100


class Msc4501Backfill:
    def __init__(self, db: Database, rooms: FeedRooms) -> None:
        self.db = db
        self.rooms = rooms

    @property
    def bot(self) -> IntentAPI:
        return self.rooms.bot

    async def run(self) -> int:
        """The rooms given their claim and profile field in this run."""
        written, after = 0, ""
        while batch := await feed_rooms_db.msc4501_unchecked(self.db, self.bot.mxid, after,
                                                              BATCH):
            for room_id, owner in batch:
                after = room_id
                try:
                    written += await self._one(RoomID(room_id), owner)
                except MatrixRequestError as e:
                    log.warning("MSC4501 back-fill of %s left for the next start: %s",
                                room_id, e)
                    continue
                await feed_rooms_db.msc4501_checked(self.db, room_id)
        if written:
            log.info("MSC4501 back-fill: %d feed rooms now name their owners", written)
        return written

    async def _one(self, room_id: RoomID, owner: str) -> int:
        claim_path = Path.v3.rooms[room_id].state[str(ev.SOCIAL_PROFILE_USER_ID)][""]
        try:
            named = (await self.bot.api.request(Method.GET, claim_path)).get(
                ev.SOCIAL_PROFILE_USER_ID_KEY)
        except MNotFound:
            named = None
        if named is not None and named != owner:
            # Only the owner and our bot may set it (power 100): what they chose stays.
            log.warning("%s names %r, not its owner %s: left as it is", room_id, named, owner)
            return 0
        if named is None:
            await self.bot.api.request(Method.PUT, claim_path,
                                       {ev.SOCIAL_PROFILE_USER_ID_KEY: owner})
        await self.rooms.name_in_profile(room_id, owner)
        return int(named is None)
