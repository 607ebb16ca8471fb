"""Which PostgreSQL index for post search (issue 28): tsvector + GIN against pg_trgm's GIN,
for a common and a rare word, first page (20) newest first, on N synthetic posts made
server-side (8 words each, log-uniform over 5,000 words; a rare word in 20 posts).

`python -m bench.search_index [--posts N]`; prints the figures (not part of the main run).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time

import asyncpg

ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"

QUERIES = {
    "tsvector + GIN": "SELECT event_id FROM p WHERE tsv @@ plainto_tsquery('simple', $1) "
                      "ORDER BY ts DESC, event_id DESC LIMIT 20",
    "pg_trgm GIN (word match)": "SELECT event_id FROM p WHERE body ~* ('\\m' || $1 || '\\M') "
                                "ORDER BY ts DESC, event_id DESC LIMIT 20",
    "pg_trgm GIN (substring)": "SELECT event_id FROM p WHERE body ILIKE '%' || $1 || '%' "
                               "ORDER BY ts DESC, event_id DESC LIMIT 20",
}


async def run(posts: int, runs: int) -> None:
    name = f"matrix_social_search_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(f"postgres://postgres@127.0.0.1:5432/{name}")
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        started = time.perf_counter()
        await conn.execute(
            "CREATE TABLE p AS SELECT '$p' || i AS event_id, i::bigint AS ts, "
            "(SELECT string_agg('v' || floor(exp(random() * ln(5000)))::int, ' ') "
            " FROM generate_series(1, 8) WHERE i > 0) AS body FROM generate_series(1, $1) i",
            posts)
        await conn.execute("UPDATE p SET body = body || ' rareword' WHERE ts % ($1 / 20) = 0",
                           posts)
        await conn.execute("ALTER TABLE p ADD COLUMN tsv tsvector "
                           "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED")
        await conn.execute("CREATE INDEX p_ts ON p (ts DESC, event_id DESC)")
        for index, sql in (("tsv", "CREATE INDEX p_tsv ON p USING GIN (tsv)"),
                           ("trgm", "CREATE INDEX p_trgm ON p USING GIN (body gin_trgm_ops)")):
            t = time.perf_counter()
            await conn.execute(sql)
            size = await conn.fetchval(f"SELECT pg_size_pretty(pg_relation_size('p_{index}'))")
            print(f"index {index}: built in {time.perf_counter() - t:.1f} s, {size}")
        await conn.execute("VACUUM ANALYZE p")
        print(f"{posts:,} posts made in {time.perf_counter() - started:.0f} s")
        for word in ("v1", "rareword"):
            matches = await conn.fetchval(
                "SELECT COUNT(*) FROM p WHERE tsv @@ plainto_tsquery('simple', $1)", word)
            for label, sql in QUERIES.items():
                times = []
                for _ in range(runs):
                    t = time.perf_counter()
                    await conn.fetch(sql, word)
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                print(f"{word} ({matches:,} matches) {label}: p50 "
                      f"{statistics.median(times):.2f} ms, p99 "
                      f"{times[min(len(times) - 1, int(0.99 * len(times)))]:.2f} ms")
    finally:
        await conn.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_index")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.posts, args.runs))


if __name__ == "__main__":
    main()
