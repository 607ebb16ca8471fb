"""The quarantine stays bounded, on SQLite and PostgreSQL (no homeserver): the newest events per
sender, the newest in all, none past the retention period, each stored event capped in size
(a truncated copy with the original's size and SHA-256), the count in the metrics. The same
through the real transaction path with 10,000 bad events: test_trust.py."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from matrix_social.db import quarantine
from matrix_social.errors import UntrustedEvent
from matrix_social.matrix.ingest import Quarantine, QuarantineLimits

from .fakes.clock import FakeClock

LIMITS = QuarantineLimits(max_per_sender=5, max_events=12, retention_days=2,
                          max_event_bytes=2048)


def _event(n: int, sender: str, body: str = "x") -> dict:
    return {"event_id": f"${sender[1:4]}{n:05d}", "room_id": "!feed:hs", "sender": sender,
            "type": "m.room.message", "origin_server_ts": n,
            "content": {"msgtype": "m.text", "body": body}}


async def _ids(db, sender: str | None = None) -> list[str]:
    rows = await quarantine.list_all(db)
    return sorted(r["event_id"] for r in rows if sender is None or r["sender"] == sender)


def _dropped(reason: str) -> float:
    return REGISTRY.get_sample_value("matrix_social_quarantine_dropped_total",
                                     {"reason": reason}) or 0.0


async def test_the_newest_events_per_sender_and_in_all_are_kept(db):
    clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    kept = Quarantine(db, LIMITS, clock)
    sender_cap = _dropped("sender_cap")
    for n in range(40):  # mallory: 40 bad events, one a second
        clock.advance(1)
        await kept.record(_event(n, "@mallory:hs"), UntrustedEvent("no"))
    assert await _ids(db, "@mallory:hs") == [f"$mal{n:05d}" for n in range(35, 40)]
    assert _dropped("sender_cap") - sender_cap == 35
    for name in ("@ann:hs", "@bob:hs", "@cat:hs"):
        for n in range(3):
            clock.advance(1)
            await kept.record(_event(n, name), UntrustedEvent("no"))
    # 5 + 9 = 14 > 12: the two oldest (mallory's) went.
    assert await quarantine.count(db) == 12
    assert await _ids(db, "@mallory:hs") == [f"$mal{n:05d}" for n in range(37, 40)]
    assert REGISTRY.get_sample_value("matrix_social_quarantine_events") == 12
    # The same event again is another attempt, not another row.
    clock.advance(1)
    await kept.record(_event(39, "@mallory:hs"), UntrustedEvent("still no"))
    rows = {r["event_id"]: r for r in await quarantine.list_all(db)}
    assert rows["$mal00039"]["attempts"] == 2 and len(rows) == 12


async def test_events_past_the_retention_period_go(db):
    clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    kept = Quarantine(db, LIMITS, clock)
    await kept.record(_event(1, "@old:hs"), UntrustedEvent("no"))
    clock.advance(24 * 3600)
    await kept.record(_event(2, "@new:hs"), UntrustedEvent("no"))
    clock.advance(24 * 3600 + 1)  # the first is now 2 days + 1 s old
    assert await kept.prune() == 1
    assert await _ids(db) == ["$new00002"]
    # And without an explicit prune: the next event an hour later prunes too.
    clock.advance(24 * 3600)
    await kept.record(_event(3, "@late:hs"), UntrustedEvent("no"))
    assert await _ids(db) == ["$lat00003"]


async def test_a_large_event_is_kept_as_a_truncated_copy_with_its_size_and_digest(db):
    clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    kept = Quarantine(db, LIMITS, clock)
    large = _event(1, "@big:hs", "é" * 30_000)  # 30 KB of two-byte characters
    small = _event(2, "@big:hs", "fine")
    await kept.record(large, UntrustedEvent("no"))
    await kept.record(small, UntrustedEvent("no"))
    whole = json.dumps(large, ensure_ascii=False).encode()
    row = await quarantine.stored(db, large["event_id"])
    assert row["truncated"] and row["event_size"] == len(whole)
    assert row["event_sha256"] == hashlib.sha256(whole).hexdigest()
    assert len(row["event_json"].encode()) <= LIMITS.max_event_bytes
    assert whole.decode().startswith(row["event_json"])
    assert await quarantine.get(db, small["event_id"]) == small
    with pytest.raises(LookupError, match="truncated"):
        await kept.retry(large["event_id"], _never)


async def _never(raw: dict) -> None:
    raise AssertionError("a truncated copy must not be applied")
