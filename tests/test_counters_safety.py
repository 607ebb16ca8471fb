"""The counts a viewer is shown always equal a count from scratch under the block rule
(docs/events.md, "Blocks"), whatever happens: random posts, reposts, likes (a second ❤️ of the
same user included), comments, redactions, blocks, unblocks, mutes and unmutes, on SQLite and
PostgreSQL.

The rule, as an oracle kept in Python beside the index: a post's likes are its distinct likers,
its comments and reposts every one of them, each leaving out the people the viewer blocked now.
A suspension (social/moderation.py, the operator's: a local person or Dan of another server)
takes his likes, comments and reposts out of the index for good (`forget_marks_of`), and
while it lasts the index takes none of his (ingest refuses them: modelled here by skipping
them); his own posts stay, hidden from everybody else, and lifting it brings nothing back.
A block also redacts his newest likes and comments in her feed room (social/blocks.py, at most
MAX_REDACTIONS of each; REDACT here, so older ones stay and are hidden from her by the index
alone): gone for everyone. An unblock brings nothing back. Mutes change no count: a muted
person's posts leave her feed, his marks still count.

Every place a post's counts are shown is read: the post itself, her feed, each profile's posts
(paged, recent, pinned), her bookmarks, the original carried by each repost on those, and the
counts her live stream is sent for the posts on her screen."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mautrix.util.async_db import Database

from matrix_social import events as ev
from matrix_social.db import blocks, bookmarks, comments, likes, moderation, mutes, posts
from matrix_social.db.posts import PostRow
from matrix_social.external.registry import brandings
from matrix_social.ids import Identities
from matrix_social.matrix.bars import Bars
from matrix_social.matrix.ingest.changes import IndexChanges
from matrix_social.social.block_list import BlockList
from matrix_social.social.bookmarks import Bookmarks
from matrix_social.social.feed import Feed
from matrix_social.social.feed_plan import FeedPlanner
from matrix_social.social.live import LiveStreams
from matrix_social.social.mutes import Mutes
from matrix_social.social.notifications import Notifications
from matrix_social.social.users import Users

EXAMPLES = int(os.environ.get("COUNTER_EXAMPLES", "40"))
PEOPLE = [f"@{name}:example.org" for name in ("alice", "bob", "carol")] + ["@dan:remote.example"]
VIEWERS = PEOPLE[:3]
REDACT = 2  # the block's redactions, scaled down from MAX_REDACTIONS (500)
TABLES = ("post_like", "comment", "post", "post_count", "user_block", "user_mute", "bookmark",
          "suspended_user")


def room_of(user: str) -> str:
    return f"!feed_{user[1:].replace(':', '_')}:example.org"


@dataclass
class Model:
    """What the index should hold, and whom each viewer blocks."""

    posts: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id: author, of
    likes: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # id: post, user, ts
    comments: dict[str, tuple[str, str, str, int]] = field(default_factory=dict)  # +room
    blocked: set[tuple[str, str]] = field(default_factory=set)  # (owner, blocked)
    suspended: set[str] = field(default_factory=set)
    ts: int = 0

    def tick(self) -> int:
        self.ts += 1
        return self.ts

    def counts(self, viewer: str, post_id: str) -> dict[str, int]:
        seen = [(o, who) for o, who in self.blocked if o == viewer]
        hidden = {who for _, who in seen}
        return {
            "likes": len({u for p, u, _ in self.likes.values() if p == post_id
                          and u not in hidden}),
            "comments": sum(1 for p, a, _, _ in self.comments.values() if p == post_id
                            and a not in hidden),
            "reposts": sum(1 for a, of in self.posts.values() if of == post_id
                           and a not in hidden),
        }


async def _apply(db: Database, model: Model, op: tuple, bars: Bars | None = None) -> None:
    kind = op[0]
    if kind in ("repost", "like", "comment") and op[2 if kind == "repost" else 3] \
            in model.suspended:
        return  # the index rules refuse them while he is suspended
    if kind in ("post", "repost"):
        _, event_id, author, original = op
        if event_id in model.posts or (kind == "repost" and original not in model.posts):
            return
        if kind == "repost" and model.posts[original][1] is not None:
            return  # ingest points a repost of a repost at the first original
        ts = model.tick()
        content = {"body": "body"}
        if kind == "repost":  # as ingest keeps it: the post block names the original
            content = {"body": "", ev.POST_BLOCK: {ev.POST_KIND: "repost", ev.POST_REPOST_OF: {
                "room_id": room_of(model.posts[original][0]), "event_id": original,
                "author": model.posts[original][0]}}}
        await posts.upsert(db, PostRow(event_id, room_of(author), author,
                                       "repost" if kind == "repost" else "text",
                                       content["body"], content, ts, None,
                                       original if kind == "repost" else None))
        model.posts[event_id] = (author, original if kind == "repost" else None)
        for viewer in VIEWERS:
            await bookmarks.add(db, viewer, event_id, ts)
    elif kind == "like":
        _, event_id, post_id, user = op
        if event_id in model.likes or post_id not in model.posts:
            return
        ts = model.tick()
        await likes.upsert(db, event_id, post_id, room_of(model.posts[post_id][0]), user, ts)
        model.likes[event_id] = (post_id, user, ts)
    elif kind == "comment":
        _, event_id, post_id, user = op
        if event_id in model.comments or post_id not in model.posts:
            return
        ts, room = model.tick(), room_of(model.posts[post_id][0])
        await comments.upsert(db, event_id, post_id, room, user, "hi", None, ts)
        model.comments[event_id] = (post_id, user, room, ts)
    elif kind == "redact":  # matrix/ingest: a redaction removes whichever row it names
        _, event_id = op
        await posts.delete(db, event_id)
        await likes.delete(db, event_id)
        await comments.delete(db, event_id)
        model.posts.pop(event_id, None)
        model.likes.pop(event_id, None)
        model.comments.pop(event_id, None)
    elif kind == "block":
        _, owner, target = op
        await _block(db, model, owner, target)
    elif kind == "unblock":
        _, owner, target = op
        await blocks.remove(db, owner, target)
        model.blocked.discard((owner, target))
    elif kind == "suspend":
        await _suspend(db, model, op[1], bars)
    elif kind == "unsuspend":
        await moderation.unsuspend(db, op[1])
        model.suspended.discard(op[1])
        if bars is not None:
            await bars.changed()
    elif kind == "mute":
        _, owner, target = op
        await mutes.mute(db, owner, target, None, model.tick())
    elif kind == "unmute":
        _, owner, target = op
        await mutes.unmute(db, owner, target)


async def _block(db: Database, model: Model, owner: str, target: str) -> None:
    """What a block does to the index (social/blocks.py `_shut_out`): the row, then his newest
    likes and comments in her feed room redacted; the redactions come back from the
    homeserver as ingest's deletes."""
    await blocks.add(db, owner, target, None, model.tick())
    model.blocked.add((owner, target))
    room = room_of(owner)
    their_likes, their_comments = await blocks.their_marks_in_room(db, room, target, REDACT)
    for event_id in their_likes:
        await likes.delete(db, event_id)
    for event_id in their_comments:
        await comments.delete(db, event_id)
    expected_likes = sorted(
        ((ts, e) for e, (p, u, ts) in model.likes.items()
         if u == target and p in model.posts and room_of(model.posts[p][0]) == room),
        reverse=True)[:REDACT]
    expected_comments = sorted(
        ((ts, e) for e, (_, a, r, ts) in model.comments.items() if a == target and r == room),
        reverse=True)[:REDACT]
    assert sorted(their_likes) == sorted(e for _, e in expected_likes)
    assert sorted(their_comments) == sorted(e for _, e in expected_comments)
    for _, event_id in expected_likes:
        model.likes.pop(event_id)
    for _, event_id in expected_comments:
        model.comments.pop(event_id)


async def _suspend(db: Database, model: Model, target: str, bars: Bars | None) -> None:
    """What a suspension does to the index (social/moderation.py `suspend`): the row, then
    his likes, comments and reposts out, in one transaction."""
    await moderation.suspend(db, target, "@ops:example.org", "spam", model.tick())
    if bars is not None:
        await bars.changed()
    async with db.acquire() as conn, conn.transaction():
        await moderation.forget_marks_of(conn, target)
    model.suspended.add(target)
    model.likes = {e: m for e, m in model.likes.items() if m[1] != target}
    model.comments = {e: m for e, m in model.comments.items() if m[1] != target}
    model.posts = {e: m for e, m in model.posts.items() if not (m[0] == target and m[1])}


def _feed(db: Database, bars: Bars | None = None) -> Feed:
    ids = Identities(domain="example.org", bot_localpart="social", ai_suffix="_ai",
                     platform_prefixes={})
    users = Users(ids, None)
    return Feed(db, users, FeedPlanner(db), brandings(), BlockList(db, bars),
                Mutes(db, ids, users))


async def _shown(feed: Feed, viewer: str) -> list[tuple[str, dict]]:
    """Every (post id, counts) she is shown: each post, her feed, each profile's posts, her
    bookmarks, and the original inside each repost of them."""
    views = []
    for post_id in sorted(await _indexed(feed.db)):
        views.append((await feed.post(viewer, post_id), "post"))
    views += [(v, "feed") for v in (await feed.page(viewer, None, 100))["items"]]
    for person in PEOPLE:
        page = await feed.room_page(viewer, room_of(person), None, 100)
        views += [(v, "profile") for v in page["items"]]
        views += [(v, "recent") for v in await feed.room_posts(viewer, room_of(person), 100)]
        for post_id in [v["id"] for v in page["items"] if v["kind"] != "repost"]:
            views.append((await feed.pinned(viewer, person, room_of(person), post_id), "pinned"))
    views += [(v, "bookmarks") for v in
              (await Bookmarks(feed.db, feed).page(viewer, None, 100))["items"]]
    shown = await _pushed(feed, viewer)
    for view, where in views:
        shown.append((view["id"], where, view["counts"]))
        if isinstance(view.get("original"), dict):
            shown.append((view["original"]["id"], f"{where} original", view["original"]["counts"]))
    return shown


async def _pushed(feed: Feed, viewer: str) -> list[tuple[str, str, dict]]:
    """The counts her live stream is sent for the posts she puts on screen (social/live.py)."""
    indexed = await _indexed(feed.db)
    if not indexed:
        return []
    live = LiveStreams(feed.db, IndexChanges(), Notifications(feed.db, feed.users))
    stream = await live.open(viewer, None)
    try:
        await live._counts_for(viewer, None, indexed)
        events = []
        while not stream.queue.empty():
            events.append(stream.queue.get_nowait())
    finally:
        live.close(stream)
    return [(data["post_id"], "live", data["counts"]) for _, name, data in events
            if name == "counts"]


async def _indexed(db: Database) -> set[str]:
    return {r["event_id"] for r in await db.fetch("SELECT event_id FROM post")}


async def _setup(db: Database) -> None:
    for person in PEOPLE:
        await db.execute("INSERT INTO feed_room (room_id, owner, bot, created_at) "
                         "VALUES ($1, $2, '@social:example.org', 0) ON CONFLICT DO NOTHING",
                         room_of(person), person)
        for viewer in VIEWERS:  # her follows stay: the filter alone must hide
            if viewer != person:
                await db.execute("INSERT INTO follow (room_id, user_id, ts) VALUES ($1, $2, 0) "
                                 "ON CONFLICT DO NOTHING", room_of(person), viewer)


POST_IDS = [f"$post{i}" for i in range(4)]
REPOST_IDS = [f"$repost{i}" for i in range(4)]
LIKE_IDS = [f"$like{i}" for i in range(8)]
COMMENT_IDS = [f"$comment{i}" for i in range(5)]
_person = st.sampled_from(PEOPLE)
_viewer = st.sampled_from(VIEWERS)
_operation = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(POST_IDS), _person, st.none()),
    st.tuples(st.just("repost"), st.sampled_from(REPOST_IDS), _person,
              st.sampled_from(POST_IDS)),
    st.tuples(st.just("like"), st.sampled_from(LIKE_IDS), st.sampled_from(POST_IDS), _person),
    st.tuples(st.just("comment"), st.sampled_from(COMMENT_IDS), st.sampled_from(POST_IDS),
              _person),
    st.tuples(st.just("redact"), st.sampled_from(POST_IDS + REPOST_IDS + LIKE_IDS
                                                 + COMMENT_IDS)),
    st.tuples(st.sampled_from(["block", "block", "unblock", "mute", "unmute"]), _viewer,
              _person).filter(lambda op: op[1] != op[2]),
    st.tuples(st.sampled_from(["suspend", "unsuspend"]), _person),
)


async def _mismatches(feed: Feed, model: Model) -> list:
    wrong = []
    for viewer in VIEWERS:
        for post_id, where, counts in await _shown(feed, viewer):
            expected = model.counts(viewer, post_id)
            if counts != expected:
                wrong.append((viewer, where, post_id, counts, expected))
    return wrong


async def test_counts_shown_equal_a_fresh_count_under_blocks_mutes_and_suspensions(db):
    loop = asyncio.get_running_loop()
    checked: list[int] = []
    bars = Bars(db)
    feed = _feed(db, bars)
    await _setup(db)

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(_operation, min_size=4, max_size=24))
    def check(operations):
        for table in TABLES:
            run(db.execute(f"DELETE FROM {table}"))
        run(bars.changed())
        run(_setup(db))  # a suspension ended the follows of whom it suspended
        model = Model()
        done = []
        for op in operations:
            done.append(op)
            run(_apply(db, model, op, bars))
            assert run(_mismatches(feed, model)) == [], done
        checked.append(len(done))

    await asyncio.to_thread(check)
    assert len(checked) == EXAMPLES


async def test_two_reposts_by_one_blocked_person_both_leave_her_count(db):
    """The counter counts every repost row (ingest lets a person repost a post once, but two
    writers racing, or an index from another version, can hold two): both leave her count."""
    await _setup(db)
    model, feed = Model(), _feed(db)
    alice, bob, carol = PEOPLE[:3]
    for op in (("post", "$p", alice, None), ("repost", "$r1", bob, "$p"),
               ("repost", "$r3", carol, "$p"), ("block", alice, bob)):
        await _apply(db, model, op)
    await posts.upsert(db, PostRow("$r2", room_of(bob), bob, "repost", "", {"body": ""},
                                   model.tick(), None, "$p"))
    model.posts["$r2"] = (bob, "$p")
    assert model.counts(alice, "$p")["reposts"] == 1
    assert await _mismatches(feed, model) == []


async def test_the_original_inside_a_repost_is_counted_as_she_sees_it(db):
    """Dan (another server) liked and commented on Carol's post and reposted it; Bob reposted
    it too. Alice blocked Dan: wherever Bob's repost shows her Carol's post, its counts leave
    Dan out; Bob sees them all."""
    await _setup(db)
    model, feed = Model(), _feed(db)
    alice, bob, carol, dan = PEOPLE
    for op in (("post", "$p", carol, None), ("like", "$l", "$p", dan),
               ("comment", "$c", "$p", dan), ("repost", "$rd", dan, "$p"),
               ("like", "$l2", "$p", bob), ("repost", "$rb", bob, "$p"),
               ("block", alice, dan)):
        await _apply(db, model, op)
    assert model.counts(alice, "$p") == {"likes": 1, "comments": 0, "reposts": 1}
    assert model.counts(bob, "$p") == {"likes": 2, "comments": 1, "reposts": 2}
    shown = await _shown(feed, alice)
    assert {where for post_id, where, _ in shown if post_id == "$p"} >= {
        "feed original", "profile original", "bookmarks original", "post original"}
    assert await _mismatches(feed, model) == []


async def test_the_counts_of_no_posts_are_none(db):
    assert await posts.counts_of(db, []) == {}
