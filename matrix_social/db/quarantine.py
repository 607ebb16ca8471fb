"""quarantine: events that cannot be indexed and never will be, kept for an operator."""

from __future__ import annotations

import json
from typing import Any

from ..clock import now_ms
from . import Executor


async def record(db: Executor, raw: dict[str, Any], error: str) -> None:
    now = now_ms()
    await db.execute(
        "INSERT INTO quarantine (event_id, room_id, type, sender, error, event_json, "
        "first_seen, last_seen, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1) "
        "ON CONFLICT (event_id) DO UPDATE SET error=excluded.error, "
        "last_seen=excluded.last_seen, attempts=quarantine.attempts + 1",
        str(raw.get("event_id")), str(raw.get("room_id")), str(raw.get("type")),
        str(raw.get("sender")), error[:1000], json.dumps(raw), now,
    )


async def release(db: Executor, event_id: str) -> None:
    await db.execute("DELETE FROM quarantine WHERE event_id=$1", event_id)


async def list_all(db: Executor, limit: int = 1000) -> list:
    return await db.fetch(
        "SELECT event_id, room_id, type, sender, error, first_seen, last_seen, attempts "
        "FROM quarantine ORDER BY first_seen LIMIT $1", limit)


async def get(db: Executor, event_id: str) -> dict[str, Any] | None:
    value = await db.fetchval("SELECT event_json FROM quarantine WHERE event_id=$1", event_id)
    return json.loads(value) if value else None


async def count(db: Executor) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM quarantine")
