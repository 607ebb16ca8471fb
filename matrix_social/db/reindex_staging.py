"""reindex_event: a reindex run's copy of each feed room's timeline, read before the swap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from . import Executor

BATCH = 500


async def add(db: Executor, run_id: str, room_id: str, first_seq: int,
              events: list[str]) -> None:
    await db.executemany(
        "INSERT INTO reindex_event (run_id, room_id, seq, event_json) VALUES ($1, $2, $3, $4)",
        [(run_id, room_id, first_seq + i, raw) for i, raw in enumerate(events)])


async def events(db: Executor, run_id: str, room_id: str) -> AsyncIterator[dict[str, Any]]:
    after = -1
    while True:
        rows = await db.fetch(
            "SELECT seq, event_json FROM reindex_event WHERE run_id=$1 AND room_id=$2 "
            "AND seq > $3 ORDER BY seq LIMIT $4", run_id, room_id, after, BATCH)
        for row in rows:
            yield json.loads(row["event_json"])
        if len(rows) < BATCH:
            return
        after = rows[-1]["seq"]


async def drop_run(db: Executor, run_id: str) -> None:
    await db.execute("DELETE FROM reindex_event WHERE run_id=$1", run_id)
