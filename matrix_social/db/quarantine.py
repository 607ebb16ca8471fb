"""quarantine: events that cannot be indexed and never will be, kept for an operator, within
bounds (a cap per sender and in all, a retention period, a cap on each stored event's size:
a larger one is kept as a truncated copy with its original size and SHA-256)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import Executor


def stored_form(raw: dict[str, Any], max_bytes: int) -> tuple[str, int, str, bool]:
    """(the JSON to store, its original size in bytes, its SHA-256, truncated?)"""
    data = json.dumps(raw, ensure_ascii=False).encode()
    digest = hashlib.sha256(data).hexdigest()
    if len(data) <= max_bytes:
        return data.decode(), len(data), digest, False
    return data[:max_bytes].decode(errors="ignore"), len(data), digest, True


async def record(db: Executor, raw: dict[str, Any], error: str, now: int,
                 max_event_bytes: int) -> tuple[int, bool]:
    """Keep the event (or count another attempt of it); (its attempts, truncated?)."""
    text, size, digest, truncated = stored_form(raw, max_event_bytes)
    attempts = await db.fetchval(
        "INSERT INTO quarantine (event_id, room_id, type, sender, error, event_json, "
        "first_seen, last_seen, attempts, event_size, event_sha256, truncated) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1, $8, $9, $10) "
        "ON CONFLICT (event_id) DO UPDATE SET error=excluded.error, "
        "last_seen=excluded.last_seen, attempts=quarantine.attempts + 1 RETURNING attempts",
        str(raw.get("event_id"))[:255], str(raw.get("room_id"))[:255],
        str(raw.get("type"))[:255], str(raw.get("sender"))[:255], error[:1000], text, now,
        size, digest, truncated,
    )
    return attempts, truncated


async def trim_sender(db: Executor, sender: str, keep: int) -> int:
    """Drop all but the `keep` most recently seen events of `sender`; how many went."""
    gone = await db.fetch(
        "DELETE FROM quarantine WHERE sender=$1 AND event_id NOT IN (SELECT event_id FROM "
        "quarantine WHERE sender=$1 ORDER BY last_seen DESC, event_id DESC LIMIT $2) "
        "RETURNING event_id", sender[:255], keep)
    return len(gone)


async def trim_all(db: Executor, keep: int) -> int:
    """Drop all but the `keep` most recently seen events; how many went."""
    gone = await db.fetch(
        "DELETE FROM quarantine WHERE event_id NOT IN (SELECT event_id FROM quarantine "
        "ORDER BY last_seen DESC, event_id DESC LIMIT $1) RETURNING event_id", keep)
    return len(gone)


async def expire(db: Executor, seen_before: int) -> int:
    """Drop events not seen since `seen_before`; how many went."""
    gone = await db.fetch("DELETE FROM quarantine WHERE last_seen < $1 RETURNING event_id",
                          seen_before)
    return len(gone)


async def release(db: Executor, event_id: str) -> None:
    await db.execute("DELETE FROM quarantine WHERE event_id=$1", event_id)


async def list_all(db: Executor, limit: int = 1000) -> list:
    return await db.fetch(
        "SELECT event_id, room_id, type, sender, error, first_seen, last_seen, attempts, "
        "event_size, event_sha256, truncated FROM quarantine ORDER BY first_seen LIMIT $1",
        limit)


async def stored(db: Executor, event_id: str):
    """The stored row (event_json, event_size, event_sha256, truncated), or None."""
    return await db.fetchrow(
        "SELECT event_json, event_size, event_sha256, truncated FROM quarantine "
        "WHERE event_id=$1", event_id)


async def get(db: Executor, event_id: str) -> dict[str, Any] | None:
    """The event as it came, when it was kept whole."""
    row = await stored(db, event_id)
    return json.loads(row["event_json"]) if row and not row["truncated"] else None


async def count(db: Executor) -> int:
    return await db.fetchval("SELECT COUNT(*) FROM quarantine")
