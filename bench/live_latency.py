"""Like by B -> A's stream: the time from sending B's like through the API until A's
server-sent events stream carries the post's new counts (the web app paints them on arrival).
Then the same with many streams open on the one service process (`--streams`, 1,000 by
default: `--per-user` streams for each of streams/per-user users, every one of them watching
the liked posts, so each like is pushed to every stream), and the service's memory (VmRSS,
VmHWM) before and after. The service runs as its own process (`python -m matrix_social`), so
its memory is its own and the streams' readers do not share its event loop; PostgreSQL, a real
Synapse, loopback only:

    .venv/bin/python -m bench.live_latency [--likes 50] [--streams 1000] [--per-user 8]
        [--out BENCHMARKS.md]

With --out the section between `<!-- bench.live_latency:start -->` and `…:end -->` is
replaced (bench/report.py's put_section).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp

from tests.harness import Stack, User, api_ok

from .bridge_proc import service_as_process
from .report import put_section
from .stats import summary

TIMEOUT = 10.0
START = "<!-- bench.live_latency:start -->"
END = "<!-- bench.live_latency:end -->"
TARGET_RSS_MB = 150
OPEN_TIMEOUT = 120.0


async def _next_counts(response: aiohttp.ClientResponse, post_id: str) -> None:
    event = None
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "counts" \
                and json.loads(line[6:])["post_id"] == post_id:
            return


async def _drain(response: aiohttp.ClientResponse, seen: list[int]) -> None:
    """Read a stream as a browser would, counting its events, until it ends."""
    try:
        while True:
            line = await response.content.readline()
            if not line:
                return
            if line.startswith(b"event: counts"):
                seen[0] += 1
    except (aiohttp.ClientError, asyncio.CancelledError):
        return


async def likes_to_stream(stack: Stack, session: aiohttp.ClientSession, alice: User,
                          bob: User, likes: int) -> dict:
    """B likes `likes` fresh posts of A (plus one warm-up); A's one stream reads each."""
    posts = [await api_ok(stack, "POST", "/posts", alice, json={"text": f"live {i}"})
             for i in range(likes + 1)]
    return await likes_on(stack, session, alice, bob, posts)


async def open_streams(stack: Stack, session: aiohttp.ClientSession, watchers: list[User],
                       per_user: int, post_ids: list[str], seen: list[int]
                       ) -> list[asyncio.Task]:
    """per_user streams for each watcher, each watcher watching `post_ids`; read forever."""
    async def one(user: User) -> aiohttp.ClientResponse:
        response = await session.get(f"{stack.api_url}/events", headers={
            "Authorization": f"Bearer {user.access_token}"})
        assert response.status == 200, response.status
        await response.content.readline()  # retry: the stream is open
        return response

    readers = []
    deadline = time.monotonic() + OPEN_TIMEOUT
    for user in watchers:
        await api_ok(stack, "POST", "/events/watch", user, json={"post_ids": post_ids})
        for response in await asyncio.gather(*(one(user) for _ in range(per_user))):
            readers.append(asyncio.create_task(_drain(response, seen)))
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(readers)} streams open after {OPEN_TIMEOUT:.0f} s")
    return readers


async def run(likes: int, streams: int, per_user: int) -> dict:
    out: dict = {"likes": likes, "streams": streams, "per_user": per_user}
    with tempfile.TemporaryDirectory(prefix="matrix-social-bench-live-") as tmp:
        stack = Stack(Path(tmp) / "stack", "postgres")
        await stack.start()
        for name in ("", "mau", "matrix_social", "aiohttp"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            bridge = await service_as_process(stack)
            try:
                out["rss_start"] = bridge.memory_mb()
                alice, bob = await stack.register("alice"), await stack.register("bob")
                connector = aiohttp.TCPConnector(limit=0)
                async with aiohttp.ClientSession(connector=connector) as session:
                    one = await likes_to_stream(stack, session, alice, bob, likes)
                    out["one"] = one
                    print(f"1 stream: like -> stream p50 {one['p50']:.0f} ms, "
                          f"p99 {one['p99']:.0f} ms (n {one['n']})", flush=True)
                    if streams:
                        users = max(1, -(-streams // per_user))
                        watchers = [await stack.register("w") for _ in range(users)]
                        out["rss_before_streams"] = bridge.memory_mb()
                        seen = [0]
                        # they watch the posts the next round likes: made first
                        posts = [await api_ok(stack, "POST", "/posts", alice,
                                              json={"text": f"many {i}"})
                                 for i in range(likes + 1)]
                        ids = [p["id"] for p in posts]
                        readers = await open_streams(stack, session, watchers, per_user, ids,
                                                     seen)
                        out["open"] = len(readers)
                        out["rss_streams_open"] = bridge.memory_mb()
                        print(f"{len(readers)} streams open: service RSS "
                              f"{out['rss_streams_open']['rss']:.1f} MB", flush=True)
                        many = await likes_on(stack, session, alice, bob, posts)
                        out["many"] = many
                        out["rss_after"] = bridge.memory_mb()
                        out["pushed"] = seen[0]
                        print(f"{len(readers)} streams: like -> stream p50 {many['p50']:.0f} "
                              f"ms, p99 {many['p99']:.0f} ms (n {many['n']}); "
                              f"{seen[0]:,} counts events read by the others; service RSS "
                              f"{out['rss_after']['rss']:.1f} MB, peak "
                              f"{out['rss_after']['peak']:.1f} MB", flush=True)
                        for task in readers:
                            task.cancel()
                        await asyncio.gather(*readers, return_exceptions=True)
            finally:
                await bridge.stop()
        finally:
            await stack.stop()
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out["load"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return out


async def likes_on(stack: Stack, session: aiohttp.ClientSession, alice: User, bob: User,
                   posts: list[dict]) -> dict:
    """As likes_to_stream, on posts already made (and watched by the others too)."""
    await api_ok(stack, "POST", "/events/watch", alice,
                 json={"post_ids": [p["id"] for p in posts]})
    bob_headers = {"Authorization": f"Bearer {bob.access_token}"}
    times = []
    async with session.get(f"{stack.api_url}/events", headers={
            "Authorization": f"Bearer {alice.access_token}"}) as stream:
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


def markdown(r: dict) -> str:
    lines = [START, "## Live updates: a like by B until A's stream carries it", "",
             "Issue 25. `python -m bench.live_latency` (see its docstring): PostgreSQL, a real "
             "Synapse, the service as its own process (`python -m matrix_social`); A watches "
             "the posts (`POST /events/watch`) and holds one `GET /events` stream; B likes each "
             "post through the API; the time runs from sending the like until A's stream's "
             "`counts` event for that post is read (the web app paints it on arrival; the "
             "Chromium test `tests/test_web_live.py` shows it on screen, pushed). The first "
             "like is a warm-up. With many streams: the streams are held by other users "
             f"({r['per_user']} each, the most one user may hold), every one watching the "
             "liked posts, so each like is pushed to every stream; the bench reads them all "
             "in its own process. RSS is VmRSS of the service process, peak VmHWM.", "",
             f"Run {r['date']} on the 2-core machine shared with other jobs (load {r['load']}).",
             "", "| streams open | like → A's stream p50 | p99 | target | service RSS | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    one = r["one"]
    lines.append(f"| 1 | {one['p50']:.0f} ms | {one['p99']:.0f} ms | p50 ≤ 300 ms, p99 ≤ 1 s "
                 f"| {r['rss_start']['rss']:.1f} MB at start | "
                 f"{'yes' if one['p50'] <= 300 and one['p99'] <= 1000 else '**no**'} |")
    if "many" in r:
        many, after = r["many"], r["rss_after"]
        met = many["p99"] <= 1000 and after["peak"] < TARGET_RSS_MB
        lines.append(
            f"| {r['open']:,} (+ A's) | {many['p50']:.0f} ms | {many['p99']:.0f} ms | "
            f"p99 ≤ 1 s, RSS < {TARGET_RSS_MB} MB | {r['rss_streams_open']['rss']:.1f} MB "
            f"with the streams open, {after['rss']:.1f} MB after the likes (peak "
            f"{after['peak']:.1f} MB; {r['rss_before_streams']['rss']:.1f} MB before they "
            f"opened) | {'yes' if met else '**no**'} |")
        lines += ["", f"{r['pushed']:,} `counts` events were read by the other streams "
                      f"during the {many['n'] + 1} likes."]
    lines.append(END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.live_latency",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--likes", type=int, default=50)
    parser.add_argument("--streams", type=int, default=1000,
                        help="streams held by others during the second round (0: none)")
    parser.add_argument("--per-user", type=int, default=8)
    parser.add_argument("--results", help="write the raw results (JSON) here")
    parser.add_argument("--render", metavar="RESULTS",
                        help="write the section from a --results file instead of measuring")
    parser.add_argument("--out", help="put the section into this Markdown file")
    args = parser.parse_args(argv)
    results = (json.loads(Path(args.render).read_text()) if args.render
               else asyncio.run(run(args.likes, args.streams, args.per_user)))
    if args.results:
        Path(args.results).write_text(json.dumps(results, indent=1))
    section = markdown(results)
    print(section)
    if args.out:
        put_section(Path(args.out), section, START, END)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
