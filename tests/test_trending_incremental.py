"""Trending kept from deltas (db/trending.py, v19, v22, v30): after any ingest and any move of
the window (forward, back, past a whole window), the kept scores of posts, apps and tags and
the stored ranking equal a count from scratch, on SQLite and PostgreSQL; an unlike lowers a
score, a like leaving the window lowers it without any write, an unlike of a like already out
of the window changes nothing, a post deleted and indexed again comes back with its likes, a
like re-added counts once, one author's tag counts once however often, and a refresh with
nothing changed recounts nothing. The top posts rank from holds every post that can rank; a
like written while a refresh runs is counted once (PostgreSQL); a refresh rewrites only the
rows of the stored ranking that changed."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mautrix.util.async_db import Database, Scheme

from matrix_social.db import apps, explore, likes, post_tags, posts, trending
from matrix_social.db.posts import PostRow
from matrix_social.db.trending import APPS, POSTS, TAGS
from matrix_social.matrix.ingest.writer import IndexWriter

EXAMPLES = int(os.environ.get("TRENDING_EXAMPLES", "40"))
ROOM = "!room:example.org"
DAY = 1000  # a short window, so random times fall in and out of it
WEEK = 7 * DAY
DEPTH = 3
POST_IDS = [f"$post{i}" for i in range(5)]
LIKE_IDS = [f"$like{i}" for i in range(10)]
USERS = [f"@u{i}:example.org" for i in range(3)]
APP_IDS = ["a:one", "a:two", "a:three"]
TAG_NAMES = ["matrix", "rust", "cats"]
TABLES = ("post_like", "post", "post_tag", "app_install", "trending_post",
          "trending_state", "trending_top") + tuple(
    f"{prefix}_{part}" for prefix in ("trending", "trending_app", "trending_tag")
    for part in ("score", "dirty", "claim", "change", "delta"))


def _post(event_id: str, ts: int) -> PostRow:
    return PostRow(event_id, ROOM, "@author:example.org", "text", "body", {"body": "body"},
                   ts, None, None)


async def _refresh(db: Database, now: int) -> tuple[int, int, int]:
    return (await trending.refresh(db, POSTS, now - DAY, now, now, DEPTH),
            await trending.refresh(db, APPS, now - WEEK, now, now),
            await trending.refresh(db, TAGS, now - DAY, now, now))


async def _from_scratch(db: Database, now: int) -> tuple[list, list, list]:
    post_keys = [(k["event_id"], k["trend"], k["ts"])
                 for k in await explore.trending_keys(db, now - DAY, now, 1000)]
    app_keys = [(r["app_id"], r["n"], 0) for r in await db.fetch(
        "SELECT app_id, COUNT(*) AS n FROM app_install WHERE ts >= $1 AND ts <= $2 "
        "GROUP BY app_id ORDER BY n DESC, app_id DESC", now - WEEK, now)]
    tag_keys = [tuple(r) for r in await post_tags.trends(db, now - DAY, now, 1000)]
    return post_keys, app_keys, tag_keys


async def _kept(db: Database) -> tuple[list, list, list, list]:
    post_scores = [tuple(r) for r in await trending.scores(db, POSTS, 1000)]
    app_scores = [tuple(r) for r in await trending.scores(db, APPS, 1000)]
    ranking = [(r["event_id"], r["trend"], r["ts"]) for r in await db.fetch(
        "SELECT event_id, trend, ts FROM trending_post ORDER BY trend DESC, ts DESC, "
        "event_id DESC")]
    tag_scores = [tuple(r) for r in await trending.tags(db, 1000)]
    return post_scores, app_scores, ranking, tag_scores


async def _assert_equal(db: Database, now: int) -> None:
    post_keys, app_keys, tag_keys = await _from_scratch(db, now)
    post_scores, app_scores, ranking, tag_scores = await _kept(db)
    assert post_scores == post_keys
    assert app_scores == app_keys
    assert ranking == post_keys[:DEPTH]
    assert tag_scores == tag_keys


_time = st.integers(min_value=0, max_value=3 * DAY)
_like = st.tuples(st.just("like"), st.sampled_from(LIKE_IDS), st.sampled_from(POST_IDS),
                  st.sampled_from(USERS), _time)
_post_op = st.tuples(st.just("post"), st.sampled_from(POST_IDS), _time)
_operation = st.one_of(
    _like, _like, _post_op,
    st.tuples(st.just("unlike"), st.sampled_from(LIKE_IDS)),
    st.tuples(st.just("delete_post"), st.sampled_from(POST_IDS)),
    st.tuples(st.just("install"), st.sampled_from(APP_IDS), st.sampled_from(USERS), _time),
    st.tuples(st.just("uninstall"), st.sampled_from(APP_IDS), st.sampled_from(USERS)),
    # A tag on an indexed post by one of the authors (the same author on several posts
    # counts once); an edit taking it away.
    st.tuples(st.just("tag"), st.sampled_from(TAG_NAMES), st.sampled_from(POST_IDS),
              st.sampled_from(USERS), _time),
    st.tuples(st.just("tag"), st.sampled_from(TAG_NAMES), st.sampled_from(POST_IDS),
              st.sampled_from(USERS), _time),
    st.tuples(st.just("untag"), st.sampled_from(TAG_NAMES), st.sampled_from(POST_IDS)),
    st.tuples(st.just("batch"), st.lists(st.one_of(_like, _post_op), min_size=1, max_size=6)),
    # The window moves: mostly forward a little, sometimes back, sometimes past a whole day.
    st.tuples(st.just("refresh"), _time),
    st.tuples(st.just("refresh"), _time),
    # Mostly the window moves a little from where it is, as a running service's does: the
    # path from deltas, not a count from scratch after a jump past the window.
    st.tuples(st.just("move"), st.integers(min_value=-300, max_value=600)),
    st.tuples(st.just("move"), st.integers(min_value=-300, max_value=600)),
    st.tuples(st.just("move"), st.integers(min_value=-300, max_value=600)),
)


async def _apply(db: Database, op: tuple, clock: list[int]) -> None:
    kind = op[0]
    if kind == "like":
        await likes.upsert(db, op[1], op[2], ROOM, op[3], op[4])
    elif kind == "post":
        await posts.upsert(db, _post(op[1], op[2]))
    elif kind == "unlike":
        await likes.delete(db, op[1])
    elif kind == "delete_post":
        await posts.delete(db, op[1])
    elif kind == "install":
        await apps.install(db, op[1], op[2], op[3])
    elif kind == "uninstall":
        await db.execute("DELETE FROM app_install WHERE app_id=$1 AND user_id=$2", op[1], op[2])
    elif kind == "tag":
        await post_tags.insert_many(db, [op[1:]])
    elif kind == "untag":
        await db.execute("DELETE FROM post_tag WHERE tag = $1 AND post_id = $2", op[1], op[2])
    elif kind == "batch":
        batch = IndexWriter(db, batching=True)
        for sub in op[1]:
            if sub[0] == "post":
                await batch.post(_post(sub[1], sub[2]))
            else:
                await batch.like(sub[1], sub[2], ROOM, sub[3], sub[4])
        await batch.flush()
    else:
        clock[0] = op[1] if kind == "refresh" else max(0, clock[0] + op[1])
        await _refresh(db, clock[0])
        await _assert_equal(db, clock[0])


async def test_kept_ranking_equals_a_count_from_scratch(db):
    loop = asyncio.get_running_loop()

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(_operation, min_size=3, max_size=40), _time)
    def check(operations, last):
        for table in TABLES:
            run(db.execute(f"DELETE FROM {table}"))
        clock = [0]
        for op in operations:
            run(_apply(db, op, clock))
        run(_refresh(db, last))
        run(_assert_equal(db, last))

    await asyncio.to_thread(check)


async def test_unlike_and_expiry_lower_the_score_and_nothing_changed_costs_nothing(db):
    now = 10 * DAY
    for post, ts in (("$a", now - 10), ("$b", now - 20)):
        await posts.upsert(db, _post(post, ts))
    await likes.upsert(db, "$l1", "$a", ROOM, USERS[0], now - 5)
    await likes.upsert(db, "$l2", "$a", ROOM, USERS[1], now - DAY + 100)
    await likes.upsert(db, "$l3", "$b", ROOM, USERS[0], now - 3)
    assert await _refresh(db, now) == (-1, -1, -1)  # the first counts from scratch
    assert (await _kept(db))[2] == [("$a", 2, now - 10), ("$b", 1, now - 20)]
    assert await _refresh(db, now + 1) == (0, 0, 0)  # nothing changed, nothing recounted
    await likes.upsert(db, "$l4", "$b", ROOM, USERS[0], now)  # her second ❤️: not a like more
    assert (await _refresh(db, now + 1))[0] == 1
    assert (await _kept(db))[2] == [("$a", 2, now - 10), ("$b", 1, now - 20)]
    await likes.delete(db, "$l4")
    await likes.delete(db, "$l1")  # the unlike (a redaction deletes the row the same way)
    assert (await _refresh(db, now + 2))[0] == 2  # $a, and $b (its second ❤️ removed)
    assert (await _kept(db))[2] == [("$a", 1, now - 10), ("$b", 1, now - 20)]  # ties: newer first
    # $l2 leaves the window: no write, only time.
    assert (await _refresh(db, now + 101))[0] == 1
    assert (await _kept(db))[2] == [("$b", 1, now - 20)]
    await posts.delete(db, "$b")  # a deleted post leaves the ranking
    await _refresh(db, now + 102)
    assert (await _kept(db))[2] == []
    await _assert_equal(db, now + 102)


async def test_a_claim_left_by_a_failed_refresh_is_recounted(db):
    now = 10 * DAY
    await _refresh(db, now)
    await posts.upsert(db, _post("$a", now))
    await likes.upsert(db, "$l1", "$a", ROOM, USERS[0], now)
    await trending.claim(db, POSTS)  # the refresh that failed after claiming
    assert await db.fetchval("SELECT COUNT(*) FROM trending_dirty") == 0
    await _refresh(db, now)
    assert (await _kept(db))[2] == [("$a", 1, now)]


async def test_deltas_edge_cases_unlike_after_expiry_delete_and_reindex_re_added_like(db):
    now = 10 * DAY
    await posts.upsert(db, _post("$a", now - 10))
    for i in range(30):  # a much-liked post
        await likes.upsert(db, f"$many{i}", "$a", ROOM, f"@fan{i}:x", now - 50)
    await likes.upsert(db, "$old", "$a", ROOM, USERS[0], now - DAY + 5)
    assert (await _refresh(db, now))[0] == -1
    assert (await _kept(db))[2] == [("$a", 31, now - 10)]
    # One more like: the refresh's work is that one (post, liker) pair, not the post's 31.
    await likes.upsert(db, "$new", "$a", ROOM, USERS[1], now + 1)
    assert [tuple(r) for r in await db.fetch(
        "SELECT post_id, user_id, ts, sign FROM trending_change")] == [
        ("$a", USERS[1], now + 1, 1)]
    await _refresh(db, now + 2)
    assert (await _kept(db))[2] == [("$a", 32, now - 10)]
    # $old leaves the window, then is unliked: counted off once, not twice.
    await _refresh(db, now + 10)
    assert (await _kept(db))[2] == [("$a", 31, now - 10)]
    await likes.delete(db, "$old")
    assert (await _refresh(db, now + 11))[0] == 0
    assert (await _kept(db))[2] == [("$a", 31, now - 10)]
    # Unliked and liked again (the same event replayed, or a new one): counted once.
    await likes.delete(db, "$new")
    await likes.upsert(db, "$new", "$a", ROOM, USERS[1], now + 1)
    await likes.upsert(db, "$new2", "$a", ROOM, USERS[1], now + 3)
    await _refresh(db, now + 12)
    assert (await _kept(db))[2] == [("$a", 31, now - 10)]
    # The post deleted: out of the ranking; indexed again: back with the likes it kept.
    await posts.delete(db, "$a")
    await _refresh(db, now + 13)
    assert (await _kept(db))[2] == []
    await posts.upsert(db, _post("$a", now - 10))
    await _refresh(db, now + 14)
    assert (await _kept(db))[2] == [("$a", 31, now - 10)]
    # The window moved back: likes not yet in it leave the count, and return.
    await _refresh(db, now)
    assert (await _kept(db))[2] == [("$a", 30, now - 10)]
    await _refresh(db, now + 14)
    await _assert_equal(db, now + 14)
    # One author using a tag a hundred times counts once; a second author makes two.
    await post_tags.insert_many(db, [("matrix", "$a", USERS[0], now) for _ in range(1)])
    for i in range(5):
        await posts.upsert(db, _post(f"$t{i}", now))
        await post_tags.insert_many(db, [("matrix", f"$t{i}", USERS[0], now)])
    await posts.upsert(db, _post("$u", now))
    await post_tags.insert_many(db, [("matrix", "$u", USERS[1], now), ("cats", "$u", USERS[1],
                                                                        now)])
    await _refresh(db, now + 15)
    assert [tuple(r) for r in await trending.tags(db, 10)] == [("matrix", 2, 7), ("cats", 1, 1)]
    await posts.delete(db, "$u")  # its tags go with it
    await _refresh(db, now + 16)
    assert [tuple(r) for r in await trending.tags(db, 10)] == [("matrix", 1, 6)]
    await _assert_equal(db, now + 16)


MANY_POSTS = [f"$m{i}" for i in range(30)]
MANY_USERS = [f"@v{i}:example.org" for i in range(8)]
_many_like = st.tuples(st.just("like"), st.integers(min_value=0, max_value=10**6),
                       st.sampled_from(MANY_POSTS), st.sampled_from(MANY_USERS), _time)
_many_operation = st.one_of(
    _many_like, _many_like, _many_like,
    st.tuples(st.just("unlike"), st.integers(min_value=0, max_value=10**6)),
    st.tuples(st.just("delete_post"), st.sampled_from(MANY_POSTS)),
    st.tuples(st.just("post"), st.sampled_from(MANY_POSTS), _time),
    st.tuples(st.just("move"), st.integers(min_value=-100, max_value=300)),
    st.tuples(st.just("move"), st.integers(min_value=-100, max_value=300)),
)


async def test_the_top_holds_every_post_that_can_rank(db):
    """Posts rank from a top (db/trending.py): a few posts more than the ranking's depth at or
    above a floor, kept from the changed scores and made again from every score when it falls
    under the depth. With 30 posts, a depth of 3 and a top made of 4, after random likes,
    unlikes, deletes, posts indexed again and window moves: the top holds every ranked post at
    or above its last (trend, ts, post) with its score, and the ranking is the count from
    scratch's."""
    loop = asyncio.get_running_loop()
    depth, keep = 3, 4
    floors: list[bool] = []  # whether the top ever left ranked posts out

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    async def refresh_and_check(now: int) -> None:
        await trending.refresh(db, POSTS, now - DAY, now, now, depth, keep)
        scores = {r["post_id"]: (r["trend"], r["ts"]) for r in await db.fetch(
            "SELECT post_id, trend, ts FROM trending_score WHERE ts IS NOT NULL")}
        top = {r["post_id"]: (r["trend"], r["ts"]) for r in await db.fetch(
            "SELECT post_id, trend, ts FROM trending_top")}
        assert all(scores.get(key) == value for key, value in top.items()), (top, scores)
        if top:
            floor = min((*v, k) for k, v in top.items())
            assert {k for k, v in scores.items() if (*v, k) >= floor} == set(top), (floor, top)
        floors.append(len(top) < len(scores))
        ranking = [(r["event_id"], r["trend"], r["ts"]) for r in await db.fetch(
            "SELECT event_id, trend, ts FROM trending_post ORDER BY trend DESC, ts DESC, "
            "event_id DESC")]
        assert ranking == [tuple(k) for k in await explore.trending_keys(
            db, now - DAY, now, depth)]

    async def apply(op: tuple, clock: list[int]) -> None:
        if op[0] == "like":
            await likes.upsert(db, f"$l{op[1]}", op[2], ROOM, op[3], op[4])
        elif op[0] == "unlike":
            like = await db.fetchval("SELECT event_id FROM post_like ORDER BY event_id "
                                     "LIMIT 1 OFFSET $1", op[1] % 50)
            if like is not None:
                await likes.delete(db, like)
        elif op[0] == "delete_post":
            await posts.delete(db, op[1])
        elif op[0] == "post":
            await posts.upsert(db, _post(op[1], op[2]))
        else:
            clock[0] = max(0, clock[0] + op[1])
            await refresh_and_check(clock[0])

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(_many_like, min_size=20, max_size=60),
           st.lists(_many_operation, min_size=5, max_size=60), _time)
    def check(first_likes, operations, start):
        for table in TABLES:
            run(db.execute(f"DELETE FROM {table}"))
        for i, post in enumerate(MANY_POSTS):
            run(posts.upsert(db, _post(post, (i * 97) % (3 * DAY))))
        clock = [start]
        for op in first_likes:
            run(apply(op, clock))
        run(refresh_and_check(clock[0]))  # from scratch: the top made from every score
        for op in operations:
            run(apply(op, clock))
        run(refresh_and_check(clock[0] + 1))

    await asyncio.to_thread(check)
    assert any(floors)  # the floor was tried, not only a top of every post


async def test_a_like_written_while_a_refresh_runs_is_counted_once(db):
    """The refresh deletes the log it read, in the snapshot it read it in (REPEATABLE READ):
    a like committed between its read of the log and its delete stays in the log for the next
    refresh. Read committed would delete that like's entry without having counted it."""
    if db.scheme != Scheme.POSTGRES:
        pytest.skip("SQLite's refresh takes the write lock first: no write comes in between")
    now = 10 * DAY
    await posts.upsert(db, _post("$a", now - 10))
    await likes.upsert(db, "$l1", "$a", ROOM, USERS[0], now - 5)
    await _refresh(db, now)
    async with db.acquire_direct() as writer:  # its own connection, not the task's
        writing = writer.wrapped.transaction()
        await writing.start()
        # Readers of the log pass; the refresh's delete of it waits for this transaction.
        await writer.execute("LOCK TABLE trending_change IN SHARE MODE")
        refreshing = asyncio.create_task(
            trending.refresh(db, POSTS, now + 1 - DAY, now + 1, now + 1, DEPTH))
        for _ in range(200):
            waiting = await db.fetchval(
                "SELECT COUNT(*) FROM pg_locks WHERE NOT granted "
                "AND relation = 'trending_change'::regclass AND mode = 'RowExclusiveLock'")
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the refresh never reached the log's delete"
        await likes.upsert(writer, "$l2", "$a", ROOM, USERS[1], now - 3)
        await writing.commit()
    await refreshing
    await _refresh(db, now + 2)
    assert (await _kept(db))[2] == [("$a", 2, now - 10)]
    await _assert_equal(db, now + 2)


async def test_a_refresh_rewrites_only_the_ranking_s_rows_that_changed(db):
    """The stored ranking has no position: a post moving up rewrites its own row, not the
    rows after it."""
    await db.execute("CREATE TABLE ranking_writes (n INTEGER NOT NULL)")
    await db.execute("INSERT INTO ranking_writes (n) VALUES (0)")
    if db.scheme == Scheme.SQLITE:
        for op in ("INSERT", "UPDATE", "DELETE"):
            await db.execute(f"CREATE TRIGGER ranking_{op.lower()} AFTER {op} ON trending_post "
                             "BEGIN UPDATE ranking_writes SET n = n + 1; END")
    else:
        await db.execute("CREATE FUNCTION ranking_written() RETURNS trigger LANGUAGE plpgsql "
                         "AS $$ BEGIN UPDATE ranking_writes SET n = n + 1; RETURN NULL; END $$")
        await db.execute("CREATE TRIGGER ranking_written AFTER INSERT OR UPDATE OR DELETE ON "
                         "trending_post FOR EACH ROW EXECUTE FUNCTION ranking_written()")
    now = 10 * DAY
    for i, post in enumerate(("$a", "$b", "$c")):
        await posts.upsert(db, _post(post, now - 10 - i))
        for k in range(3 - i):  # $a 3 likes, $b 2, $c 1
            await likes.upsert(db, f"$l{post}{k}", post, ROOM, USERS[k], now - 5)
    await _refresh(db, now)
    assert await db.fetchval("SELECT n FROM ranking_writes") == 3
    await likes.upsert(db, "$more", "$c", ROOM, USERS[2], now - 1)  # $c: 2 likes, after $b
    await _refresh(db, now + 1)
    assert (await _kept(db))[2] == [("$a", 3, now - 10), ("$b", 2, now - 11),
                                    ("$c", 2, now - 12)]
    assert await db.fetchval("SELECT n FROM ranking_writes") == 4  # $c's row alone
    await _refresh(db, now + 2)  # nothing changed: nothing written
    assert await db.fetchval("SELECT n FROM ranking_writes") == 4


async def test_a_refresh_that_fails_leaves_its_log_to_the_next(db, monkeypatch):
    """A refresh that fails after reading and deleting the log (its last script fails) is
    rolled back whole: the next one counts what it would have, and the connection it used is
    back out of its transaction (PostgreSQL's refresh begins and commits in its scripts)."""
    now = 10 * DAY
    await posts.upsert(db, _post("$a", now - 10))
    await likes.upsert(db, "$l1", "$a", ROOM, USERS[0], now - 5)
    await _refresh(db, now)
    await likes.upsert(db, "$l2", "$a", ROOM, USERS[1], now - 3)
    monkeypatch.setattr(trending, "_ranking", lambda depth: ["SELECT no_such_column FROM x"])
    with pytest.raises(Exception, match="no_such_column|x"):
        await trending.refresh(db, POSTS, now + 1 - DAY, now + 1, now + 1, DEPTH)
    monkeypatch.undo()
    assert await db.fetchval("SELECT COUNT(*) FROM trending_change") == 1
    await _refresh(db, now + 2)
    assert (await _kept(db))[2] == [("$a", 2, now - 10)]
    await _assert_equal(db, now + 2)
