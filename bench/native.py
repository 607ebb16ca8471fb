"""The feed page the Matrix-native way against ours, on a real Synapse with real events.

N authors post through our API (so every post is a Matrix event in their feed room, indexed
from the same write path); a reader follows all N. The Matrix-native client pages `/messages`
(dir=b, limit=20) of every followed feed room and merges the posts newest first; we time that
with the N requests in parallel (the best a client can do) and one after another, against
GET /api/social/feed?limit=20 for the same reader. Both must give the same 20 posts.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import aiohttp

from tests.harness import Stack, api_ok

from .stats import summary

PAGE = 20


async def _messages(session: aiohttp.ClientSession, hs: str, room_id: str) -> list[dict]:
    url = f"{hs}/_matrix/client/v3/rooms/{quote(room_id)}/messages?dir=b&limit={PAGE}"
    async with session.get(url) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["chunk"]


def _merge(chunks: list[list[dict]], owners: dict[str, str]) -> list[str]:
    """Posts as the index defines them: top-level messages by the room's owner."""
    posts = [e for chunk in chunks for e in chunk
             if e["type"] == "m.room.message" and e["sender"] == owners[e["room_id"]]
             and "m.relates_to" not in e.get("content", {})]
    posts.sort(key=lambda e: (e["origin_server_ts"], e["event_id"]), reverse=True)
    return [e["event_id"] for e in posts[:PAGE]]


async def measure(stack: Stack, rooms: int, posts_per_room: int, runs: int) -> dict:
    authors = [await stack.register("author") for _ in range(rooms)]
    reader = await stack.register("reader")
    slots = asyncio.Semaphore(8)

    async def post(author, i: int) -> None:
        async with slots:
            await api_ok(stack, "POST", "/posts", author, json={"text": f"native {i}"})

    await asyncio.gather(*(post(a, i) for a in authors for i in range(posts_per_room)))
    owners: dict[str, str] = {}
    for author in authors:
        followed = await api_ok(stack, "POST", "/follow", reader,
                                json={"handle": author.localpart})
        owners[followed["room_id"]] = author.user_id
    hs = stack.synapse.url
    headers = {"Authorization": f"Bearer {reader.access_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def parallel() -> list[str]:
            return _merge(await asyncio.gather(*(_messages(session, hs, r) for r in owners)),
                          owners)

        async def sequential() -> list[str]:
            return _merge([await _messages(session, hs, r) for r in owners], owners)

        async def ours() -> list[str]:
            async with session.get(f"{stack.api_url}/feed?limit={PAGE}") as resp:
                assert resp.status == 200
                return [p["event_id"] for p in (await resp.json())["items"]]

        expected = await ours()
        assert await parallel() == expected, "Matrix-native merge and our feed differ"
        assert len(expected) == min(PAGE, rooms * posts_per_room), len(expected)
        out = {}
        for name, fn in (("native_parallel", parallel), ("native_sequential", sequential),
                         ("ours", ours)):
            await fn()
            values = []
            for _ in range(runs):
                start = time.perf_counter()
                await fn()
                values.append((time.perf_counter() - start) * 1000)
            out[name] = summary(values)
    out["rooms"] = rooms
    return out
