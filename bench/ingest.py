"""Appservice transaction ingest: transactions of 50 events (posts, likes, comments) PUT to
the bridge's real `/_matrix/app/v1/transactions/{txnId}` (hs_token, txn guard, mautrix
deserialisation, ingest into the index), against a bare mautrix AppService whose handler drops
the same events. Same transactions, same client, one after the other in one run.

The events belong to feed rooms whose index rows are seeded first (the transactions are built
here, not sent by the homeserver, so the rate is the bridge's, not Synapse's).
"""

from __future__ import annotations

import asyncio
import secrets
import time

import aiohttp
from mautrix.appservice import AppService
from mautrix.util.async_db import Database, Scheme

from matrix_social import events as ev
from matrix_social.db.upgrade import v09_post_counters as counters
from matrix_social.devstack.ports import reserve_port

EVENTS_PER_TXN = 50
ROOMS = 20


def _room(i: int, domain: str) -> tuple[str, str]:
    return f"!ingest{i}:{domain}", f"@ingest{i}:{domain}"


def build_transactions(count: int, domain: str) -> list[list[dict]]:
    """Each transaction: 20 posts, 20 likes and 10 comments (likes and comments on posts of
    this or an earlier transaction)."""
    txns: list[list[dict]] = []
    posts: list[tuple[str, str]] = []
    ts = int(time.time() * 1000)
    n = 0
    for t in range(count):
        events: list[dict] = []
        for k in range(EVENTS_PER_TXN):
            n += 1
            ts += 1
            room_id, owner = _room(n % ROOMS, domain)
            base = {"room_id": room_id, "event_id": f"$ing{t}_{k}_{secrets.token_hex(3)}",
                    "origin_server_ts": ts, "unsigned": {"age": 1}}
            kind = k % 5
            if kind in (0, 1) or not posts:
                events.append({**base, "type": "m.room.message", "sender": owner, "content": {
                    "msgtype": "m.text", "body": f"ingested post {n}",
                    ev.POST_BLOCK: {ev.POST_KIND: "text"}}})
                posts.append((room_id, base["event_id"]))
            elif kind in (2, 3):
                post_room, post_id = posts[-1 - (n % min(len(posts), 40))]
                events.append({**base, "room_id": post_room, "type": "m.reaction",
                               "sender": f"@fan{n % 97}:{domain}", "content": {
                                   "m.relates_to": {"rel_type": "m.annotation",
                                                    "event_id": post_id, "key": ev.LIKE_KEY}}})
            else:
                post_room, post_id = posts[-1 - (n % min(len(posts), 40))]
                events.append({**base, "room_id": post_room, "type": "m.room.message",
                               "sender": f"@fan{n % 97}:{domain}", "content": {
                                   "msgtype": "m.text", "body": f"comment {n}",
                                   "m.relates_to": {"rel_type": ev.THREAD_REL,
                                                    "event_id": post_id}}})
        txns.append(events)
    return txns


EXISTING_POSTS = 5000


async def seed_rooms(db: Database, domain: str) -> None:
    """The feed rooms, and earlier posts, likes and comments in them, then statistics: as on
    a server that has run for a while. (PostgreSQL keeps a prepared statement's plan once it
    settles on one; made while the tables were nearly empty, it scans them in full and the
    rate falls as they grow: 36k to 12k events/s over 16k events in a test.)"""
    await db.executemany(
        "INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1, $2, 0) "
        "ON CONFLICT DO NOTHING", [_room(i, domain) for i in range(ROOMS)])
    ts = int(time.time() * 1000) - 86_400_000
    posts = [(f"$old{k}:{domain}", *_room(k % ROOMS, domain), ts + k)
             for k in range(EXISTING_POSTS)]
    await db.executemany(
        "INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
        "VALUES ($1, $2, $3, 'text', 'earlier', '{}', $4) ON CONFLICT DO NOTHING", posts)
    await db.executemany(
        "INSERT INTO post_like (event_id, post_id, user_id, ts) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        [(f"$oldlike{k}", posts[k][0], f"@fan{k % 97}:{domain}", posts[k][3] + 1)
         for k in range(EXISTING_POSTS)])
    await db.executemany(
        "INSERT INTO comment (event_id, post_id, room_id, author, body, ts) "
        "VALUES ($1, $2, $3, $4, 'earlier', $5) ON CONFLICT DO NOTHING",
        [(f"$oldcomment{k}", posts[k][0], posts[k][1], f"@fan{k % 97}:{domain}",
          posts[k][3] + 2) for k in range(0, EXISTING_POSTS, 2)])
    await db.execute("ANALYZE")


async def push(base_url: str, hs_token: str, txns: list[list[dict]]) -> float:
    """PUT every transaction in order (as a homeserver does); events per second."""
    prefix = secrets.token_hex(4)
    headers = {"Authorization": f"Bearer {hs_token}"}
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        for i, events in enumerate(txns):
            url = f"{base_url}/_matrix/app/v1/transactions/{prefix}{i}"
            async with session.put(url, json={"events": events}, headers=headers) as resp:
                assert resp.status == 200, f"transaction {i}: {resp.status} {await resp.text()}"
        elapsed = time.perf_counter() - start
    return sum(len(e) for e in txns) / elapsed


async def bare_rate(txns: list[list[dict]], domain: str) -> float:
    """The same transactions into a bare mautrix AppService whose handler drops them."""
    hs_token = secrets.token_hex(16)
    port = reserve_port()
    az = AppService(server="http://127.0.0.1:9", domain=domain, as_token=secrets.token_hex(16),
                    hs_token=hs_token, bot_localpart="bare", id="bare", log="bench.bare")
    az.synchronous_handlers = True
    az.event_handlers.clear()
    dropped = 0

    @az.matrix_event_handler
    async def drop(_event) -> None:
        nonlocal dropped
        dropped += 1

    await az.start("127.0.0.1", port)
    try:
        rate = await push(f"http://127.0.0.1:{port}", hs_token, txns)
    finally:
        await az.stop()
    assert dropped == sum(len(e) for e in txns), dropped
    return rate


# The counter triggers of db/upgrade/v09_post_counters.py, as (trigger, table).
COUNTER_TRIGGERS = [(f"{table}_count_{op}", table) for table in ("post_like", "comment")
                    for op in ("insert", "delete")]
SQLITE_ONLY = [("post_repost_count_insert", "post"), ("post_repost_count_delete", "post")]
POSTGRES_ONLY = [("post_count_insert", "post"), ("post_count_delete", "post")]


async def restore_counters(db: Database) -> None:
    """The triggers again, as db/upgrade/v09_post_counters.py creates them (the counts of the
    rows written meanwhile are not caught up: this database is thrown away after the run)."""
    statements = counters._COUNTERS_SQLITE if db.scheme == Scheme.SQLITE \
        else [s for s in counters._COUNTERS_POSTGRES if s.startswith("CREATE TRIGGER")]
    for statement in statements:
        await db.execute(statement)


async def drop_counters(db: Database) -> None:
    """Without the counter triggers: ingest as it was before issue 14."""
    if db.scheme == Scheme.SQLITE:
        for trigger, _ in COUNTER_TRIGGERS + SQLITE_ONLY:
            await db.execute(f"DROP TRIGGER {trigger}")
    else:
        for trigger, table in COUNTER_TRIGGERS + POSTGRES_ONLY:
            await db.execute(f"DROP TRIGGER {trigger} ON {table}")


async def measure(bridge, txn_count: int) -> dict:
    """`bridge`: the running SocialBridge (in this process), on its own database. Ours with the
    counters, the bare AppService, ours without the counters (the triggers dropped), and ours
    with them again (so the order does not favour either)."""
    domain = bridge.services.ids.domain
    await seed_rooms(bridge.db, domain)
    warm, timed = build_transactions(2, domain), build_transactions(txn_count, domain)
    url = f"http://127.0.0.1:{bridge.config['appservice.port']}"
    await push(url, bridge.az.hs_token, warm)
    ours = await push(url, bridge.az.hs_token, timed)
    await _check_indexed(bridge.db, warm + timed)
    bare_txns = build_transactions(txn_count, domain)
    await bare_rate(build_transactions(2, domain), domain)
    bare = await bare_rate(bare_txns, domain)
    await drop_counters(bridge.db)
    without = await push(url, bridge.az.hs_token, build_transactions(txn_count, domain))
    await restore_counters(bridge.db)
    again = await push(url, bridge.az.hs_token, build_transactions(txn_count, domain))
    await asyncio.sleep(0)
    ours_mean = (ours + again) / 2
    return {"events": txn_count * EVENTS_PER_TXN, "ours_eps": ours_mean, "ours_runs": [ours, again],
            "bare_eps": bare, "ratio": ours_mean / bare, "no_counters_eps": without}


async def _check_indexed(db: Database, txns: list[list[dict]]) -> None:
    """Every post, like and comment sent is in the index (the rate counts stored events)."""
    events = [e for t in txns for e in t]
    likes = sum(e["type"] == "m.reaction" for e in events)
    comments = sum("m.relates_to" in e["content"] for e in events) - likes
    posts = len(events) - likes - comments
    found = (
        await db.fetchval("SELECT COUNT(*) FROM post WHERE room_id LIKE '!ingest%' "
                          "AND event_id NOT LIKE '$old%'"),
        await db.fetchval("SELECT COUNT(*) FROM post_like l JOIN post p ON p.event_id = "
                          "l.post_id WHERE p.room_id LIKE '!ingest%' "
                          "AND l.event_id NOT LIKE '$old%'"),
        await db.fetchval("SELECT COUNT(*) FROM comment WHERE room_id LIKE '!ingest%' "
                          "AND event_id NOT LIKE '$old%'"),
    )
    assert found == (posts, likes, comments), f"indexed {found}, sent {(posts, likes, comments)}"
