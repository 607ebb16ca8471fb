"""The one rate limit every path to an AI's answer passes (a DM, a mention, an ai_request event
from any server, POST /ai/request): 10 messages an hour per sender and AI, sliding, kept across
restarts; the AI's owner is never limited. Past the limit: one notice per window, then silence.
"""

from __future__ import annotations

from enum import Enum

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import ai_rate, blocks
from ..ids import Identities
from ..locks import KeyedLocks
from ..matrix.bars import Bars, Suspension

HOUR_MS = 3600 * 1000


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit, and no notice sent in this window yet
    SILENT = "silent"  # over the limit, notice already sent


class RateLimiter:
    def __init__(self, db: Database, ids: Identities, per_hour: int,
                 bars: Bars | None = None) -> None:
        self.db = db
        self.bars = bars
        self.ids = ids
        self.per_hour = per_hour
        self._locks = KeyedLocks()  # one decision at a time per (AI, sender), in any room

    def exempt(self, ai: str, sender: str) -> bool:
        return sender == self.ids.named_owner(ai)

    async def check(self, ai: str, sender: str, now: int | None = None) -> Verdict:
        """Count one message from `sender` to `ai` if it is within the limit. Somebody the
        AI's owner blocked (or the AI itself blocked), or whom the operator bars (a policy
        list, a suspension), gets silence, on every path."""
        if self.exempt(ai, sender):
            return Verdict.ALLOW
        if await self.blocked(ai, sender):
            return Verdict.SILENT
        now = now if now is not None else now_ms()
        window_start = now - HOUR_MS
        async with self._locks.hold((ai, sender)):
            if await ai_rate.count_since(self.db, ai, sender, window_start) < self.per_hour:
                await ai_rate.record(self.db, ai, sender, now, prune_before=window_start)
                return Verdict.ALLOW
            notice = await ai_rate.last_notice(self.db, ai, sender)
            if notice is not None and notice > window_start:
                return Verdict.SILENT
            await ai_rate.set_notice(self.db, ai, sender, now)
            return Verdict.NOTIFY

    async def blocked(self, ai: str, sender: str) -> bool:
        return await self.refusal(ai, sender) is not None

    async def refusal(self, ai: str, sender: str) -> str | None:
        """Why `ai` never answers `sender`, in words; None when it may."""
        owner = self.ids.named_owner(ai)
        if any([await blocks.is_blocked(self.db, who, sender)
                for who in (owner, ai) if who is not None]):
            return "its owner has blocked you"
        bar = await self.bars.barred(sender, f"ask {ai}") if self.bars is not None else None
        if isinstance(bar, Suspension):
            return "your account is suspended on this server"
        return None if bar is None else "this server's moderation policy bars you"

    async def retry_after_ms(self, ai: str, sender: str, now: int | None = None) -> int:
        """0 when another message would be allowed now; else how long until it would."""
        if self.exempt(ai, sender):
            return 0
        now = now if now is not None else now_ms()
        oldest = await ai_rate.oldest_in_window(self.db, ai, sender, now - HOUR_MS,
                                                self.per_hour)
        return 0 if oldest is None else max(oldest + HOUR_MS - now, 1)
