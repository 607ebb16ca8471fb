"""The background task of activity sharing: publishes drafts whose time has come and drafts
the summaries of periods that ended. Started and stopped with the service; every pass is
bounded, and the first pass at start catches up what was missed while the service was down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from mautrix.util.async_db import Database

from ...clock import Clock
from ...db import activities, summary_runs
from .drafts import Drafts
from .summaries import Summaries

log = logging.getLogger("matrix_social.activity")
DUE_PER_PASS = 100
KEEP_MS = 120 * 24 * 3600 * 1000  # activities and summary records older than this go


@dataclass
class Pass:
    published: list[str] = field(default_factory=list)
    drafted: list[dict[str, Any]] = field(default_factory=list)


class ActivityScheduler:
    def __init__(self, db: Database, drafts: Drafts, summaries: Summaries, clock: Clock,
                 interval_seconds: float) -> None:
        self.db = db
        self.drafts = drafts
        self.summaries = summaries
        self.clock = clock
        self.interval = interval_seconds
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        await self.drafts.recover()
        self._task = asyncio.create_task(self._loop(), name="activity-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> Pass:
        """One pass (tests call it after moving their clock)."""
        async with self._lock:
            done = Pass()
            done.drafted = await self.summaries.run()
            done.published = await self.drafts.publish_due(DUE_PER_PASS)
            oldest = self.clock.now_ms() - KEEP_MS
            await summary_runs.prune(self.db, oldest)
            await activities.prune(self.db, oldest)
            return done

    async def _loop(self) -> None:
        while True:
            try:
                done = await self.run_once()
                if done.drafted or done.published:
                    log.info("Activity pass: %d summary draft(s), %d post(s) published",
                             len(done.drafted), len(done.published))
            except Exception:
                log.exception("Activity pass failed; trying again in %gs", self.interval)
            await asyncio.sleep(self.interval)
