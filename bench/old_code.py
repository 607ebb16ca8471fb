"""The figures of bench/changes.py BEFORE: the code before issue 14 (commit dbf2a80) measured
with this harness and seed (feed endpoint per viewer, first and deep page; trending and search
endpoints; HTTP floor; RSS; API posts against bare sends; conversations; ingest against bare).

It runs against the old package, not this one:

    mkdir /tmp/before && git archive dbf2a80 matrix_social tests | tar -x -C /tmp/before
    cp -r bench /tmp/before/ && cp matrix_social/db/pool.py /tmp/before/matrix_social/db/
    cd /tmp/before && PYTHONPATH=/tmp/before /path/to/.venv/bin/python -m bench.old_code

(pool.py only serves the seeding's own connection; the old bridge does not use it.) It
prints the results and writes them to results.json; they are copied into BEFORE by hand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import matrix_social

if (Path(matrix_social.__file__).parent / "social" / "feed_plan.py").exists():
    raise SystemExit("run this against the old package (see the docstring)")
from bench import api, api_posts, conversations, ingest
from bench.bridge_proc import BridgeProcess
from bench.seed import SHAPES, BenchDatabase, seed
from bench.sizes import FULL, SMOKE
from matrix_social.devstack.bridge_config import write_bridge_config
from tests.harness import Stack

VIEWERS = {shape: f"bench_{shape}" for shape in SHAPES}


async def run(kind: str, sizes) -> dict:
    out = {}
    root = Path(tempfile.mkdtemp(prefix=f"before-{kind}-"))
    stack = Stack(root / "stack", kind)
    seeded = BenchDatabase(kind, root)
    await seeded.create()
    try:
        db = await seeded.open()
        try:
            t = time.perf_counter()
            await seed(db, sizes, {s: stack.mxid(u) for s, u in VIEWERS.items()})
            out["seed_s"] = time.perf_counter() - t
        finally:
            await db.stop()
        await stack.start()
        for n in ("", "mau", "matrix_social", "aiohttp", "nio"):
            logging.getLogger(n).setLevel(logging.WARNING)
        out["conversations"] = await conversations.measure(stack, sizes.conversation_rooms,
                                                           sizes.conversation_runs)
        bridge = stack.bridge
        domain = bridge.identities.domain
        await ingest.seed_rooms(bridge.db, domain)
        url = f"http://127.0.0.1:{bridge.config['appservice.port']}"
        await ingest.push(url, bridge.az.hs_token, ingest.build_transactions(2, domain))
        ours = await ingest.push(url, bridge.az.hs_token,
                                 ingest.build_transactions(sizes.ingest_txns, domain))
        await ingest.bare_rate(ingest.build_transactions(2, domain), domain)
        bare = await ingest.bare_rate(ingest.build_transactions(sizes.ingest_txns, domain), domain)
        out["ingest"] = {"ours_eps": ours, "bare_eps": bare, "ratio": ours / bare}
        await stack.stop_bridge()
        write_bridge_config(stack.root / "config.yaml", stack.root / "registration.yaml",
                            homeserver_url=stack.synapse.url, domain=stack.domain,
                            port=stack.as_port, database=seeded.url, log_level="WARNING")
        tokens = {s: (await stack.synapse.register_user(u, "pw"))["access_token"]
                  for s, u in VIEWERS.items()}
        poster = await stack.synapse.register_user("bench_poster", "pw")
        proc = BridgeProcess(stack.root / "config.yaml", stack.api_url, root / "bridge.log")
        await proc.start()
        try:
            out["api"] = await api.measure(proc, tokens, sizes)
            out["api_posts"] = await api_posts.measure(stack.api_url, stack.synapse.url,
                                                       poster["access_token"], sizes.api_posts)
            out["api"]["memory"]["after_posts"] = proc.memory_mb()
        finally:
            await proc.stop()
    finally:
        await stack.stop()
        await seeded.drop()
    return out


async def main():
    sizes = SMOKE if "--smoke" in sys.argv else FULL
    results = {}
    for kind in ("postgres", "sqlite"):
        results[kind] = await run(kind, sizes)
        print(kind, json.dumps(results[kind], indent=1), flush=True)
    _write(Path("results.json"), json.dumps(results, indent=1))


def _write(path: Path, text: str) -> None:
    path.write_text(text)


if __name__ == "__main__":
    asyncio.run(main())
