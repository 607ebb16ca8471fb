"""Reliability: transactions applied once, kill -9 inside a transaction, /health with the
database or the homeserver down, load with 50 clients.

Other reliability points live next to the code they exercise:
- transaction resent with the same id: test_foundation.py (sequential retry, after a restart)
  and here (resent while the first delivery is still in flight);
- drop the index and reindex: test_reindex.py;
- hostile input: test_hostile_input.py; security: test_security.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import asyncpg
import pytest
from nio import RoomSendResponse

from .harness import POSTGRES_ADMIN_DSN, api, api_ok, eventually, room_texts


def q(event_id: str) -> str:
    return quote(event_id, safe="")


# 1. The homeserver resends a transaction id: processed once -------------------------------


async def test_transaction_resent_while_the_first_is_in_flight_is_applied_once(stack):
    """Synapse resends a transaction when a request times out, possibly while the first is
    still being processed; both deliveries of the same id must apply the events once."""
    alice = await stack.register("alice")
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "liked concurrently"})
    token = stack.config["appservice.hs_token"]
    txn_id = f"inflight-{os.urandom(4).hex()}"
    events = [{
        "type": "m.room.message", "room_id": post["room_id"], "sender": alice.user_id,
        "event_id": f"$inflight{i}-{txn_id}", "origin_server_ts": int(time.time() * 1000),
        "content": {"msgtype": "m.text", "body": f"resent {i}",
                    "m.relates_to": {"rel_type": "m.thread", "event_id": post["id"],
                                     "is_falling_back": True,
                                     "m.in_reply_to": {"event_id": post["id"]}}},
    } for i in range(5)]
    real_handle = stack.bridge.services.ingest.handle
    applied: list[str] = []

    async def slow_handle(raw):
        if raw["event_id"].endswith(txn_id):
            applied.append(raw["event_id"])
            await asyncio.sleep(0.05)
        await real_handle(raw)

    stack.bridge.services.ingest.handle = slow_handle
    try:
        url = f"{stack.appservice_url}/_matrix/app/v1/transactions/{txn_id}"
        results = await asyncio.gather(*[
            stack.request("PUT", url, json={"events": events}, token=token) for _ in range(3)])
    finally:
        stack.bridge.services.ingest.handle = real_handle
    assert [status for status, _ in results] == [200, 200, 200], results
    assert sorted(applied) == sorted(e["event_id"] for e in events), applied
    assert await stack.bridge.db.fetchval(
        "SELECT COUNT(*) FROM appservice_txn WHERE txn_id LIKE $1", f"{txn_id}/%") == 1
    got = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", alice)
    assert got["counts"]["comments"] == 5
    comments = await api_ok(stack, "GET", f"/posts/{q(post['id'])}/comments?limit=100", alice)
    assert sorted(c["id"] for c in comments["items"]) == sorted(e["event_id"] for e in events)


# 2. kill -9 of the bridge while the homeserver delivers posts ------------------------------


async def _index_of(stack, user) -> dict[str, dict]:
    """Every post of the user's feed by id; fails on a duplicate."""
    items, cursor = [], None
    for _ in range(100):
        path = "/feed?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = await api_ok(stack, "GET", path, user)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "a post appears twice in the feed"
    return {item["id"]: item for item in items}


async def test_kill_9_inside_a_transaction_loses_and_duplicates_nothing(process_stack):
    """The bridge process is held (txn_guard's test-only hook) where a transaction's posts are
    gathered but neither written nor marked processed, and killed there with SIGKILL; more
    posts arrive while it is down. After the restart the homeserver resends the cut-off
    transaction: every post is indexed once, every like counted once."""
    stack = process_stack
    alice, bob = await stack.register("alice"), await stack.register("bob")
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "room exists"})
    room_id = first["room_id"]
    await api_ok(stack, "POST", "/follow", bob, json={"handle": alice.localpart})
    alice_client, bob_client = stack.nio(alice), stack.nio(bob)
    sent: list[str] = []
    likes: list[str] = []

    async def post(i: int) -> str:
        resp = await alice_client.room_send(room_id, "m.room.message",
                                            {"msgtype": "m.text", "body": f"post {i}"})
        assert isinstance(resp, RoomSendResponse), resp
        sent.append(resp.event_id)
        if i % 2 == 0:
            like = await bob_client.room_send(room_id, "m.reaction", {"m.relates_to": {
                "rel_type": "m.annotation", "event_id": resp.event_id, "key": "❤️"}})
            assert isinstance(like, RoomSendResponse), like
            likes.append(resp.event_id)
        return resp.event_id

    # Delivery is in order: once this post is indexed, the echoes of the setup are handled,
    # so the transaction held next is one of the posts below.
    barrier = await post(1)
    await eventually(lambda: _has(stack, alice, barrier), timeout=60, what="barrier indexed")

    async def sender() -> None:
        for i in range(2, 22):
            await post(i)
            await asyncio.sleep(0.02)

    held_file = Path(f"{stack.hold_path}.held")
    await asyncio.to_thread(held_file.unlink, missing_ok=True)
    await asyncio.to_thread(stack.hold_path.touch)  # armed: the next transaction with index
    sending = asyncio.create_task(sender())         # writes is held
    try:
        async def held_posts() -> list[str] | None:
            return await asyncio.to_thread(_read_json, held_file)

        held = await eventually(held_posts, timeout=60, interval=0.05,
                                what="the bridge held inside a transaction")
        indexed = await _index_of(stack, alice)
        assert held and set(held) <= set(sent) and not set(held) & set(indexed), \
            ("the held transaction's posts must be gathered, not yet stored", held)
        stack.kill_bridge()
    finally:
        await asyncio.to_thread(stack.hold_path.unlink, missing_ok=True)
        await asyncio.wait_for(sending, timeout=120)
    for i in range(22, 30):  # and more while the appservice is certainly down
        await post(i)
    await stack.start_bridge()
    # Sent after everything else, so delivered after everything else: once its like is
    # counted, every earlier transaction has been handled (stored, or lost).
    last = await post(30)

    async def last_liked() -> bool:
        indexed = await _index_of(stack, alice)
        return last in indexed and indexed[last]["counts"]["likes"] == 1

    await eventually(last_liked, timeout=180, interval=0.5, what="the last post and its like")
    indexed = await _index_of(stack, alice)
    missing = [e for e in sent if e not in indexed]
    assert missing == [], f"lost {len(missing)} posts (held: {held})"
    assert set(indexed) == {*sent, first["id"]}
    wrong = {e: indexed[e]["counts"]["likes"] for e in sent
             if indexed[e]["counts"]["likes"] != (1 if e in likes else 0)}
    assert wrong == {}, "likes lost or counted twice"
    assert len(sent) == 30


def _read_json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


async def _has(stack, user, event_id: str) -> bool:
    return event_id in await _index_of(stack, user)


# 2b. kill -9 while a request holds an Idempotency-Key: the retry takes the claim over ------


async def test_a_retry_after_a_crash_takes_the_dead_claim_over_at_once(process_stack):
    """Issue 22, finding 13. A POST /posts with an Idempotency-Key is in flight (held there by
    a homeserver stopped with SIGSTOP) when the service is killed with SIGKILL; the client
    retries with the same key as soon as the service is back. The first retry is answered
    201 (not 409 until the 120 s stale limit), and the post exists once: in the index and on
    the homeserver. A claim held by another live process (a replica, its lease fresh) is
    still 409; once its lease has expired, the retry takes it over."""
    stack = process_stack
    alice = await stack.register("alice")
    room_id = (await api_ok(stack, "POST", "/posts", alice, json={"text": "feed"}))["room_id"]
    key = f"crash-{os.urandom(6).hex()}"
    text = f"posted through a crash {key}"
    db = await asyncpg.connect(stack.postgres.url)
    try:
        synapse = stack.synapse.process.pid
        await api_ok(stack, "GET", "/feed", alice)  # her token checked now, kept for 5 s
        os.kill(synapse, signal.SIGSTOP)
        try:
            in_flight = asyncio.create_task(api(stack, "POST", "/posts", alice,
                                                json={"text": text},
                                                headers={"Idempotency-Key": key}))

            async def claimed() -> str | None:
                return await db.fetchval("SELECT holder FROM idempotent_request "
                                         "WHERE key=$1 AND status IS NULL", key)

            holder = await eventually(claimed, timeout=30, interval=0.05,
                                      what="the key claimed by the request in flight")
            assert await db.fetchval("SELECT pid FROM service_process WHERE id=$1",
                                     holder) == stack.process.pid
            stack.kill_bridge()
        finally:
            os.kill(synapse, signal.SIGCONT)
        cut_off = (await asyncio.gather(in_flight, return_exceptions=True))[0]
        assert isinstance(cut_off, Exception), f"the request was answered: {cut_off}"
        await stack.start_bridge()
        status, retried = await api(stack, "POST", "/posts", alice, json={"text": text},
                                    headers={"Idempotency-Key": key})
        assert status == 201, (status, retried)
        again = await api_ok(stack, "POST", "/posts", alice, json={"text": text},
                             headers={"Idempotency-Key": key})
        assert again["id"] == retried["id"]
        feed = await _index_of(stack, alice)
        assert [p["id"] for p in feed.values() if p["text"] == text] == [retried["id"]]
        events = await room_texts(stack.nio(alice), room_id)
        assert [e["event_id"] for e in events if e["type"] == "m.room.message"
                and e["content"].get("body") == text] == [retried["id"]]

        # A replica elsewhere holds a claim, its lease fresh: 409; expired: taken over.
        replica, other = f"replica-{os.urandom(4).hex()}", f"other-{os.urandom(6).hex()}"
        made = await api_ok(stack, "POST", "/posts", alice, json={"text": other},
                            headers={"Idempotency-Key": other})
        await db.execute("INSERT INTO service_process (id, host, pid, started, heartbeat_at) "
                         "VALUES ($1, 'another-machine/pid:[1]', 1, '1', $2)",
                         replica, int(time.time() * 1000))
        await db.execute("UPDATE idempotent_request SET status=NULL, response=NULL, "
                         "holder=$2, created_at=$3 WHERE key=$1", other, replica,
                         int(time.time() * 1000))
        status, body = await api(stack, "POST", "/posts", alice, json={"text": other},
                                 headers={"Idempotency-Key": other})
        assert (status, body["errcode"]) == (409, "M_CONFLICT"), body
        await db.execute("UPDATE service_process SET heartbeat_at=$2 WHERE id=$1", replica,
                         int(time.time() * 1000) - 60_000)
        taken = await api_ok(stack, "POST", "/posts", alice, json={"text": other},
                             headers={"Idempotency-Key": other})
        assert taken["id"] == made["id"]
    finally:
        await db.close()


# 3. /health with the database or the homeserver down (on the process stack) --------


async def _health(stack) -> tuple[int, dict, float]:
    start = time.monotonic()
    status, body = await asyncio.wait_for(
        stack.request("GET", f"{stack.api_url}/health"), timeout=10)
    return status, body, time.monotonic() - start


async def _healthy_again(stack) -> None:
    async def ok() -> bool:
        return (await _health(stack))[0] == 200

    await eventually(ok, timeout=180, what="health back to 200")


async def test_health_names_the_database_when_it_is_down(process_stack):
    """The bridge's PostgreSQL database refuses connections and its open ones are cut."""
    stack = process_stack
    name = stack.postgres.name
    admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname=$1 AND pid <> pg_backend_pid()", name)

        async def no_connections() -> bool:
            return await admin.fetchval("SELECT COUNT(*) FROM pg_stat_activity "
                                        "WHERE datname=$1", name) == 0

        await eventually(no_connections, timeout=10, what="the bridge's connections gone")
        # Let the bridge see its connections close before it uses them (asyncpg reports a
        # connection terminated under a running query as an internal error; the service
        # survives that, bridge.prepare_db, but health would name that error instead).
        await asyncio.sleep(0.5)
        status, body, seconds = await _health(stack)
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    assert (status, body["status"]) == (503, "degraded"), body
    assert seconds < 2, f"health took {seconds:.1f} s"
    assert body["database"]["ok"] is False and body["database"]["error"], body
    assert body["homeserver"]["ok"] is True, body
    await _healthy_again(stack)


async def test_health_names_the_homeserver_when_it_does_not_answer(process_stack):
    """Synapse stopped with SIGSTOP: connections are accepted, nothing is answered."""
    stack = process_stack
    pid = stack.synapse.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        status, body, seconds = await _health(stack)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert (status, body["status"]) == (503, "degraded"), body
    assert seconds < 2, f"health took {seconds:.1f} s"
    assert body["homeserver"]["ok"] is False and body["homeserver"]["error"], body
    assert body["database"]["ok"] is True, body
    await _healthy_again(stack)


# 4. Load: 50 concurrent API clients -------------------------------------------------------


def _post_made_by(user_id: str, text: str):
    def check(status: int, body) -> bool:
        return (status == 201 and isinstance(body, dict) and isinstance(body.get("id"), str)
                and body["id"].startswith("$") and body.get("author", {}).get("user_id") == user_id
                and body.get("text") == text and body.get("counts", {}).get("likes") == 0)
    return check


def _feed_page(status: int, body) -> bool:
    return (status == 200 and isinstance(body, dict) and isinstance(body.get("items"), list)
            and 0 < len(body["items"]) <= 20 and "next_cursor" in body
            and all(isinstance(p.get("id"), str) and isinstance(p.get("counts"), dict)
                    for p in body["items"]))


def _liked(post_id: str):
    def check(status: int, body) -> bool:
        return (status == 200 and isinstance(body, dict) and body.get("id") == post_id
                and body.get("liked") is True and body.get("counts", {}).get("likes", 0) >= 1)
    return check


def _following(user_id: str):
    def check(status: int, body) -> bool:
        return (status == 200 and isinstance(body, dict) and body.get("user_id") == user_id
                and body.get("following") is True)
    return check


async def _load(stack, seconds: float, clients: int = 50) -> dict:
    """`clients` post, like and read; every answer must be the one its endpoint promises
    (status and body), so an API that refuses (4xx) or answers garbage fails the test."""
    users = await asyncio.gather(*[stack.register("load") for _ in range(clients)])
    statuses: dict[tuple[str, int], int] = {}
    wrong: list[str] = []
    acknowledged: list[tuple[int, str]] = []
    timed_ops = [0]
    rng = random.Random(4)
    plans = [rng.random() for _ in range(clients)]
    timeout = aiohttp.ClientTimeout(total=60)
    sem = asyncio.Semaphore(10)

    async def call(session, endpoint: str, method: str, path: str, expect, **kw):
        async with session.request(method, stack.api_url + path, **kw) as resp:
            body = await resp.json(content_type=None)
            key = (endpoint, resp.status)
            statuses[key] = statuses.get(key, 0) + 1
            if not expect(resp.status, body):
                wrong.append(f"{method} {path}: {resp.status} {str(body)[:200]}")
            return resp.status, body

    def session_of(user):
        return aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {user.access_token}"}, timeout=timeout)

    async def create_post(session, index: int, text: str) -> None:
        status, body = await call(session, "post", "POST", "/posts",
                                  _post_made_by(users[index].user_id, text), json={"text": text})
        if status == 201:
            acknowledged.append((index, body["id"]))

    async def prepare(index: int) -> None:
        """Not timed: follows (room joins) and a first post, so there is something to like."""
        async with sem, session_of(users[index]) as session:
            if index > 0:
                followed = users[index - 1]
                await call(session, "follow", "POST", "/follow", _following(followed.user_id),
                           json={"handle": followed.localpart})
            await create_post(session, index, f"first {index}")

    await asyncio.gather(*[prepare(i) for i in range(clients)])
    deadline = time.monotonic() + seconds

    async def client(index: int) -> None:
        step = 0
        async with session_of(users[index]) as session:
            # At least two requests each, however slow the machine: the load is a count as
            # much as a time (a busy CI machine once gave 82 requests in the 6 s).
            while step < 10_000 and (time.monotonic() < deadline or step < 2):
                step += 1
                roll = (plans[index] + step * 0.37) % 1.0
                if roll < 0.4:
                    await create_post(session, index, f"load {index}/{step} ✨")
                elif roll < 0.7:
                    await call(session, "feed", "GET", "/feed?limit=20", _feed_page)
                else:
                    target = acknowledged[rng.randrange(len(acknowledged))][1]
                    await call(session, "like", "POST", f"/posts/{q(target)}/like",
                               _liked(target))
                timed_ops[0] += 1

    await asyncio.gather(*[client(i) for i in range(clients)])
    by_endpoint = sorted(statuses.items())
    assert wrong == [], (f"{len(wrong)} answers not what the endpoint promises", by_endpoint,
                         wrong[:10])
    # the load really happened: every client worked during the timed phase, all three ways
    assert timed_ops[0] >= 2 * clients, (timed_ops, by_endpoint)
    assert {endpoint for endpoint, _ in statuses} == {"follow", "post", "feed", "like"}
    assert len(acknowledged) >= clients + 10, (len(acknowledged), by_endpoint)
    for chunk_start in range(0, len(acknowledged), 25):
        chunk = acknowledged[chunk_start:chunk_start + 25]
        results = await asyncio.gather(*[
            api(stack, "GET", f"/posts/{q(post_id)}", users[i]) for i, post_id in chunk])
        for (_, post_id), (status, body) in zip(chunk, results, strict=True):
            assert status == 200 and body["id"] == post_id, (post_id, status, body)
    print(f"load: {seconds:.0f} s, {clients} clients, {timed_ops[0]} timed requests, "
          f"statuses {by_endpoint}, {len(acknowledged)} acknowledged posts, all present")
    return {"statuses": statuses, "posts": len(acknowledged)}


async def test_load_20_clients_ci(stack):
    """The default variant: 6 s of 20 clients posting, liking and reading; every answer
    checked. (Each client is an account, a feed room, a follow and a first post before the
    timing starts: 50 of them took ~50 s of a worker on this 2-core machine; 50 clients for a
    minute are the long variant.)"""
    await _load(stack, float(os.environ.get("RELIABILITY_LOAD_SECONDS", "6")), clients=20)


@pytest.mark.slow
async def test_load_50_clients_60s(stack):
    await _load(stack, 60.0)
