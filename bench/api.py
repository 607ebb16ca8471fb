"""Our HTTP API over the seeded database: the feed endpoint beside the bare query behind it,
the explore and search endpoints, and the bridge's memory after them."""

from __future__ import annotations

import time

import aiohttp

from .bridge_proc import BridgeProcess
from .seed import SEARCH_WORD
from .stats import summary

PATHS = {
    "feed": "/feed?limit=20",
    "trending_posts": "/explore/trending?limit=20",
    "trending_apps": "/explore/apps?limit=20",
    "search_posts": f"/search?q={SEARCH_WORD}&type=posts&limit=20",
}


async def _get(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as resp:
        body = await resp.json(content_type=None)
        assert resp.status == 200, f"{url}: {resp.status} {body}"
        return body


async def measure(bridge: BridgeProcess, token: str, runs: int) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    out: dict = {}
    async with aiohttp.ClientSession(headers=headers) as session:
        base = bridge.api_url
        memory = {"start": bridge.memory_mb()}
        first = await _get(session, base + PATHS["feed"])  # also caches the token's whoami
        assert len(first["items"]) == 20, len(first["items"])
        await _get(session, base + PATHS["trending_posts"])
        memory["after_feed_and_explore"] = bridge.memory_mb()
        for name, path in PATHS.items():
            url = base + path
            for _ in range(3):
                await _get(session, url)
            values = []
            for _ in range(runs):
                start = time.perf_counter()
                await _get(session, url)
                values.append((time.perf_counter() - start) * 1000)
            out[name] = summary(values)
        # The floor of any endpoint: the same request without a token, answered 401 by the
        # route's first line (HTTP on loopback, routing, the error middleware, JSON).
        async with aiohttp.ClientSession() as bare:
            url = base + PATHS["feed"]
            values = []
            for i in range(runs + 3):
                start = time.perf_counter()
                async with bare.get(url) as resp:
                    await resp.read()
                    assert resp.status == 401, resp.status
                if i >= 3:
                    values.append((time.perf_counter() - start) * 1000)
            out["http_floor"] = summary(values)
        memory["after_all"] = bridge.memory_mb()
    out["memory"] = memory
    return out
