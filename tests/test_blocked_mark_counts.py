"""blocked_mark_count (v26), kept by the database's triggers, always equals a count from scratch
of the marks of the people each owner blocked, whatever happens: random posts, reposts, likes
(a person's second ❤️ of a post included), unlikes, comments, deletions, blocks (with the AIs
brought along), unblocks, one at a time and in ingest's transaction batches, on SQLite and
PostgreSQL. The oracle is the statement counts_by_blocked ran on every request before v26
(distinct likers, every comment, every repost row), kept here."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mautrix.util.async_db import Database

from matrix_social.db import blocks, comments, likes, posts
from matrix_social.db.posts import PostRow
from matrix_social.db.upgrade.v26_blocked_mark_counts import BUCKETS
from matrix_social.matrix.ingest.writer import IndexWriter

from .harness import concurrent_writers, new_database

EXAMPLES = int(os.environ.get("COUNTER_EXAMPLES", "60"))
POSTS = [f"$post{i}" for i in range(3)] + [f"$repost{i}" for i in range(3)]
PEOPLE = [f"@p{i}:example.org" for i in range(4)]
LIKES = [f"$like{i}" for i in range(6)]
COMMENTS = [f"$comment{i}" for i in range(4)]
TABLES = ("post_like", "comment", "post", "user_block", "post_count", "blocked_mark_count")
ROOM = "!room:example.org"


def counts_by_blocked_from_scratch_sql(posts: int) -> str:
    """counts_by_blocked's statement before v26 ($1 the owner, then the post ids)."""
    marks = ", ".join(f"${i + 2}" for i in range(posts))
    blocked = "(SELECT b.blocked FROM user_block b WHERE b.owner = $1)"
    return (f"SELECT 'likes' AS name, post_id AS id, COUNT(DISTINCT user_id) AS n "
            f"FROM post_like WHERE post_id IN ({marks}) AND user_id IN {blocked} "
            f"GROUP BY post_id "
            f"UNION ALL SELECT 'comments', post_id, COUNT(*) FROM comment "
            f"WHERE post_id IN ({marks}) AND author IN {blocked} GROUP BY post_id "
            f"UNION ALL SELECT 'reposts', repost_of, COUNT(*) FROM post "
            f"WHERE repost_of IN ({marks}) AND author IN {blocked} GROUP BY repost_of")


async def _from_scratch(db: Database) -> dict[tuple[str, str], dict[str, int]]:
    """Every owner's counts of every post marked, by the old statement."""
    ids = [r["id"] for r in await db.fetch(
        "SELECT post_id AS id FROM post_like UNION SELECT post_id FROM comment "
        "UNION SELECT repost_of FROM post WHERE repost_of IS NOT NULL")]
    owners = [r["owner"] for r in await db.fetch("SELECT DISTINCT owner FROM user_block")]
    found: dict[tuple[str, str], dict[str, int]] = {}
    for owner in owners if ids else []:
        for row in await db.fetch(counts_by_blocked_from_scratch_sql(len(ids)), owner, *ids):
            found.setdefault((owner, row["id"]), {})[row["name"]] = row["n"]
    return found


async def _kept(db: Database) -> dict[tuple[str, str], dict[str, int]]:
    rows = await db.fetch("SELECT owner, post_id, likes, comments, reposts "
                          "FROM blocked_mark_count")
    return {(r["owner"], r["post_id"]): {n: r[n] for n in ("likes", "comments", "reposts")
                                         if r[n]} for r in rows}


def _post(event_id: str, author: str, repost_of: str | None) -> PostRow:
    return PostRow(event_id, ROOM, author, "repost" if repost_of else "text", "body",
                   {"body": "body"}, 1, None, repost_of)


_person = st.sampled_from(PEOPLE)
# A repost may point at a post not indexed (yet): counters count the rows all the same.
_post_op = st.tuples(st.just("post"), st.sampled_from(POSTS), _person,
                     st.none() | st.sampled_from(POSTS[:3]))
_like_op = st.tuples(st.just("like"), st.sampled_from(LIKES),
                     st.sampled_from(POSTS[:2]) | st.sampled_from(POSTS), _person)
_comment_op = st.tuples(st.just("comment"), st.sampled_from(COMMENTS), st.sampled_from(POSTS),
                        _person)
_block_op = st.tuples(st.just("block"), _person, _person, st.none() | _person)
_operation = st.one_of(
    _like_op, _post_op, _comment_op, _block_op, _block_op,
    st.tuples(st.just("unblock"), _person, _person),
    st.tuples(st.just("redact"), st.sampled_from(POSTS + LIKES + COMMENTS)),
    st.tuples(st.just("batch"), st.lists(st.one_of(_post_op, _like_op, _comment_op),
                                         min_size=1, max_size=8)),
)


async def _blocked(db: Database) -> list[tuple[str, str]]:
    return [(r["owner"], r["blocked"])
            for r in await db.fetch("SELECT owner, blocked FROM user_block ORDER BY 1, 2")]


def _next(data, blocked: list[tuple[str, str]]) -> tuple:
    """The next operation; an unblock of somebody blocked is drawn from the blocks there, so
    blocks with marks to take out come up in most examples."""
    if blocked and data.draw(st.integers(min_value=0, max_value=5)) == 0:
        return ("unblock", *data.draw(st.sampled_from(blocked)))
    return data.draw(_operation)


async def _apply(db: Database, op: tuple) -> None:
    """As ingest and the block list write it."""
    kind = op[0]
    if kind == "post":
        await posts.upsert(db, _post(op[1], op[2], op[3] if op[3] != op[1] else None))
    elif kind == "like":
        await likes.upsert(db, op[1], op[2], ROOM, op[3], 1)
    elif kind == "comment":
        await comments.upsert(db, op[1], op[2], ROOM, op[3], "hi", None, 1)
    elif kind == "block":  # social/blocks.py: him, and his AI brought along (via him)
        _, owner, who, ai = op
        await blocks.add(db, owner, who, None, 1)
        if ai is not None and ai != who:
            await blocks.add(db, owner, ai, who, 1)
    elif kind == "unblock":
        await blocks.remove(db, op[1], op[2])
    elif kind == "redact":  # matrix/ingest: a redaction removes whichever row it names
        await posts.delete(db, op[1])
        await likes.delete(db, op[1])
        await comments.delete(db, op[1])
    else:
        batch = IndexWriter(db, batching=True)
        for sub in op[1]:
            if sub[0] == "post":
                await batch.post(_post(sub[1], sub[2], sub[3] if sub[3] != sub[1] else None))
            elif sub[0] == "like":
                await batch.like(sub[1], sub[2], ROOM, sub[3], 1)
            else:
                await batch.comment(sub[1], sub[2], ROOM, sub[3], "hi", None, 1)
        await batch.flush()


async def test_blocked_mark_counts_equal_a_count_from_scratch(db):
    loop = asyncio.get_running_loop()
    checked: list[int] = []

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        for table in TABLES:
            run(db.execute(f"DELETE FROM {table}"))
        done = []
        for _ in range(data.draw(st.integers(min_value=4, max_value=30))):
            op = _next(data, run(_blocked(db)))
            done.append(op)
            run(_apply(db, op))
            assert run(_kept(db)) == run(_from_scratch(db)), done
        # No row is left at zero.
        assert run(db.fetchval("SELECT COUNT(*) FROM blocked_mark_count WHERE likes = 0 "
                               "AND comments = 0 AND reposts = 0")) == 0, done
        checked.append(len(done))

    await asyncio.to_thread(check)
    assert len(checked) == EXAMPLES


async def test_counts_by_blocked_reads_her_rows_in_the_shape_it_gave(db):
    """Only the posts asked for, only counts above zero, as the from-scratch statement."""
    alice, bob, carol = PEOPLE[:3]
    for op in (("post", "$post0", carol, None), ("post", "$post1", carol, None),
               ("like", "$like0", "$post0", bob), ("like", "$like1", "$post0", bob),
               ("comment", "$comment0", "$post1", bob), ("post", "$repost0", bob, "$post0"),
               ("post", "$repost1", bob, "$post0"), ("block", alice, bob, None),
               ("like", "$like2", "$post1", carol)):
        await _apply(db, op)
    assert await blocks.counts_by_blocked(db, alice, ["$post0", "$post1", "$post2"]) == {
        "$post0": {"likes": 1, "reposts": 2}, "$post1": {"comments": 1}}
    assert await blocks.counts_by_blocked(db, alice, ["$post1"]) == {"$post1": {"comments": 1}}
    assert await blocks.counts_by_blocked(db, carol, ["$post0"]) == {}
    await _apply(db, ("unblock", alice, bob))
    assert await blocks.counts_by_blocked(db, alice, ["$post0", "$post1"]) == {}
    assert await db.fetchval("SELECT COUNT(*) FROM blocked_mark_count") == 0


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_the_upgrade_fills_the_counts_from_the_rows_already_there(kind, tmp_path):
    """Blocks and marks indexed before v26 are counted by the upgrade itself."""
    alice, bob, carol = PEOPLE[:3]
    async with new_database(kind, tmp_path) as database:
        db = await database.open(upgrades=25)
        for op in (("post", "$post0", carol, None), ("like", "$like0", "$post0", bob),
                   ("like", "$like1", "$post0", bob), ("comment", "$comment0", "$post0", bob),
                   ("post", "$repost0", bob, "$post0"), ("block", alice, bob, None),
                   ("block", carol, alice, None)):
            await _apply(db, op)
        await db.stop()
        db = await database.open()
        try:
            assert await _kept(db) == await _from_scratch(db) == {
                (alice, "$post0"): {"likes": 1, "comments": 1, "reposts": 1}}
        finally:
            await db.stop()


@pytest.mark.parametrize("race", ["two likes", "two unlikes", "block and like",
                                  "unblock and comment", "block and unlike"])
async def test_concurrent_writers_keep_her_counts(race):
    """PostgreSQL: two writers at once, the first one's transaction open while the second
    writes. His two ❤️ of one post count once for her (the second waits for post_count's row
    lock, then sees the first); a block and his mark at once are ordered by the person's lock,
    so whichever comes second counts the other."""
    alice, bob, carol = PEOPLE[:3]
    async with concurrent_writers() as (db, first, second):
        await posts.upsert(db, _post("$p", carol, None))
        like = "INSERT INTO post_like (event_id, post_id, user_id, ts) VALUES ($1, '$p', $2, 1)"
        unlike = "DELETE FROM post_like WHERE event_id = $1"
        block = "INSERT INTO user_block (owner, blocked, via, ts) VALUES ($1, $2, NULL, 1)"
        unblock = "DELETE FROM user_block WHERE owner = $1 AND blocked = $2"
        comment = ("INSERT INTO comment (event_id, post_id, room_id, author, body, ts) "
                   "VALUES ($1, '$p', '" + ROOM + "', $2, 'hi', 1)")
        # Another person's like first, so post_count's row exists before the race.
        await likes.upsert(db, "$other", "$p", ROOM, carol, 1)
        if race in ("two likes", "two unlikes", "unblock and comment"):
            await db.execute(block.replace("$1", f"'{alice}'").replace("$2", f"'{bob}'"))
        if race in ("two unlikes", "block and unlike"):
            await likes.upsert(db, "$old1", "$p", ROOM, bob, 1)
            await likes.upsert(db, "$old2", "$p", ROOM, bob, 1)
        steps = {"two likes": ((like, "$new1", bob), (like, "$new2", bob)),
                 "two unlikes": ((unlike, "$old1"), (unlike, "$old2")),
                 "block and like": ((block, alice, bob), (like, "$new1", bob)),
                 "unblock and comment": ((unblock, alice, bob), (comment, "$c", bob)),
                 "block and unlike": ((block, alice, bob), (unlike, "$old1"))}[race]
        tx = first.transaction()
        await tx.start()
        await first.execute(*steps[0])
        waiting = asyncio.create_task(second.execute(*steps[1]))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second writer did not wait for the first"
        await tx.commit()
        await asyncio.wait_for(waiting, 10)
        assert await _kept(db) == await _from_scratch(db)
        expected = {"two likes": {(alice, "$p"): {"likes": 1}},
                    "two unlikes": {},
                    "block and like": {(alice, "$p"): {"likes": 1}},
                    "unblock and comment": {},
                    "block and unlike": {(alice, "$p"): {"likes": 1}}}[race]
        assert await _kept(db) == expected


async def test_a_mark_and_a_block_of_somebody_else_do_not_wait_for_each_other():
    """PostgreSQL: marks never wait for marks, and a block waits only for the marks of the
    people of its lock bucket (v26 BUCKETS): Dan is in another one than Bob."""
    alice, bob, carol = PEOPLE[:3]
    async with concurrent_writers() as (db, first, second):
        bucket = "SELECT hashtext($1) & " + str(BUCKETS - 1)
        dan = ""
        for i in range(100):
            dan = f"@dan{i}:example.org"
            if await db.fetchval(bucket, dan) != await db.fetchval(bucket, bob):
                break
        await posts.upsert(db, _post("$p", carol, None))
        await posts.upsert(db, _post("$q", carol, None))  # post_count's rows lock per post
        tx = first.transaction()
        await tx.start()
        await first.execute("INSERT INTO comment (event_id, post_id, room_id, author, body, ts) "
                            f"VALUES ('$c1', '$p', '{ROOM}', '{bob}', 'hi', 1)")
        await asyncio.wait_for(second.execute(
            "INSERT INTO comment (event_id, post_id, room_id, author, body, ts) "
            f"VALUES ('$c2', '$q', '{ROOM}', '{bob}', 'hi', 1)"), 5)
        await asyncio.wait_for(second.execute(
            "INSERT INTO user_block (owner, blocked, via, ts) "
            f"VALUES ('{alice}', '{dan}', NULL, 1)"), 5)
        await tx.commit()
        assert await _kept(db) == await _from_scratch(db) == {}
