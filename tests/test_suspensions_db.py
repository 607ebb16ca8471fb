"""Suspensions without a homeserver, on both databases (docs/events.md, "Reports and
moderation"): what the index rules refuse a suspended user of another server (and a reindex
with them), what a suspension takes out of the index and what the counts are after it (a
count from scratch), what its end gives back; the bot's kicks recorded by a fake."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest

from matrix_social import events as ev
from matrix_social.db import feed_rooms, moderation
from matrix_social.errors import InvalidInput, NotFound
from matrix_social.ids import Identities
from matrix_social.matrix.bars import Bars, Suspension
from matrix_social.matrix.feed_owners import FeedOwners
from matrix_social.matrix.ingest import IndexRules
from matrix_social.matrix.ingest.writer import IndexWriter
from matrix_social.social import moderation as moderation_module
from matrix_social.social.moderation import Moderation

HS, OTHER = "hs.test", "other.test"
BOT, OTHER_BOT = f"@social:{HS}", f"@social:{OTHER}"
ALICE, BOB, SPAM, CAROL = f"@alice:{HS}", f"@bob:{HS}", f"@spam:{OTHER}", f"@carol:{OTHER}"
ALICE_FEED, BOB_FEED = "!alicefeed:hs.test", "!bobfeed:hs.test"
SPAM_FEED, CAROL_FEED = "!spamfeed:other.test", "!carolfeed:other.test"
_ids = itertools.count(1)


def event(etype: str, room: str, sender: str, content: dict, **extra) -> dict[str, Any]:
    return {"type": etype, "room_id": room, "sender": sender, "content": content,
            "event_id": f"$s{next(_ids)}", "origin_server_ts": 1_000 + next(_ids), **extra}


def post(room: str, sender: str, body: str) -> dict:
    return event("m.room.message", room, sender,
                 {"msgtype": "m.text", "body": body, ev.POST_BLOCK: {ev.POST_KIND: "text"}})


def comment(room: str, sender: str, on: str) -> dict:
    return event("m.room.message", room, sender, {
        "msgtype": "m.text", "body": f"nice {ALICE}", "m.relates_to": {
            "rel_type": ev.THREAD_REL, "event_id": on, "is_falling_back": True,
            "m.in_reply_to": {"event_id": on}}})


def like(room: str, sender: str, on: str) -> dict:
    return event("m.reaction", room, sender, {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": on, "key": ev.LIKE_KEY}})


def notice(room: str, sender: str, on: str, his_room: str) -> dict:
    return event("m.reaction", room, sender, {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": on, "key": ev.REPOST_KEY},
        ev.REPOST_NOTICE: {"room_id": his_room}})


def repost(his_room: str, sender: str, original: dict) -> dict:
    return event("m.room.message", his_room, sender, {
        "msgtype": "m.text", "body": "🔁", ev.POST_BLOCK: {
            ev.POST_KIND: "repost", "text": "look #deals",
            ev.POST_REPOST_OF: {"room_id": original["room_id"],
                                "event_id": original["event_id"],
                                "author": original["sender"]}}})


def join(room: str, user: str) -> dict:
    return event("m.room.member", room, user, {"membership": "join"}, state_key=user)


class FakeBot:
    def __init__(self) -> None:
        self.kicked: list[tuple[str, str]] = []

    async def kick_user(self, room_id, user_id, reason) -> None:
        self.kicked.append((str(room_id), str(user_id)))


@pytest.fixture
async def world(db):
    ids = Identities(domain=HS, bot_localpart="social", ai_suffix="_ai", platform_prefixes={})
    for room, owner, bot in ((ALICE_FEED, ALICE, BOT), (BOB_FEED, BOB, BOT),
                             (SPAM_FEED, SPAM, OTHER_BOT), (CAROL_FEED, CAROL, OTHER_BOT)):
        await feed_rooms.record(db, room, owner, bot)
    bars = Bars(db)
    rules = IndexRules(ids, FeedOwners(db), BOT, bars=bars)
    bot = FakeBot()
    return SimpleNamespace(
        ids=ids, bars=bars, rules=rules, w=IndexWriter(db), bot=bot,
        moderation=Moderation(db, ids, SimpleNamespace(bot=bot), None, bars))


async def _apply(world, *events: dict) -> None:
    for raw in events:
        world.w.current_event = raw
        await world.rules.apply(raw, world.w)


async def _counts(db, post_id: str) -> tuple[tuple, tuple]:
    """(as kept by the counters, as counted from scratch): likes, comments, reposts."""
    kept = await db.fetchrow("SELECT likes, comments, reposts FROM post_count WHERE post_id=$1",
                             post_id)
    fresh = (await db.fetchval("SELECT COUNT(*) FROM post_like WHERE post_id=$1", post_id),
             await db.fetchval("SELECT COUNT(*) FROM comment WHERE post_id=$1", post_id),
             await db.fetchval("SELECT COUNT(*) FROM post WHERE repost_of=$1", post_id))
    return (tuple(kept) if kept else (0, 0, 0)), fresh


async def _his(db, user: str) -> dict[str, int]:
    async def n(sql: str) -> int:
        return await db.fetchval(sql, user)
    return {"follows": await n("SELECT COUNT(*) FROM follow WHERE user_id=$1"),
            "likes": await n("SELECT COUNT(*) FROM post_like WHERE user_id=$1"),
            "comments": await n("SELECT COUNT(*) FROM comment WHERE author=$1"),
            "reposts": await n("SELECT COUNT(*) FROM post WHERE author=$1 AND repost_of IS NOT "
                               "NULL"),
            "posts": await n("SELECT COUNT(*) FROM post WHERE author=$1 AND repost_of IS NULL"),
            "hashtags": await n("SELECT COUNT(*) FROM post_tag WHERE author=$1"),
            "notifications": await n("SELECT COUNT(*) FROM notification WHERE actor=$1")}


async def test_the_index_takes_nothing_of_a_suspended_user_but_his_posts(world, db):
    """Suspended: his follow, comment, like, repost notice, repost, mentions and hashtags
    from his own server are not indexed (nor by a reindex's rules); bob's control is; his
    posts are. Lifted: he is indexed again."""
    mine = post(ALICE_FEED, ALICE, "my #garden")
    his = post(SPAM_FEED, SPAM, "old #deals")
    await _apply(world, mine, his)
    await moderation.suspend(db, SPAM, "@ops:hs.test", "spam", 1)
    await world.bars.changed()
    bar = await world.bars.barred(SPAM, "anything")
    assert isinstance(bar, Suspension) and bar.reason == "spam"
    p = mine["event_id"]
    edit = event("m.room.message", SPAM_FEED, SPAM, {
        "msgtype": "m.text", "body": "* new #deals2", "m.new_content": {
            "msgtype": "m.text", "body": f"new #deals2 {ALICE}",
            ev.POST_BLOCK: {ev.POST_KIND: "text"}},
        "m.relates_to": {"rel_type": "m.replace", "event_id": his["event_id"]}})
    late = post(SPAM_FEED, SPAM, f"hey {ALICE} #deals3")
    await _apply(world, join(ALICE_FEED, SPAM), comment(ALICE_FEED, SPAM, p),
                 like(ALICE_FEED, SPAM, p), notice(ALICE_FEED, SPAM, p, SPAM_FEED),
                 repost(SPAM_FEED, SPAM, mine), late, edit,
                 comment(ALICE_FEED, BOB, p), like(ALICE_FEED, BOB, p))
    await world.w.flush()
    assert await _counts(db, p) == ((1, 1, 0), (1, 1, 0))
    # his edit took the hashtags of the post it edited: none while suspended
    assert await _his(db, SPAM) == {"follows": 0, "likes": 0, "comments": 0, "reposts": 0,
                                    "posts": 2, "hashtags": 0, "notifications": 0}
    assert await db.fetchval("SELECT COUNT(*) FROM notification WHERE recipient=$1",
                             ALICE) == 2  # bob's comment and like

    # A reindex replays with the same rules and the bars as they stand.
    replaying = world.rules.replaying(FeedOwners(db), await world.rules.bars_now())
    again = comment(ALICE_FEED, SPAM, p)
    world.w.current_event = again
    await replaying.apply(again, world.w)
    assert (await _his(db, SPAM))["comments"] == 0

    assert await moderation.unsuspend(db, SPAM)
    await world.bars.changed()
    assert await world.bars.barred(SPAM, "anything") is None
    await _apply(world, join(ALICE_FEED, SPAM), comment(ALICE_FEED, SPAM, p))
    await world.w.flush()
    assert (await _his(db, SPAM))["follows"] == 1
    assert await _counts(db, p) == ((1, 2, 0), (1, 2, 0))


async def test_a_suspension_takes_his_marks_out_and_the_counts_stay_true(world, db,
                                                                         monkeypatch):
    """Before: he follows alice and carol, likes, comments on and reposts alice's post,
    comments on bob's, mentions alice. The suspension kicks him from alice's and bob's feed
    rooms (ours) only, takes every mark out and every notification he gave; the counts are a
    count from scratch. What another process indexed of his before it learnt of the bar is
    swept a moment later. Lifted: his hashtags come back, nothing else."""
    monkeypatch.setattr(moderation_module, "SUSPENSIONS_TTL", 0)
    mine, bobs = post(ALICE_FEED, ALICE, "mine"), post(BOB_FEED, BOB, "bob's")
    his = post(SPAM_FEED, SPAM, f"buy #deals now {ALICE}")
    p, q = mine["event_id"], bobs["event_id"]
    await _apply(world, mine, bobs, his, join(ALICE_FEED, SPAM), join(CAROL_FEED, SPAM),
                 like(ALICE_FEED, SPAM, p), comment(ALICE_FEED, SPAM, p),
                 repost(SPAM_FEED, SPAM, mine), comment(BOB_FEED, SPAM, q),
                 like(ALICE_FEED, BOB, p))
    await world.w.flush()
    assert await _counts(db, p) == ((2, 1, 1), (2, 1, 1))
    before = await _his(db, SPAM)
    assert before["follows"] == 2 and before["notifications"] >= 4, before

    # Refused input, nothing done.
    for value, error in (("spam", InvalidInput), ("@spam", InvalidInput), (None, InvalidInput),
                         (42, InvalidInput), (BOT, InvalidInput),
                         (f"@{'x' * 300}:{OTHER}", InvalidInput)):
        with pytest.raises(error):
            await world.moderation.suspend(value, "@ops:hs.test", "spam")
    with pytest.raises(NotFound):  # ours must exist (a feed room)
        await world.moderation.suspend(f"@nobody:{HS}", "@ops:hs.test", "spam")
    with pytest.raises(NotFound):
        await world.moderation.unsuspend(SPAM, "@ops:hs.test", "not suspended")
    assert world.bot.kicked == [] and await moderation.suspended(db) == set()

    done = await world.moderation.suspend(SPAM, "@ops:hs.test", "spam wave")
    assert (done["local"], done["room_id"], done["kicked_from"]) == (False, SPAM_FEED, 2)
    assert sorted(world.bot.kicked) == [(ALICE_FEED, SPAM), (BOB_FEED, SPAM)]
    assert done["removed"] == {"follows": 2, "likes": 1, "comments": 2, "reposts": 1,
                               "hashtags": 1, "notifications": before["notifications"]}
    assert await _counts(db, p) == ((1, 0, 0), (1, 0, 0))
    assert await _counts(db, q) == ((0, 0, 0), (0, 0, 0))
    assert await _his(db, SPAM) == {"follows": 0, "likes": 0, "comments": 0, "reposts": 0,
                                    "posts": 1, "hashtags": 0, "notifications": 0}
    # Indexed by a process that had not yet read the bar: swept once every process has.
    await db.execute("INSERT INTO post_like (event_id, post_id, user_id, ts) "
                     "VALUES ('$late', $1, $2, 5)", p, SPAM)
    await world.moderation.swept()
    assert await _counts(db, p) == ((1, 0, 0), (1, 0, 0))
    logged = [(a["actor"], a["action"], a["target"], a["reason"])
              for a in await world.moderation.actions()]
    assert logged == [("@ops:hs.test", "suspend", SPAM, "spam wave")]
    listed = await world.moderation.suspensions()
    assert [(s["user"]["user_id"], s["local"], s["actor"], s["reason"]) for s in listed] == [
        (SPAM, False, "@ops:hs.test", "spam wave")]

    # Somebody of another server we never saw can be suspended ahead.
    ahead = await world.moderation.suspend(f"@next:{OTHER}", "@ops:hs.test", "same wave")
    assert (ahead["room_id"], ahead["kicked_from"]) == (None, 0)

    assert isinstance(await world.bars.barred(SPAM, "anything"), Suspension)  # read, kept
    lifted = await world.moderation.unsuspend(SPAM, "@ops:hs.test", "appeal")
    assert lifted == {"user_id": SPAM, "suspended": False, "room_id": SPAM_FEED,
                      "local": False, "restored": {"hashtags": 1}}
    assert await _his(db, SPAM) == {"follows": 0, "likes": 0, "comments": 0, "reposts": 0,
                                    "posts": 1, "hashtags": 1, "notifications": 0}
    assert await world.bars.barred(SPAM, "anything") is None
    assert (await world.moderation.actions())[0]["action"] == "unsuspend"
    await world.moderation.swept()
