"""Feed read latency and index write throughput, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/feed_bench.py [--posts 10000 100000] [--runs 50]

Fills the index directly (synthetic rows, the same schema the service uses), then times the
queries the API runs: the feed's first page, a page deep in the feed (keyset cursor), trending
(likes in the last 24 hours), full-text post search, and the ingest of post rows.
Posts are one second apart, so the 24-hour trending window holds ~86% of the likes at 100k
posts (a worst case). PostgreSQL: 127.0.0.1:5432, user postgres; a throwaway database per run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from mautrix.util.async_db import Database

from matrix_social.db import explore, feed, search, upgrade_table
from matrix_social.db.posts import PostRow
from matrix_social.db.posts import upsert as upsert_post

AUTHORS = 1000
FOLLOWED = 200
PAGE = 20
ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"


async def fill(db: Database, posts: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    viewer = "@viewer:bench"
    authors = [f"@user{i}:bench" for i in range(AUTHORS)]
    rooms = {a: f"!feed{i}:bench" for i, a in enumerate(authors)}
    await db.executemany("INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1,$2,0)",
                         [(rooms[a], a) for a in authors])
    await db.executemany("INSERT INTO follow (room_id, user_id, ts) VALUES ($1,$2,0)",
                         [(rooms[a], viewer) for a in rng.sample(authors, FOLLOWED)])
    # each author follows 50 others and has 3 of 100 interests: the suggestion signals
    await db.executemany("INSERT INTO follow (room_id, user_id, ts) VALUES ($1,$2,0)",
                         [(rooms[b], a) for a in authors for b in rng.sample(authors, 50)
                          if a != b])
    await db.executemany("INSERT INTO interest (user_id, tag) VALUES ($1,$2)",
                         [(u, f"tag{t}") for u in [viewer, *authors]
                          for t in rng.sample(range(100), 3)])
    content = json.dumps({"msgtype": "m.text", "body": "x", "m.matrix_os.social.post":
                          {"kind": "text"}})
    base = 1_700_000_000_000
    batch: list[tuple] = []
    likes: list[tuple] = []
    for i in range(posts):
        author = authors[i % AUTHORS]
        event_id = f"$p{i}"
        batch.append((event_id, rooms[author], author, "text", f"post {i}", content,
                      base + i * 1000, None))
        for j in range(rng.randint(0, 5)):
            likes.append((f"$l{i}_{j}", event_id, f"@user{rng.randrange(AUTHORS)}:bench",
                          base + i * 1000 + j))
        if len(batch) >= 5000:
            await _flush(db, batch, likes)
    await _flush(db, batch, likes)
    return viewer


async def _flush(db: Database, batch: list, likes: list) -> None:
    await db.executemany(
        "INSERT INTO post (event_id, room_id, author, kind, body, content, ts, repost_of) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8)", batch)
    await db.executemany(
        "INSERT INTO post_like (event_id, post_id, user_id, ts) VALUES ($1,$2,$3,$4)", likes)
    batch.clear()
    likes.clear()


async def time_ms(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def measure(db: Database, posts: int, runs: int) -> dict:
    start = time.perf_counter()
    viewer = await fill(db, posts)
    fill_s = time.perf_counter() - start
    first = await time_ms(lambda: feed.feed_page(db, viewer, None, PAGE), runs)
    rows = await feed.feed_page(db, viewer, None, 1000)
    middle = rows[len(rows) // 2]
    deep = await time_ms(
        lambda: feed.feed_page(db, viewer, (middle["ts"], middle["event_id"]), PAGE), runs)
    now = 1_700_000_000_000 + posts * 1000
    trending = await time_ms(
        lambda: explore.trending_posts(db, viewer, now - 86_400_000, now, None, PAGE), runs)
    found = await time_ms(lambda: search.posts(db, viewer, "post 4242", None, PAGE), runs)

    async def suggestion_signals():
        await explore.shared_interests(db, viewer)
        await explore.followed_by_followed(db, viewer)
        await explore.followed_owners(db, viewer)

    suggest = await time_ms(suggestion_signals, runs)
    ingest_n = 2000
    rows_in = [PostRow(f"$new{i}", "!feed0:bench", "@user0:bench", "text", "hi", {},
                       2_000_000_000_000 + i, None, None) for i in range(ingest_n)]
    start = time.perf_counter()
    for row in rows_in:
        await upsert_post(db, row)
    ingest_s = time.perf_counter() - start
    return {"fill_s": fill_s, "first_p50": statistics.median(first), "first_p95": pct(first, .95),
            "deep_p50": statistics.median(deep), "deep_p95": pct(deep, .95),
            "ingest_per_s": ingest_n / ingest_s,
            "trending_p50": statistics.median(trending), "search_p50": statistics.median(found),
            "suggest_p50": statistics.median(suggest)}


async def with_sqlite(posts: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.create(f"sqlite:{Path(tmp) / 'bench.db'}", upgrade_table=upgrade_table)
        await db.start()
        try:
            return await measure(db, posts, runs)
        finally:
            await db.stop()


async def with_postgres(posts: int, runs: int) -> dict:
    name = f"matrix_social_bench_{random.randrange(1 << 30)}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database.create(f"postgres://postgres@127.0.0.1:5432/{name}",
                         upgrade_table=upgrade_table)
    await db.start()
    try:
        result = await measure(db, posts, runs)
    finally:
        await db.stop()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print(f"feed page of {PAGE}, viewer follows {FOLLOWED} of {AUTHORS} authors, "
          f"{args.runs} runs each; times in ms")
    header = ("posts", "backend", "fill s", "first p50", "first p95", "deep p50", "deep p95",
              "ingest rows/s", "trend p50", "search p50", "suggest p50")
    print("{:>8} {:>9} {:>7} {:>10} {:>10} {:>9} {:>9} {:>14} {:>10} {:>10} {:>11}".format(
        *header))
    for posts in args.posts:
        results = {"sqlite": await with_sqlite(posts, args.runs),
                   "postgres": await with_postgres(posts, args.runs)}
        for backend, r in results.items():
            print(f"{posts:>8} {backend:>9} {r['fill_s']:>7.1f} {r['first_p50']:>10.2f} "
                  f"{r['first_p95']:>10.2f} {r['deep_p50']:>9.2f} {r['deep_p95']:>9.2f} "
                  f"{r['ingest_per_s']:>14.0f} {r['trending_p50']:>10.2f} "
                  f"{r['search_p50']:>10.2f} {r['suggest_p50']:>11.2f}")
        s, p = results["sqlite"], results["postgres"]
        print(f"{posts:>8} {'pg/sqlite':>9} {'':>7} {p['first_p50'] / s['first_p50']:>10.2f} "
              f"{p['first_p95'] / s['first_p95']:>10.2f} {p['deep_p50'] / s['deep_p50']:>9.2f} "
              f"{p['deep_p95'] / s['deep_p95']:>9.2f} "
              f"{p['ingest_per_s'] / s['ingest_per_s']:>14.2f} "
              f"{p['trending_p50'] / s['trending_p50']:>10.2f} "
              f"{p['search_p50'] / s['search_p50']:>10.2f} "
              f"{p['suggest_p50'] / s['suggest_p50']:>11.2f}")


if __name__ == "__main__":
    asyncio.run(main())
