"""One command for every benchmark figure; prints them and writes BENCHMARKS.md.

    .venv/bin/python -m bench [--smoke] [--out BENCHMARKS.md] [--backends postgres sqlite]

Per database backend: seed the index directly and time the bare queries; start a real Synapse
with the bridge in this process and measure the Matrix-native comparison, post-to-visible, the
conversations list and transaction ingest; then restart the bridge as its own process on the
seeded database and time its HTTP endpoints, API posts against bare sends, and read its memory.
PostgreSQL: 127.0.0.1:5432, user postgres, trust auth; every database is created for the run
and dropped after it.
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

from matrix_social.devstack.bridge_config import write_bridge_config
from tests.harness import Stack

from . import api, api_posts, conversations, e2e, ingest, native, queries, report
from .bridge_proc import BridgeProcess
from .seed import SHAPES, BenchDatabase, seed
from .sizes import FULL, SMOKE, Sizes

VIEWERS = {shape: f"bench_{shape}" for shape in SHAPES}
POSTER = "bench_poster"
log = logging.getLogger("bench")


def quiet_logs() -> None:
    """The test harness starts the bridge with DEBUG logging; measure it as deployed."""
    for name in ("", "mau", "matrix_social", "aiohttp", "nio"):
        logging.getLogger(name).setLevel(logging.WARNING)


def say(text: str) -> None:
    print(text, flush=True)


async def run_backend(kind: str, sizes: Sizes, root: Path) -> dict:
    out: dict = {}
    stack = Stack(root / f"stack-{kind}", kind)
    seeded = BenchDatabase(kind, root)
    await seeded.create()
    try:
        say(f"[{kind}] seeding {sizes.posts:,} posts ...")
        db = await seeded.open()
        try:
            start = time.perf_counter()
            seeded_info = await seed(db, sizes, {s: stack.mxid(u) for s, u in VIEWERS.items()})
            out["seed_s"] = time.perf_counter() - start
            out["seed"] = {"posts": seeded_info.posts, "likes": seeded_info.likes}
            say(f"[{kind}] seeded in {out['seed_s']:.1f} s; timing the bare queries ...")
            out["sql"] = await queries.measure(db, seeded_info, sizes)
        finally:
            await db.stop()
        say(f"[{kind}] starting Synapse and the bridge ...")
        await stack.start()
        quiet_logs()
        say(f"[{kind}] Matrix-native vs ours ({sizes.native_rooms} rooms) ...")
        out["native"] = await native.measure(stack, sizes.native_rooms, sizes.native_posts,
                                             sizes.native_runs)
        say(f"[{kind}] post -> visible ({sizes.e2e_posts} posts) ...")
        out["e2e"] = await e2e.measure(stack, sizes.e2e_posts)
        say(f"[{kind}] conversations ({sizes.conversation_rooms} rooms) ...")
        out["conversations"] = await conversations.measure(stack, sizes.conversation_rooms,
                                                           sizes.conversation_runs)
        say(f"[{kind}] transaction ingest ({sizes.ingest_txns} x 50 events) ...")
        out["ingest"] = await ingest.measure(stack.bridge, sizes.ingest_txns)
        await stack.stop_bridge()
        say(f"[{kind}] the bridge as its own process on the seeded database ...")
        write_bridge_config(stack.root / "config.yaml", stack.root / "registration.yaml",
                            homeserver_url=stack.synapse.url, domain=stack.domain,
                            port=stack.as_port, database=seeded.url, log_level="WARNING")
        tokens = {shape: (await stack.synapse.register_user(user, "bench-password"))
                  ["access_token"] for shape, user in VIEWERS.items()}
        poster = await stack.synapse.register_user(POSTER, "bench-password")
        bridge = BridgeProcess(stack.root / "config.yaml", stack.api_url,
                               stack.root / "bridge-process.log")
        started_ms = int(time.time() * 1000)
        await bridge.start()
        db = await seeded.open()
        try:
            out["api"] = await api.measure(bridge, tokens, sizes, db, seeded_info.viewers,
                                           started_ms)
            say(f"[{kind}] API posts vs bare sends ({sizes.api_posts} each) ...")
            out["api_posts"] = await api_posts.measure(stack.api_url, stack.synapse.url,
                                                       poster["access_token"], sizes.api_posts)
            out["api"]["memory"]["after_posts"] = bridge.memory_mb()
        finally:
            await db.stop()
            await bridge.stop()
    finally:
        await stack.stop()
        await seeded.drop()
    return out


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: seconds, for CI")
    parser.add_argument("--out", default="BENCHMARKS.md", help="where to write the report")
    parser.add_argument("--backends", nargs="+", default=["postgres", "sqlite"],
                        choices=["postgres", "sqlite"])
    parser.add_argument("--results", help="also write the raw results (JSON) here")
    parser.add_argument("--render", metavar="RESULTS",
                        help="write the report from a --results file instead of measuring")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    if args.render:
        saved = json.loads(_read(Path(args.render)))
        results, info = saved["results"], saved["info"]
    else:
        results, info = await _measure(args.backends, sizes)
        if args.results:
            _write(Path(args.results), json.dumps({"results": results, "info": info}))
    figs = report.figures(results, sizes)
    for f in figs:
        met = {True: "met", False: "MISSED", None: "reported"}[f.met]
        say(f"{f.key:<22} {f.measured}  [target {f.target}: {met}]")
    _write(Path(args.out), report.render(figs, results, sizes, args.smoke, info) + "\n"
           + _kept_sections(Path(args.out)))
    say(f"wrote {args.out}")


async def _measure(backends: list[str], sizes: Sizes) -> tuple[dict, dict]:
    started = time.monotonic()
    info = {"date": report.now_utc(), "load_before": _load(), "machine": report.machine(),
            "postgres": await report.postgres_version()}
    results = {}
    with tempfile.TemporaryDirectory(prefix="matrix-social-bench-") as tmp:
        for kind in backends:
            results[kind] = await run_backend(kind, sizes, Path(tmp))
    info["load_after"] = _load()
    info["duration_s"] = time.monotonic() - started
    return results, info


def _kept_sections(path: Path) -> str:
    """Sections other benches wrote into the report (bench/images.py, bench/reads.py, …),
    kept as they were."""
    text = _read(path) if path.exists() else ""
    return "".join(f"\n{section}\n" for section in report.marked_sections(text))


def _read(path: Path) -> str:
    return path.read_text()


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    asyncio.run(main())
