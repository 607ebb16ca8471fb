"""Post counters (post_count, kept by the database's triggers) always equal a fresh count of
the rows they count, whatever ingest does: random posts, reposts, likes (a second ❤️ by the
same user included), comments, redactions and deletions, one at a time and in transaction
batches, through the same db functions ingest uses, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mautrix.util.async_db import Database

from matrix_social.db import comments, likes, posts
from matrix_social.db.posts import PostRow
from matrix_social.matrix.ingest.writer import IndexWriter

from .harness import concurrent_writers

EXAMPLES = int(os.environ.get("COUNTER_EXAMPLES", "100"))
POSTS = [f"$post{i}" for i in range(3)] + [f"$repost{i}" for i in range(2)]
USERS = [f"@u{i}:example.org" for i in range(2)]
LIKES = [f"$like{i}" for i in range(6)]
COMMENTS = [f"$comment{i}" for i in range(4)]
TABLES = ("post_like", "comment", "post", "post_count")


ROOM = "!room:example.org"


def _post(event_id: str, repost_of: str | None) -> PostRow:
    kind = "repost" if repost_of else "text"
    return PostRow(event_id, ROOM, "@author:example.org", kind, "body",
                   {"body": "body"}, 1, None, repost_of)


_post_op = st.tuples(st.just("post"), st.sampled_from(POSTS),
                     st.none() | st.sampled_from(POSTS[:3]))
# Likes mostly on two posts, so one user's second ❤️ and its removal come up often.
_like_op = st.tuples(st.just("like"), st.sampled_from(LIKES),
                     st.sampled_from(POSTS[:2]) | st.sampled_from(POSTS), st.sampled_from(USERS))
_comment_op = st.tuples(st.just("comment"), st.sampled_from(COMMENTS), st.sampled_from(POSTS))
_single = st.one_of(
    _like_op, _post_op, _comment_op,
    st.tuples(st.just("redact"), st.sampled_from(POSTS + LIKES + COMMENTS)),
    st.tuples(st.just("delete_post"), st.sampled_from(POSTS)),
)
_operation = st.one_of(
    _single,
    st.tuples(st.just("batch"), st.lists(st.one_of(_post_op, _like_op, _comment_op),
                                         min_size=1, max_size=8)),
)


async def _apply(db: Database, op: tuple) -> None:
    """As ingest writes it: one event at a time, or a transaction's batch."""
    kind = op[0]
    if kind == "post":
        await posts.upsert(db, _post(op[1], op[2] if op[2] != op[1] else None))
    elif kind == "like":
        await likes.upsert(db, op[1], op[2], ROOM, op[3], 1)
    elif kind == "comment":
        await comments.upsert(db, op[1], op[2], "!room:example.org", "@c:example.org", "hi",
                              None, 1)
    elif kind == "redact":  # matrix/ingest.py _redaction
        await posts.delete(db, op[1])
        await likes.delete(db, op[1])
        await comments.delete(db, op[1])
    elif kind == "delete_post":
        await posts.delete_own(db, op[1], "@author:example.org")
    else:
        batch = IndexWriter(db, batching=True)
        for sub in op[1]:
            if sub[0] == "post":
                await batch.post(_post(sub[1], sub[2] if sub[2] != sub[1] else None))
            elif sub[0] == "like":
                await batch.like(sub[1], sub[2], ROOM, sub[3], 1)
            else:
                await batch.comment(sub[1], sub[2], ROOM, "@c:example.org", "hi", None, 1)
        await batch.flush()


async def _mismatches(db: Database) -> list:
    rows = await db.fetch(
        "SELECT x.id, "
        "(SELECT COUNT(DISTINCT user_id) FROM post_like WHERE post_id = x.id) AS likes, "
        "(SELECT COUNT(*) FROM comment WHERE post_id = x.id) AS comments, "
        "(SELECT COUNT(*) FROM post WHERE repost_of = x.id) AS reposts, "
        "COALESCE(c.likes, 0) AS c_likes, COALESCE(c.comments, 0) AS c_comments, "
        "COALESCE(c.reposts, 0) AS c_reposts "
        "FROM (SELECT post_id AS id FROM post_like UNION SELECT post_id FROM comment "
        "UNION SELECT repost_of FROM post WHERE repost_of IS NOT NULL "
        "UNION SELECT post_id FROM post_count) x LEFT JOIN post_count c ON c.post_id = x.id")
    return [tuple(r) for r in rows
            if (r["likes"], r["comments"], r["reposts"])
            != (r["c_likes"], r["c_comments"], r["c_reposts"])]


def _next(data, liked: dict[str, tuple[str, str]]) -> tuple:
    """The next operation; a user's second ❤️ and the removal of one of two are drawn from
    the likes indexed at that point, so they come up in most examples."""
    choices = ["any", "any", "any"]
    if liked:
        choices += ["second like", "unlike", "unlike"]
    choice = data.draw(st.sampled_from(choices))
    if choice == "any":
        return data.draw(_operation)
    if choice == "unlike":
        return ("redact", data.draw(st.sampled_from(sorted(liked))))
    post, user = liked[data.draw(st.sampled_from(sorted(liked)))]
    free = [e for e in LIKES if e not in liked] or LIKES
    return ("like", data.draw(st.sampled_from(free)), post, user)


async def _liked(db: Database) -> dict[str, tuple[str, str]]:
    return {r["event_id"]: (r["post_id"], r["user_id"])
            for r in await db.fetch("SELECT event_id, post_id, user_id FROM post_like")}


async def test_counters_equal_fresh_counts_after_any_ingest(db):
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
        for _ in range(data.draw(st.integers(min_value=2, max_value=30))):
            op = _next(data, run(_liked(db)))
            done.append(op)
            run(_apply(db, op))
            assert run(_mismatches(db)) == [], done
        checked.append(len(done))

    await asyncio.to_thread(check)
    assert len(checked) == EXAMPLES


async def test_second_like_by_the_same_user_and_removing_one_of_two(db):
    await posts.upsert(db, _post("$p", None))
    await likes.upsert(db, "$l1", "$p", ROOM, "@a:x", 1)
    await likes.upsert(db, "$l2", "$p", ROOM, "@a:x", 2)
    await likes.upsert(db, "$l3", "$p", ROOM, "@b:x", 3)
    await likes.upsert(db, "$l3", "$p", ROOM, "@b:x", 3)  # the same event again: no change
    likes_of = "SELECT likes FROM post_count WHERE post_id = '$p'"
    assert await db.fetchval(likes_of) == 2
    await likes.delete(db, "$l1")
    assert await db.fetchval(likes_of) == 2
    await likes.delete(db, "$l2")
    assert await db.fetchval(likes_of) == 1
    batch = IndexWriter(db, batching=True)
    for event_id, user, ts in (("$l4", "@c:x", 4), ("$l5", "@c:x", 5), ("$l6", "@b:x", 6)):
        await batch.like(event_id, "$p", ROOM, user, ts)
    await batch.flush()
    assert await db.fetchval(likes_of) == 2


@pytest.mark.parametrize("race", ["two likes", "two unlikes", "like and unlike"])
async def test_concurrent_writers_of_one_user_s_likes_keep_the_count(race):
    """PostgreSQL: the second writer waits for the first one's counter row, then sees its
    rows (each statement of the trigger takes a new snapshot), so a user counts once."""
    async with concurrent_writers() as (db, first, second):
        await posts.upsert(db, _post("$p", None))
        insert = "INSERT INTO post_like (event_id, post_id, user_id, ts) VALUES ($1, '$p', '@a', 1)"
        delete = "DELETE FROM post_like WHERE event_id = $1"
        # Another user's like first, so the counter row exists before the race.
        await likes.upsert(db, "$other", "$p", ROOM, "@z", 1)
        if race != "two likes":
            await db.execute(insert.replace("$1", "'$old1'"))
        if race == "two unlikes":
            await db.execute(insert.replace("$1", "'$old2'"))
        steps = {"two likes": ((insert, "$new1"), (insert, "$new2")),
                 "two unlikes": ((delete, "$old1"), (delete, "$old2")),
                 "like and unlike": ((insert, "$new1"), (delete, "$old1"))}[race]
        tx = first.transaction()
        await tx.start()
        await first.execute(*steps[0])
        waiting = asyncio.create_task(second.execute(*steps[1]))
        await asyncio.sleep(0.3)
        assert not waiting.done(), "the second writer did not wait for the first"
        await tx.commit()
        await asyncio.wait_for(waiting, 10)
        users = await db.fetchval("SELECT COUNT(DISTINCT user_id) FROM post_like")
        assert await db.fetchval("SELECT likes FROM post_count WHERE post_id = '$p'") == users
        assert users == {"two likes": 2, "two unlikes": 1, "like and unlike": 2}[race]
