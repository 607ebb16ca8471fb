"""10 messages an hour per sender and AI, sliding; one notice per window past the limit."""

from __future__ import annotations

from enum import Enum

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import ai_rate

HOUR_MS = 3600 * 1000


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit, and no notice sent in this window yet
    SILENT = "silent"  # over the limit, notice already sent


class RateLimiter:
    def __init__(self, db: Database, per_hour: int) -> None:
        self.db = db
        self.per_hour = per_hour

    async def check(self, ai: str, sender: str, now: int | None = None) -> Verdict:
        now = now if now is not None else now_ms()
        window_start = now - HOUR_MS
        if await ai_rate.count_since(self.db, ai, sender, window_start) < self.per_hour:
            await ai_rate.record(self.db, ai, sender, now, prune_before=window_start)
            return Verdict.ALLOW
        notice = await ai_rate.last_notice(self.db, ai, sender)
        if notice is not None and notice > window_start:
            return Verdict.SILENT
        await ai_rate.set_notice(self.db, ai, sender, now)
        return Verdict.NOTIFY
