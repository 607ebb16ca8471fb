"""Events that cannot be indexed and never will be as they are: kept with their error for an
operator (`matrix-social quarantine list | retry [EVENT]`), never retried blindly, and kept
within bounds, so an account (or a server) sending bad events cannot fill the database or
the log: the newest `max_per_sender` events per sender, the newest `max_events` in all, none
unseen for `retention_days`, each stored event at most `max_event_bytes` of JSON (beyond, a
truncated copy with the original's size and SHA-256). The counts are in the metrics.

The bound in all holds after every event: the count is kept here (read from the database at
start and at each prune, adjusted by each insert and trim), and a prune runs as soon as it
passes the bound, and at least hourly for the retention period.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mautrix.util.async_db import Database

from ... import metrics
from ...clock import Clock
from ...config.sections import QuarantineSection
from ...db import quarantine
from .failures import describe

log = logging.getLogger("matrix_social.ingest")
DAY_MS = 24 * 3600 * 1000
PRUNE_EVERY_MS = 3600 * 1000


# The bounds are the config's section bridge.quarantine (defaults and checks there).
QuarantineLimits = QuarantineSection


class Quarantine:
    def __init__(self, db: Database, limits: QuarantineLimits = QuarantineLimits(),
                 clock: Clock = Clock()) -> None:
        self.db = db
        self.limits = limits
        self.clock = clock
        self.recorded = 0
        self._rows: int | None = None  # None: not counted yet
        self._pruned_at = 0
        self._quiet: set[str] = set()  # senders at their cap, told once per prune period
        metrics.watch_quarantine(lambda: self._rows)

    async def record(self, raw: dict[str, Any], error: BaseException) -> None:
        reason = describe(error)
        now = self.clock.now_ms()
        sender = str(raw.get("sender"))
        attempts, truncated = await quarantine.record(self.db, raw, reason, now,
                                                      self.limits.max_event_bytes)
        self.recorded += 1
        metrics.event_quarantined(type(error).__name__)
        if attempts > 1:
            return
        if truncated:
            metrics.quarantine_truncated()
        dropped = await quarantine.trim_sender(self.db, sender, self.limits.max_per_sender)
        metrics.quarantine_dropped("sender_cap", dropped)
        if self._rows is not None:
            self._rows += 1 - dropped
        if self._rows is None or self._rows > self.limits.max_events \
                or now - self._pruned_at >= PRUNE_EVERY_MS:
            await self.prune(now)
        if not dropped:
            log.warning("Quarantined event %s (%s) from %s in %s: %s", raw.get("event_id"),
                        raw.get("type"), sender, raw.get("room_id"), reason)
        elif sender not in self._quiet:
            self._quiet.add(sender)
            log.warning("Quarantined events from %s reached %d: only the newest are kept, "
                        "and the next ones are not logged for an hour (latest: %s: %s)",
                        sender, self.limits.max_per_sender, raw.get("event_id"), reason)

    async def prune(self, now: int | None = None) -> int:
        """Apply the retention period and the bound in all; the events kept."""
        now = self.clock.now_ms() if now is None else now
        expired = await quarantine.expire(self.db, now - self.limits.retention_days * DAY_MS)
        over = await quarantine.trim_all(self.db, self.limits.max_events)
        metrics.quarantine_dropped("expired", expired)
        metrics.quarantine_dropped("total_cap", over)
        self._rows = await quarantine.count(self.db)
        self._pruned_at = now
        self._quiet.clear()
        return self._rows

    async def list(self) -> list[dict[str, Any]]:
        return [dict(row) for row in await quarantine.list_all(self.db)]

    async def retry(self, event_id: str,
                    apply: Callable[[dict[str, Any]], Awaitable[None]]) -> bool:
        """Apply the event again; True when it is indexed now (and out of quarantine)."""
        row = await quarantine.stored(self.db, event_id)
        if row is None:
            raise LookupError(f"{event_id} is not in quarantine")
        raw = await quarantine.get(self.db, event_id)
        if raw is None:
            raise LookupError(f"{event_id} was kept as a truncated copy ({row['event_size']} "
                              f"bytes, sha256 {row['event_sha256']}): it cannot be applied "
                              "again")
        await quarantine.release(self.db, event_id)
        await apply(raw)
        return await quarantine.get(self.db, event_id) is None
