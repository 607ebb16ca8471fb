"""One command for every benchmark figure; prints them and writes BENCHMARKS.md.

    .venv/bin/python -m bench [--smoke] [--out BENCHMARKS.md] [--backends postgres sqlite]

Per database backend: seed the index directly and time the bare queries; start a real Synapse
with the bridge in this process and measure the Matrix-native comparison, post-to-visible and
transaction ingest; then restart the bridge as its own process on the seeded database and time
its HTTP endpoints and read its memory. PostgreSQL: 127.0.0.1:5432, user postgres, trust auth;
every database is created for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from matrix_social.devstack.bridge_config import write_bridge_config
from tests.harness import Stack

from . import api, e2e, ingest, native, queries, report
from .bridge_proc import BridgeProcess
from .seed import BenchDatabase, seed
from .sizes import FULL, SMOKE, Sizes

VIEWER = "benchviewer"
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
            seeded_info = await seed(db, sizes, stack.mxid(VIEWER))
            out["seed_s"] = time.perf_counter() - start
            say(f"[{kind}] seeded in {out['seed_s']:.1f} s; timing the bare queries ...")
            out["sql"] = await queries.measure(db, stack.mxid(VIEWER), seeded_info["now"],
                                               sizes.runs)
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
        say(f"[{kind}] transaction ingest ({sizes.ingest_txns} x 50 events) ...")
        out["ingest"] = await ingest.measure(stack.bridge, sizes.ingest_txns)
        await stack.stop_bridge()
        say(f"[{kind}] the bridge as its own process on the seeded database ...")
        write_bridge_config(stack.root / "config.yaml", stack.root / "registration.yaml",
                            homeserver_url=stack.synapse.url, domain=stack.domain,
                            port=stack.as_port, database=seeded.url, log_level="WARNING")
        viewer = await stack.synapse.register_user(VIEWER, "bench-viewer-password")
        bridge = BridgeProcess(stack.root / "config.yaml", stack.api_url,
                               stack.root / "bridge-process.log")
        await bridge.start()
        try:
            out["api"] = await api.measure(bridge, viewer["access_token"], sizes.runs)
        finally:
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
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    started = time.monotonic()
    info = {"date": report.now_utc(), "load_before": _load(), "machine": report.machine(),
            "postgres": await report.postgres_version()}
    results = {}
    with tempfile.TemporaryDirectory(prefix="matrix-social-bench-") as tmp:
        for kind in args.backends:
            results[kind] = await run_backend(kind, sizes, Path(tmp))
    info["load_after"] = _load()
    info["duration_s"] = time.monotonic() - started
    figs = report.figures(results)
    for f in figs:
        met = {True: "met", False: "MISSED", None: "reported"}[f.met]
        say(f"{f.key:<22} {f.measured}  [target {f.target}: {met}]")
    _write(Path(args.out), report.render(figs, results, sizes, args.smoke, info) + "\n")
    say(f"wrote {args.out}")


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    asyncio.run(main())
