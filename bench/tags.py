"""Tag page and trending tags on PostgreSQL at 1,000,000 posts (issue 25): the tag page's first
and a deep page (a tag on 100,000 posts), and the 24-hour trends (about 33,000 tagged posts in
the window). `python -m bench.tags` prints p50 and p99 of each bare query."""

from __future__ import annotations

import asyncio
import statistics
import time

from mautrix.util.async_db import Database

from matrix_social.db import post_tags, upgrade_table
from tests.harness import PostgresDatabase

POSTS = 1_000_000
DAY_MS = 24 * 3600 * 1000
NOW = 30 * DAY_MS
RUNS = 200


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


async def _time(call) -> tuple[float, float]:
    for _ in range(10):
        await call()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), _p(samples, 99)


async def main() -> None:
    pg = PostgresDatabase()
    await pg.create()
    db = Database.create(pg.url, upgrade_table=upgrade_table)
    await db.start()
    try:
        # 1M posts over 30 days by 10,000 authors; every post one tag of 1,000 (tag0 on 10%).
        await db.execute(
            "INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
            "SELECT '$p' || i, '!r' || (i % 10000), '@u' || (i % 10000) || ':x', 'text', "
            "'post ' || i, '{\"body\": \"x\"}', i::bigint * $1 / $2 FROM generate_series(1, $2) i",
            NOW, POSTS)
        await db.execute(
            "INSERT INTO post_tag (tag, post_id, author, ts) SELECT "
            "CASE WHEN i % 10 = 0 THEN 'tag0' ELSE 'tag' || (i % 997 + 1) END, '$p' || i, "
            "'@u' || (i % 10000) || ':x', i::bigint * $1 / $2 FROM generate_series(1, $2) i",
            NOW, POSTS)
        await db.execute("ANALYZE")
        first = await post_tags.page(db, "@v:x", "tag0", None, 21)
        deep = (first[-1]["ts"] - 50 * 20 * 10 * NOW // POSTS, "$p")
        figures = {
            "tag page, first (20), tag on 100,000 posts": lambda: post_tags.page(
                db, "@v:x", "tag0", None, 21),
            "tag page 50 by cursor": lambda: post_tags.page(db, "@v:x", "tag0", deep, 21),
            "tag page, first, tag on 1,000 posts": lambda: post_tags.page(
                db, "@v:x", "tag5", None, 21),
            "trending tags (24 h, ~33,000 tagged posts)": lambda: post_tags.trends(
                db, NOW - DAY_MS, 10),
        }
        for name, call in figures.items():
            p50, p99 = await _time(call)
            print(f"{name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    finally:
        await db.stop()
        await pg.drop()


if __name__ == "__main__":
    asyncio.run(main())
