"""Issue 24: the feed and explore at 1,000,000 posts for a viewer with 1,000 blocks and 100
muted words (context feed), side by side with the plain viewer in one run.

    python -m bench.safety_views [--smoke] [--backends postgres sqlite] [--runs N]
                                 [--out BENCHMARKS.md]

The index is seeded as for `python -m bench` (bench/seed.py). Each viewer shape of that bench
gets a twin with the same follows and a feed room of her own; the twin then blocks 1,000
people: the authors of her plain first page (people she would otherwise see: their follows are
kept, as when the unfollow has not gone through, so the filter has rows to drop), 100 of the
much-liked posts' fans (their likes leave her counts) and random authors for the rest (their
likes, comments and reposts are spread over the posts); and mutes 100 words for her feed:
5 words of the posts' vocabulary (each in ~0.8% of the posts) and 95 that nobody writes.

Timed through the social layer, as the endpoints call it (`Feed.page`, `Explore.
trending_posts`: filtering, counts without the blocked people's marks, originals), the plain
viewer and her twin one after the other, the order alternating; p50, p99 and the twin's ratio
to the plain viewer. Every page of the twin is checked to be the plain viewer's page without
the blocked and muted posts, with the counts a from-scratch count without the blocked people
gives.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import tempfile
import time
from pathlib import Path

from mautrix.util.async_db import Database, Scheme

from matrix_social.db import blocks as blocks_db
from matrix_social.external.registry import brandings
from matrix_social.ids import Identities
from matrix_social.social.block_list import BlockList
from matrix_social.social.explore import Explore
from matrix_social.social.feed import Feed
from matrix_social.social.feed_plan import FeedPlanner
from matrix_social.social.mutes import Mutes
from matrix_social.social.trending import Trending
from matrix_social.social.users import Users

from .report import put_section
from .seed import DOMAIN, FANS, SHAPES, VOCAB, BenchDatabase, author, seed, viewer_room
from .sizes import FULL, SMOKE, Sizes
from .stats import median, p99

START = "<!-- bench.safety_views:start -->"
END = "<!-- bench.safety_views:end -->"
PAGE = 20
BLOCKS = 1000
FAN_BLOCKS = 100
MUTED_VOCAB = VOCAB[1:6]
MUTED_WORDS = MUTED_VOCAB + [f"nobody{i}" for i in range(100 - len(MUTED_VOCAB))]
TARGET_P99_MS = 15.0  # the feed's and trending's target (BENCHMARKS.md)


def plain(shape: str) -> str:
    return f"@bench_{shape}:{DOMAIN}"


def twin(shape: str) -> str:
    return f"@safe_{shape}:{DOMAIN}"


async def _make_twins(db: Database, sizes: Sizes) -> None:
    for shape in SHAPES:
        await db.execute("INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1, $2, 0)",
                         viewer_room(f"safe-{shape}"), twin(shape))
        await db.execute("INSERT INTO follow (room_id, user_id, ts) "
                         "SELECT room_id, $1, ts FROM follow WHERE user_id = $2",
                         twin(shape), plain(shape))


async def _block_and_mute(db: Database, feed: Feed, sizes: Sizes, shape: str) -> set[str]:
    """Her 1,000 blocks and 100 muted words; returns whom she blocked."""
    already = await blocks_db.blocked_by(db, twin(shape))
    if already:  # a database kept from an earlier run (--reuse)
        return already
    rng = random.Random(24)
    n = min(BLOCKS, sizes.users // 10)
    seen = [v["author"]["user_id"] for v in (await feed.page(plain(shape), None, PAGE))["items"]]
    # Three of the authors of her plain first page (the feed's authors are few and prolific:
    # more would empty the page).
    blocked = list(dict.fromkeys(seen))[1::2][:min(3, n // 2)]
    fans = min(FAN_BLOCKS, sizes.popular_likes, n // 4)
    blocked += [f"@fan{k}:{FANS}" for k in rng.sample(range(sizes.popular_likes), fans)]
    others = [author(i) for i in rng.sample(range(sizes.users), sizes.users)]
    blocked += [a for a in others if a not in blocked][:n - len(blocked)]
    for ts, who in enumerate(blocked):
        await db.execute("INSERT INTO user_block (owner, blocked, via, ts) "
                         "VALUES ($1, $2, NULL, $3)", twin(shape), who, ts)
    for ts, word in enumerate(MUTED_WORDS):
        await db.execute(
            "INSERT INTO muted_word (owner, word, feed, notifications, expires_at, ts) "
            "VALUES ($1, $2, $3, $4, NULL, $5)", twin(shape), word, True, False, ts)
    return set(blocked)


_MUTED = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, MUTED_WORDS))})(?!\w)")


def _hidden(view: dict, blocked: set[str]) -> bool:
    if view["author"]["user_id"] in blocked:
        return True
    if (view.get("repost_of") or {}).get("author") in blocked:
        return True
    texts = [view.get("text"), view.get("cw"), (view.get("original") or {}).get("text")]
    return any(isinstance(t, str) and _MUTED.search(t.casefold()) for t in texts)


async def _scratch_counts(db: Database, post_id: str, owner: str) -> dict[str, int]:
    """Her counts of one post from scratch: every mark but those of the people she blocked."""
    not_blocked = "NOT IN (SELECT blocked FROM user_block WHERE owner = $2)"
    return {
        "likes": await db.fetchval("SELECT COUNT(DISTINCT user_id) FROM post_like "
                                   f"WHERE post_id = $1 AND user_id {not_blocked}",
                                   post_id, owner),
        "comments": await db.fetchval(f"SELECT COUNT(*) FROM comment WHERE post_id = $1 "
                                      f"AND author {not_blocked}", post_id, owner),
        "reposts": await db.fetchval(f"SELECT COUNT(*) FROM post WHERE repost_of = $1 "
                                     f"AND author {not_blocked}", post_id, owner),
    }


async def _check(db: Database, mine: dict, hers: dict, blocked: set[str], owner: str) -> int:
    """Her page is the plain page without what she hides, with her counts; how many hidden."""
    kept = [v for v in mine["items"] if not _hidden(v, blocked)]
    assert [v["id"] for v in hers["items"]] == [v["id"] for v in kept], "not the same posts"
    assert hers["next_cursor"] == mine["next_cursor"], "the cursor moved"
    for view in hers["items"]:
        for shown in (view, view.get("original")):
            if shown is not None:
                assert shown["counts"] == await _scratch_counts(db, shown["id"], owner), \
                    ("counts", view["id"], shown["id"])
    return len(mine["items"]) - len(kept)


async def _explain(db: Database, feed: Feed, explore: Explore) -> None:
    """The plan of the statement that takes the blocked people's marks out of her counts, for
    the posts of the popular viewer's first page and of the trending page."""
    pages = {"feed first page, popular": await feed.page(plain("popular"), None, PAGE),
             "trending posts, first page": await explore.trending_posts(plain("active"), None,
                                                                        PAGE)}
    for name, page in pages.items():
        ids = [v["id"] for v in page["items"]]
        sql = blocks_db.counts_by_blocked_sql(len(ids))
        if db.scheme == Scheme.SQLITE:
            rows = await db.fetch(f"EXPLAIN QUERY PLAN {sql}", twin("active"), *ids)
            plan = [f"{r['id']} {r['parent']} {r['detail']}" for r in rows]
        else:
            rows = await db.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", twin("active"), *ids)
            plan = [r[0] for r in rows]
        print(f"EXPLAIN counts_by_blocked, {name} ({len(ids)} posts):", *plan, sep="\n  ",
              flush=True)


async def _side_by_side(first, second, runs: int) -> tuple[list[float], list[float]]:
    for _ in range(3):
        await first()
        await second()
    a, b = [], []
    for i in range(runs):
        for call, out in ((first, a), (second, b)) if i % 2 == 0 else ((second, b), (first, a)):
            start = time.perf_counter()
            await call()
            out.append((time.perf_counter() - start) * 1000)
    return a, b


async def _deep_cursor(feed: Feed, viewer: str, page: int) -> str | None:
    cursor = None
    for _ in range(page - 1):
        cursor = (await feed.page(viewer, cursor, PAGE))["next_cursor"]
    return cursor


async def measure(kind: str, sizes: Sizes, runs: int, root: Path, keep: bool = False,
                  reuse: str | None = None, explain: bool = False) -> dict:
    seeded = BenchDatabase(kind, root)
    if reuse:
        seeded.name = reuse
    else:
        await seeded.create()
    db = await seeded.open()
    out: dict = {"kind": kind, "figures": []}
    try:
        started = time.perf_counter()
        if reuse:
            now = await db.fetchval("SELECT MAX(ts) FROM post_like") + 1
            count = await db.fetchval("SELECT COUNT(*) FROM post")
            out["seed_s"] = 0.0
        else:
            info = await seed(db, sizes, {s: plain(s) for s in SHAPES})
            await _make_twins(db, sizes)
            now, count = info.now, info.posts
            out["seed_s"] = time.perf_counter() - started
        out["posts"] = count
        print(f"[{kind}] seeded {count:,} posts in {out['seed_s']:.0f} s"
              + (f"; kept: {seeded.url}" if keep or reuse else ""), flush=True)
        ids = Identities(domain=DOMAIN, bot_localpart="social", ai_suffix="_ai",
                         platform_prefixes={})
        users = Users(ids, None)
        blocks, mutes = BlockList(db), Mutes(db, ids, users)
        feed = Feed(db, users, FeedPlanner(db), brandings(), blocks, mutes)
        ranking = Trending(db, 60, ids.handle_of, brandings())
        await ranking.refresh(now=now)
        explore = Explore(db, ids, ranking, brandings(), blocks, mutes)
        blocked = {s: await _block_and_mute(db, feed, sizes, s) for s in SHAPES}
        out["blocks"] = len(blocked["active"])
        await db.execute("ANALYZE")
        calls = []
        for shape in SHAPES:
            for label, page in (("first page", 1), (f"page {sizes.deep_page} by cursor",
                                                     sizes.deep_page)):
                cursor = await _deep_cursor(feed, plain(shape), page)
                calls.append((f"feed {label}, {shape}", shape,
                              lambda v, c=cursor: feed.page(v, c, PAGE)))
        calls.append(("trending posts, first page", "active",
                      lambda v: explore.trending_posts(v, None, PAGE)))
        if explain:
            await _explain(db, feed, explore)
        for name, shape, call in calls:
            mine, hers = await call(plain(shape)), await call(twin(shape))
            hidden = await _check(db, mine, hers, blocked[shape], twin(shape))
            a, b = await _side_by_side(lambda c=call, s=shape: c(plain(s)),
                                       lambda c=call, s=shape: c(twin(s)), runs)
            fig = {"name": name, "hidden": hidden, "shown": len(hers["items"]),
                   "plain": (median(a), p99(a)), "safety": (median(b), p99(b))}
            out["figures"].append(fig)
            print(f"[{kind}] {_line(fig)}", flush=True)
    finally:
        await db.stop()
        if not (keep or reuse):
            await seeded.drop()
    return out


def _line(fig: dict) -> str:
    (a50, a99), (b50, b99) = fig["plain"], fig["safety"]
    return (f"{fig['name']}: plain p50 {a50:.2f} ms, p99 {a99:.2f} ms | blocks + "
            f"100 words p50 {b50:.2f} ms, p99 {b99:.2f} ms | ratio {b50 / a50:.2f}x (p50), "
            f"{b99 / a99:.2f}x (p99) | {fig['hidden']} of the plain page's posts hidden")


def render(results: list[dict], sizes: Sizes, runs: int, started: str, load: str) -> str:
    blocks = f"{results[0]['blocks']:,} blocks"
    lines = [START, f"## Feed and explore with {blocks} and 100 muted words (issue 24)", "",
             f"`python -m bench.safety_views` (see its docstring), run {started} "
             f"(load {load}), {runs} timed calls per viewer and figure, interleaved. "
             f"Through the social layer (`Feed.page`, `Explore.trending_posts`), "
             f"{results[0]['posts']:,} posts seeded as for `python -m bench`.", "",
             f"| database | figure | plain viewer p50 / p99 | {blocks} + 100 muted words "
             "p50 / p99 | ratio p50 / p99 | hidden of the plain page | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        db = {"postgres": "PostgreSQL", "sqlite": "SQLite"}[r["kind"]]
        for f in r["figures"]:
            (a50, a99), (b50, b99) = f["plain"], f["safety"]
            target = (f"p99 ≤ {TARGET_P99_MS:.0f} ms" if r["kind"] == "postgres"
                      else "(target is on PostgreSQL)")
            met = ("yes" if b99 <= TARGET_P99_MS else "**no**") if r["kind"] == "postgres" \
                else "—"
            lines.append(f"| {db} | {f['name']} | {a50:.2f} / {a99:.2f} ms | {b50:.2f} / "
                         f"{b99:.2f} ms | {b50 / a50:.2f}× / {b99 / a99:.2f}× | "
                         f"{f['hidden']} | {target} | {met} |")
    lines += ["", "Seeding: " + ", ".join(f"{r['kind']} {r['seed_s']:.0f} s" for r in results)
              + ".", END]
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.safety_views",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes")
    parser.add_argument("--backends", nargs="+", default=["postgres", "sqlite"],
                        choices=["postgres", "sqlite"])
    parser.add_argument("--runs", type=int, help="timed calls per viewer and figure")
    parser.add_argument("--out", help="put the section into this Markdown file")
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded PostgreSQL database (for EXPLAIN, --reuse)")
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of the blocked people's counts statement")
    parser.add_argument("--reuse", metavar="NAME",
                        help="time on a PostgreSQL database kept by --keep, without seeding")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    runs = args.runs or sizes.runs
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="matrix-social-safety-") as tmp:
        results = [await measure(kind, sizes, runs, Path(tmp), args.keep and kind == "postgres",
                                 args.reuse if kind == "postgres" else None, args.explain)
                   for kind in args.backends]
    section = render(results, sizes, runs, started, load)
    print(section)
    if args.out:
        put_section(Path(args.out), section, START, END)


if __name__ == "__main__":
    asyncio.run(main())
