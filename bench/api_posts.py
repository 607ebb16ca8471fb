"""Posts created through our API against the same user's bare homeserver sends of the same
content into the same feed room, 8 at a time, alternating rounds in one run (so drifting load
on the machine falls on both)."""

from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import quote

import aiohttp

from matrix_social.content.compose import text_content

CONCURRENCY = 8
ROUNDS = 2


async def _rate(count: int, one) -> float:
    slots = asyncio.Semaphore(CONCURRENCY)

    async def bounded(i: int) -> None:
        async with slots:
            await one(i)

    start = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(count)))
    return count / (time.perf_counter() - start)


async def measure(api_url: str, homeserver_url: str, token: str, count: int) -> dict:
    """`count` posts each way, in ROUNDS alternating rounds; posts per second."""
    headers = {"Authorization": f"Bearer {token}"}
    prefix = secrets.token_hex(3)
    async with aiohttp.ClientSession(headers=headers) as session:

        async def api_post(i: int) -> None:
            async with session.post(f"{api_url}/posts",
                                    json={"text": f"api post {prefix} {i}"}) as resp:
                assert resp.status == 201, await resp.text()

        async with session.post(f"{api_url}/posts", json={"text": "warm-up"}) as resp:
            assert resp.status == 201, await resp.text()
            room = quote((await resp.json())["room_id"], safe="")
        sent = iter(range(10**9))

        async def bare_send(i: int) -> None:
            url = (f"{homeserver_url}/_matrix/client/v3/rooms/{room}/send/m.room.message/"
                   f"bench{prefix}{next(sent)}")
            async with session.put(url, json=text_content(f"bare post {prefix} {i}")) as resp:
                assert resp.status == 200, await resp.text()

        await bare_send(0)
        per_round = max(1, count // ROUNDS)
        api_rates, bare_rates = [], []
        for _ in range(ROUNDS):
            bare_rates.append(await _rate(per_round, bare_send))
            api_rates.append(await _rate(per_round, api_post))
    api_rate = sum(api_rates) / len(api_rates)
    bare_rate = sum(bare_rates) / len(bare_rates)
    return {"api": api_rate, "bare": bare_rate, "ratio": api_rate / bare_rate,
            "posts": per_round * ROUNDS, "rounds": {"api": api_rates, "bare": bare_rates}}
