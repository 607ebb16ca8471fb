"""Which plan serves a viewer's feed page (db/feed.py has the plans and what each costs).

Per request, from two numbers: n, the rooms the viewer sees (her follows and her own), and
A, the feed rooms on the server. If the viewer's rooms post like an average room, a
newest-first scan finds a page of `limit` after about limit * A / n posts; a merge reads each
of the n rooms' newest posts. Each plan's cost is estimated with per-database constants
measured on the bench (bench/, BENCHMARKS.md) and the cheapest one runs. A scan looks at a
bounded number of posts (4x the estimate rounded up to a power of two, at least MIN_BUDGET):
when the viewer's rooms are quieter than average and it comes back short, the merge gives the
page, and the viewer is remembered as sparse for a while so the next pages go to the merge
directly.

The plans give the same rows for the same position, so the choice only changes speed: n, A
and the sparse mark are cached (a follow made a minute ago may be planned with the old count;
its posts are in the page either way).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mautrix.util.async_db import Database, Scheme

from ..db import feed


@dataclass(frozen=True)
class Costs:
    """Microseconds: per room merged, per room read into the scan's set, per post scanned with
    that set, per post scanned with a primary-key probe."""

    merge_room: float
    list_room: float
    list_row: float
    probe_row: float


POSTGRES_COSTS = Costs(merge_room=10, list_room=0.25, list_row=0.3, probe_row=3.5)
SQLITE_COSTS = Costs(merge_room=20, list_room=0.5, list_row=0.2, probe_row=1.2)
MIN_BUDGET = 1024
MAX_BUDGET = 65_536
VIEWER_TTL = 60.0  # seconds a viewer's room count and sparse mark are reused
AUTHORS_TTL = 600.0
MAX_VIEWERS = 50_000


@dataclass(frozen=True)
class Plan:
    kind: str  # "merge", or "scan" with match "list" or "probe"
    match: str = ""
    budget: int = 0


def choose(rooms: int, authors: int, limit: int, costs: Costs, sparse: bool = False) -> Plan:
    """The cheapest plan for a viewer who sees `rooms` of the server's `authors` feed rooms."""
    rooms = max(rooms, 1)
    if sparse:
        return Plan("merge")
    scanned = limit * max(authors, rooms) / rooms
    options = [
        (rooms * costs.merge_room, Plan("merge")),
        (rooms * costs.list_room + scanned * costs.list_row, Plan("scan", "list")),
        (scanned * costs.probe_row, Plan("scan", "probe")),
    ]
    _, best = min(options, key=lambda option: option[0])
    if best.kind == "merge":
        return best
    budget = int(min(MAX_BUDGET, max(MIN_BUDGET, 4 * scanned)))
    return Plan("scan", best.match, 1 << (budget - 1).bit_length())  # few distinct statements


class FeedPlanner:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.costs = SQLITE_COSTS if db.scheme == Scheme.SQLITE else POSTGRES_COSTS
        # viewer -> (valid until (monotonic), visible rooms, sparse)
        self._viewers: dict[str, tuple[float, int, bool]] = {}
        self._authors: tuple[float, int] = (0.0, 0)
        self.last_plan: Plan | None = None  # for the bench and tests

    async def page(self, viewer: str, before: tuple[int, str] | None, limit: int) -> list:
        """`limit` rows (fewer at the end of the feed), newest first, before `before`."""
        rooms, sparse = await self._viewer(viewer)
        plan = choose(rooms, await self._author_count(), limit, self.costs, sparse)
        self.last_plan = plan
        if plan.kind == "scan":
            rows = await feed.scan_page(self.db, viewer, before, limit, plan.budget, plan.match)
            if len(rows) == limit:
                return rows
            self._remember(viewer, rooms, sparse=True)
            self.last_plan = Plan("merge")
        return await feed.merge_page(self.db, viewer, before, limit)

    async def _viewer(self, viewer: str) -> tuple[int, bool]:
        cached = self._viewers.get(viewer)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1], cached[2]
        rooms = await feed.visible_room_count(self.db, viewer)
        self._remember(viewer, rooms, sparse=False)
        return rooms, False

    def _remember(self, viewer: str, rooms: int, sparse: bool) -> None:
        if len(self._viewers) >= MAX_VIEWERS:
            self._viewers.clear()
        self._viewers[viewer] = (time.monotonic() + VIEWER_TTL, rooms, sparse)

    async def _author_count(self) -> int:
        if self._authors[0] <= time.monotonic():
            self._authors = (time.monotonic() + AUTHORS_TTL, await feed.author_count(self.db))
        return self._authors[1]
