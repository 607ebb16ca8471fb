"""Figures against their targets, the machine, and BENCHMARKS.md."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from . import verdicts
from .changes import BEFORE, CHANGES, EARLIER
from .seed import ADMIN_DSN
from .sizes import Sizes

NAMES = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


@dataclass
class Figure:
    key: str  # stable name of the row (the CI smoke test checks every one is written)
    what: str
    backend: str
    measured: str
    target: str
    met: bool | None  # None: no target, reported only
    before: str = ""  # the code before issue 14: same run, or changes.BEFORE (separate run)


# A bench run on its own (bench/images.py, bench/reads.py, …) writes its section between
# markers `<!-- bench.NAME:start -->` and `<!-- bench.NAME:end -->`; other runs keep it.
_MARKED = re.compile(r"<!-- bench\.([\w.]+):start -->.*?<!-- bench\.\1:end -->", re.S)


def put_section(path: Path, section: str, start: str, end: str) -> None:
    """Write `section` (from `start` to `end`) into the report, in place of its last copy."""
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def marked_sections(text: str) -> list[str]:
    """Every section a separate bench run wrote into the report, as it is."""
    return [m.group(0) for m in _MARKED.finditer(text)]


def _ms(s: dict) -> str:
    return f"p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms"


SHAPE_NAMES = {"active": "follows 500 active authors", "quiet": "follows 10 quiet authors",
               "wide": "follows 5,000 authors", "popular": "follows 100, 20 much-liked posts"}


def figures(results: dict[str, dict], sizes: Sizes) -> list[Figure]:
    out: list[Figure] = []
    for b, r in results.items():
        out += _feed_figures(b, r, sizes)
        out += _other_figures(b, r)
    return out


def _feed_figures(b: str, r: dict, sizes: Sizes) -> list[Figure]:
    name, sql, api = NAMES[b], r["sql"], r["api"]
    out = []
    for page, label in (("feed", "first page"), ("deep", f"page {sizes.deep_page} by cursor")):
        for shape, what in SHAPE_NAMES.items():
            f = sql[page][shape]
            target = "p99 ≤ 15 ms and ≤ 2× lower bound (p50, p99)" if b == "postgres" \
                else "(target is on PostgreSQL)"
            key = f"feed-{shape}-{b}" if page == "feed" else f"feed-deep-{shape}-{b}"
            out.append(Figure(
                key, f"feed {label} (20), viewer {what}, bare query", name,
                f"{_ms(f['ours'])} ({f['plan']}, {f['rooms']} rooms); lower bound "
                f"{_ms(f['lower'])}", target,
                verdicts.feed_page_met(f["ours"], f["lower"]) if b == "postgres" else None,
                f"{_ms(f['before'])} (same run)"))
    for shape, what in SHAPE_NAMES.items():
        for page, label in (("feed", "first page"), ("deep", f"page {sizes.deep_page}")):
            ours, apart = api[page][shape], sql[page][shape]["ours"]
            bare = api[f"{page}_bare"][shape]
            key = f"feed-overhead-{shape}-{b}" if page == "feed" \
                else f"feed-overhead-deep-{shape}-{b}"
            out.append(Figure(
                key, f"feed endpoint vs its bare query, {label}, viewer {what}", name,
                f"endpoint {_ms(ours)}; bare query interleaved with it {_ms(bare)}; ratio "
                f"{_ratios(ours, bare)}; {_as_before(api, page, shape, apart)}; HTTP floor "
                f"{_ms(api['http_floor'])}", "≤ 3× (p50, p99)",
                verdicts.within_factor(ours, bare, 3), BEFORE.get(key, "")))
    return out


def _as_before(api: dict, page: str, shape: str, apart: dict) -> str:
    """The figure as it was taken before the interleaving (results saved before the
    back-to-back timing was added have the bare query alone only)."""
    back = api.get(f"{page}_back_to_back", {}).get(shape)
    if back is None:
        return f"(bare query timed alone before the bridge started {_ms(apart)}: " \
            f"{_ratios(api[page][shape], apart)})"
    return (f"as timed before (endpoint back to back {_ms(back)}, bare query alone before "
            f"the bridge started {_ms(apart)}): {_ratios(back, apart)}")


def _ratios(ours: dict, base: dict) -> str:
    return (f"{verdicts.ratio(ours, base, 'p50'):.2f}× (p50), "
            f"{verdicts.ratio(ours, base, 'p99'):.2f}× (p99)")


def _other_figures(b: str, r: dict) -> list[Figure]:
    name, sql, api = NAMES[b], r["sql"], r["api"]
    t = sql["trending"]
    out = [Figure(
        f"trending-posts-{b}", f"trending posts endpoint ({t['window_likes']:,} likes in the "
        "window)", name,
        f"endpoint {_ms(api['trending_posts'])}; bare read {_ms(t['ours'])}; background refresh "
        f"p50 {t['refresh_s']['p50']:.2f} s, max {t['refresh_s']['p99']:.2f} s",
        "p99 ≤ 15 ms" if b == "postgres" else "(target is on PostgreSQL)",
        verdicts.p99_at_most(api["trending_posts"], 15) if b == "postgres" else None,
        f"ranking per uncached request {_ms(t['before'])} (same run); "
        + BEFORE.get(f"trending-posts-{b}", ""))]
    i = r["ingest"]
    out.append(Figure(
        f"ingest-{b}", "appservice transaction ingest with counters (50 events: posts, likes, "
        "comments)", name,
        f"{i['ours_eps']:.0f} events/s (mean of {i['ours_runs'][0]:.0f} and "
        f"{i['ours_runs'][1]:.0f}, {i['events']} events each)",
        "≥ 5,000 events/s" if b == "postgres" else "(target is on PostgreSQL)",
        verdicts.at_least(i["ours_eps"], 5000) if b == "postgres" else None,
        f"without the counter triggers {i['no_counters_eps']:.0f} events/s (same run); "
        + BEFORE.get(f"ingest-old-{b}", "")))
    out.append(Figure(
        f"ingest-vs-bare-{b}", "the same ingest vs a bare mautrix AppService dropping the same "
        "transactions", name, f"bare {i['bare_eps']:.0f} events/s; ours {i['ratio']:.2f}× bare",
        "≥ 0.5× bare", verdicts.at_least(i["ratio"], 0.5),
        f"{i['no_counters_eps'] / i['bare_eps']:.2f}× bare without the counters (same run)"))
    m = api["memory"]
    out.append(Figure(
        f"rss-{b}", f"bridge RSS with {r['seed']['posts']:,} posts, after a feed and an "
        "explore query", name,
        f"{m['after_feed_and_explore']['rss']:.1f} MB (at start {m['start']['rss']:.1f}; after "
        f"all timed reads {m['after_all']['rss']:.1f}; after the API posts "
        f"{m['after_posts']['rss']:.1f}, peak {m['after_posts']['peak']:.1f})", "≤ 120 MB",
        verdicts.at_most(m["after_feed_and_explore"]["rss"], 120), BEFORE.get(f"rss-{b}", "")))
    p = r["api_posts"]
    out.append(Figure(
        f"api-posts-{b}", "posts through the API vs the same user's bare homeserver sends, "
        "8 at a time", name,
        f"API {p['api']:.1f} posts/s, bare {p['bare']:.1f} posts/s: {p['ratio']:.2f}× "
        f"({p['posts']} each way)", "≥ 0.9×", verdicts.at_least(p["ratio"], 0.9),
        BEFORE.get(f"api-posts-{b}", "")))
    c = r["conversations"]
    out.append(Figure(
        f"conversations-{b}", f"conversations list of a user in {c['rooms']} rooms", name,
        f"first page (sliding sync) {c['cold_ms']:.0f} ms; next requests {_ms(c['warm'])}; "
        f"all {c['pages']} pages {c['all_pages_ms']:.0f} ms (each looking from the top "
        f"{c['all_pages_from_top_ms']:.0f} ms)",
        "first page ≤ 150 ms" if b == "postgres" else "(target is on PostgreSQL)",
        verdicts.at_most(c["cold_ms"], 150) if b == "postgres" else None,
        f"first page's initial /sync {c['initial_sync_ms']:.0f} ms, its requests replayed "
        f"(3 per room) {_ms(c['old'])} (same run); "
        + BEFORE.get(f"conversations-{b}", "")))
    out.append(Figure(f"search-{b}", "post search (one word, ~0.8% of posts)", name,
                      f"query {_ms(sql['search'])}; endpoint {_ms(api['search_posts'])}",
                      "report", None, BEFORE.get(f"search-{b}", "")))
    n = r["native"]
    ratio_par = n["native_parallel"]["p50"] / n["ours"]["p50"]
    ratio_seq = n["native_sequential"]["p50"] / n["ours"]["p50"]
    out.append(Figure(
        f"native-{b}", f"Matrix-native feed ({n['rooms']} rooms, /messages + merge) vs our "
        "feed API", name,
        f"native parallel {_ms(n['native_parallel'])}; native sequential "
        f"{_ms(n['native_sequential'])}; ours {_ms(n['ours'])}; ours faster {ratio_par:.0f}× "
        f"(parallel), {ratio_seq:.0f}× (sequential), p50", "ours ≥ 100× faster",
        verdicts.at_least(ratio_par, 100)))
    e = r["e2e"]
    for key, label in (("feed", "post via API → in follower's feed API"),
                       ("sync", "post via API → in follower's Matrix /sync")):
        out.append(Figure(f"e2e-{key}-{b}", label, name,
                          _ms(e[key]) + f" ({e[key]['n']} posts)", "p50 ≤ 150 ms",
                          verdicts.at_most(e[key]["p50"], 150)))
    return out


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "Synapse": importlib.metadata.version("matrix-synapse"),
        "mautrix-python": importlib.metadata.version("mautrix"),
    }


async def postgres_version() -> str:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()


def render(figs: list[Figure], results: dict, sizes: Sizes, smoke: bool, info: dict) -> str:
    mark = {True: "yes", False: "**no**", None: "—"}
    lines = [
        "# Benchmarks",
        "",
        "Generated by the harness; re-run with:",
        "",
        "```sh",
        ".venv/bin/python -m bench            # full run (the figures below)",
        ".venv/bin/python -m bench --smoke    # tiny sizes, for CI (tests/test_bench_smoke.py)",
        "```",
        "",
        f"Date: {info['date']}. Run: "
        f"{'SMOKE (tiny sizes; figures meaningless)' if smoke else 'full'}, "
        f"{info['duration_s']:.0f} s on {info['machine']['CPU'].rsplit(', ', 1)[-1]}. "
        f"Load average before / after: {info['load_before']} / {info['load_after']}.",
        "",
        "## Figures",
        "",
        "| key | figure | database | before (code before issue 14) | after (measured) | target "
        "| met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {f.key} | {f.what} | {f.backend} | {f.before or '—'} | {f.measured} | "
              f"{f.target} | {mark[f.met]} |" for f in figs]
    lines += [
        "",
        "Percentiles are nearest-rank over the timed repetitions, after untimed warm-up calls "
        f"(3 per read figure, 1 elsewhere): {sizes.runs} per read figure (the \"before\" "
        f"queries: at most 30; the old trending ranking: 6), {sizes.native_runs} per "
        f"Matrix-native figure, {sizes.e2e_posts} posts end to end, {sizes.ingest_txns} "
        f"transactions of 50 events per ingest figure, {sizes.api_posts} posts each way for "
        "the API posts. Times are wall-clock as the client sees them.",
        "",
        *measured_how(sizes),
        "",
        "## Changes made to meet the targets (before → after)",
        "",
        *CHANGES,
        "",
        "### Earlier changes (at 200,000 posts and 5,000 users, before issue 14; the row keys "
        "they name were that report's)",
        "",
        *EARLIER,
        "",
        "## Machine",
        "",
    ]
    lines += [f"- {k}: {v}" for k, v in info["machine"].items()]
    lines += [
        f"- PostgreSQL: {info['postgres']} (127.0.0.1, default settings)",
        "- The machine was shared with other workers running test suites during the run "
        "(see the load averages above), so figures are noisier than on an idle machine.",
        "",
        "## Details per database",
        "",
    ]
    for b, r in results.items():
        seed = r["seed"]
        lines += [f"### {NAMES[b]}", "",
                  f"- seeding: {r['seed_s']:.1f} s ({seed['posts']:,} posts, {seed['likes']:,} "
                  "likes, then " + ("VACUUM ANALYZE" if b == "postgres" else "ANALYZE") + ")"]
        for page in ("feed", "deep"):
            for shape in SHAPE_NAMES:
                f = r["sql"][page][shape]
                lines.append(f"- `{page}` {shape}: {f['rooms']} rooms, plan {f['plan']}: ours "
                             f"{_ms(f['ours'])} (interleaved with the endpoint: "
                             f"{_ms(r['api'][f'{page}_bare'][shape])}), endpoint "
                             f"{_ms(r['api'][page][shape])}")
        if "startup_refresh_s" in r["api"]:
            lines.append(f"- the bridge's start-up trending refresh finished "
                         f"{r['api']['startup_refresh_s']:.1f} s after it answered /health "
                         "(the timed reads start after it)")
        lines.append(f"- trending apps: query {_ms(r['sql']['trending_apps'])}; endpoint "
                     f"{_ms(r['api']['trending_apps'])}")
        rounds = r["api_posts"]["rounds"]
        lines.append(f"- API posts per round (posts/s): API {_rates(rounds['api'])}; bare "
                     f"{_rates(rounds['bare'])}")
        lines.append("")
    return "\n".join(lines)


def _rates(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def measured_how(sizes: Sizes) -> list[str]:
    return [
        "## What is measured, and how",
        "",
        f"- **Seeded data** (written straight into the index tables, not through Matrix; the "
        f"database's own triggers keep the post counters while seeding): {sizes.users:,} "
        f"authors with feed rooms and profiles, {sizes.posts:,} posts over 30 days (authors "
        f"picked with Zipf-like weights; {sizes.quiet_authors} quiet authors whose "
        f"{sizes.quiet_posts_each} posts each all lie on the first day; 1% reposts), a comment "
        f"on every fourth post, ~{sizes.popular_posts * sizes.popular_likes + sizes.spread_likes:,}"
        f" likes all in the last 24 hours ({sizes.popular_posts} recent posts with "
        f"{sizes.popular_likes:,} likes each from another server's users, a 👍 and a ❤️ by "
        "one in a hundred of them, the rest on random posts), 20 follows and 3 interests per "
        "author, an app per 10 authors; one author in ten is a user of another server posting "
        "from an MSC4501 profile room (its reposts as the index keeps MSC4501 quotes). "
        "Four viewers: `active` follows "
        f"{sizes.follows_active} random active authors, `quiet` {sizes.follows_quiet} quiet "
        f"ones, `wide` {sizes.follows_wide:,} random authors, `popular` "
        f"{sizes.follows_popular} active authors among whom the writers of the much-liked "
        "posts. See `bench/seed.py`.",
        "- **feed (bare query)**: `FeedPlanner.page` (social/feed_plan.py, the plan it chose "
        "in brackets) called on the seeded database, 21 rows as the endpoint asks, the "
        "planner's caches warm as in a running bridge. **Lower bound**: each visible room's "
        "newest 21 keys before the cursor, merged, nothing else (no counts, no profiles; "
        "SQLite is given the room list, PostgreSQL reads it in the statement). **Before**: the "
        "query of the code before issue 14 (`bench/before.py`). All three are checked to give "
        f"the same rows. The deep page is page {sizes.deep_page}, reached by cursor.",
        "- **endpoints / feed-overhead / rss**: the bridge started as its own process "
        "(`python -m matrix_social -c config.yaml`) on the seeded database, registered with a "
        "real Synapse; each viewer is a real Synapse user (the token's whoami is cached after "
        "the first call, as in production). Client: aiohttp with keep-alive on loopback. RSS "
        "is VmRSS from `/proc/PID/status`. The bridge refreshes the trending ranking in the "
        "background every 60 s during these runs, as deployed; the timing starts once its "
        "start-up refresh has finished.",
        "- **feed-overhead**: each endpoint request is timed interleaved with its bare query "
        "(`FeedPlanner.page` in the bench process on the same database), one of each in turn, "
        "the order alternating, "
        f"{sizes.runs} of each; the ratio is endpoint / that bare query at p50 and at p99. "
        "Beside it, the way it was measured before: the same bare query timed alone minutes "
        "earlier (the feed rows, before Synapse and the bridge started) and, where the run "
        "has them, the endpoint's requests timed back to back (each sent when the last answer "
        "came; before this change also while the bridge's start-up refresh still ran), with "
        "their ratio.",
        "- **trending**: the endpoint reads the ranking stored by the background refresh; "
        "\"refresh\" is the time of one refresh (rank every like of 24 hours, store the top "
        "1,000), three in a row; \"before\" is what the old code paid per uncached request "
        "(the ranking, then the posts with recounted counts).",
        "- **API posts**: POST `/api/social/posts` against PUT `/rooms/{id}/send` with the same "
        "user's token and the same content into the same feed room, 8 in flight, alternating "
        "rounds in the same run.",
        "- **conversations**: a user in N groups (a message in each); our endpoint's first "
        "page (one initial /sync), later requests (incremental /sync), every page; before: "
        "the old code's requests replayed with the user's token (joined rooms, then per room "
        "its last event, name and encryption state).",
        "- **native**: real events. Authors post through our API on a real Synapse, the reader "
        "follows them; Matrix-native = GET `/rooms/{id}/messages?dir=b&limit=20` for every "
        "followed room (in parallel, and one after another) and a merge, checked to give the "
        "same 20 posts as our feed.",
        "- **ingest**: transactions of 50 events (20 posts, 20 ❤️ reactions, 10 thread "
        "comments) PUT one after another to `/_matrix/app/v1/transactions/{txnId}` of the "
        "running bridge and, in the same run, to a bare mautrix `AppService` whose only "
        "handler drops each event; then again to the bridge with the counter triggers "
        "dropped (the ingest of the code before issue 14).",
        "- **e2e**: POST `/api/social/posts` as the author; from the moment it is sent, the "
        "follower polls GET `/api/social/feed` (every 5 ms) and long-polls Synapse `/sync`.",
    ]


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
