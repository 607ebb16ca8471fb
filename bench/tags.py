"""Tag page and trending tags on PostgreSQL at 1,000,000 posts (issues 25 and 28): the tag
page's first and a deep page (a tag on 10% of the posts), the 24-hour trends counted from
scratch per request (the code before) against the kept ranking served (db/trending.py's TAGS),
and the kept ranking's refresh per minute of traffic, beside a recount of each touched tag
(what recounting the changed keys, as v19 did for posts, would cost).

`python -m bench.tags [--posts N] [--minutes M] [--rate K] [--out BENCHMARKS.md]` prints p50
and p99 of each read and the refresh's time a minute, and writes its section (bench.tags markers).
Seed: N posts over 30 days by 10,000 authors, one tag each (tag0 on 10%, 997 others); each
minute of traffic: K × N/43,200 new tagged posts (K × the seed's rate) and 1% deleted, the
window moved 60 s (the seed's rate of uses leaves it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from mautrix.util.async_db import Database

from matrix_social.db import post_tags, trending, upgrade_table
from matrix_social.db.trending import TAGS
from tests.harness import PostgresDatabase

from .report import put_section

START = "<!-- bench.tags:start -->"
END = "<!-- bench.tags:end -->"
DAY_MS = 24 * 3600 * 1000
NOW = 30 * DAY_MS
RUNS = 200


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


async def _time(call, runs: int = RUNS) -> tuple[float, float]:
    for _ in range(min(10, runs)):
        await call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), _p(samples, 99)


async def _once(call) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


async def _minute(db: Database, count: int, minute: int, now: int) -> tuple[int, list[str]]:
    """`count` tagged posts in the minute ending at now + 60 s, 1% deleted; (new now, tags
    touched)."""
    rows = [(f"$m{minute}_{k}", f"@u{(minute * 7919 + k) % 10000}:x",
             "tag0" if k % 10 == 0 else f"tag{(minute * 31 + k) % 997 + 1}",
             now + 1 + k * 60_000 // count) for k in range(count)]
    for event_id, author, tag, ts in rows:  # as ingest writes a post and its tags
        async with db.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
                "VALUES ($1, $2, $3, 'text', $4, '{}', $5)",
                event_id, "!r" + author, author, "#" + tag, ts)
            await post_tags.insert_many(conn, [(tag, event_id, author, ts)])
    for event_id, *_ in rows[:max(1, count // 100)]:
        await db.execute("DELETE FROM post WHERE event_id = $1", event_id)
    new_now = now + 60_000
    crossed = await db.fetch(
        "SELECT tag FROM post_tag WHERE ts >= $1 AND ts < $2",
        now - DAY_MS, new_now - DAY_MS)
    return new_now, sorted({r[2] for r in rows} | {r["tag"] for r in crossed})


async def _recount(db: Database, tags: list[str], since: int, until: int) -> None:
    """Each touched tag recounted from its every use in the window (keys recounted, v19's
    way for posts)."""
    await db.fetch(
        "SELECT t.tag, (SELECT COUNT(DISTINCT author) FROM post_tag s WHERE s.tag = t.tag "
        "AND s.ts >= $1 AND s.ts <= $2), (SELECT COUNT(*) FROM post_tag s WHERE s.tag = t.tag "
        "AND s.ts >= $1 AND s.ts <= $2) FROM unnest($3::text[]) t(tag)", since, until, tags)


async def measure(posts: int, minutes: int, runs: int, rate: int = 1) -> dict:
    pg = PostgresDatabase()
    await pg.create()
    db = Database.create(pg.url, upgrade_table=upgrade_table)
    await db.start()
    out: dict = {"posts": posts, "minutes": minutes}
    try:
        started = time.perf_counter()
        # posts over 30 days by 10,000 authors; every post one tag of 998 (tag0 on 10%).
        await db.execute(
            "INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
            "SELECT '$p' || i, '!r' || (i % 10000), '@u' || (i % 10000) || ':x', 'text', "
            "'post ' || i, '{\"body\": \"x\"}', i::bigint * $1 / $2 FROM generate_series(1, $2) i",
            NOW, posts)
        await db.execute(
            "INSERT INTO post_tag (tag, post_id, author, ts) SELECT "
            "CASE WHEN i % 10 = 0 THEN 'tag0' ELSE 'tag' || (i % 997 + 1) END, '$p' || i, "
            "'@u' || (i % 10000) || ':x', i::bigint * $1 / $2 FROM generate_series(1, $2) i",
            NOW, posts)
        await db.execute("VACUUM ANALYZE")
        out["seed_s"] = time.perf_counter() - started
        out["window_uses"] = await db.fetchval(
            "SELECT COUNT(*) FROM post_tag WHERE ts >= $1", NOW - DAY_MS)
        first = await post_tags.page(db, "@v:x", "tag0", None, 21)
        deep = (first[-1]["ts"] - 50 * 20 * 10 * NOW // posts, "$p")
        reads = {
            "tag-page": ("tag page, first (20), tag on 10% of the posts",
                         lambda: post_tags.page(db, "@v:x", "tag0", None, 21)),
            "tag-page-deep": ("tag page 50 by cursor",
                              lambda: post_tags.page(db, "@v:x", "tag0", deep, 21)),
            "tag-page-small": ("tag page, first (20), tag on 0.1% of the posts",
                               lambda: post_tags.page(db, "@v:x", "tag5", None, 21)),
            "trends-scratch": ("trending tags counted per request (the code before)",
                               lambda: post_tags.trends(db, NOW - DAY_MS, NOW, 20)),
        }
        out["reads"] = {}
        for key, (label, call) in reads.items():
            out["reads"][key] = (label, *await _time(
                call, runs if key != "trends-scratch" else max(5, runs // 10)))
        now = NOW
        out["per_minute"] = per_minute = max(1, posts // 43_200) * rate
        out["first_ms"] = await _once(
            lambda: trending.refresh(db, TAGS, now - DAY_MS, now, now))
        out["after_ms"], out["recount_ms"], out["touched"], out["rewritten"] = [], [], [], []
        for minute in range(minutes):
            now, touched = await _minute(db, per_minute, minute, now)
            out["touched"].append(len(touched))
            out["recount_ms"].append(await _once(
                lambda: _recount(db, touched, now - DAY_MS, now)))  # noqa: B023
            rewritten: list[int] = []

            async def refresh() -> None:
                rewritten.append(  # noqa: B023
                    await trending.refresh(db, TAGS, now - DAY_MS, now, now))  # noqa: B023

            out["after_ms"].append(await _once(refresh))
            out["rewritten"].append(rewritten[0])
        out["reads"]["trends-kept"] = (
            "trending tags served from the kept ranking (after)",
            *await _time(lambda: trending.tags(db, 20), runs))
        kept = [tuple(r) for r in await trending.tags(db, 1000)]
        scratch = [tuple(r) for r in await post_tags.trends(db, now - DAY_MS, now, 1000)]
        out["equal_to_scratch"] = kept == scratch
    finally:
        await db.stop()
        await pg.drop()
    return out


def markdown(r: dict) -> str:
    after, recount = r["after_ms"], r["recount_ms"]
    met = "yes" if max(after) <= 100 else "**no**"
    reads = r["reads"]
    lines = [START, f"## Hashtags at {r['posts']:,} posts (issues 25, 28)", "",
             f"`python -m bench.tags --posts {r['posts']} --minutes {r['minutes']} --rate "
             f"{r['rate']}` (see its "
             f"docstring), run {r['date']} (load {r['load']}): PostgreSQL, {r['posts']:,} "
             "posts over 30 days by 10,000 authors, one tag each (`tag0` on 10%, 997 others); "
             f"{r['window_uses']:,} uses in the 24-hour window.", "",
             "| key | figure | p50 | p99 | target | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    for key, (label, p50, p99) in reads.items():
        target = "p99 ≤ 15 ms" if key != "trends-scratch" else "—"
        ok = "—" if key == "trends-scratch" else ("yes" if p99 <= 15 else "**no**")
        lines.append(f"| {key}-postgres | {label} | {p50:.2f} ms | {p99:.2f} ms | {target} "
                     f"| {ok} |")
    lines += ["", "| key | figure | before: touched tags recounted | after: from deltas (v30) "
              "| target | met |", "| --- | --- | --- | --- | --- | --- |",
              f"| trending-tags-refresh-postgres | trending tags refresh, database time per "
              f"minute of traffic ({r['per_minute']:,} tagged posts a minute, 1% deleted, "
              f"{r['window_uses']:,} uses in the window) | median "
              f"{statistics.median(recount):.1f} ms, max {max(recount):.1f} ms "
              f"({statistics.median(r['touched']):.0f} tags a minute, tag0 among them) | "
              f"median {statistics.median(after):.1f} ms, max {max(after):.1f} ms over "
              f"{len(after)} minutes ({statistics.median(r['rewritten']):.0f} scores rewritten "
              f"a minute); the first refresh (from scratch) {r['first_ms']:.0f} ms; equal to "
              f"a count from scratch: {'yes' if r['equal_to_scratch'] else '**NO**'} | "
              f"≤ 100 ms a minute | {met} |",
              "", "Trending tags are kept as trending posts are (db/trending.py's TAGS, v30): "
              "per tag its distinct authors and uses in the window, triggers on post_tag "
              "logging each tag added or removed (a post's tags, its deletion, an edit) with "
              "its time; the endpoint reads the stored ranking (its index on authors, uses, "
              "tag). A refresh's work is one (tag, author, ts) index lookup per (tag, author) "
              "pair the log names or with a use crossing an edge of the window: it grows with "
              "the posts a minute, not with the uses of a tag (tag0's 10% are what the "
              "recount of touched tags pays every minute).", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tags",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--rate", type=int, default=1,
                        help="traffic a minute, as a multiple of the seed's rate")
    parser.add_argument("--out", help="put the section into this Markdown file")
    args = parser.parse_args(argv)
    r = asyncio.run(measure(args.posts, args.minutes, args.runs, args.rate))
    r["rate"] = args.rate
    r["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    r["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    section = markdown(r)
    print(section)
    if args.out:
        put_section(Path(args.out), section, START, END)


if __name__ == "__main__":
    main()
