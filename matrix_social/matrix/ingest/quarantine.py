"""Events that cannot be indexed and never will be as they are: kept with their error for an
operator (`matrix-social quarantine list | retry [EVENT]`), logged once, never retried
blindly."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mautrix.util.async_db import Database

from ... import metrics
from ...db import quarantine
from .failures import describe

log = logging.getLogger("matrix_social.ingest")


class Quarantine:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.recorded = 0

    async def record(self, raw: dict[str, Any], error: BaseException) -> None:
        reason = describe(error)
        first = await quarantine.get(self.db, str(raw.get("event_id"))) is None
        await quarantine.record(self.db, raw, reason)
        self.recorded += 1
        metrics.event_quarantined(type(error).__name__)
        if first:
            log.warning("Quarantined event %s (%s) from %s in %s: %s", raw.get("event_id"),
                        raw.get("type"), raw.get("sender"), raw.get("room_id"), reason)

    async def list(self) -> list[dict[str, Any]]:
        return [dict(row) for row in await quarantine.list_all(self.db)]

    async def retry(self, event_id: str,
                    apply: Callable[[dict[str, Any]], Awaitable[None]]) -> bool:
        """Apply the event again; True when it is indexed now (and out of quarantine)."""
        raw = await quarantine.get(self.db, event_id)
        if raw is None:
            raise LookupError(f"{event_id} is not in quarantine")
        await quarantine.release(self.db, event_id)
        await apply(raw)
        return await quarantine.get(self.db, event_id) is None
