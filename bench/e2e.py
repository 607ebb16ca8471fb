"""A post through our API until the follower sees it: in the follower's feed API, and in the
follower's Matrix /sync (through Synapse). Both watched from the moment the POST is sent."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from tests.harness import Stack, api_ok

from .stats import summary

TIMEOUT = 10.0
SYNC_FILTER = quote(json.dumps({"presence": {"types": []}, "account_data": {"types": []},
                                "room": {"timeline": {"limit": 20}}}))


@dataclass
class Watch:
    session: aiohttp.ClientSession
    stack: Stack
    follower_headers: dict
    text: str
    start: float
    deadline: float

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


async def in_feed(w: Watch) -> float:
    while time.monotonic() < w.deadline:
        async with w.session.get(f"{w.stack.api_url}/feed?limit=5",
                                 headers=w.follower_headers) as resp:
            items = (await resp.json())["items"]
        if any(p["text"] == w.text for p in items):
            return w.elapsed_ms()
        await asyncio.sleep(0.005)
    raise AssertionError("post not in the follower's feed")


async def in_sync(w: Watch, since: str) -> tuple[float, str]:
    """Long-polls /sync from `since`; (ms until the post showed, the next since)."""
    hs = w.stack.synapse.url
    while time.monotonic() < w.deadline:
        url = f"{hs}/_matrix/client/v3/sync?timeout=5000&since={since}&filter={SYNC_FILTER}"
        async with w.session.get(url, headers=w.follower_headers) as resp:
            body = await resp.json()
        since = body["next_batch"]
        for room in body.get("rooms", {}).get("join", {}).values():
            for event in room.get("timeline", {}).get("events", []):
                if event.get("content", {}).get("body") == w.text:
                    return w.elapsed_ms(), since
    raise AssertionError("post not in the follower's sync")


async def send(w: Watch, author_headers: dict) -> None:
    async with w.session.post(f"{w.stack.api_url}/posts", json={"text": w.text},
                              headers=author_headers) as resp:
        assert resp.status == 201, await resp.text()


async def measure(stack: Stack, posts: int) -> dict:
    author, follower = await stack.register("poster"), await stack.register("follower")
    await api_ok(stack, "POST", "/follow", follower, json={"handle": author.localpart})
    f_headers = {"Authorization": f"Bearer {follower.access_token}"}
    a_headers = {"Authorization": f"Bearer {author.access_token}"}
    async with aiohttp.ClientSession() as session:
        url = f"{stack.synapse.url}/_matrix/client/v3/sync?timeout=0&filter={SYNC_FILTER}"
        async with session.get(url, headers=f_headers) as resp:
            since = (await resp.json())["next_batch"]
        feed_ms, sync_ms = [], []
        for i in range(posts + 1):  # the first one is a warm-up
            w = Watch(session, stack, f_headers, f"e2e {i} {secrets.token_hex(4)}",
                      time.perf_counter(), time.monotonic() + TIMEOUT)
            sync_task = asyncio.create_task(in_sync(w, since))
            _, f_ms, (s_ms, since) = await asyncio.gather(send(w, a_headers), in_feed(w),
                                                          sync_task)
            if i:
                feed_ms.append(f_ms)
                sync_ms.append(s_ms)
    return {"feed": summary(feed_ms), "sync": summary(sync_ms)}
