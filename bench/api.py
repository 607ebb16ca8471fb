"""Our HTTP API over the seeded database: the feed endpoint of each viewer shape (first page
and the deep page, by cursor), trending and search, the HTTP floor, and the bridge's memory.

Each feed endpoint figure is timed interleaved with its bare query (FeedPlanner.page called in
this process on the same database): one request, one bare call, alternating which goes first,
so the two see the same machine, the same database and the same background work of the bridge
(its trending refresh every 60 s) in the same window. The bridge's start-up refresh is waited
for first (it is start-up work, seconds of database time at a million likes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
from mautrix.util.async_db import Database

from matrix_social.db import trending
from matrix_social.social.feed_plan import FeedPlanner

from .bridge_proc import BridgeProcess
from .queries import ROWS, _deep_cursor
from .seed import SEARCH_WORD, SHAPES
from .sizes import Sizes
from .stats import summary

FEED = "/feed?limit=20"
OTHERS = {
    "trending_posts": "/explore/trending?limit=20",
    "trending_apps": "/explore/apps?limit=20",
    "search_posts": f"/search?q={SEARCH_WORD}&type=posts&limit=20",
}


async def _get(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as resp:
        body = await resp.json(content_type=None)
        assert resp.status == 200, f"{url}: {resp.status} {body}"
        return body


async def _timed(session: aiohttp.ClientSession, url: str, runs: int) -> dict:
    for _ in range(3):
        await _get(session, url)
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        await _get(session, url)
        values.append((time.perf_counter() - start) * 1000)
    return summary(values)


async def _interleaved(session: aiohttp.ClientSession, url: str,
                       bare: Callable[[], Awaitable], runs: int) -> tuple[dict, dict]:
    """(endpoint, bare query) timings, taken in turns: request then bare call, then bare call
    then request, and so on."""
    for _ in range(3):
        await _get(session, url)
        await bare()
    endpoint, alone = [], []
    for i in range(runs):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            start = time.perf_counter()
            await (_get(session, url) if which == 0 else bare())
            (endpoint if which == 0 else alone).append((time.perf_counter() - start) * 1000)
    return summary(endpoint), summary(alone)


async def wait_for_refresh(db: Database, since_ms: int, timeout: float = 300.0) -> None:
    """Wait until the bridge has stored a trending ranking computed after `since_ms` (its
    start-up refresh)."""
    started = time.monotonic()
    while True:
        state = await trending.state(db)
        if state is not None and state[0] >= since_ms:
            return
        if time.monotonic() - started > timeout:
            raise TimeoutError("the bridge's first trending refresh did not finish")
        await asyncio.sleep(0.1)


async def _deep_url(session: aiohttp.ClientSession, base: str, page: int) -> str:
    url = base + FEED
    for _ in range(page - 1):
        cursor = (await _get(session, url))["next_cursor"]
        assert cursor, f"the feed ends before page {page}"
        url = f"{base}{FEED}&cursor={cursor}"
    return url


async def measure(bridge: BridgeProcess, tokens: dict[str, str], sizes: Sizes, db: Database,
                  viewers: dict[str, str], started_ms: int) -> dict:
    """`tokens`: each viewer shape's access token; `db`: the seeded database, `viewers`: each
    shape's user id, for the bare queries; `started_ms`: when the bridge was started."""
    out: dict = {"feed": {}, "deep": {}, "feed_bare": {}, "deep_bare": {},
                 "feed_back_to_back": {}, "deep_back_to_back": {}}
    planner = FeedPlanner(db)
    healthy = time.monotonic()
    base = bridge.api_url
    memory = {"start": bridge.memory_mb()}
    sessions = {shape: aiohttp.ClientSession(headers={"Authorization": f"Bearer {tokens[shape]}"})
                for shape in SHAPES}
    try:
        for shape in SHAPES:  # also caches each token's whoami
            first = await _get(sessions[shape], base + FEED)
            assert len(first["items"]) == 20, (shape, len(first["items"]))
        await _get(sessions["active"], base + OTHERS["trending_posts"])
        memory["after_feed_and_explore"] = bridge.memory_mb()
        await wait_for_refresh(db, started_ms)
        out["startup_refresh_s"] = time.monotonic() - healthy  # after /health answered
        for shape in SHAPES:
            viewer = viewers[shape]
            out["feed"][shape], out["feed_bare"][shape] = await _interleaved(
                sessions[shape], base + FEED, lambda v=viewer: planner.page(v, None, ROWS),
                sizes.runs)
            # as timed before: requests back to back (each right after the last answer)
            out["feed_back_to_back"][shape] = await _timed(sessions[shape], base + FEED,
                                                           sizes.runs)
            deep = await _deep_url(sessions[shape], base, sizes.deep_page)
            cursor = await _deep_cursor(planner, viewer, sizes.deep_page)
            out["deep"][shape], out["deep_bare"][shape] = await _interleaved(
                sessions[shape], deep, lambda v=viewer, c=cursor: planner.page(v, c, ROWS),
                sizes.runs)
            out["deep_back_to_back"][shape] = await _timed(sessions[shape], deep, sizes.runs)
        for name, path in OTHERS.items():
            out[name] = await _timed(sessions["active"], base + path, sizes.runs)
        out["http_floor"] = await _floor(base + FEED, sizes.runs)
        memory["after_all"] = bridge.memory_mb()
    finally:
        for session in sessions.values():
            await session.close()
    out["memory"] = memory
    return out


async def _floor(url: str, runs: int) -> dict:
    """The floor of any endpoint: the same request without a token, answered 401 by the
    route's first line (HTTP on loopback, routing, the middlewares, JSON)."""
    values = []
    async with aiohttp.ClientSession() as bare:
        for i in range(runs + 3):
            start = time.perf_counter()
            async with bare.get(url) as resp:
                await resp.read()
                assert resp.status == 401, resp.status
            if i >= 3:
                values.append((time.perf_counter() - start) * 1000)
    return summary(values)
