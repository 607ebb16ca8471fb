"""API throughput with one and two API processes (`serve --role api`, docs/replicas.md):
requests/s of the feed endpoint at concurrency 32, beside the bare query's rate (the feed
planner called in this process on the same database, at the same concurrency). A command of
its own, on PostgreSQL through a real Synapse, the ingest process and two replicas:

    .venv/bin/python -m bench.replicas [--seconds 5] [--authors 20] [--posts 5]

The load generator runs on the same machine (2 cores here): it takes CPU from the processes
it measures, so the figures are a floor, and two replicas on two cores share them with
PostgreSQL, the ingest process and the client."""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import aiohttp
from mautrix.util.async_db import Database
from ruamel.yaml import YAML

from matrix_social.social.feed_plan import FeedPlanner
from tests.harness import api_ok
from tests.process_bridge import ApiReplica, ProcessStack

CONCURRENCY = 32


async def _rate(call, seconds: float) -> float:
    """Calls per second of `call` run by CONCURRENCY workers for `seconds`."""
    done = 0
    deadline = time.monotonic() + seconds

    async def worker(n: int) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await call(n)
            done += 1

    start = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(CONCURRENCY)))
    return done / (time.monotonic() - start)


def quiet_config(source: Path, target: Path) -> Path:
    """The stack's config with every logger at WARNING (the test stack logs at DEBUG)."""
    yaml = YAML()
    data = yaml.load(source)
    data["logging"]["root"]["level"] = "WARNING"
    for logger in data["logging"].get("loggers", {}).values():
        logger["level"] = "WARNING"
    with open(target, "w") as f:
        yaml.dump(data, f)
    return target


async def seed(stack: ProcessStack, authors: int, posts: int):
    viewer = await stack.register("viewer")
    for a in range(authors):
        author = await stack.register(f"author{a}")
        await api_ok(stack, "POST", "/follow", viewer, json={"handle": author.localpart})
        await asyncio.gather(*(api_ok(stack, "POST", "/posts", author,
                                      json={"text": f"post {p} of {a}"})
                               for p in range(posts)))
    return viewer


async def measure(stack: ProcessStack, seconds: float, authors: int, posts: int) -> dict:
    viewer = await seed(stack, authors, posts)
    config = quiet_config(stack.root / "config.yaml", stack.root / "replica-config.yaml")
    replicas = [ApiReplica(stack, f"bench-replica-{n}", config) for n in (1, 2)]
    db = Database.create(stack.postgres.url, db_args={"min_size": 1, "max_size": CONCURRENCY})
    await db.start()
    try:
        await asyncio.gather(*(r.start() for r in replicas))
        planner = FeedPlanner(db)
        await planner.page(viewer.user_id, None, 21)
        bare = await _rate(lambda n: planner.page(viewer.user_id, None, 21), seconds)
        headers = {"Authorization": f"Bearer {viewer.access_token}"}
        connector = aiohttp.TCPConnector(limit=CONCURRENCY)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
            async def get(url: str) -> None:
                async with session.get(url) as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.read()

            urls = [f"{r.api_url}/feed?limit=20" for r in replicas]
            await get(urls[0])
            await get(urls[1])
            one = await _rate(lambda n: get(urls[0]), seconds)
            two = await _rate(lambda n: get(urls[n % 2]), seconds)
    finally:
        await asyncio.gather(*(r.stop() for r in replicas))
        await db.stop()
    return {"bare": bare, "one": one, "two": two}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--posts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        stack = ProcessStack(Path(root) / "stack", "postgres")
        await stack.start()
        for name in ("", "mau", "matrix_social", "aiohttp"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            result = await measure(stack, args.seconds, args.authors, args.posts)
        finally:
            await stack.stop()
    print(f"feed endpoint at concurrency {CONCURRENCY}, {args.authors * args.posts} posts "
          f"from {args.authors} follows, {args.seconds:g} s each:")
    print(f"  bare query (FeedPlanner.page in-process): {result['bare']:.0f}/s")
    print(f"  one API process:  {result['one']:.0f} requests/s "
          f"({result['one'] / result['bare']:.2f}x bare)")
    print(f"  two API processes: {result['two']:.0f} requests/s "
          f"({result['two'] / result['bare']:.2f}x bare)")


if __name__ == "__main__":
    asyncio.run(main())
