"""End-to-end feed latency through the real HTTP API (auth cache, index, JSON), on a real
Synapse, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/api_feed_bench.py [--posts 500] [--runs 100]

Creates the posts through the API (so every one is a real Matrix event), then times
GET /api/social/feed?limit=20 (first page) and a full walk of the feed with the cursor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness import Stack, api_ok  # noqa: E402


async def measure(db_kind: str, posts: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), db_kind)
        await stack.start()
        try:
            author, reader = await stack.register("author"), await stack.register("reader")
            await api_ok(stack, "POST", "/follow", reader, json={"handle": author.localpart})
            slots = asyncio.Semaphore(8)

            async def post(i: int) -> None:
                async with slots:
                    await api_ok(stack, "POST", "/posts", author, json={"text": f"post {i}"})

            start = time.perf_counter()
            await asyncio.gather(*(post(i) for i in range(posts)))
            post_rate = posts / (time.perf_counter() - start)
            first = []
            for _ in range(runs):
                t = time.perf_counter()
                await api_ok(stack, "GET", "/feed?limit=20", reader)
                first.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            cursor, pages = None, 0
            for _ in range(posts):
                page = await api_ok(stack, "GET", "/feed?limit=20" + (
                    f"&cursor={cursor}" if cursor else ""), reader)
                pages += 1
                cursor = page["next_cursor"]
                if not cursor:
                    break
            walk_ms = (time.perf_counter() - t) * 1000
        finally:
            await stack.stop()
    ordered = sorted(first)
    return {"post_rate": post_rate, "p50": statistics.median(first),
            "p95": ordered[int(len(ordered) * 0.95) - 1], "walk_ms": walk_ms, "pages": pages}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    results = {kind: await measure(kind, args.posts, args.runs) for kind in ("sqlite", "postgres")}
    print(f"{args.posts} posts through the API; GET /feed?limit=20 x{args.runs}; times in ms")
    print(f"{'backend':>9} {'posts/s':>8} {'feed p50':>9} {'feed p95':>9} {'walk':>8} {'pages':>6}")
    for kind, r in results.items():
        print(f"{kind:>9} {r['post_rate']:>8.0f} {r['p50']:>9.2f} {r['p95']:>9.2f} "
              f"{r['walk_ms']:>8.0f} {r['pages']:>6}")
    s, p = results["sqlite"], results["postgres"]
    print(f"{'pg/sqlite':>9} {p['post_rate'] / s['post_rate']:>8.2f} {p['p50'] / s['p50']:>9.2f} "
          f"{p['p95'] / s['p95']:>9.2f} {p['walk_ms'] / s['walk_ms']:>8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
