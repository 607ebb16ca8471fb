"""The notification list and unread count on PostgreSQL at 1,000,000 notifications (issues 24
and 25): the viewer has 100,000 of them (likes grouped by post, comments, mentions), first with
no safety choices, then with 1,000 blocks, 100 mutes and 100 muted words of context
notifications (every read leaves their rows out, comments are looked at for her words).
`python -m bench.notifications` prints p50 and p99 of each call through the social layer, and
of the bare queries: the grouped read and the unread count as they were before the groups were
kept (upgrade v27; the SQL of main at 71170cb, kept in tests/test_notification_groups_db.py as
the oracle) beside the ones now, on the same rows and cursor, with /proc/loadavg. The unread
count stops at 100 since issue 25's reads (the bell shows 99+); the old count counted all."""

from __future__ import annotations

import asyncio
import statistics
import time

from mautrix.util.async_db import Database

from matrix_social.clock import now_ms
from matrix_social.db import notifications as notes_db
from matrix_social.db import upgrade_table
from matrix_social.ids import Identities
from matrix_social.social import cursor as cursors
from matrix_social.social.notifications import MAX_UNREAD, Notifications
from matrix_social.social.users import Users
from tests.harness import PostgresDatabase
from tests.test_notification_groups_db import OLD_GROUPS, OLD_UNREAD

ROWS = 1_000_000
HERS = 100_000
USERS = 10_000
RUNS = 50
VIEWER = "@u0:x"
# The grouped read as it was before blocks and mutes were applied (main at 72345f7), to
# compare the bare queries on the same rows.
BEFORE = (
    "SELECT group_key, MAX(id) AS id, MAX(ts) AS ts, MIN(type) AS type, "
    "MIN(post_id) AS post_id, MIN(comment_id) AS comment_id, MIN(via) AS via, "
    "COUNT(DISTINCT actor) AS actor_count FROM notification "
    "WHERE recipient = $1 GROUP BY group_key "
    "HAVING MAX(ts) < $2 OR (MAX(ts) = $2 AND MAX(id) < $3) "
    "ORDER BY MAX(ts) DESC, MAX(id) DESC LIMIT $4")


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


async def _time(call) -> tuple[float, float]:
    for _ in range(10):
        await call()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), _p(samples, 99)


async def seed(db: Database) -> None:
    """The rows, on one connection that plans every statement afresh: the triggers' plans
    (v27) made while the tables are empty pick any index starting with the recipient for the
    group's update, which the 70,000 likes of one recipient in one statement then make
    quadratic (20,000 rows took 245 s; planned afresh, 6 s)."""
    async with db.acquire() as conn:
        await conn.execute("SET plan_cache_mode = force_custom_plan")
        try:
            await _seed(conn)
        finally:
            await conn.execute("RESET plan_cache_mode")


async def _seed(db) -> None:
    # Her posts (10,000) and 20,000 comments on them; the rest of the rows go to others.
    await db.execute(
        "INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
        "SELECT '$p' || i, '!r0', $1, 'text', 'post ' || i, '{\"body\": \"x\"}', i "
        "FROM generate_series(1, 10000) i", VIEWER)
    await db.execute(
        "INSERT INTO comment (event_id, post_id, room_id, author, body, in_reply_to, ts) "
        "SELECT '$c' || i, '$p' || (i % 10000 + 1), '!r0', '@u' || (i % $1 + 1) || ':x', "
        "'comment number ' || i || CASE WHEN i % 50 = 0 THEN ' word7' ELSE '' END, NULL, i "
        "FROM generate_series(1, 20000) i", USERS - 1)
    # Hers: 70,000 likes (10,000 groups of 7), 20,000 comments, 10,000 mentions.
    await db.execute(
        "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, via, "
        "group_key, ts) SELECT $1, 'like', '@u' || (i % $2 + 1) || ':x', '$l' || i, "
        "'$p' || (i % 10000 + 1), NULL, NULL, 'like:$p' || (i % 10000 + 1), i * 10 "
        "FROM generate_series(1, 70000) i", VIEWER, USERS - 1)
    await db.execute(
        "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, via, "
        "group_key, ts) SELECT $1, 'comment', '@u' || (i % $2 + 1) || ':x', '$c' || i, "
        "'$p' || (i % 10000 + 1), '$c' || i, NULL, 'comment:$c' || i, i * 35 "
        "FROM generate_series(1, 20000) i", VIEWER, USERS - 1)
    await db.execute(
        "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, via, "
        "group_key, ts) SELECT $1, 'mention', '@u' || (i % $2 + 1) || ':x', '$m' || i, "
        "'$p' || (i % 10000 + 1), NULL, NULL, 'mention:$m' || i, i * 70 "
        "FROM generate_series(1, 10000) i", VIEWER, USERS - 1)
    await db.execute(
        "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, via, "
        "group_key, ts) SELECT '@u' || (i % $1 + 1) || ':x', 'like', '@u0:x', '$o' || i, "
        "'$q' || i, NULL, NULL, 'like:$q' || i, i FROM generate_series(1, $2) i",
        USERS - 1, ROWS - HERS)
    await db.execute("ANALYZE")


async def _safety(db: Database) -> None:
    now = now_ms()
    await db.execute(
        "INSERT INTO user_block (owner, blocked, via, ts) SELECT $1, '@u' || (i * 7) || ':x', "
        "NULL, i FROM generate_series(1, 1000) i", VIEWER)
    await db.execute(
        "INSERT INTO user_mute (owner, muted, expires_at, ts) SELECT $1, "
        "'@u' || (i * 7 + 3) || ':x', CASE WHEN i % 2 = 0 THEN NULL ELSE CAST($2 AS BIGINT) END, i "
        "FROM generate_series(1, 100) i", VIEWER, now + 3_600_000)
    await db.execute(
        "INSERT INTO muted_word (owner, word, feed, notifications, expires_at, ts) "
        "SELECT $1, 'word' || i, false, true, NULL, i FROM generate_series(1, 100) i", VIEWER)
    await db.execute("ANALYZE")


async def main() -> None:
    pg = PostgresDatabase()
    await pg.create()
    db = Database.create(pg.url, upgrade_table=upgrade_table)
    await db.start()
    try:
        started = time.perf_counter()
        await seed(db)
        print(f"seeded in {time.perf_counter() - started:.0f} s (load {_load()})", flush=True)
        ids = Identities(domain="x", bot_localpart="social", ai_suffix="_ai",
                         platform_prefixes={})
        notes = Notifications(db, Users(ids, None))
        for label in ("no blocks, mutes or words", "1,000 blocks, 100 mutes, 100 words"):
            if label.startswith("1,000"):
                await _safety(db)
            first = await notes.page(VIEWER, None, None, 20)
            deep = first["next_cursor"]
            for _ in range(49):
                deep = (await notes.page(VIEWER, deep, None, 20))["next_cursor"]
            deep_at = cursors.decode(deep, (int, int))
            old = OLD_GROUPS.format(types="")
            figures = {
                "bare grouped query before blocks and mutes": lambda: db.fetch(
                    BEFORE, VIEWER, 2**62, 2**62, 21),
                "bare grouped query before v27 (old), first page": lambda o=old: db.fetch(
                    o, VIEWER, now_ms(), 2**62, 2**62, 21),
                "bare page read (new), first page": lambda: notes_db.groups(
                    db, VIEWER, None, None, 21),
                "bare grouped query before v27 (old), page 50": lambda o=old, d=deep_at: db.fetch(
                    o, VIEWER, now_ms(), *d, 21),
                "bare page read (new), page 50": lambda d=deep_at: notes_db.groups(
                    db, VIEWER, None, d, 21),
                "bare unread count before v27 (old)": lambda: db.fetchval(
                    OLD_UNREAD, VIEWER, now_ms()),
                "bare unread count (new, up to 100)": lambda: notes_db.unread_count(
                    db, VIEWER, None, MAX_UNREAD),
                "list, first page (20)": lambda: notes.page(VIEWER, None, None, 20),
                "list, page 50 by cursor": lambda d=deep: notes.page(VIEWER, d, None, 20),
                "unread count (all unread)": lambda: notes.unread_count(VIEWER),
            }
            for name, call in figures.items():
                p50, p99 = await _time(call)
                print(f"{label} | {name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
                      f"(load {_load()})", flush=True)
    finally:
        await db.stop()
        await pg.drop()


if __name__ == "__main__":
    asyncio.run(main())
