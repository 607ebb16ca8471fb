"""Our HTTP API over the seeded database: the feed endpoint of each viewer shape (first page
and the deep page, by cursor), trending and search, the HTTP floor, and the bridge's memory."""

from __future__ import annotations

import time

import aiohttp

from .bridge_proc import BridgeProcess
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


async def _deep_url(session: aiohttp.ClientSession, base: str, page: int) -> str:
    url = base + FEED
    for _ in range(page - 1):
        cursor = (await _get(session, url))["next_cursor"]
        assert cursor, f"the feed ends before page {page}"
        url = f"{base}{FEED}&cursor={cursor}"
    return url


async def measure(bridge: BridgeProcess, tokens: dict[str, str], sizes: Sizes) -> dict:
    """`tokens`: each viewer shape's access token."""
    out: dict = {"feed": {}, "deep": {}}
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
        for shape in SHAPES:
            out["feed"][shape] = await _timed(sessions[shape], base + FEED, sizes.runs)
            deep = await _deep_url(sessions[shape], base, sizes.deep_page)
            out["deep"][shape] = await _timed(sessions[shape], deep, sizes.runs)
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
