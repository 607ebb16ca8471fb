"""What the notification group triggers (upgrade v27) cost ingest, at the SQL level: the same
single-row notification INSERTs (as `db/notifications.derive` writes them, executemany, one
transaction per 50 like ingest's batches) into PostgreSQL with the triggers and after dropping
them (and the v27 group index on notification with them: the table then has v18's indexes),
three rounds alternating. `python -m bench.notification_triggers` prints rows per second of
each and the ratio. Not the whole ingest (bench/ingest.py: a bridge, transactions over HTTP):
the rows written besides the notifications (posts, likes, comments) are not counted, so the
ratio is an upper bound of the share in a whole transaction."""

from __future__ import annotations

import asyncio
import time

from mautrix.util.async_db import Database

from matrix_social.db import upgrade_table
from tests.harness import PostgresDatabase

ROWS = 20_000
BATCH = 50
GROUPS = 2_000
INSERT = ("INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, "
          "via, group_key, ts) VALUES ($1, 'like', $2, $3, $4, NULL, NULL, $5, $6) "
          "ON CONFLICT (recipient, event_id) DO NOTHING")


def _load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


async def _round(db: Database, tag: str) -> float:
    rows = [(f"@r{i % 200}:x", f"@a{i % 997}:x", f"${tag}{i}", f"$p{i % GROUPS}",
             f"like:$p{i % GROUPS}", i) for i in range(ROWS)]
    start = time.perf_counter()
    for at in range(0, ROWS, BATCH):
        async with db.acquire() as conn, conn.transaction():
            await conn.executemany(INSERT, rows[at:at + BATCH])
    return ROWS / (time.perf_counter() - start)


async def main() -> None:
    print("load", _load(), flush=True)
    results: dict[str, list[float]] = {"with triggers": [], "without": []}
    for n in range(3):
        for label in ("with triggers", "without"):
            pg = PostgresDatabase()
            await pg.create()
            db = Database.create(pg.url, upgrade_table=upgrade_table)
            await db.start()
            try:
                if label == "without":
                    await db.execute("DROP TRIGGER notification_group_add ON notification")
                    await db.execute("DROP TRIGGER notification_group_remove ON notification")
                    await db.execute("DROP INDEX notification_group_actor_idx")
                    await db.execute("CREATE INDEX notification_group_idx ON notification "
                                     "(recipient, group_key, id)")
                rate = await _round(db, f"e{n}")
                results[label].append(rate)
                print(f"round {n + 1}, {label}: {rate:,.0f} rows/s", flush=True)
            finally:
                await db.stop()
                await pg.drop()
    best = {label: max(rates) for label, rates in results.items()}
    print(f"best of 3: with triggers {best['with triggers']:,.0f} rows/s, without "
          f"{best['without']:,.0f} rows/s, ratio {best['with triggers'] / best['without']:.2f}")
    print("load", _load(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
