"""The one background task for external platforms: poll each connection when it is due,
bridge what came, then store the cursor (so a restart resumes from it, and a crash in between
fetches the same items again, which the item map dedupes); deliver due cross-posts (its
delivery worker, delivery.py).

When is decided by the stored next-due times (platforms/polling.py: rate budgets, reset
headers, backoff), so a restart keeps them. Each round starts a bounded number of jobs and the
task sleeps until the next one is due (at most MAX_SLEEP_S), or until woken. Jobs run side by
side (a slow platform holds up nobody else), but one at a time per connection (user and
platform): a poll never reads a cross-post before its delivery is recorded, and never runs
twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from mautrix.util.async_db import Database

from ..background import Wakeup
from ..clock import now_ms
from ..db import cross_post_deliveries as deliveries
from ..db import platform_connections as connections
from ..db.platform_connections import ConnectionRow
from ..errors import Refused, TransientError
from .bridging import ItemBridge
from .delivery import DeliveryWorker
from .management import ManagementRooms
from .poller import Poller
from .polling import after_error

log = logging.getLogger("matrix_social.platform_scheduler")

MAX_SLEEP_S = 30.0
MIN_SLEEP_S = 0.05
JOBS_PER_ROUND = 20
MAX_RUNNING = 8



class PlatformScheduler:
    def __init__(self, db: Database, poller: Poller, bridge: ItemBridge,
                 deliveries: DeliveryWorker, wakeup: Wakeup, management: ManagementRooms,
                 max_sleep_s: float = MAX_SLEEP_S) -> None:
        self.db = db
        self.poller = poller
        self.items = bridge
        self.deliveries = deliveries
        self.management = management
        self.max_sleep_s = max_sleep_s
        self.rng = random.Random()
        self.wakeup = wakeup
        self._task: asyncio.Task | None = None
        self._running: dict[tuple[str, str], asyncio.Task] = {}
        self.rounds = 0

    def wake(self) -> None:
        self.wakeup.wake()

    async def start(self) -> None:
        released = await self.deliveries.release_in_flight()
        if released:
            log.info("%d cross-post deliveries caught mid-attempt will be tried again",
                     released)
        self._task = asyncio.create_task(self._run(), name="platform-scheduler")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._running.clear()

    async def _run(self) -> None:
        while True:
            self.wakeup.event.clear()
            try:
                started, waiting = await self.run_round()
                # Work still due but held by running jobs: their end wakes us.
                delay = MIN_SLEEP_S if started and not waiting else \
                    self.max_sleep_s if waiting else await self._until_next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("platform round failed")
                delay = self.max_sleep_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.event.wait(), timeout=delay)

    async def _until_next_due(self) -> float:
        times = [t for t in (await connections.next_due(self.db),
                             await deliveries.next_attempt(self.db)) if t is not None]
        if not times:
            return self.max_sleep_s
        return min(max((min(times) - now_ms()) / 1000, MIN_SLEEP_S), self.max_sleep_s)

    async def run_round(self) -> tuple[int, int]:
        """Start the due jobs whose connection is free: (started, still waiting for one)."""
        self.rounds += 1
        started = waiting = 0
        jobs = [((r.user_id, r.platform), self._poll(r))
                for r in await self.poller.due(JOBS_PER_ROUND)]
        jobs += [((d.user_id, d.target), self._deliver(d))
                 for d in await self.deliveries.due(JOBS_PER_ROUND)]
        for key, job in jobs:
            if key in self._running or len(self._running) >= MAX_RUNNING:
                job.close()
                waiting += 1
                continue
            task = asyncio.create_task(job)
            self._running[key] = task
            task.add_done_callback(lambda _, key=key: self._finished(key))
            started += 1
        return started, waiting

    def _finished(self, key: tuple[str, str]) -> None:
        self._running.pop(key, None)
        self.wakeup.wake_here()

    async def idle(self, timeout: float = 30.0) -> None:
        """Until no job runs (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _deliver(self, delivery) -> None:
        try:
            await self.deliveries.deliver(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("cross-post %s to %s failed", delivery.post_event_id,
                          delivery.target)
            await deliveries.mark_failed(self.db, delivery.post_event_id, delivery.target,
                                         "an internal error stopped the delivery", now_ms())

    async def _poll(self, row: ConnectionRow) -> None:
        try:
            await self._poll_once(row)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.exception("%s poll of %s failed", row.platform, row.user_id)
            await self._back_off(row, e)

    async def _back_off(self, row: ConnectionRow, error: Exception) -> None:
        """Nothing stored but a later due time: the same items come again at the next poll,
        and a failure that repeats does not spin."""
        schedule = after_error(self.poller.budget(row), row.interval_s, row.failures,
                               TransientError(row.platform, type(error).__name__), now_ms(),
                               self.rng)
        await connections.save_failure(self.db, row.user_id, row.platform,
                                       schedule.next_due_ms or now_ms(), schedule.failures)

    async def _poll_once(self, row: ConnectionRow) -> None:
        outcome = await self.poller.poll(row)
        if outcome.error is not None:
            # A broken connection was marked so, and its owner told, by the poller.
            if not outcome.broken:
                log.info("%s poll of %s deferred: %s", row.platform, row.user_id,
                         type(outcome.error).__name__)
            return
        if outcome.home_refused:
            await self.management.notify(
                row.user_id, f"Your {self.poller.platforms.label(row.platform)} home timeline "
                             f"no longer comes into your feed: {outcome.home_refused}.")
        try:
            stats = await self.items.apply(outcome.row, outcome.account, outcome.result)
            if outcome.home is not None:
                home = await self.items.apply(outcome.row, outcome.account, outcome.home)
                stats.bridged += home.bridged
        except Refused as e:
            await self.poller.mark_broken(row, e.reason)
            return
        except Exception as e:
            log.exception("bridging %s items of %s failed", row.platform, row.user_id)
            await self._back_off(row, e)
            return
        await self.poller.commit(outcome)
        if stats.bridged or stats.edited or stats.deleted:
            log.info("%s of %s: %d new, %d edited, %d deleted, %d skipped", row.platform,
                     row.user_id, stats.bridged, stats.edited, stats.deleted, stats.skipped)
