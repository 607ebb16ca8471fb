"""API replicas (docs/replicas.md): the ingest process (the ProcessStack's bridge, receiving the
homeserver's transactions) and two `serve --role api` processes, each its own OS process, on
one Synapse and one PostgreSQL. What one replica does is seen through the other: a like, a
spent rate limit, a post in a feed, a pushed count on a stream held by the other."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import aiohttp
import asyncpg

from matrix_social.clock import now_ms
from matrix_social.devstack.bridge_config import write_bridge_config

from .harness import eventually, run_cli
from .process_bridge import ApiReplica


def q(event_id: str) -> str:
    return quote(event_id, safe="")


async def call(replica: ApiReplica, method: str, path: str, user=None, expect=(200, 201),
               **kwargs):
    status, body = await replica.stack.request(
        method, f"{replica.api_url}{path}", token=user.access_token if user else None, **kwargs)
    if expect is not None:
        assert status in expect, f"{replica.name} {method} {path}: {status} {body}"
    return status, body


async def next_event(response: aiohttp.ClientResponse, name: str, timeout: float = 30) -> dict:
    async def read() -> dict:
        event, data = None, None
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and event is not None:
                if event == name:
                    return data
                event, data = None, None
    return await asyncio.wait_for(read(), timeout)


async def test_two_api_replicas_and_the_ingest_process_share_one_truth(process_stack):
    stack = process_stack
    one, two = ApiReplica(stack, "replica-1"), ApiReplica(stack, "replica-2")
    try:
        await asyncio.gather(one.start(), two.start())
        alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]

        # A replica takes no transaction: the homeserver's go to the ingest process.
        status, body = await stack.request(
            "PUT", f"{one.url}/_matrix/app/v1/transactions/1", json={"events": []},
            headers={"Authorization": f"Bearer {stack.config['appservice.hs_token']}"})
        assert status == 404 and body["errcode"] == "M_UNRECOGNIZED", body

        # A follow through replica 1, a post through replica 2: in the feed read through 1.
        await call(one, "POST", "/follow", bob, json={"handle": alice.localpart})
        _, post = await call(two, "POST", "/posts", alice, json={"text": "made on two"})

        async def in_bobs_feed_on_one():
            _, feed = await call(one, "GET", "/feed", bob)
            return post["id"] in [item["id"] for item in feed["items"]]
        await eventually(in_bobs_feed_on_one, timeout=60, what="the post in the feed via 1")

        # Bob's stream on replica 2, opened with a ticket from replica 1, the post on screen
        # told to replica 1: carol's like through replica 1 is pushed by replica 2.
        _, ticket = await call(one, "POST", "/events/ticket", bob)
        await call(one, "POST", "/events/watch", bob, json={"post_ids": [post["id"]]})
        async with aiohttp.ClientSession() as session:
            stream = await session.get(
                f"{two.api_url}/events?ticket={quote(ticket['ticket'])}")
            assert stream.status == 200, await stream.text()
            await call(one, "POST", f"/posts/{q(post['id'])}/like", carol)
            counts = await next_event(stream, "counts")
            assert counts["post_id"] == post["id"] and counts["counts"]["likes"] == 1
            stream.close()

        # The like through replica 1 is seen through replica 2 (and by the ingest process).
        async def likes_on(replica: ApiReplica) -> int:
            _, seen = await call(replica, "GET", f"/posts/{q(post['id'])}", bob)
            return seen["counts"]["likes"]
        assert await likes_on(two) == 1
        await eventually(lambda: _equals(likes_on(one), 1), timeout=60, what="like via 1")

        # The AI rate limit: bob's AI may ask alice's AI per_hour times; all but one are
        # spent directly, the last through replica 1 (answered through the ingest process,
        # the answer passed to the replica that waits), then replica 2 refuses.
        ai, asker = stack.mxid(f"{alice.localpart}_ai"), stack.mxid(f"{bob.localpart}_ai")
        per_hour = stack.config["ai.rate_limit_per_hour"]
        conn = await asyncpg.connect(stack.postgres.url)
        try:
            for _ in range(per_hour - 1):
                await conn.execute("INSERT INTO ai_rate_event (ai, sender, ts) "
                                   "VALUES ($1, $2, $3)", ai, asker, now_ms())
        finally:
            await conn.close()
        _, answer = await call(one, "POST", "/ai/request", bob, json={
            "to": f"{alice.localpart}_ai", "content": "are you free?", "timeout": 30})
        assert answer["status"] == "ok", answer
        status, refused = await call(two, "POST", "/ai/request", bob, expect=None, json={
            "to": f"{alice.localpart}_ai", "content": "again?", "timeout": 30})
        assert status == 429 and refused["errcode"] == "M_LIMIT_EXCEEDED", refused
    finally:
        await asyncio.gather(one.stop(), two.stop())
    for replica in (one, two):  # started, served and stopped without an error
        log = replica.log_path.read_text(errors="replace")
        assert "[INFO@" in log and "Traceback" not in log and "[ERROR@" not in log, \
            replica.tail_log(80)


async def _equals(value, expected) -> bool:
    return await value == expected


async def test_an_api_replica_refuses_sqlite(tmp_path):
    write_bridge_config(tmp_path / "config.yaml", tmp_path / "registration.yaml",
                        homeserver_url="http://127.0.0.1:9", domain="example.test", port=9,
                        database=f"sqlite:{tmp_path / 'db.sqlite'}")
    code, _, err = await run_cli("serve", "-c", str(tmp_path / "config.yaml"), "-n",
                                 "--role", "api")
    assert code == 11
    assert "--role api needs PostgreSQL" in err
