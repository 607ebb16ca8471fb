"""Where the notification list's time goes, statement by statement (issue 25): the seed of
bench/notifications.py (the viewer's 100,000 rows among 1,000,000; `--others` makes the others'
share smaller), with 1,000 blocks, 100 mutes and 100 muted words. Every statement that
`Notifications.page` (first page, page 50) and `.unread_count` send is recorded, then timed
alone as the service sends it (a prepared statement run again: p50 of 20 runs), with JIT off,
and planned afresh each time (no generic plan); `--plans` prints EXPLAIN (ANALYZE, BUFFERS) of
each, as a custom and as a generic plan.

    python -m bench.notifications_profile [--others 900000] [--plans] [--keep NAME]

`--keep NAME` seeds the database NAME once and keeps it for the next run (drop it after).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import asyncpg
from mautrix.util.async_db import Database

from bench import notifications as bench
from matrix_social.db import upgrade_table
from matrix_social.ids import Identities
from matrix_social.social.notifications import Notifications
from matrix_social.social.users import Users
from tests.harness import POSTGRES_ADMIN_DSN, PostgresDatabase

RUNS = 20
VARIANTS = {"as sent": (), "jit off": ("SET jit = off",),
            "custom plans": ("SET plan_cache_mode = force_custom_plan",)}


class Recording:
    """The database, with every statement sent through it kept (query, args)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.scheme = db.scheme
        self.statements: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.db, name)
        if name not in ("fetch", "fetchval", "fetchrow", "execute"):
            return call

        async def recorded(query: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append((query, args))
            return await call(query, *args, **kwargs)
        return recorded


def _notifications(db: Any) -> Notifications:
    return Notifications(db, Users(Identities(
        domain="x", bot_localpart="social", ai_suffix="_ai", platform_prefixes={}), None))


async def _timed(url: str, settings: tuple[str, ...], query: str, args: tuple) -> float:
    conn = await asyncpg.connect(url)
    try:
        for setting in settings:
            await conn.execute(setting)
        samples = []
        for _ in range(RUNS):
            start = time.perf_counter()
            await conn.fetch(query, *args)
            samples.append((time.perf_counter() - start) * 1000)
        return statistics.median(samples)
    finally:
        await conn.close()


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def _plan(url: str, mode: str, query: str, args: tuple) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement as PostgreSQL plans it in `mode`: a named
    prepared statement run with the arguments (EXPLAIN of the query with bound arguments would
    plan them as constants, a custom plan whatever the mode)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"SET plan_cache_mode = {mode}")
        types = [t.name for t in (await conn.prepare(query)).get_parameters()]
        await conn.execute(f"PREPARE profiled ({', '.join(types)}) AS {query}")
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE profiled "
                                f"({', '.join(_literal(a) for a in args)})")
        return "\n".join("     " + row[0] for row in rows)
    finally:
        await conn.close()


async def _profile(db: Database, url: str, label: str, call, plans: bool) -> None:
    recording = Recording(db)
    start = time.perf_counter()
    await call(_notifications(recording))
    total = (time.perf_counter() - start) * 1000
    print(f"\n== {label}: {len(recording.statements)} statements, {total:.2f} ms in all "
          f"(load {bench._load()})", flush=True)
    for number, (query, args) in enumerate(recording.statements, 1):
        times = [f"{name} {await _timed(url, settings, query, args):.2f}"
                 for name, settings in VARIANTS.items()]
        print(f"-- {number}. p50 ms: {', '.join(times)}: {' '.join(query.split())[:150]}",
              flush=True)
        if plans:
            for mode in ("force_custom_plan", "force_generic_plan"):
                print(f"   {mode}:\n{await _plan(url, mode, query, args)}", flush=True)


async def _database(keep: str | None) -> tuple[PostgresDatabase, bool]:
    """The database to profile, and whether it still needs its rows."""
    pg = PostgresDatabase()
    if keep is None:
        await pg.create()
        return pg, True
    pg.name = keep
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        found = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", keep)
    finally:
        await admin.close()
    if not found:
        await pg.create()
    return pg, not found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--others", type=int, default=bench.ROWS - bench.HERS,
                        help="rows to other recipients (the bench has 900,000)")
    parser.add_argument("--plans", action="store_true", help="print every plan")
    parser.add_argument("--keep", help="seed this database once and keep it")
    options = parser.parse_args()
    bench.ROWS = bench.HERS + options.others
    pg, empty = await _database(options.keep)
    db = Database.create(pg.url, upgrade_table=upgrade_table)
    await db.start()
    try:
        if empty:
            started = time.perf_counter()
            await bench.seed(db)
            await bench._safety(db)
            print(f"seeded {bench.ROWS} rows in {time.perf_counter() - started:.0f} s "
                  f"(load {bench._load()})", flush=True)
        plain = _notifications(db)
        deep = (await plain.page(bench.VIEWER, None, None, 20))["next_cursor"]
        for _ in range(49):  # as bench/notifications.py walks
            deep = (await plain.page(bench.VIEWER, deep, None, 20))["next_cursor"]
        await _profile(db, pg.url, "list, first page (20)",
                       lambda n: n.page(bench.VIEWER, None, None, 20), options.plans)
        await _profile(db, pg.url, "list, page 50 by cursor",
                       lambda n: n.page(bench.VIEWER, deep, None, 20), options.plans)
        await _profile(db, pg.url, "unread count", lambda n: n.unread_count(bench.VIEWER),
                       options.plans)
    finally:
        await db.stop()
        if options.keep is None:
            await pg.drop()


if __name__ == "__main__":
    asyncio.run(main())
