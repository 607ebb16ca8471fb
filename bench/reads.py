"""Reads that must not grow with the data (issue 28): the trending refresh's cost per minute
of traffic and search's latency, before and after, side by side in one run.

`python -m bench.reads [--db postgres|sqlite|both] [--posts N] [--likes N] [--out FILE]`
seeds its own index (bench/seed.py's COPY on PostgreSQL, executemany on SQLite): N posts over
the last 30 days, bodies of 8 words drawn Zipf-like from 5,000 words (the most common word is
in about a third of the posts; a rare word is in 20 of them), and N likes over the last 24
hours (40% on 20 much-liked posts, with a second ❤️ by some likers, the rest on random posts).

Trending, before: the refresh of the code before (every like of the window counted, the first
1,000 posts stored). After: the refresh kept incrementally (db/trending.py), timed for each of
several minutes of traffic: likes/1,440 new likes in the minute (40% on the much-liked
posts), 1% of them unliked, the window moved 60 s on (as many likes leave it as enter).
Search, before: the query of the code before (every match ranked, then the best 20); after:
db/search.py. Both on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
from mautrix.util.async_db import Database, Scheme, UpgradeTable

from matrix_social.db import explore, search, trending, upgrade_table
from matrix_social.db.feed import SELECT_POST
from matrix_social.db.trending import APPS, POSTS

from . import trending_v22
from .report import put_section
from .seed import ADMIN_DSN, BenchDatabase, _insert

START = "<!-- bench.reads:start -->"
END = "<!-- bench.reads:end -->"
TRENDING_START = "<!-- bench.trending:start -->"
TRENDING_END = "<!-- bench.trending:end -->"
DAY_MS = 86_400_000
DEPTH = 1000
BATCH = 50_000
VOCABULARY = 5000
COMMON, RARE = "v0", "rareword"
POPULAR = 20
VIEWER = "@u1:b.invalid"


_CUMULATIVE = list(itertools.accumulate(1 / (k + 1) for k in range(VOCABULARY)))
_WORDS = [f"v{k}" for k in range(VOCABULARY)]


def _zipf_words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(_WORDS, cum_weights=_CUMULATIVE, k=n)


async def seed(db: Database, posts: int, likes: int,
               rng: random.Random) -> tuple[int, list[str]]:
    now = int(time.time() * 1000)
    users = max(1000, posts // 100)
    await _insert(db, "feed_room", ["room_id", "owner", "created_at"],
                  [(f"!r{i}:b.invalid", f"@u{i}:b.invalid", 0) for i in range(users)])
    rare_at = set(rng.sample(range(posts), 20))
    step = 30 * DAY_MS // posts
    rows = []
    for i in range(posts):
        words = _zipf_words(rng, 8)
        if i in rare_at:
            words[3] = RARE
        body = " ".join(words)
        a = rng.randrange(users)
        rows.append((f"$p{i}", f"!r{a}:b.invalid", f"@u{a}:b.invalid", "text", body,
                     json.dumps({"msgtype": "m.text", "body": body}), now - 30 * DAY_MS
                     + i * step))
        if len(rows) >= BATCH:
            await _insert(db, "post", ["event_id", "room_id", "author", "kind", "body",
                                       "content", "ts"], rows)
            rows = []
    await _insert(db, "post", ["event_id", "room_id", "author", "kind", "body", "content",
                               "ts"], rows)
    popular = [f"$p{i}" for i in rng.sample(range(posts - posts // 30, posts), POPULAR)]
    rows = []
    for k in range(likes):
        rows.append(_like(rng, f"$l{k}", popular, posts, users, now - rng.randrange(DAY_MS)))
        if len(rows) >= BATCH:
            await _insert(db, "post_like", ["event_id", "post_id", "user_id", "ts"], rows)
            rows = []
    await _insert(db, "post_like", ["event_id", "post_id", "user_id", "ts"], rows)
    await db.execute("ANALYZE" if db.scheme == Scheme.SQLITE else "VACUUM ANALYZE")
    return now, popular


def _like(rng: random.Random, event_id: str, popular: list[str], posts: int, users: int,
          ts: int) -> tuple:
    if rng.random() < 0.4:
        # much-liked posts: likers from a large crowd, some of them twice
        return (event_id, rng.choice(popular), f"@fan{rng.randrange(10 * users)}:f.invalid", ts)
    return (event_id, f"$p{rng.randrange(posts)}", f"@u{rng.randrange(users)}:b.invalid", ts)


async def old_refresh(db: Database, now: int) -> None:
    """The refresh of the code before: the window's every like, then the ranking rewritten."""
    keys = await explore.trending_keys(db, now - DAY_MS, now, DEPTH)
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM trending_post")
        await conn.executemany(
            "INSERT INTO trending_post (position, event_id, trend, ts) VALUES ($1, $2, $3, $4)",
            [(i, k["event_id"], k["trend"], k["ts"]) for i, k in enumerate(keys)])


async def touched_posts(db: Database, rows: list[tuple], since: int, until: int,
                        width: int = DAY_MS) -> list[str]:
    """The posts v19's refresh recounted after a minute: those with a like or unlike in it
    and those with a like that entered or left the window."""
    old_since, old_end = since - 60_000, until - 60_000
    crossed = await db.fetch(
        "SELECT post_id FROM post_like WHERE ts >= $1 AND ts < $2 "
        "UNION SELECT post_id FROM post_like WHERE ts > $3 AND ts <= $4",
        old_since, since, old_end, until)
    return sorted({r[1] for r in rows} | {r["post_id"] for r in crossed})


async def v19_recount(db: Database, posts: list[str], since: int, until: int) -> None:
    """The part of v19's refresh that grew with the likes: each touched post's distinct
    likers in the window recounted from its every like (db/trending.py before v22)."""
    if db.scheme == Scheme.SQLITE:
        keys, arg = "SELECT value AS post_id FROM json_each($3)", json.dumps(posts)
    else:
        keys, arg = "SELECT unnest($3::text[]) AS post_id", posts
    async with db.acquire() as conn, conn.transaction():
        if db.scheme == Scheme.POSTGRES:
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit"):
                await conn.execute(f"SET LOCAL {setting} = off")
        await conn.fetch(
            "SELECT c.post_id, (SELECT COUNT(DISTINCT s.user_id) FROM post_like s "
            "WHERE s.post_id = c.post_id AND s.ts >= $1 AND s.ts <= $2) AS n "
            f"FROM ({keys}) c", since, until, arg)


async def new_refresh(db: Database, now: int) -> int:
    recounted = await trending.refresh(db, POSTS, now - DAY_MS, now, now, DEPTH)
    await trending.refresh(db, APPS, now - 7 * DAY_MS, now, now)
    return recounted


async def v22_refresh(db: Database, now: int) -> int:
    """The refresh before v30 (bench/trending_v22.py), on the copy made before it."""
    recounted = await trending_v22.refresh(db, trending_v22.POSTS, now - DAY_MS, now, now, DEPTH)
    await trending_v22.refresh(db, trending_v22.APPS, now - 7 * DAY_MS, now, now)
    return recounted


def _before_v30() -> UpgradeTable:
    """The upgrades before v30: the schema trending_v22 runs on."""
    table = UpgradeTable()
    table.upgrades = list(itertools.takewhile(
        lambda fn: not fn.__module__.endswith("v30_trending_change_log"),
        upgrade_table.upgrades))
    return table


async def _copy(base: BenchDatabase) -> BenchDatabase:
    """A copy of `base` (stopped), under a name of its own."""
    copy = BenchDatabase(base.kind, base.path.parent)
    if base.kind == "postgres":
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{copy.name}" TEMPLATE "{base.name}"')
        finally:
            await conn.close()
    else:
        await asyncio.to_thread(_copy_files, base.path, copy.path)
    return copy


def _copy_files(source: Path, target: Path) -> None:
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")


async def timed(fn) -> float:
    started = time.perf_counter()
    await fn()
    return (time.perf_counter() - started) * 1000


def minute_of_traffic(rng: random.Random, now: int, likes: int, posts: int, minute: int,
                      popular: list[str]) -> tuple[int, list[tuple], list[str]]:
    """Likes of one minute (ts in (now, now + 60 s]) and 1% of them unliked: the new now, the
    likes and the event ids unliked."""
    per_minute = max(1, likes // 1440)
    users = max(1000, posts // 100)
    rows = [_like(rng, f"$m{minute}_{k}", popular, posts, users, now + 1 + rng.randrange(60_000))
            for k in range(per_minute)]
    unliked = [row[0] for row in rng.sample(rows, max(1, per_minute // 100))]
    return now + 60_000, rows, unliked


async def write_minute(db: Database, rows: list[tuple], unliked: list[str]) -> None:
    # As ingest writes them: transactions of 50 events.
    for i in range(0, len(rows), 50):
        await _insert(db, "post_like", ["event_id", "post_id", "user_id", "ts"], rows[i:i + 50])
    for event_id in unliked:
        await db.execute("DELETE FROM post_like WHERE event_id = $1", event_id)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def old_search(db: Database, viewer: str, word: str) -> list:
    """The search query of the code before (db/search.py before issue 28): every match
    ranked, then the best 20 with their rows."""
    if db.scheme == Scheme.SQLITE:
        ranked = ("SELECT p.event_id, -bm25(post_fts) AS rank FROM post_fts "
                  "JOIN post p ON p.rowid = post_fts.rowid WHERE post_fts MATCH $2")
        match = f'"{word}"'
    else:
        ranked = ("SELECT p.event_id, ts_rank(p.body_tsv, to_tsquery('simple', $2))::float8 "
                  "AS rank FROM post p WHERE p.body_tsv @@ to_tsquery('simple', $2)")
        match = word
    return await db.fetch(
        f"WITH r AS ({ranked}), top AS (SELECT * FROM r "
        "ORDER BY r.rank DESC, r.event_id ASC LIMIT $3) "
        f"SELECT top.rank, sub.* FROM top JOIN ({SELECT_POST}) sub "
        "ON sub.event_id = top.event_id ORDER BY top.rank DESC, top.event_id ASC",
        viewer, match, 21)


async def _ranked(db: Database, table: str, where: str = "") -> list[tuple]:
    return [tuple(r) for r in await db.fetch(
        f"SELECT {'post_id' if table == 'trending_score' else 'event_id'}, trend, ts "
        f"FROM {table} {where} ORDER BY 2 DESC, 3 DESC, 1 DESC LIMIT {DEPTH}")]


async def measure(kind: str, posts: int, likes: int, minutes: int, runs: int,
                  search_runs: bool = True) -> dict:
    """Seeded once at the schema before v30; copied; the copy stays there for the code before
    (bench/trending_v22.py), the original is upgraded to v30 for the code after. Each minute's
    traffic is written to both, then each refreshes (who goes first alternates)."""
    rng = random.Random(28)
    base = BenchDatabase(kind, Path(tempfile.gettempdir()))
    await base.create()
    before_base: BenchDatabase | None = None
    db = await base.open(_before_v30())
    before: Database | None = None
    out: dict = {"kind": kind, "posts": posts, "likes": likes}
    try:
        started = time.perf_counter()
        now, popular = await seed(db, posts, likes, rng)
        out["seed_s"] = time.perf_counter() - started
        await db.stop()
        before_base = await _copy(base)
        before = await before_base.open(_before_v30())
        db = await base.open()  # upgraded to v30
        out["window_likes"] = await db.fetchval(
            "SELECT COUNT(*) FROM post_like WHERE ts >= $1", now - DAY_MS)
        out["before_ms"] = [await timed(lambda: old_refresh(before, now)) for _ in range(2)]
        out["v22_first_ms"] = await timed(lambda: v22_refresh(before, now))
        out["first_ms"] = await timed(lambda: new_refresh(db, now))
        for name in ("after_ms", "recounted", "v22_ms", "v22_recounted", "v19_ms",
                     "v19_posts"):
            out[name] = []
        for minute in range(minutes):
            now, rows, unliked = minute_of_traffic(rng, now, likes, posts, minute, popular)
            for target in (db, before):
                await write_minute(target, rows, unliked)
            touched = await touched_posts(db, rows, now - DAY_MS, now)
            out["v19_posts"].append(len(touched))
            out["v19_ms"].append(await timed(
                lambda: v19_recount(db, touched, now - DAY_MS, now)))  # noqa: B023
            runs_now = [("v22", before, v22_refresh), ("after", db, new_refresh)]
            for name, target, refresh in runs_now[::-1 if minute % 2 else 1]:
                recounted: list[int] = []

                async def run(target=target, refresh=refresh, recounted=recounted) -> None:
                    recounted.append(await refresh(target, now))  # noqa: B023

                out[f"{name}_ms"].append(await timed(run))
                out["recounted" if name == "after" else "v22_recounted"].append(recounted[0])
        out["before_minute_ms"] = [await timed(lambda: old_refresh(before, now))]
        scratch = [(k["event_id"], k["trend"], k["ts"])
                   for k in await explore.trending_keys(db, now - DAY_MS, now, DEPTH)]
        out["equal_to_scratch"] = (
            await _ranked(db, "trending_score", "WHERE ts IS NOT NULL") == scratch
            and await _ranked(db, "trending_post") == scratch)
        await v22_refresh(before, now)  # its ranking again (the before's replaced it)
        out["v22_equal_to_scratch"] = (await _ranked(before, "trending_score") == scratch
                                       and await _ranked(before, "trending_post") == scratch)
        out["scored"] = await db.fetchval("SELECT COUNT(*) FROM trending_score")
        out["top"] = await db.fetchval("SELECT COUNT(*) FROM trending_top")
        out["search"] = {}
        for label, word in (() if not search_runs else (("common", COMMON), ("rare", RARE))):
            out["search"][label] = {
                "matches": await _matches(db, word),
                "before": [await timed(lambda: old_search(db, VIEWER, word))  # noqa: B023
                           for _ in range(runs)],
                "after": [await timed(lambda: search.posts(db, VIEWER, word, None, 21))  # noqa: B023
                          for _ in range(runs)],
            }
    finally:
        await db.stop()
        await base.drop()
        if before is not None:
            await before.stop()
        if before_base is not None:
            await before_base.drop()
    return out


async def _matches(db: Database, word: str) -> int:
    if db.scheme == Scheme.SQLITE:
        return await db.fetchval("SELECT COUNT(*) FROM post_fts WHERE post_fts MATCH $1",
                                 f'"{word}"')
    return await db.fetchval("SELECT COUNT(*) FROM post WHERE body_tsv @@ "
                             "to_tsquery('simple', $1)", word)


def _ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.2f} ms, p99 {pct(values, 0.99):.2f} ms"


def markdown(results: list[dict]) -> str:
    r0 = results[0]
    lines = [START, "## Reads at scale: trending refresh per minute of traffic, search", "",
             f"Issue 28. `python -m bench.reads` (see its docstring), run {r0['date']} "
             f"(load {r0['load']}), before and after measured in the same run (trending: "
             "each on its own copy of one seeded database, the same traffic written to both, "
             "minute by minute).", "",
             "| key | figure | database | before | after | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        name = "PostgreSQL" if r["kind"] == "postgres" else "SQLite"
        after = r["after_ms"]
        met = "yes" if max(after) <= 100 else "**no**"
        v19 = r.get("v19_ms") or [float("nan")]
        v22 = r.get("v22_ms") or [float("nan")]
        lines.append(
            f"| trending-refresh-{r['kind']} | trending refresh, database time per minute of "
            f"traffic, {r['window_likes']:,} likes in the window ({r['likes'] // 1440:,} "
            f"likes a minute, 1% unliked) | {name} | v22 (the code before v30, "
            f"bench/trending_v22.py, on its own copy of the database, the same traffic, "
            f"alternating with after each minute): median {statistics.median(v22):.1f} ms, "
            f"max {max(v22):.1f} ms ({statistics.median(r.get('v22_recounted') or [0]):.0f} "
            f"scores rewritten a minute); its first refresh (from scratch) "
            f"{r.get('v22_first_ms', float('nan')):.0f} ms; equal to a count from scratch: "
            f"{'yes' if r.get('v22_equal_to_scratch') else '**NO**'}. Older: every like "
            f"counted (before issue 14) "
            f"{', '.join(f'{x:.0f}' for x in r['before_ms'] + r['before_minute_ms'])} ms a "
            f"refresh; v19's recount alone (each touched post's likes counted again; its "
            f"writes not included): median "
            f"{statistics.median(v19):.1f} ms, max {max(v19):.1f} ms "
            f"({statistics.median(r.get('v19_posts') or [0]):.0f} posts a minute) "
            f"| v30 (a log of changes, scores without pairs or tallies, a top, only the "
            f"ranking's changed rows), the whole refresh (posts and apps, writes and the "
            f"stored ranking included): median {statistics.median(after):.1f} ms, max "
            f"{max(after):.1f} ms over {len(after)} minutes "
            f"({statistics.median(r['recounted']):.0f} scores rewritten a minute; "
            f"{r.get('scored', 0):,} posts scored, {r.get('top', 0):,} in the top); the first "
            f"refresh (from scratch) {r['first_ms']:.0f} ms; equal to a count from scratch "
            f"(scores and stored ranking): {'yes' if r['equal_to_scratch'] else '**NO**'} "
            f"| ≤ 100 ms a minute | {met if r['kind'] == 'postgres' else met + ' (report only)'} |")
        for label, s in r["search"].items():
            after_p99 = pct(s["after"], 0.99)
            ok = "yes" if after_p99 <= 15 else "**no**"
            lines.append(
                f"| search-{label}-{r['kind']} | search posts, first page (20), a {label} word "
                f"({s['matches']:,} of {r['posts']:,} posts match) | {name} | "
                f"{_ms(s['before'])} | {_ms(s['after'])} | p99 ≤ 15 ms | "
                f"{ok if r['kind'] == 'postgres' else ok + ' (report only)'} |")
    search_notes = 3  # the last three notes are the full run's
    lines += ["", "Notes:", "",
              "- **Trending** (`db/trending.py`, `social/trending.py`, v19, v22, v30): v19 "
              "recounted each touched post from its every like in the window, so a "
              "much-liked post touched every minute cost its likes every minute. v22 kept "
              "the (post, liker) pairs counted in the window (962,574 rows at 1M likes) and a "
              "per-post tally beside the score; triggers marked the pairs a like touched, and "
              "a refresh looked each marked pair, and each pair with a like crossing an edge "
              "of the window, up in the pair table, then rewrote the pair, the tally, the "
              "score (and its rank index) and the 1,000 rows of the stored ranking: per "
              "minute some 3,000 pages of tables the window's size dirtied at random, most of "
              "the 167 ms. v30: the triggers log each like added or removed with its time "
              "(append only, no index); a refresh reads the pairs the log names and those "
              "crossing an edge through the (post, liker, ts) index, counts each pair's likes "
              "in the old and the new window and takes the logged changes off the old count "
              "(what the last refresh counted, without keeping it), and adds the differences "
              "to the scores, in one REPEATABLE READ snapshot that also deletes the log it "
              "read; no pairs, no tallies. The scores have no index but their key and room "
              "in each page (fillfactor 80), so a changed score is a HOT update; the ranking "
              "is read from a top of about 5,000 posts (every post at or above its floor, "
              "kept from the changed scores, made again from every score when it falls under "
              "1,000 posts); the stored ranking has no position column, so only its rows that "
              "changed are written. Its work is still two index lookups per like in the "
              "minute and per like leaving the window, now with a few pages each.",
              "- **Search** (`db/search.py`): posts with every word of the query, the words as "
              "a phrase first, then the others, newest first in each through the post_ts "
              "index, cursor (tier, ts, event id); PostgreSQL's planner reads a rare word's "
              "few matches from the GIN index and sorts them. Before: every match ranked "
              "(ts_rank / bm25) and sorted, so a common word cost its matches. tsvector + GIN "
              "was kept over pg_trgm: `python -m bench.search_index` (300,000 posts, loaded "
              "machine) gave a rare word p50 0.49 ms with tsvector + GIN against 2,434 ms with "
              "pg_trgm (word-boundary regex) and 2,413 ms (substring ILIKE), whose trigrams "
              "of a rare word still match many posts; a common word was p50 2.0-3.5 ms for "
              "all three (the time-index walk), and the trigram index is twice the size "
              "(15 MB against 7.6 MB).",
              "- Not done: the trending refresh at 10M likes on PostgreSQL and the "
              "`--scale 10m` seeding (seeding 1M posts and 1M likes took 839 s on this "
              "loaded machine in an earlier run); Messages' first page (still one initial "
              "/sync, see conversations rows above); the SQLite run of this section at 1M "
              "(the smoke run checks it, tests/test_bench_smoke.py).",
              "- The machine was shared with the other workers' test suites during these runs "
              "(the load averages above, on 2 cores): the absolute figures are several times "
              "an idle machine's (the issue quotes 2.65 s for the before refresh at 1M likes on "
              "this machine idle; the 1M run here measured 15.8-27.3 s for it); before and "
              "after ran back to back on the same database, so compare them with each other."]
    if not any(r["search"] for r in results):  # the trending rows alone
        lines = lines[:-search_notes] + [
            "- The machine was shared with other jobs during the run (the load average "
            "above, on 2 cores): compare before and after, measured back to back on the same "
            "database, with each other rather than with an idle machine's figures."]
    lines += ["", "Seeding: " + "; ".join(
        f"{r['kind']} {r['seed_s']:.0f} s ({r['posts']:,} posts, {r['likes']:,} likes)"
        for r in results) + ".", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reads",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--likes", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--no-search", action="store_true",
                        help="the trending rows only (search's before is slow at 1M)")
    parser.add_argument("--results", help="write the raw results (JSON) here")
    parser.add_argument("--render", metavar="RESULTS", help="the section from --results files",
                        nargs="+")
    parser.add_argument("--out", help="put the section into this Markdown file")
    args = parser.parse_args(argv)
    if args.smoke:
        args.posts, args.likes, args.minutes, args.runs = 3000, 3000, 2, 5
    if args.render:
        results = [r for f in args.render for r in json.loads(Path(f).read_text())]
    else:
        kinds = ("postgres", "sqlite") if args.db == "both" else (args.db,)
        results = []
        for kind in kinds:
            r = asyncio.run(measure(kind, args.posts, args.likes, args.minutes, args.runs,
                                    not args.no_search))
            r["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            r["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
            results.append(r)
    if args.results:
        Path(args.results).write_text(json.dumps(results, indent=1))
    section = markdown(results)
    start, end = START, END
    if not any(r["search"] for r in results):  # a section of its own, beside the full one
        start, end = TRENDING_START, TRENDING_END
        section = section.replace(START, start).replace(END, end).replace(
            "## Reads at scale: trending refresh per minute of traffic, search",
            "## Trending refresh per minute of traffic (posts)")
    print(section)
    if args.out:
        put_section(Path(args.out), section, start, end)


if __name__ == "__main__":
    main()
