"""The API's writes survive a deadlock (issue 24): v26's triggers take advisory locks per
person-bucket (marks shared, blocks and unblocks exclusive) and row locks on the counters, so
a transaction holding several people's marks (an ingest batch: likes, then comments) and a
block of one of them at the same moment can wait for each other; PostgreSQL then fails one of
the two (40P01). The one on the API path is run again (db/retry.py) and the user's action goes
through, with the counts right.

The deadlocks here are real: the batch (and the block of the third test) are transactions on
connections of their own to the stack's database, the other side is the bridge's own write
through the API. Each is set up with wait points: the next statement is sent once
pg_blocking_pids shows the other side waiting for it. PostgreSQL ends the transaction whose
deadlock check finds the cycle; the raw transactions set a long deadlock_timeout, so that is
the API's. PostgreSQL looks for a deadlock once, deadlock_timeout after a statement began to
wait: the statement that closes the cycle must come before that, so the test databases have
5 s (tests/harness.py) where the default second is too short on a busy machine."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import quote

import asyncpg
import pytest

from matrix_social.db import blocks, comments, likes
from matrix_social.db.retry import ATTEMPTS, in_transaction
from matrix_social.db.upgrade.v26_blocked_mark_counts import BUCKETS
from matrix_social.errors import DatabaseBusy

from .harness import api, api_ok, eventually, two_connections

# The raw transactions' own deadlock check comes long after the API's (and after the test's
# bounds), so PostgreSQL always ends the API's transaction, never theirs.
_NOT_THE_VICTIM = "SET LOCAL deadlock_timeout = '600s'"
WAIT_SECONDS = 30


async def test_a_transaction_ended_for_another_writer_runs_again_then_gives_up(db):
    """db/retry.py, both databases: an attempt PostgreSQL ended (deadlock, serialization
    failure) is rolled back and run again from the start; after ATTEMPTS of them, DatabaseBusy;
    any other error at once."""
    await db.execute("CREATE TABLE attempt (n INTEGER NOT NULL)")
    runs: list[int] = []

    async def write(conn, failures: int, error: Exception) -> int:
        runs.append(len(runs) + 1)
        await conn.execute("INSERT INTO attempt (n) VALUES ($1)", runs[-1])
        if len(runs) <= failures:
            raise error
        return runs[-1]

    assert await in_transaction(db, write, 2, asyncpg.DeadlockDetectedError("deadlock")) == 3
    assert [r["n"] for r in await db.fetch("SELECT n FROM attempt")] == [3]

    runs.clear()
    with pytest.raises(DatabaseBusy) as busy:
        await in_transaction(db, write, ATTEMPTS, asyncpg.SerializationError("conflict"))
    assert len(runs) == ATTEMPTS and "try again" in str(busy.value)
    assert isinstance(busy.value.__cause__, asyncpg.SerializationError)

    runs.clear()
    with pytest.raises(asyncpg.UniqueViolationError):
        await in_transaction(db, write, 1, asyncpg.UniqueViolationError("duplicate"))
    assert len(runs) == 1
    assert [r["n"] for r in await db.fetch("SELECT n FROM attempt")] == [3]


def _q(value: str) -> str:
    return quote(value, safe="")


async def _two_buckets(stack, conn) -> tuple:
    """Bob and Carol, whose marks take different v26 locks (else the second waits on the first
    lock, before it holds anything the other wants)."""
    bucket = f"SELECT hashtext($1) & {BUCKETS - 1}"
    bob = await stack.register("bob")
    for _ in range(6):
        carol = await stack.register("carol")
        if await conn.fetchval(bucket, carol.user_id) != await conn.fetchval(bucket, bob.user_id):
            return bob, carol
    raise AssertionError("no Carol in another lock bucket than Bob's in 6 tries")


async def _waiting_for(watcher, pid: int, statement: str) -> int | None:
    """The backend running `statement` (a part of its text) that waits for backend `pid`."""
    return await watcher.fetchval(
        "SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) "
        "AND query LIKE $2", pid, f"%{statement}%")


async def _until_waiting(watcher, pid: int, statement: str) -> None:
    await eventually(lambda: _waiting_for(watcher, pid, statement), timeout=WAIT_SECONDS,
                     interval=0.02, what=f"{statement!r} waiting for backend {pid}")


async def _counts(watcher, table: str, key: str, value: str) -> dict[str, tuple]:
    rows = await watcher.fetch(f"SELECT post_id, likes, comments, reposts FROM {table} "
                               f"WHERE {key} = $1", value)
    return {r["post_id"]: (r["likes"], r["comments"], r["reposts"]) for r in rows}


def _event_id(what: str) -> str:
    return f"${what}-{secrets.token_hex(6)}"


@pytest.mark.parametrize("action", ["block", "unblock"])
async def test_a_block_deadlocked_with_an_ingest_batch_goes_through_the_api(stack, action):
    """Alice blocked Bob. A batch holds Bob's like of Dave's post (his lock shared, her row of
    blocked_mark_count for the post); her block (or unblock) of Carol, who commented on the
    post, takes Carol's lock and waits for that row; the batch's next mark is Carol's comment,
    which waits for Carol's lock: a deadlock. Her block goes through on its next attempt."""
    alice, dave = await stack.register("alice"), await stack.register("dave")
    async with two_connections(stack.database_url) as (batch, watcher):
        bob, carol = await _two_buckets(stack, watcher)
        post = await api_ok(stack, "POST", "/posts", dave, json={"text": "a morning"})
        x, room = post["id"], post["room_id"]
        await api_ok(stack, "POST", f"/posts/{_q(x)}/comments", carol, json={"text": "nice"})
        await api_ok(stack, "POST", "/blocks", alice, json={"user_id": bob.user_id})
        if action == "unblock":
            await api_ok(stack, "POST", "/blocks", alice, json={"user_id": carol.user_id})
            request = api(stack, "DELETE", f"/blocks/{_q(carol.user_id)}", alice)
        else:
            request = api(stack, "POST", "/blocks", alice, json={"user_id": carol.user_id})

        tx = batch.transaction()
        await tx.start()
        await batch.execute(_NOT_THE_VICTIM)
        await likes.upsert(batch, _event_id("like"), x, room, bob.user_id, 1)
        answer = asyncio.create_task(request)
        try:
            await _until_waiting(watcher, batch.get_server_pid(), "user_block")
            await asyncio.wait_for(comments.upsert(
                batch, _event_id("comment"), x, room, carol.user_id, "again", None, 2),
                WAIT_SECONDS)
            # Only the end of her block's transaction let the comment through; its next
            # attempt waits for this batch.
            assert not answer.done(), "her block answered before the batch ended"
            await tx.commit()
            status, body = await asyncio.wait_for(answer, WAIT_SECONDS)
        finally:
            answer.cancel()
        assert status == 200, body
        assert body["blocked"] is (action == "block"), body

        assert await _counts(watcher, "post_count", "post_id", x) == {x: (1, 2, 0)}
        blocked_marks = (1, 2, 0) if action == "block" else (1, 0, 0)
        assert await _counts(watcher, "blocked_mark_count", "owner", alice.user_id) == {
            x: blocked_marks}
        seen = await api_ok(stack, "GET", f"/posts/{_q(x)}", alice)
        assert seen["counts"] == {"likes": 0, "comments": 2 if action == "unblock" else 0,
                                  "reposts": 0}, seen["counts"]


def _hold_the_homeservers_copies(stack, monkeypatch, room_id: str) -> asyncio.Event:
    """The events of `room_id` that the homeserver delivers wait until the returned event is
    set: the API's own indexing of what it sent is then the only writer of them (the copy
    coming first would take the API's place in the deadlock)."""
    release = asyncio.Event()
    ingest = stack.bridge.services.ingest
    handle = ingest.handle

    async def held(raw):
        if raw.get("room_id") == room_id:
            await asyncio.wait_for(release.wait(), 120)
        await handle(raw)

    monkeypatch.setattr(ingest, "handle", held)
    return release


async def test_a_comment_deadlocked_with_a_batch_and_a_block_goes_through_the_api(
        stack, monkeypatch):
    """Three writers: a batch holds Bob's like of Dave's post Y (Alice blocked Bob: her row of
    Y); a block of Carol by Alice at that moment (another process) takes Carol's lock and
    waits for that row (Carol commented on Y); Carol comments on Dave's post X through the
    API: post_count's row of X, then Carol's lock, so it waits for the block; the batch's next
    mark is a like of X, which waits for the API's counter row: a deadlock. Her comment goes
    through on its next attempt and is counted as a blocked person's."""
    alice, dave = await stack.register("alice"), await stack.register("dave")
    async with two_connections(stack.database_url) as (batch, blocker):
        watcher = stack.bridge.db
        bob, carol = await _two_buckets(stack, watcher)
        x = await api_ok(stack, "POST", "/posts", dave, json={"text": "x"})
        y = await api_ok(stack, "POST", "/posts", dave, json={"text": "y"})
        room = x["room_id"]
        await api_ok(stack, "POST", f"/posts/{_q(y['id'])}/comments", carol, json={"text": "hi"})
        await api_ok(stack, "POST", "/blocks", alice, json={"user_id": bob.user_id})
        release = _hold_the_homeservers_copies(stack, monkeypatch, room)

        batch_tx, block_tx = batch.transaction(), blocker.transaction()
        await batch_tx.start()
        await batch.execute(_NOT_THE_VICTIM)
        await likes.upsert(batch, _event_id("like"), y["id"], room, bob.user_id, 1)
        await block_tx.start()
        await blocker.execute(_NOT_THE_VICTIM)
        block = asyncio.create_task(blocks.add(blocker, alice.user_id, carol.user_id, None, 3))
        answer = asyncio.create_task(api(stack, "POST", f"/posts/{_q(x['id'])}/comments", carol,
                                         json={"text": "there"}))
        try:
            await _until_waiting(watcher, batch.get_server_pid(), "user_block")
            await _until_waiting(watcher, blocker.get_server_pid(), "INSERT INTO comment")
            await asyncio.wait_for(likes.upsert(
                batch, _event_id("like"), x["id"], room, bob.user_id, 4), WAIT_SECONDS)
            assert not answer.done(), "her comment answered before the batch ended"
            await batch_tx.commit()
            await asyncio.wait_for(block, WAIT_SECONDS)
            await block_tx.commit()
            status, body = await asyncio.wait_for(answer, WAIT_SECONDS)
        finally:
            answer.cancel()
            block.cancel()
            release.set()
        assert status == 201, body

        assert await _counts(watcher, "post_count", "post_id", x["id"]) == {x["id"]: (1, 1, 0)}
        assert await _counts(watcher, "blocked_mark_count", "owner", alice.user_id) == {
            x["id"]: (1, 1, 0), y["id"]: (1, 1, 0)}
