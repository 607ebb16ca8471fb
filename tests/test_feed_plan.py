"""The feed's plans give the same page for the same position, so a cursor from one plan
continues with any other; the planner picks by the viewer's shape (no homeserver needed)."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mautrix.util.async_db import Database

from matrix_social.db import feed
from matrix_social.social.feed_plan import (
    MIN_BUDGET,
    POSTGRES_COSTS,
    SQLITE_COSTS,
    FeedPlanner,
    Plan,
    choose,
)

EXAMPLES = int(os.environ.get("FEED_PLAN_EXAMPLES", "40"))
VIEWER = "@viewer:example.org"
ROOMS = [f"!room{i}:example.org" for i in range(8)]


async def _fill(db: Database, posts: list[tuple[int, int]], followed: set[int]) -> None:
    for table in ("post", "follow", "feed_room"):
        await db.execute(f"DELETE FROM {table}")
    await db.executemany(
        "INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1, $2, 0)",
        [(room, f"@owner{i}:example.org" if i else VIEWER) for i, room in enumerate(ROOMS)])
    await db.executemany("INSERT INTO follow (room_id, user_id, ts) VALUES ($1, $2, 0)",
                         [(ROOMS[i], VIEWER) for i in sorted(followed) if i])
    await db.executemany(
        "INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
        "VALUES ($1, $2, $3, 'text', 'x', '{}', $4)",
        [(f"$e{n:03d}", ROOMS[room], f"@owner{room}:example.org", ts)
         for n, (room, ts) in enumerate(posts)])


def _expected(posts: list[tuple[int, int]], followed: set[int]) -> list[str]:
    """Newest first by (ts, event_id): the viewer's own room (0) and the followed ones."""
    mine = [(ts, f"$e{n:03d}") for n, (room, ts) in enumerate(posts)
            if room == 0 or room in followed]
    return [event_id for _, event_id in sorted(mine, reverse=True)]


async def _walk(db: Database, plans: list[str], limit: int, budget: int) -> list[str]:
    """The whole feed page by page, each page by the next plan in turn."""
    seen: list[str] = []
    before = None
    for i in range(200):
        plan = plans[i % len(plans)]
        if plan == "merge":
            rows = await feed.merge_page(db, VIEWER, before, limit)
        else:
            rows = await feed.scan_page(db, VIEWER, before, limit, budget, plan)
            if len(rows) < limit:  # short: the planner falls back to the merge
                rows = await feed.merge_page(db, VIEWER, before, limit)
        seen += [r["event_id"] for r in rows]
        if len(rows) < limit:
            return seen
        before = (rows[-1]["ts"], rows[-1]["event_id"])
    raise AssertionError("the feed did not end")


async def test_every_plan_gives_the_same_pages_and_cursors_cross_plans(db):
    loop = asyncio.get_running_loop()
    runs: list[int] = []

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    # Few distinct timestamps, so pages cut through ties on ts (ordered by event id then).
    post = st.tuples(st.integers(0, len(ROOMS) - 1), st.integers(0, 12))

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(posts=st.lists(post, max_size=60),
           followed=st.sets(st.integers(1, len(ROOMS) - 1)),
           limit=st.integers(1, 7), budget=st.integers(1, 30),
           plans=st.lists(st.sampled_from(["merge", "list", "probe"]), min_size=1, max_size=4))
    def check(posts, followed, limit, budget, plans):
        run(_fill(db, posts, followed))
        expected = _expected(posts, followed)
        assert run(_walk(db, plans, limit, budget)) == expected, (plans, limit, budget)
        runs.append(len(expected))

    await asyncio.to_thread(check)
    assert len(runs) == EXAMPLES and max(runs) > 10


async def test_planner_pages_match_and_remember_a_sparse_viewer(db):
    # 6 quiet rooms followed; a busy room (7) not followed fills the newest posts.
    posts = [(7, 1000 + i) for i in range(3000)] + [(r, i) for r in range(1, 7) for i in range(5)]
    await _fill(db, posts, set(range(1, 7)))
    planner = FeedPlanner(db)
    planner._authors = (float("inf"), 10)  # as if the server had 10 feed rooms
    rows = await planner.page(VIEWER, None, 4)
    assert [r["event_id"] for r in rows] == _expected(posts, set(range(1, 7)))[:4]
    assert planner.last_plan == Plan("merge")
    # 7 of 10 rooms look dense enough to scan; the scan comes back short, the merge answers,
    # and the viewer is remembered as sparse.
    assert planner._viewers[VIEWER][2] is True
    rows = await planner.page(VIEWER, (rows[-1]["ts"], rows[-1]["event_id"]), 4)
    assert [r["event_id"] for r in rows] == _expected(posts, set(range(1, 7)))[4:8]


@pytest.mark.parametrize("costs", [POSTGRES_COSTS, SQLITE_COSTS], ids=["postgres", "sqlite"])
def test_plan_choice_follows_the_viewer_s_shape(costs):
    authors = 10_000
    assert choose(11, authors, 21, costs).kind == "merge"  # follows a few people
    assert choose(501, authors, 21, costs) == Plan("scan", "list", 2048)
    assert choose(5001, authors, 21, costs) == Plan("scan", "probe", MIN_BUDGET)
    assert choose(5001, authors, 21, costs, sparse=True).kind == "merge"
    assert choose(1, authors, 21, costs).kind == "merge"  # a new user: her own room only
    assert choose(2, 10_000_000, 21, costs).kind == "merge"
    tiny = choose(0, 0, 21, costs)  # a new server: one room either way
    assert tiny.kind == "merge" or tiny.budget >= MIN_BUDGET
    assert {choose(n, authors, 21, costs).budget for n in range(100, 5000)} <= {
        0, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
