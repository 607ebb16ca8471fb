"""The index queries behind the read endpoints, timed as bare function calls on the seeded
database: the feed page of each viewer shape (first page and a deep page reached by cursor)
beside its per-room-merge lower bound and the query before issue 14; trending (the stored
ranking a request reads, the background refresh, the old per-request ranking); post search."""

from __future__ import annotations

import time

from mautrix.util.async_db import Database, Scheme

from matrix_social.db import explore, search, trending
from matrix_social.external.registry import brandings
from matrix_social.social.feed_plan import FeedPlanner
from matrix_social.social.trending import Trending

from . import before
from .seed import SEARCH_WORD, SHAPES, Seeded
from .sizes import Sizes
from .stats import summary, time_ms

PAGE = 20
ROWS = PAGE + 1  # the endpoint asks for one row more than the page
BEFORE_RUNS = 30  # the old queries take up to seconds each


async def lower_bound(db: Database, viewer: str, cursor: tuple[int, str] | None,
                      rooms: list[str]) -> list[str]:
    """The page's keys by a per-room merge, nothing else (no counts, no profiles): each visible
    room's newest posts before the cursor, merged. PostgreSQL reads the rooms in the same
    statement (LATERAL); SQLite has no LATERAL and is given them (`rooms`, read untimed)."""
    keyset, args = "", []
    if cursor is not None:
        keyset, args = "AND q.ts <= $2 AND (q.ts < $2 OR q.event_id < $3)", list(cursor)
    n = len(args) + 2
    if db.scheme != Scheme.SQLITE:
        rows = await db.fetch(
            "SELECT k.event_id FROM (SELECT f.room_id FROM follow f WHERE f.user_id = $1 "
            "UNION SELECT fr.room_id FROM feed_room fr WHERE fr.owner = $1) r "
            "CROSS JOIN LATERAL (SELECT q.event_id, q.ts FROM post q "
            f"WHERE q.room_id = r.room_id {keyset} ORDER BY q.ts DESC, q.event_id DESC "
            f"LIMIT ${n}) k ORDER BY k.ts DESC, k.event_id DESC LIMIT ${n}",
            viewer, *args, ROWS)
        return [r["event_id"] for r in rows]
    keys: list = []
    for start in range(0, len(rooms), 400):  # SQLite: at most 500 terms per compound SELECT
        chunk = rooms[start:start + 400]
        branches = " UNION ALL ".join(
            f"SELECT * FROM (SELECT q.event_id, q.ts FROM post q WHERE q.room_id = ${n + 1 + i} "
            f"{keyset} ORDER BY q.ts DESC, q.event_id DESC LIMIT ${n})" for i in range(len(chunk)))
        keys += await db.fetch(f"SELECT event_id, ts FROM ({branches}) "
                               f"ORDER BY ts DESC, event_id DESC LIMIT ${n}",
                               viewer, *args, ROWS, *chunk)
    keys.sort(key=lambda k: (k["ts"], k["event_id"]), reverse=True)
    return [k["event_id"] for k in keys[:ROWS]]


async def _rooms(db: Database, viewer: str) -> list[str]:
    rows = await db.fetch("SELECT room_id FROM follow WHERE user_id = $1 UNION "
                          "SELECT room_id FROM feed_room WHERE owner = $1", viewer)
    return [r["room_id"] for r in rows]


async def _deep_cursor(planner: FeedPlanner, viewer: str, page: int) -> tuple[int, str] | None:
    """The cursor that asks for page `page` (1 = the first), walked page by page."""
    cursor = None
    for _ in range(page - 1):
        rows = await planner.page(viewer, cursor, ROWS)
        if len(rows) < ROWS:
            raise AssertionError(f"{viewer}'s feed ends before page {page}")
        cursor = (rows[PAGE - 1]["ts"], rows[PAGE - 1]["event_id"])
    return cursor


async def _feed_shape(db: Database, planner: FeedPlanner, viewer: str, cursor, runs: int
                      ) -> dict:
    rooms = await _rooms(db, viewer)
    ours = [r["event_id"] for r in await planner.page(viewer, cursor, ROWS)]
    bound = await lower_bound(db, viewer, cursor, rooms)
    old = [r["event_id"] for r in await before.feed_page(db, viewer, cursor, ROWS)]
    assert ours == bound == old and len(ours) == ROWS, (viewer, len(ours), len(bound), len(old))
    out = {"plan": None, "rooms": len(rooms)}
    out["ours"] = summary(await time_ms(lambda: planner.page(viewer, cursor, ROWS), runs))
    plan = planner.last_plan
    out["plan"] = f"{plan.kind} {plan.match} (budget {plan.budget})" if plan.kind == "scan" \
        else plan.kind
    out["lower"] = summary(await time_ms(lambda: lower_bound(db, viewer, cursor, rooms), runs))
    out["before"] = summary(await time_ms(lambda: before.feed_page(db, viewer, cursor, ROWS),
                                          min(runs, BEFORE_RUNS), warmup=1))
    return out


async def measure(db: Database, seeded: Seeded, sizes: Sizes) -> dict:
    planner = FeedPlanner(db)
    out: dict = {"feed": {}, "deep": {}}
    for shape in SHAPES:
        viewer = seeded.viewers[shape]
        out["feed"][shape] = await _feed_shape(db, planner, viewer, None, sizes.runs)
        cursor = await _deep_cursor(planner, viewer, sizes.deep_page)
        out["deep"][shape] = await _feed_shape(db, planner, viewer, cursor, sizes.runs)
    out["trending"] = await _trending(db, seeded, sizes)
    viewer = seeded.viewers["active"]
    out["trending_apps"] = summary(await time_ms(lambda: explore.trending_apps(
        db, None, ROWS), sizes.runs))
    out["search"] = summary(await time_ms(
        lambda: search.posts(db, viewer, SEARCH_WORD, None, ROWS), sizes.runs))
    return out


async def _trending(db: Database, seeded: Seeded, sizes: Sizes) -> dict:
    ranking = Trending(db, 60, lambda user: user, brandings())
    refresh = [await ranking.refresh(now=seeded.now) for _ in range(3)]
    viewer = seeded.viewers["active"]
    page = await trending.page(db, viewer, None, ROWS)
    assert len(page) == ROWS, len(page)

    async def old_request() -> None:  # the ranking per request, then the posts' rows
        keys = await _old_trending_keys(db, seeded.now)
        await before.posts_by_id(db, viewer, [k["event_id"] for k in keys])

    started = time.perf_counter()
    await old_request()
    old_first = (time.perf_counter() - started) * 1000
    return {
        "refresh_s": summary(refresh),
        "window_likes": await db.fetchval(
            "SELECT COUNT(*) FROM post_like WHERE ts >= $1 AND ts <= $2",
            seeded.now - 86_400_000, seeded.now),
        "ours": summary(await time_ms(lambda: trending.page(db, viewer, None, ROWS),
                                      sizes.runs)),
        "before": summary(await time_ms(old_request, min(sizes.runs, 5), warmup=0)
                          + [old_first]),
    }


async def _old_trending_keys(db: Database, now: int) -> list:
    return await explore.trending_keys(db, now - 86_400_000, now, ROWS)
