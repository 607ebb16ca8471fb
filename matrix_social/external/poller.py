"""One poll of one connection, for the scheduler: fetch with a fresh grant, decide the next due
time (polling.py), and leave storing the cursor to commit(), which the caller runs only after
it has bridged the items, so a crash in between fetches them again (the item map dedupes them)
rather than losing them.

A connection whose home timeline she brought in (home_timeline) reads it in the same job, right
after her own items: one schedule and one rate budget for both (the later of their resets, the
lower of their remainders). A failure of that second read never costs her own items: it is
skipped this time; a refused login breaks the connection as any other call does."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from mautrix.util.async_db import Database

from ..clock import now_ms
from ..db import platform_connections as connections
from ..db.platform_connections import ConnectionRow
from ..errors import AuthRevoked, PlatformError, PlatformRateLimited, Refused, TransientError
from .grants import Grants
from .platform import Account, Budget, FetchResult, PollHints
from .polling import Schedule, after_error, after_success
from .registry import Platforms, account_of

log = logging.getLogger("matrix_social.external.poller")


@dataclass
class PollOutcome:
    row: ConnectionRow
    account: Account
    result: FetchResult | None  # None after an error
    schedule: Schedule
    error: PlatformError | None = None
    home: FetchResult | None = None  # her home timeline's new items, when she brings it in
    home_refused: str | None = None  # why her home timeline was turned off in this poll

    @property
    def broken(self) -> bool:
        return isinstance(self.error, AuthRevoked | Refused)


class Poller:
    def __init__(self, db: Database, platforms: Platforms, grants: Grants,
                 rng: random.Random | None = None) -> None:
        self.db = db
        self.platforms = platforms
        self.grants = grants
        self.rng = rng or random.Random()

    def budget(self, row: ConnectionRow) -> Budget:
        return self.platforms.get(row.platform).budget

    async def due(self, limit: int = 20) -> list[ConnectionRow]:
        return await connections.due(self.db, now_ms(), limit)

    async def poll(self, row: ConnectionRow) -> PollOutcome:
        account = account_of(row)
        try:
            result = await self._fetch(row, account)
        except (AuthRevoked, Refused) as e:
            reason = e.reason if isinstance(e, Refused) else \
                f"the login was revoked or expired ({e.message})"
            await self.grants.mark_broken(row, reason)
            schedule = after_error(self.budget(row), row.interval_s, row.failures, e, now_ms(),
                                   self.rng)
            return PollOutcome(row, account, None, schedule, e)
        except (PlatformRateLimited, TransientError) as e:
            schedule = after_error(self.budget(row), row.interval_s, row.failures, e, now_ms(),
                                   self.rng)
            await connections.save_failure(self.db, row.user_id, row.platform,
                                           schedule.next_due_ms or now_ms(), schedule.failures)
            return PollOutcome(row, account, None, schedule, e)
        home, home_refused = await self._home(row, account) if row.home_timeline \
            else (None, None)
        hints = result.hints if home is None else shared_hints(result.hints, home.hints)
        activity = len(result.items) + len(result.edits) + len(result.deletions)
        schedule = after_success(self.budget(row), row.interval_s, activity, hints,
                                 now_ms(), self.rng)
        return PollOutcome(row, account, result, schedule, home=home, home_refused=home_refused)

    async def _home(self, row: ConnectionRow, account: Account
                    ) -> tuple[FetchResult | None, str | None]:
        """Her home timeline's new items; or why it was turned off (the platform will not let
        this service read it: asking again every poll would only spend her budget)."""
        if not self.platforms.get(row.platform).home_timeline:
            return None, None
        adapter = await self.platforms.adapter_for(row.platform, row.instance)
        try:
            return await self.grants.call(
                row, lambda token: adapter.fetch_home(token, account, row.home_cursor)), None
        except Refused as e:
            await connections.set_home_timeline(self.db, row.user_id, row.platform, False)
            log.info("%s home timeline of %s turned off: %s", row.platform, row.user_id,
                     e.reason)
            return None, e.reason
        except (PlatformRateLimited, TransientError, AuthRevoked) as e:
            # A refused login was marked broken (and she told) by Grants.call already; her own
            # items of this poll are still bridged.
            log.info("%s home timeline of %s skipped: %s", row.platform, row.user_id,
                     type(e).__name__)
            return None, None
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as e:
            log.warning("unexpected home timeline from %s for %s: %s", row.platform,
                        row.user_id, type(e).__name__)
            return None, None

    async def _fetch(self, row: ConnectionRow, account: Account) -> FetchResult:
        try:
            return await self._fetch_with_grant(row, account)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as e:
            # An answer in a shape we do not know (or a hostile server): back off, log the
            # kind only (the answer may carry anything).
            log.warning("unexpected answer from %s for %s: %s", row.platform, row.user_id,
                        type(e).__name__)
            raise TransientError(row.platform, "the platform sent an unexpected answer") from None

    async def _fetch_with_grant(self, row: ConnectionRow, account: Account) -> FetchResult:
        adapter = await self.platforms.adapter_for(row.platform, row.instance)
        return await self.grants.call(
            row, lambda token: adapter.fetch(token, account, row.cursor, row.etag))

    async def mark_broken(self, row: ConnectionRow, reason: str) -> bool:
        return await self.grants.mark_broken(row, reason)

    async def commit(self, outcome: PollOutcome) -> None:
        """Store the new cursor, ETag and next due time, after the items are bridged."""
        if outcome.result is None or outcome.schedule.next_due_ms is None:
            return
        await connections.save_sync(
            self.db, outcome.row.user_id, outcome.row.platform, outcome.result.cursor,
            outcome.result.etag, outcome.schedule.next_due_ms, int(outcome.schedule.interval_s),
            now_ms())
        if outcome.home is not None:
            await connections.save_home_cursor(self.db, outcome.row.user_id,
                                               outcome.row.platform, outcome.home.cursor)


def shared_hints(own: PollHints, home: PollHints) -> PollHints:
    """One budget for both reads: the lower remainder, the later reset."""
    remaining = [r for r in (own.remaining, home.remaining) if r is not None]
    resets = [r for r in (own.reset_at_ms, home.reset_at_ms) if r is not None]
    return PollHints(remaining=min(remaining) if remaining else None, limit=own.limit,
                     reset_at_ms=max(resets) if resets else None,
                     poll_interval_s=own.poll_interval_s, not_modified=own.not_modified)
