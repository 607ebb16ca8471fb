"""Like by B -> A's stream: the time from sending B's like through the API until A's
server-sent events stream carries the post's new counts (the web app paints them on arrival).
A command of its own, on PostgreSQL through a real Synapse and the bridge:

    .venv/bin/python -m bench.live_latency [--likes 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp

from tests.harness import Stack, api_ok

from .stats import summary

TIMEOUT = 10.0


async def _next_counts(response: aiohttp.ClientResponse, post_id: str) -> None:
    event = None
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "counts" \
                and json.loads(line[6:])["post_id"] == post_id:
            return


async def measure(stack: Stack, likes: int) -> dict:
    alice, bob = await stack.register("alice"), await stack.register("bob")
    posts = [await api_ok(stack, "POST", "/posts", alice, json={"text": f"live {i}"})
             for i in range(likes + 1)]  # the first one is a warm-up
    await api_ok(stack, "POST", "/events/watch", alice,
                 json={"post_ids": [p["id"] for p in posts]})
    bob_headers = {"Authorization": f"Bearer {bob.access_token}"}
    times = []
    async with aiohttp.ClientSession() as session, session.get(
            f"{stack.api_url}/events",
            headers={"Authorization": f"Bearer {alice.access_token}"}) as stream:
        for i, post in enumerate(posts):
            start = time.perf_counter()
            arrived = asyncio.create_task(asyncio.wait_for(
                _next_counts(stream, post["id"]), TIMEOUT))
            async with session.post(f"{stack.api_url}/posts/{quote(post['id'], safe='')}/like",
                                    headers=bob_headers) as resp:
                assert resp.status == 200, await resp.text()
            await arrived
            if i:
                times.append((time.perf_counter() - start) * 1000)
    return summary(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--likes", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        stack = Stack(Path(root) / "stack", "postgres")
        await stack.start()
        for name in ("", "mau", "matrix_social", "aiohttp"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            result = await measure(stack, args.likes)
        finally:
            await stack.stop()
    print(f"like -> stream (ms): p50 {result['p50']:.0f}, p99 {result['p99']:.0f}, "
          f"n {result['n']}")


if __name__ == "__main__":
    asyncio.run(main())
