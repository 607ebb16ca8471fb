"""Where the feed endpoint's tail comes from: the endpoint and its bare query timed interleaved,
request by request, on a smaller seed, with the bridge run under bench/probe.py (timers around
GC, the request, the feed's stages and the trending refresh) so each slow request can be
matched with what happened in the bridge (and in this process) while it ran.

    .venv/bin/python -m bench.feed_tail [--posts 200000] [--runs 1000] [--variants base freeze]

Variants run as separate bridge processes on the same database at the same time, their
requests interleaved with each other and with the bare query, so a burst of load on the
machine lands on all of them alike. A variant is a PROBE_GC setting (bench/probe.py)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp

from matrix_social.devstack.bridge_config import write_bridge_config
from matrix_social.social.feed_plan import FeedPlanner
from tests.harness import Stack

from .__main__ import quiet_logs
from .api import FEED, _deep_url, _get, wait_for_refresh
from .bridge_proc import BridgeProcess
from .queries import ROWS, _deep_cursor
from .seed import SHAPES, BenchDatabase, seed
from .sizes import FULL
from .stats import median, p99

VIEWERS = {shape: f"bench_{shape}" for shape in SHAPES}

client_gc: list[tuple] = []
_gc_started = [0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        client_gc.append(("gc", _gc_started[0], time.perf_counter(), info["generation"]))


class ProbedBridge(BridgeProcess):
    def __init__(self, config: Path, api_url: str, log: Path, env: dict[str, str]) -> None:
        super().__init__(config, api_url, log)
        self.env = env

    def _spawn(self) -> None:
        import subprocess
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.probe", "-c", str(self.config), "-n"],
            stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **self.env})

    async def events(self) -> dict:
        out = Path(self.env["PROBE_OUT"])
        _unlink(out)
        self.process.send_signal(signal.SIGUSR1)
        for _ in range(100):
            await asyncio.sleep(0.1)
            try:
                return json.loads(_read(out))
            except (OSError, ValueError):
                continue
        raise RuntimeError("the probe wrote nothing")


def _unlink(path: Path) -> None:
    path.unlink(missing_ok=True)


def _read(path: Path) -> str:
    return path.read_text()


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _set_refresh(config: Path, seconds: int) -> None:
    text = config.read_text()
    assert "trending_refresh_seconds: 60" in text
    config.write_text(text.replace("trending_refresh_seconds: 60",
                                   f"trending_refresh_seconds: {seconds}"))


def _copy_config(src: Path, dst: Path, port: int) -> None:
    text = src.read_text()
    old = text.split("appservice:", 1)[1]
    port_line = next(line for line in old.splitlines() if line.strip().startswith("port:"))
    address_line = next(line for line in old.splitlines()
                        if line.strip().startswith("address:"))
    text = text.replace(port_line, port_line.split(":")[0] + f": {port}", 1)
    text = text.replace(address_line, address_line.split(":")[0]
                        + f": http://127.0.0.1:{port}", 1)
    dst.write_text(text)


async def measure(args) -> None:
    sizes = dataclasses.replace(FULL, posts=args.posts)  # quiet's page 50 needs >= 180,000
    root = Path(tempfile.mkdtemp(prefix="feed-tail-"))
    stack = Stack(root / "stack", "postgres")
    seeded = BenchDatabase("postgres", root)
    await seeded.create()
    bridges: dict[str, ProbedBridge] = {}
    try:
        db = await seeded.open()
        started = time.perf_counter()
        info = await seed(db, sizes, {s: stack.mxid(u) for s, u in VIEWERS.items()})
        print(f"seeded {info.posts:,} posts, {info.likes:,} likes in "
              f"{time.perf_counter() - started:.0f} s; load {_load()}", flush=True)
        await stack.start()
        quiet_logs()
        await stack.stop_bridge()
        config = stack.root / "config.yaml"
        write_bridge_config(config, stack.root / "registration.yaml",
                            homeserver_url=stack.synapse.url, domain=stack.domain,
                            port=stack.as_port, database=seeded.url, log_level="WARNING")
        if args.refresh_seconds:
            _set_refresh(config, args.refresh_seconds)
        tokens = {shape: (await stack.synapse.register_user(user, "bench-password"))
                  ["access_token"] for shape, user in VIEWERS.items()}
        from tests.harness import reserve_port
        for i, variant in enumerate(args.variants):
            port = stack.as_port if i == 0 else reserve_port()
            cfg = config if i == 0 else stack.root / f"config-{variant}.yaml"
            if i:
                _copy_config(config, cfg, port)
            bridges[variant] = ProbedBridge(
                cfg, f"http://127.0.0.1:{port}/api/social", root / f"bridge-{variant}.log",
                {"PROBE_OUT": str(root / f"probe-{variant}.json"), "PROBE_GC": variant})
        started_ms = int(time.time() * 1000)
        await asyncio.gather(*(b.start() for b in bridges.values()))
        print(f"bridges up: {list(bridges)}; load {_load()}", flush=True)
        if args.wait_refresh:
            await wait_for_refresh(db, started_ms)
            for bridge in bridges.values():  # each bridge's own start-up refresh
                for _ in range(600):
                    if any(ev[0] == "trending_refresh"
                           for ev in (await bridge.events())["events"]):
                        break
                    await asyncio.sleep(0.5)
            waited = time.time() - started_ms / 1000
            print(f"start-up refresh done after {waited:.1f} s", flush=True)
        gc.callbacks.append(_on_gc)
        samples = await _interleaved(db, info.viewers, tokens, bridges, sizes, args.runs,
                                     args.shapes)
        bridge_events = {v: await b.events() for v, b in bridges.items()}
        memory = {v: b.memory_mb() for v, b in bridges.items()}
        await db.stop()
        result = {"samples": samples, "bridges": bridge_events, "client_gc": client_gc,
                  "memory": memory, "load": _load(), "sizes": dataclasses.asdict(sizes)}
        _write(Path(args.out), json.dumps(result))
        print(f"wrote {args.out}; load {_load()}", flush=True)
    finally:
        for b in bridges.values():
            if b.process is not None:
                await b.stop()
        await stack.stop()
        await seeded.drop()


async def _interleaved(db, viewers, tokens, bridges, sizes, runs, shapes) -> list[tuple]:
    """Per shape and page, `runs` rounds; each round one bare query and one request to each
    bridge, in a shuffled order. Returns (who, shape, page, start, end)."""
    planner = FeedPlanner(db)
    # Run-queue waits (ms) around each call: this process's thread, and the bridge's main
    # thread (its event loop) for a request.
    me = f"/proc/self/task/{threading.get_native_id()}/schedstat"
    own = {"bare": [me]}
    for variant, bridge in bridges.items():
        pid = bridge.process.pid
        own[variant] = [me, f"/proc/{pid}/task/{pid}/schedstat"]
    stat_paths = dict(own)
    sessions = {shape: aiohttp.ClientSession(headers={"Authorization": f"Bearer {tokens[shape]}"})
                for shape in SHAPES}
    samples = []
    rng = random.Random(7)
    try:
        targets = []
        for shape in shapes:
            viewer = viewers[shape]
            cursor = await _deep_cursor(planner, viewer, sizes.deep_page)
            for page, cur in (("first", None), ("deep", cursor)):
                calls = {"bare": (lambda v=viewer, c=cur: planner.page(v, c, ROWS))}
                for variant, bridge in bridges.items():
                    url = bridge.api_url + FEED if cur is None else await _deep_url(
                        sessions[shape], bridge.api_url, sizes.deep_page)
                    calls[variant] = (lambda s=sessions[shape], u=url: _get(s, u))
                targets.append((shape, page, calls))
        for shape, page, calls in targets:
            for fn in calls.values():
                for _ in range(3):
                    await fn()
            backends = [f"/proc/{r['pid']}/task/{r['pid']}/schedstat" for r in await db.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]
            for who in calls:  # the database's server processes, summed, last
                stat_paths[who] = [*own[who], backends]
            order = list(calls)
            for _ in range(runs):
                rng.shuffle(order)
                for who in order:
                    waits = [_run_delay(path) for path in stat_paths[who]]
                    start = time.perf_counter()
                    await calls[who]()
                    end = time.perf_counter()
                    waits = [_run_delay(path) - w
                             for path, w in zip(stat_paths[who], waits, strict=True)]
                    samples.append((who, shape, page, start, end, *waits))
            print(f"  {shape} {page}: load {_load()}", flush=True)
    finally:
        for session in sessions.values():
            await session.close()
    return samples


def analyse(path: str) -> None:
    data = json.loads(Path(path).read_text())
    samples = data["samples"]
    print(f"load at the end {data['load']}; memory {data['memory']}")
    groups: dict = {}
    for who, shape, page, start, end, *_ in samples:
        groups.setdefault((shape, page), {}).setdefault(who, []).append((start, end))
    for (shape, page), by in groups.items():
        bare = [(e - s) * 1000 for s, e in by["bare"]]
        line = [f"{shape:>7} {page:>5}: bare p50 {median(bare):.2f} p99 {p99(bare):.2f}"]
        for who, spans in by.items():
            if who == "bare":
                continue
            ms = [(e - s) * 1000 for s, e in spans]
            line.append(f"{who} p50 {median(ms):.2f} p99 {p99(ms):.2f} "
                        f"({median(ms) / median(bare):.1f}x, {p99(ms) / p99(bare):.1f}x)")
        print("; ".join(line))
    _refresh_split(data)
    _run_queue(data)
    for who, probe in data["bridges"].items():
        _attribute(who, probe, samples, data["client_gc"])


def _run_queue(data: dict) -> None:
    """How much of the slowest 1% is time spent waiting for a CPU (run queue), per kind."""
    by: dict = {}
    for who, _shape, _page, s, e, *waits in data["samples"]:
        by.setdefault(who, []).append(((e - s) * 1000, waits))
    print("run-queue waits (the client thread, the bridge's loop thread, PostgreSQL's server "
          "processes), ms:")
    for who, rows in by.items():
        rows.sort(key=lambda r: r[0])
        typical = median([r[0] for r in rows])
        slow = rows[-max(1, len(rows) // 100):]
        extra = sum(r[0] for r in slow) / len(slow) - typical
        n = min(len(r[1]) for r in rows)
        waited = [sum(r[1][i] for r in slow) / len(slow) for i in range(n)]
        usual = [median([r[1][i] for r in rows]) for i in range(n)]
        print(f"  {who:>7}: median {typical:.2f}; slowest 1% {extra:+.2f} over it on average, "
              f"their run-queue waits {[round(w, 2) for w in waited]} (median of all "
              f"{[round(w, 2) for w in usual]})")


def _refresh_split(data: dict) -> None:
    """Each kind's timings while a trending refresh (of any bridge) ran, and while none did."""
    spans = [(ev[1], ev[2]) for probe in data["bridges"].values() for ev in probe["events"]
             if ev[0] == "trending_refresh"]
    split: dict = {}
    for who, _shape, _page, s, e, *_ in data["samples"]:
        during = any(a < e and b > s for a, b in spans)
        split.setdefault((who, during), []).append((e - s) * 1000)
    print(f"refreshes: {len(spans)}, {sum(b - a for a, b in spans):.1f} s in all")
    for (who, during), ms in sorted(split.items()):
        print(f"  {who:>7} {'during a refresh' if during else 'no refresh     '}: n={len(ms)} "
              f"p50 {median(ms):.2f} p90 {sorted(ms)[int(len(ms) * 0.9)]:.2f} "
              f"p99 {p99(ms):.2f}")


def _run_delay(path: str | list[str]) -> float:
    """Time the thread has spent waiting on a run queue (ready but not running), ms; for a
    list of them, the sum."""
    if isinstance(path, list):
        return sum(_run_delay(p) for p in path)
    try:
        with open(path) as f:  # noqa: ASYNC230 (a /proc read: microseconds)
            return int(f.read().split()[1]) / 1e6
    except OSError:
        return 0.0


def _overlap(span, events, kinds=None):
    s, e = span
    return [ev for ev in events if (kinds is None or ev[0] in kinds)
            and ev[1] < e and ev[2] > s]


def _attribute(who: str, probe: dict, samples: list, client_gc: list) -> None:
    events = probe["events"]
    gcs = [ev for ev in events if ev[0] == "gc"]
    pauses = sorted((ev[2] - ev[1]) * 1000 for ev in gcs)
    by_gen = {g: [(ev[2] - ev[1]) * 1000 for ev in gcs if ev[3] == g] for g in (0, 1, 2)}
    print(f"\n[{who}] objects {probe['objects']}, frozen {probe['frozen']}, threshold "
          f"{probe['gc_threshold']}; GCs during the run: " + ", ".join(
              f"gen{g} n={len(v)} max {max(v, default=0):.2f} ms" for g, v in by_gen.items()))
    if pauses:
        print(f"  GC pauses p50 {median(pauses):.3f} ms, max {pauses[-1]:.2f} ms")
    mine = [(s, e, shape, page, *waits) for w, shape, page, s, e, *waits in samples
            if w == who]
    mine.sort(key=lambda x: x[1] - x[0], reverse=True)
    slow = mine[:max(1, len(mine) // 100)]
    print(f"  slowest 1% ({len(slow)} of {len(mine)}):")
    counts = {"bridge gc": 0, "client gc": 0, "trending": 0, "none": 0}
    for s, e, shape, page, *waits in slow:
        bits = [f"run-queue wait: client {waits[0]:.2f}, bridge {waits[1]:.2f}, "
                f"postgres {waits[2]:.2f}"] if len(waits) == 3 else []
        span = (s, e)
        for ev in _overlap(span, gcs):
            bits.append(f"bridge gen{ev[3]} gc {(ev[2] - ev[1]) * 1000:.2f}")
        for ev in _overlap(span, client_gc):
            bits.append(f"client gen{ev[3]} gc {(ev[2] - ev[1]) * 1000:.2f}")
        if _overlap(span, events, {"trending_refresh"}):
            bits.append("trending refresh running")
        req = _overlap(span, events, {"request"})
        stages = _overlap(span, events, {"plan_page", "external_page", "cross_posts", "auth",
                                         "feed_page"})
        server = ", ".join(f"{ev[0]} {(ev[2] - ev[1]) * 1000:.2f}" for ev in req + stages)
        print(f"    {(e - s) * 1000:6.2f} ms {shape} {page}: {'; '.join(bits) or '-'} | {server}")
        counts["bridge gc"] += any("bridge gen" in b for b in bits)
        counts["client gc"] += any("client gen" in b for b in bits)
        counts["trending"] += any("trending" in b for b in bits)
        counts["none"] += not any("gc" in b or "trending" in b for b in bits)
    print(f"  overlaps among the slowest: {counts}")
    refreshes = [ev for ev in events if ev[0] == "trending_refresh"]
    print(f"  trending refreshes: {[(round(ev[2] - ev[1], 2)) for ev in refreshes]}")
    if refreshes and mine:
        first = min(s for s, *_ in mine)
        print(f"  first refresh ran from {refreshes[0][1] - first:+.2f} s to "
              f"{refreshes[0][2] - first:+.2f} s of the first timed request")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feed_tail")
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--variants", nargs="+", default=["base"])
    parser.add_argument("--out", default="/tmp/feed-tail.json")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=SHAPES)
    parser.add_argument("--refresh-seconds", type=int,
                        help="the bridges' trending refresh period (default: as configured, 60)")
    parser.add_argument("--wait-refresh", action="store_true",
                        help="start timing once the bridges' start-up trending refresh is done")
    parser.add_argument("--analyse", metavar="JSON", help="only analyse a saved run")
    args = parser.parse_args()
    if not args.analyse:
        asyncio.run(measure(args))
    analyse(args.analyse or args.out)


if __name__ == "__main__":
    main()
