"""Rebuild the index from the rooms themselves: every feed room's timeline, oldest first."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass

from mautrix.api import Method, Path
from mautrix.appservice import IntentAPI
from mautrix.errors import MatrixRequestError
from mautrix.types import RoomID
from mautrix.util.async_db import Database

from .. import events as ev
from ..db import feed_rooms
from ..db.index_reset import clear_index
from .feed_owners import FeedOwners
from .ingest import Ingest

log = logging.getLogger("matrix_social.reindex")
PAGE = 500
MAX_PAGES_PER_ROOM = 100_000


@dataclass
class Progress:
    rooms_total: int = 0
    rooms_done: int = 0
    events: int = 0


def print_bar(progress: Progress, stream=sys.stderr) -> None:
    width = 30
    done = progress.rooms_done * width // max(progress.rooms_total, 1)
    stream.write(f"\rreindex [{'#' * done}{'.' * (width - done)}] "
                 f"{progress.rooms_done}/{progress.rooms_total} rooms, {progress.events} events")
    if progress.rooms_done == progress.rooms_total:
        stream.write("\n")
    stream.flush()


async def _feed_rooms(bot: IntentAPI, db: Database) -> list[str]:
    candidates = set(await bot.get_joined_rooms()) | set(await feed_rooms.all_rooms(db))
    rooms = []
    for room_id in sorted(candidates):
        try:
            await bot.get_state_event(RoomID(room_id), ev.FEED_STATE)
        except MatrixRequestError:
            continue
        rooms.append(room_id)
    return rooms


async def _replay_room(bot: IntentAPI, ingest: Ingest, room_id: str, progress: Progress,
                       on_progress: Callable[[Progress], None]) -> None:
    token = None
    for _ in range(MAX_PAGES_PER_ROOM):
        query = {"dir": "f", "limit": str(PAGE)}
        if token:
            query["from"] = token
        page = await bot.api.request(
            Method.GET, Path.v3.rooms[room_id].messages, query_params=query)
        for raw in page.get("chunk", []):
            await ingest.apply(raw)
            progress.events += 1
        on_progress(progress)
        token = page.get("end")
        if not page.get("chunk") or not token:
            return


async def reindex(bot: IntentAPI, db: Database, ingest: Ingest, owners: FeedOwners,
                  on_progress: Callable[[Progress], None] = print_bar) -> Progress:
    rooms = await _feed_rooms(bot, db)
    progress = Progress(rooms_total=len(rooms))
    await clear_index(db)
    owners.forget()
    for room_id in rooms:
        await _replay_room(bot, ingest, room_id, progress, on_progress)
        progress.rooms_done += 1
        on_progress(progress)
    log.info("Reindexed %d feed rooms, %d events", progress.rooms_done, progress.events)
    return progress

