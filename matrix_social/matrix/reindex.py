"""Rebuild the index from the rooms themselves, safely.

1. Find the feed rooms: the ones the index knows and every room the bot is in with feed state,
   each verified as the index is (the owner's server maps `#feed_NAME` to it).
2. Read each verified room's whole timeline into a staging table. A room that cannot be read
   is reported and skipped: its rows stay as they were.
3. In one database transaction, replace the rows of every room read with what its events say.
   Until that commits, the API serves the old index; a failure leaves it untouched.
4. Apply what arrived in those rooms while steps 2-3 ran (the timeline from where step 2
   stopped), so nothing live is lost.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import IntentError, MatrixRequestError
from mautrix.types import RoomAlias, RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..db import feed_rooms, index_reset, reindex_staging
from ..ids import Identities
from . import msc4501
from .feed_owners import FeedOwners
from .ingest import IndexRules, Ingest
from .ingest.failures import is_transient
from .ingest.writer import IndexWriter
from .remote_feeds import REACH_TIMEOUT

log = logging.getLogger("matrix_social.reindex")
PAGE = 500
MAX_PAGES_PER_ROOM = 100_000


@dataclass
class Progress:
    rooms_total: int = 0
    rooms_done: int = 0
    events: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # room -> why


def print_bar(progress: Progress, stream=sys.stderr) -> None:
    width = 30
    done = progress.rooms_done * width // max(progress.rooms_total, 1)
    stream.write(f"\rreindex [{'#' * done}{'.' * (width - done)}] "
                 f"{progress.rooms_done}/{progress.rooms_total} rooms, {progress.events} events")
    if progress.rooms_done == progress.rooms_total:
        stream.write("\n")
    stream.flush()


@dataclass
class VerifiedRoom:
    room_id: str
    owner: str
    bot: str
    end_token: str | None = None


class Reindexer:
    def __init__(self, bot: IntentAPI, db: Database, ids: Identities, owners: FeedOwners,
                 ingest: Ingest, alias_prefix: str,
                 on_progress: Callable[[Progress], None] = print_bar) -> None:
        self.bot = bot
        self.db = db
        self.ids = ids
        self.owners = owners
        self.ingest = ingest
        self.prefix = alias_prefix
        self.on_progress = on_progress
        self.run_id = secrets.token_hex(8)

    async def run(self) -> Progress:
        progress = Progress()
        rooms, not_feeds = await self._verified_rooms(progress)
        progress.rooms_total = len(rooms)
        self.on_progress(progress)
        read = []
        try:
            for room in rooms:
                try:
                    await self._stage(room, progress)
                    read.append(room)
                except MatrixRequestError as e:
                    progress.skipped[room.room_id] = f"could not read its timeline: {e}"
                    log.warning("Reindex skips %s: %s", room.room_id, e)
                progress.rooms_done += 1
                self.on_progress(progress)
            await self._swap(read, not_feeds)
            await self._catch_up(read)
        finally:
            await reindex_staging.drop_run(self.db, self.run_id)
        log.info("Reindexed %d feed rooms, %d events; skipped %d", len(read), progress.events,
                 len(progress.skipped))
        return progress

    # --- 1. which rooms are feeds ------------------------------------------------------------

    async def _verified_rooms(self, progress: Progress) -> tuple[list[VerifiedRoom], list[str]]:
        known = {room_id: owner for room_id, owner, _ in await feed_rooms.all_rooms(self.db)}
        candidates = set(known) | set(await self.bot.get_joined_rooms())
        verified, not_feeds = [], []
        for room_id in sorted(candidates):
            try:
                room = await self._verify(room_id)
            except (MatrixRequestError, IntentError, TimeoutError) as e:
                # IntentError: the bot is not in the room and cannot join it (a knock-only
                # profile room its follower was let into): skipped, its rows kept as they are.
                if room_id in known:
                    progress.skipped[room_id] = f"could not be checked: {e or 'no answer'}"
                continue
            if room is not None:
                verified.append(room)
            elif room_id in known:
                not_feeds.append(room_id)
        return verified, not_feeds

    async def _verify(self, room_id: str) -> VerifiedRoom | None:
        try:
            feed = await self.bot.get_state_event(RoomID(room_id), ev.FEED_STATE)
        except MatrixRequestError as e:
            if e.http_status == 404:
                return await self._verify_profile_room(room_id)
            raise
        content = feed.serialize() if hasattr(feed, "serialize") else dict(feed)
        owner = content.get(ev.FEED_OWNER_KEY)
        parts = self.ids.split(owner) if isinstance(owner, str) else None
        if parts is None:
            return None
        alias = RoomAlias(f"#{self.prefix}{parts[0]}:{parts[1]}")
        try:
            async with asyncio.timeout(REACH_TIMEOUT):  # no minute of retries per room
                answer = await self.bot.api.request(
                    Method.GET, Path.v3.directory.room[alias], retry_count=0)
            resolved = answer.get("room_id")
        except MatrixRequestError as e:
            if e.http_status == 404:
                return None  # nobody's feed: the owner's server maps the alias nowhere
            raise  # the owner's server did not answer: unknown, so the room is skipped
        if resolved != room_id:
            log.warning("Reindex: %s claims to be %s's feed, but %s points to %s", room_id,
                        owner, alias, resolved)
            return None
        if parts[1] == self.ids.domain:
            return VerifiedRoom(room_id, owner, self.bot.mxid)
        return VerifiedRoom(room_id, owner, await self._remote_bot(room_id, parts[1]))

    async def _verify_profile_room(self, room_id: str) -> VerifiedRoom | None:
        """An MSC4501 profile room of a user of another server: the owner's profile names it
        and it names the owner (msc4501.ownership_problem); only the owner speaks for it."""
        try:  # most rooms that are no feed (DMs, portals) have no such state: one cheap 404
            await self.bot.get_state_event(RoomID(room_id), ev.SOCIAL_PROFILE_USER_ID)
        except MatrixRequestError as e:
            if e.http_status == 404:
                return None
            raise
        state = await self.bot.api.request(Method.GET, Path.v3.rooms[room_id].state)
        if msc4501.room_type(state) != ev.SOCIAL_PROFILE_ROOM_TYPE:
            return None
        claim = next((e for e in state if e.get("type") == str(ev.SOCIAL_PROFILE_USER_ID)
                      and e.get("state_key") == ""), {})
        owner = (claim.get("content") or {}).get(ev.SOCIAL_PROFILE_USER_ID_KEY)
        if not isinstance(owner, str) or self.ids.split(owner) is None \
                or self.ids.local_localpart(owner) or msc4501.ownership_problem(state, owner):
            return None
        async with asyncio.timeout(REACH_TIMEOUT):
            pointer = await msc4501.profile_room_of(self.bot, owner)
        if pointer is None or pointer.room_id != room_id:
            return None
        return VerifiedRoom(room_id, owner, "")

    async def _remote_bot(self, room_id: str, server: str) -> str:
        state = await self.bot.api.request(Method.GET, Path.v3.rooms[room_id].state)
        creator = next((e.get("sender") for e in state if e.get("type") == "m.room.create"), "")
        return creator if (self.ids.split(creator) or ("", ""))[1] == server else ""

    # --- 2. read each room into the staging table --------------------------------------------

    async def _stage(self, room: VerifiedRoom, progress: Progress) -> None:
        token, seq = None, 0
        for _ in range(MAX_PAGES_PER_ROOM):
            query = {"dir": "f", "limit": str(PAGE)}
            if token:
                query["from"] = token
            page = await self.bot.api.request(
                Method.GET, Path.v3.rooms[room.room_id].messages, query_params=query)
            chunk = page.get("chunk", [])
            await reindex_staging.add(self.db, self.run_id, room.room_id, seq,
                                      [json.dumps(raw) for raw in chunk])
            seq += len(chunk)
            progress.events += len(chunk)
            if page.get("end"):
                token = page["end"]
            if not chunk or not page.get("end"):
                break
        room.end_token = token

    # --- 3. swap in one database transaction -------------------------------------------------

    async def _swap(self, rooms: list[VerifiedRoom], not_feeds: list[str]) -> None:
        for room in rooms:
            await self.owners.record(room.room_id, room.owner, room.bot)
        failed: list[tuple[dict, BaseException]] = []
        bars = await self.ingest.rules.bars_now()
        async with self.db.acquire() as conn, conn.transaction():
            for room_id in not_feeds:
                await index_reset.clear_room(conn, room_id, None)
            for room in rooms:
                await index_reset.clear_room(conn, room.room_id, room.owner)
            # Reads through this same connection: on SQLite it is the only one.
            rules = self.ingest.rules.replaying(FeedOwners(conn), bars)
            writer = IndexWriter(conn)
            for room in rooms:
                async for raw in reindex_staging.events(conn, self.run_id, room.room_id):
                    await self._replay(conn, rules, writer, raw, failed)
            # A repost read before its original (in a room replayed later) gets a second go.
            first_pass, failed = failed, []
            for raw, _ in first_pass:
                await self._replay(conn, rules, writer, raw, failed)
        for room_id in not_feeds:
            await feed_rooms.forget(self.db, room_id)
        self.owners.forget()
        for raw, error in failed:
            await self.ingest.quarantine.record(raw, error)

    @staticmethod
    async def _replay(conn, rules: IndexRules, writer: IndexWriter, raw: dict,
                      failed: list[tuple[dict, BaseException]]) -> None:
        """One event; on PostgreSQL inside a savepoint, so one failed statement does not
        abort the whole swap."""
        writer.current_event = raw
        try:
            async with conn.transaction():
                await rules.apply(raw, writer)
        except Exception as e:
            if is_transient(e):
                raise
            failed.append((raw, e))

    # --- 4. what arrived meanwhile -----------------------------------------------------------

    async def _catch_up(self, rooms: list[VerifiedRoom]) -> None:
        for room in rooms:
            token = room.end_token
            for _ in range(MAX_PAGES_PER_ROOM):
                if not token:
                    break
                page = await self.bot.api.request(
                    Method.GET, Path.v3.rooms[room.room_id].messages,
                    query_params={"dir": "f", "limit": str(PAGE), "from": token})
                for raw in page.get("chunk", []):
                    await self.ingest.apply(raw)
                if not page.get("chunk") or page.get("end") in (None, token):
                    break
                token = page["end"]
