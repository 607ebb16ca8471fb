"""The index rules on their own (no homeserver), on both databases, through a writer that
records every write: what an event means, and what it is never believed."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from matrix_social import events as ev
from matrix_social.db import feed_rooms, quarantine
from matrix_social.errors import MalformedEvent, UntrustedEvent
from matrix_social.ids import Identities
from matrix_social.matrix.feed_owners import FeedOwners
from matrix_social.matrix.ingest import IndexRules, Ingest, Quarantine
from matrix_social.matrix.ingest.writer import IndexWriter

HS = "hs.test"
BOT = f"@social:{HS}"
ALICE, BOB, MALLORY = f"@alice:{HS}", f"@bob:{HS}", f"@mallory:{HS}"
ALICE_FEED, BOB_FEED, PRIVATE = "!alicefeed:hs.test", "!bobfeed:hs.test", "!private:hs.test"
REMOTE_OWNER, REMOTE_FEED = "@carol:other.test", "!carolfeed:other.test"
REMOTE_BOT, REMOTE_FORGER = "@social:other.test", "@eve:other.test"
_ids = itertools.count(1)


class RecordingWriter(IndexWriter):
    """Writes through to the database (so later reads see them) and records each write."""

    def __init__(self, db) -> None:
        super().__init__(db)
        self.writes: list[tuple[str, tuple]] = []

    async def post(self, row, mentioned=()) -> None:
        self.writes.append(("post", (row.event_id, row.author, row.kind, row.repost_of)))
        await super().post(row, mentioned)

    async def like(self, *args) -> None:
        self.writes.append(("like", args[:4]))
        await super().like(*args)

    async def comment(self, *args) -> None:
        self.writes.append(("comment", args[:4]))
        await super().comment(*args)

    async def write(self, statement, *args) -> None:
        self.writes.append((statement.__name__, args))
        await super().write(statement, *args)


def event(etype: str, room: str, sender: str, content: dict, **extra) -> dict[str, Any]:
    return {"type": etype, "room_id": room, "sender": sender, "content": content,
            "event_id": f"$e{next(_ids)}", "origin_server_ts": 1_000 + next(_ids), **extra}


def text(room: str, sender: str, body: str = "hello", **extra) -> dict:
    return event("m.room.message", room, sender,
                 {"msgtype": "m.text", "body": body, ev.POST_BLOCK: {ev.POST_KIND: "text"}},
                 **extra)


@pytest.fixture
async def rules(db):
    ids = Identities(domain=HS, bot_localpart="social", ai_suffix="_ai", platform_prefixes={})
    await feed_rooms.record(db, ALICE_FEED, ALICE, BOT)
    await feed_rooms.record(db, BOB_FEED, BOB, BOT)
    await feed_rooms.record(db, REMOTE_FEED, REMOTE_OWNER, REMOTE_BOT)
    return IndexRules(ids, FeedOwners(db), BOT), RecordingWriter(db)


async def _posts(db) -> list[str]:
    return [r["event_id"] for r in await db.fetch("SELECT event_id FROM post ORDER BY ts")]


async def test_state_in_an_unverified_room_writes_nothing(rules, db):
    rules, w = rules
    for etype, content in ((ev.FEED_STATE, {"owner": MALLORY}),
                           (ev.PROFILE_STATE, {"bio": "forged"}),
                           (ev.APP_STATE, {"name": "x", "url": "https://x"})):
        await rules.apply(event(str(etype), PRIVATE, MALLORY, content, state_key=""), w)
    await rules.apply(text(PRIVATE, MALLORY), w)
    assert w.writes == []
    assert await feed_rooms.get(db, PRIVATE) is None


async def test_feed_state_naming_someone_else_in_a_verified_feed_is_refused(rules):
    rules, w = rules
    with pytest.raises(UntrustedEvent):
        await rules.apply(event(str(ev.FEED_STATE), ALICE_FEED, ALICE, {"owner": BOB},
                                state_key=""), w)
    assert w.writes == []


async def test_owner_state_counts_only_from_the_owner_or_the_feeds_bot(rules, db):
    rules, w = rules
    await rules.apply(event(str(ev.PROFILE_STATE), ALICE_FEED, MALLORY, {"bio": "forged"},
                            state_key=""), w)
    await rules.apply(event(str(ev.PROFILE_STATE), REMOTE_FEED, REMOTE_FORGER,
                            {"bio": "forged"}, state_key=""), w)
    assert w.writes == []
    await rules.apply(event(str(ev.PROFILE_STATE), ALICE_FEED, BOT, {"bio": "real"},
                            state_key=""), w)
    await rules.apply(event(str(ev.PROFILE_STATE), REMOTE_FEED, REMOTE_BOT, {"bio": "theirs"},
                            state_key=""), w)
    assert [name for name, _ in w.writes] == ["set_details", "set_details"]
    assert await db.fetchval("SELECT bio FROM profile WHERE user_id=$1", REMOTE_OWNER) == "theirs"


async def test_likes_comments_and_edits_count_only_in_the_posts_own_room(rules, db):
    rules, w = rules
    post = text(ALICE_FEED, ALICE)
    await rules.apply(post, w)
    pid = post["event_id"]
    like = {"m.relates_to": {"rel_type": "m.annotation", "event_id": pid, "key": "❤️"}}
    thread = {"msgtype": "m.text", "body": "c",
              "m.relates_to": {"rel_type": "m.thread", "event_id": pid}}
    edit = {"msgtype": "m.text", "body": "* x", "m.relates_to": {"rel_type": "m.replace",
                                                                "event_id": pid},
            "m.new_content": {"msgtype": "m.text", "body": "forged edit"}}
    await rules.apply(event("m.reaction", BOB_FEED, MALLORY, like), w)
    await rules.apply(event("m.room.message", BOB_FEED, MALLORY, thread), w)
    await rules.apply(event("m.room.message", BOB_FEED, ALICE, edit), w)
    assert await db.fetchval("SELECT COUNT(*) FROM post_like") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM comment") == 0
    assert await db.fetchval("SELECT body FROM post WHERE event_id=$1", pid) == "hello"
    await rules.apply(event("m.reaction", ALICE_FEED, MALLORY, like), w)
    await rules.apply(event("m.room.message", ALICE_FEED, MALLORY, thread), w)
    await rules.apply(event("m.room.message", ALICE_FEED, ALICE, edit), w)
    assert await db.fetchval("SELECT COUNT(*) FROM post_like") == 1
    assert await db.fetchval("SELECT COUNT(*) FROM comment") == 1
    assert await db.fetchval("SELECT body FROM post WHERE event_id=$1", pid) == "forged edit"


async def test_thumbs_up_and_heart_are_one_like_per_person(rules, db):
    """MSC4501's 👍 and our earlier ❤️ are both likes; a person who sent both is one like,
    and a skin-toned 👍 or any other emoji is not a like."""
    rules, w = rules
    post = text(ALICE_FEED, ALICE)
    await rules.apply(post, w)
    for key in ("👍", "❤️", "👍🏽", "😀"):
        await rules.apply(event("m.reaction", ALICE_FEED, BOB, {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": post["event_id"], "key": key}}), w)
    assert await db.fetchval("SELECT COUNT(*) FROM post_like") == 2  # the 👍 and the ❤️
    assert await db.fetchval("SELECT likes FROM post_count WHERE post_id=$1",
                             post["event_id"]) == 1


async def test_redactions_remove_only_what_the_sender_may_remove_in_that_room(rules, db):
    rules, w = rules
    post = text(ALICE_FEED, ALICE)
    await rules.apply(post, w)
    pid = post["event_id"]
    for room, sender in ((PRIVATE, MALLORY), (ALICE_FEED, MALLORY), (BOB_FEED, BOB)):
        await rules.apply(event("m.room.redaction", room, sender, {"redacts": pid},
                                redacts=pid), w)
    assert await _posts(db) == [pid]
    await rules.apply(event("m.room.redaction", ALICE_FEED, BOT, {"redacts": pid},
                            redacts=pid), w)
    assert await _posts(db) == []


async def test_a_top_level_message_by_anyone_but_the_owner_is_not_a_post(rules, db):
    rules, w = rules
    await rules.apply(text(ALICE_FEED, MALLORY, "I am alice, really"), w)
    await rules.apply(text(ALICE_FEED, BOT, "bot"), w)
    assert await _posts(db) == []


async def test_a_repost_takes_its_original_from_the_index_and_counts_once(rules, db):
    rules, w = rules
    original = text(ALICE_FEED, ALICE, "original")
    await rules.apply(original, w)
    forged_block = {ev.POST_KIND: "repost", "text": "look",
                    ev.POST_REPOST_OF: {"room_id": PRIVATE, "event_id": original["event_id"],
                                        "author": MALLORY}}
    repost = event("m.room.message", BOB_FEED, BOB,
                   {"msgtype": "m.text", "body": "🔁 @mallory: lies", ev.POST_BLOCK: forged_block})
    await rules.apply(repost, w)
    stored = await db.fetchval("SELECT content FROM post WHERE event_id=$1", repost["event_id"])
    assert f'"author": "{ALICE}"' in stored and f'"room_id": "{ALICE_FEED}"' in stored
    assert await db.fetchval("SELECT body FROM post WHERE event_id=$1", repost["event_id"]) == \
        "look"
    again = event("m.room.message", BOB_FEED, BOB, repost["content"])
    await rules.apply(again, w)
    assert await db.fetchval("SELECT COUNT(*) FROM post WHERE repost_of=$1",
                             original["event_id"]) == 1
    nowhere = event("m.room.message", BOB_FEED, BOB, {
        "msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
            ev.POST_KIND: "repost", ev.POST_REPOST_OF: {"event_id": "$not-indexed"}}})
    with pytest.raises(UntrustedEvent):
        await rules.apply(nowhere, w)


async def test_a_repost_naming_someone_elses_post_as_its_notice_deletes_nothing(rules, db):
    rules, w = rules
    victim = text(ALICE_FEED, ALICE, "victim")
    other = text(ALICE_FEED, ALICE, "other")
    await rules.apply(victim, w)
    await rules.apply(other, w)
    block = {ev.POST_KIND: "repost", ev.POST_REPOST_OF: {
        "room_id": ALICE_FEED, "event_id": other["event_id"], ev.POST_NOTICE: victim["event_id"]}}
    await rules.apply(event("m.room.message", BOB_FEED, BOB,
                            {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: block}), w)
    assert victim["event_id"] in await _posts(db)


async def test_a_repost_notice_naming_another_users_feed_is_refused(rules, db):
    rules, w = rules
    post = text(ALICE_FEED, ALICE)
    await rules.apply(post, w)
    notice = {"m.relates_to": {"rel_type": "m.annotation", "event_id": post["event_id"],
                               "key": ev.REPOST_KEY}, ev.REPOST_NOTICE: {"room_id": BOB_FEED}}
    with pytest.raises(UntrustedEvent):
        await rules.apply(event("m.reaction", ALICE_FEED, MALLORY, notice), w)
    await rules.apply(event("m.reaction", ALICE_FEED, BOB, notice), w)
    assert await db.fetchval("SELECT author FROM post WHERE repost_of=$1",
                             post["event_id"]) == BOB


async def test_bots_never_follow_and_a_join_to_like_is_no_follow(rules, db):
    rules, w = rules
    for room, user, content in (
            (ALICE_FEED, BOT, {"membership": "join"}),
            (REMOTE_FEED, REMOTE_BOT, {"membership": "join"}),
            (ALICE_FEED, BOB, {"membership": "join", ev.FOLLOW_FLAG: False}),
            (ALICE_FEED, MALLORY, {"membership": "join"})):
        await rules.apply(event("m.room.member", room, user, content, state_key=user), w)
    follows = await db.fetch("SELECT room_id, user_id FROM follow")
    assert [(r["room_id"], r["user_id"]) for r in follows] == [(ALICE_FEED, MALLORY)]


async def test_a_member_event_older_than_our_own_follow_or_unfollow_never_undoes_it(rules, db):
    rules, w = rules

    def member(content: dict) -> dict:
        return event("m.room.member", ALICE_FEED, BOB, content, state_key=BOB)

    async def following() -> bool:
        return await db.fetchval("SELECT COUNT(*) FROM follow WHERE user_id=$1", BOB) == 1

    join, leave = {"membership": "join", ev.FOLLOW_FLAG: True}, {"membership": "leave"}
    await rules.apply(member(join), w)
    async with rules.fence.around(ALICE_FEED, BOB, follows=False):  # the API is leaving
        await db.execute("DELETE FROM follow")  # and has removed the row already
        await rules.apply(member(join), w)  # an earlier join, late in the stream: skipped
        assert not await following()
    await rules.apply(member(leave), w)  # our own leave lifts the fence
    await rules.apply(member(join), w)  # a later follow, from any client, counts
    assert await following()

    async with rules.fence.around(ALICE_FEED, BOB, follows=True):  # the API is following
        await rules.apply(member(leave), w)  # older than our follow: skipped
        assert await following()
    await rules.apply(member(join), w)  # ours
    await rules.apply(member(leave), w)  # a later leave counts again
    assert not await following()

    with pytest.raises(RuntimeError):
        async with rules.fence.around(ALICE_FEED, BOB, follows=True):
            raise RuntimeError("the homeserver refused the join")
    await rules.apply(member(join), w)  # no fence left behind by the failed join
    await rules.apply(member(leave), w)
    assert not await following()


async def test_a_profile_event_delivered_late_never_undoes_a_newer_one(rules, db):
    """What the service wrote itself is indexed at once; the homeserver delivers the events
    before it later (a retried transaction, a busy machine): those change nothing."""
    rules, w = rules

    def at(ts: int, etype: str, content: dict, state_key: str = "") -> dict:
        return {**event(etype, ALICE_FEED, ALICE, content, state_key=state_key),
                "origin_server_ts": ts}

    async def profile() -> tuple:
        row = await db.fetchrow("SELECT displayname, bio, banner_url FROM profile "
                                "WHERE user_id=$1", ALICE)
        return tuple(row.values()) if hasattr(row, "values") else tuple(row)

    banner = "mxc://hs.test/banner"
    await rules.apply(at(3_000, "m.room.member", {"membership": "join",
                                                  "displayname": "Alicia"}, ALICE), w)
    await rules.apply(at(3_000, str(ev.PROFILE_STATE), {"bio": "Hi again"}), w)
    for late in (at(1_000, "m.room.member", {"membership": "join", "displayname": "Alice"},
                    ALICE),
                 at(2_000, str(ev.PROFILE_STATE), {"bio": "Hi", ev.PROFILE_BANNER: banner}),
                 at(2_500, "m.room.topic", {"topic": "Hi"})):
        await rules.apply(late, w)
        assert await profile() == ("Alicia", "Hi again", None), late["type"]
    await rules.apply(at(4_000, "m.room.topic", {"topic": "Topic now"}), w)
    await rules.apply(at(4_000, "m.room.member", {"membership": "join", "displayname": "Al"},
                         ALICE), w)
    assert await profile() == ("Al", "Topic now", None)


async def test_an_app_with_a_state_key_that_is_not_a_slug_is_refused(rules, db):
    rules, w = rules
    with pytest.raises(MalformedEvent):
        await rules.apply(event(str(ev.APP_STATE), ALICE_FEED, ALICE,
                                {"name": "x", "url": "https://x"}, state_key="../x:y"), w)
    assert await db.fetchval("SELECT COUNT(*) FROM app") == 0


async def test_ingest_quarantines_what_cannot_be_indexed_and_goes_on(db):
    ids = Identities(domain=HS, bot_localpart="social", ai_suffix="_ai", platform_prefixes={})
    await feed_rooms.record(db, ALICE_FEED, ALICE, BOT)
    ingest = Ingest(db, IndexRules(ids, FeedOwners(db), BOT), Quarantine(db))
    bad = event("m.room.message", ALICE_FEED, ALICE, {"msgtype": "m.text", "body": "x",
                                                      ev.POST_BLOCK: {ev.POST_KIND: "nope"}})
    async with ingest.transaction() as batch:
        await ingest.handle(bad)
        good = text(ALICE_FEED, ALICE, "after the bad one")
        await ingest.handle(good)
        batch.processed_txn = "t1"
    assert await _posts(db) == [good["event_id"]]
    rows = await quarantine.list_all(db)
    assert [(r["event_id"], r["attempts"]) for r in rows] == [(bad["event_id"], 1)]
    assert "kind" in rows[0]["error"]
    assert await db.fetchval("SELECT COUNT(*) FROM appservice_txn WHERE txn_id='t1'") == 1


async def test_a_batch_writes_posts_then_likes_and_comments_in_their_posts_room(db):
    """One appservice transaction's writes, gathered, then written in one database
    transaction with its processed mark; a retried transaction doubles nothing."""
    from matrix_social.db.posts import PostRow

    await db.execute("INSERT INTO post (event_id, room_id, author, kind, body, content, ts) "
                     "VALUES ('$old', '!r', '@a', 'text', 'x', '{}', 1)")
    for txn in ("t1", "t2"):
        w = IndexWriter(db, batching=True)
        await w.post(PostRow("$new", "!r", "@a", "text", "hi", {"a": 1}, 2, None, None))
        await w.like("$l1", "$old", "!r", "@u", 3)
        await w.like("$l2", "$new", "!r", "@u", 4)
        await w.like("$l3", "$nope", "!r", "@u", 5)
        await w.like("$l4", "$old", "!elsewhere", "@u", 5)
        await w.comment("$c1", "$new", "!r", "@u", "c", None, 6)
        await w.comment("$c2", "$nope", "!r", "@u", "c", "$x", 7)
        await w.comment("$c3", "$new", "!elsewhere", "@u", "c", None, 8)
        assert await db.fetchval("SELECT COUNT(*) FROM post_like") == (0 if txn == "t1" else 2)
        await w.flush(processed_txn=txn)
    ids = {table: [r[0] for r in await db.fetch(f"SELECT event_id FROM {table} ORDER BY 1")]
           for table in ("post", "post_like", "comment")}
    assert ids == {"post": ["$new", "$old"], "post_like": ["$l1", "$l2"], "comment": ["$c1"]}
    assert [r[0] for r in await db.fetch("SELECT txn_id FROM appservice_txn ORDER BY 1")] == \
        ["t1", "t2"]
    assert await db.fetchval("SELECT content FROM post WHERE event_id='$new'") == '{"a": 1}'


ODD_POSTS = [
    {"msgtype": "m.image", "body": "i", "url": "mxc://s/a", "info": ["list"]},
    {"msgtype": "m.image", "body": "i", "url": "https://evil.example/a.png"},
    {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {ev.POST_KIND: "text", "text": 5}},
    {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
        ev.POST_KIND: "app", ev.POST_APP: {"name": "n", "url": "javascript:alert(1)"}}},
    {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
        ev.POST_KIND: "app", ev.POST_APP: {"name": "n", "url": "https://a", "icon": {}}}},
    {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
        ev.POST_KIND: "activity", ev.POST_ACTIVITY: {"kind": "run", "data": [1]}}},
    {"msgtype": "m.text", "body": "x", ev.POST_BLOCK: {
        ev.POST_KIND: "activity", ev.POST_ACTIVITY: {"kind": "run", "data": {"a": "x" * 5000}}}},
]


@pytest.mark.parametrize("content", ODD_POSTS)
async def test_a_post_whose_fields_have_odd_types_is_refused_not_served(rules, db, content):
    rules, w = rules
    with pytest.raises(MalformedEvent):
        await rules.apply(event("m.room.message", ALICE_FEED, ALICE, content), w)
    assert await _posts(db) == []


async def test_an_images_info_keeps_only_what_the_api_shows(rules, db):
    rules, w = rules
    await rules.apply(event("m.room.message", ALICE_FEED, ALICE, {
        "msgtype": "m.image", "body": "i", "url": "mxc://s/a",
        "info": {"mimetype": "image/png", "w": 3, "h": -1, "size": True, "evil": {"x": 1}}}), w)
    stored = await db.fetchval("SELECT content FROM post")
    assert '"info": {"mimetype": "image/png", "w": 3}' in stored


# --- MSC4501 (docs/events.md, "MSC4501") ------------------------------------------------------

async def test_an_msc4501_repost_points_at_the_live_original_never_its_embedded_copy(rules, db):
    """A `relates_to` repost counts as a repost of the indexed original; the embedded copy's
    text, sender and room are never believed (nor kept)."""
    rules, w = rules
    original = text(ALICE_FEED, ALICE, "the real words")
    await rules.apply(original, w)
    link = f"https://matrix.to/#/{ALICE_FEED}/{original['event_id']}"
    forged = {"rel_type": ev.SOCIAL_REL_REPOST, "event_id": original["event_id"],
              "room_id": PRIVATE, "sender": MALLORY, "displayname": "Alice",
              "content": {"msgtype": "m.text", "body": "alice says send me money"}}
    quote = event("m.room.message", BOB_FEED, BOB, {
        "msgtype": "m.text", "body": f"so true {link}", ev.SOCIAL_RELATES_TO: forged})
    await rules.apply(quote, w)
    row = await db.fetchrow("SELECT kind, body, repost_of, content FROM post WHERE event_id=$1",
                            quote["event_id"])
    assert (row["kind"], row["body"], row["repost_of"]) == \
        ("repost", "so true", original["event_id"])
    assert "send me money" not in row["content"] and MALLORY not in row["content"]
    assert f'"author": "{ALICE}"' in row["content"]
    # a second repost by the same person (a plain one, MSC4501's own event type) is not counted
    plain = event(str(ev.SOCIAL_POST), BOB_FEED, BOB, {
        "msgtype": "m.text", "body": link, ev.SOCIAL_RELATES_TO: {**forged, "content": None}})
    await rules.apply(plain, w)
    assert await db.fetchval("SELECT reposts FROM post_count WHERE post_id=$1",
                             original["event_id"]) == 1
    nowhere = event("m.room.message", BOB_FEED, BOB, {
        "msgtype": "m.text", "body": "x", ev.SOCIAL_RELATES_TO: {
            **forged, "event_id": "$not-indexed"}})
    with pytest.raises(UntrustedEvent):
        await rules.apply(nowhere, w)


async def test_msc4501_posts_cross_posted_replies_and_a_bare_repost_reaction(rules, db):
    """`…social.post` is a post; a cross-posted reply (rel_type reply) is an ordinary post;
    a bare 🔁 (without our notice block) is neither counted nor quarantined."""
    rules, w = rules
    post = event(str(ev.SOCIAL_POST), ALICE_FEED, ALICE, {"msgtype": "m.text", "body": "hi"})
    await rules.apply(post, w)
    reply = event("m.room.message", ALICE_FEED, ALICE, {
        "msgtype": "m.text", "body": "as I said", ev.SOCIAL_RELATES_TO: {
            "rel_type": ev.SOCIAL_REL_REPLY, "event_id": "$elsewhere", "room_id": BOB_FEED,
            "sender": BOB}})
    await rules.apply(reply, w)
    assert await db.fetchval("SELECT COUNT(*) FROM post WHERE kind='text'") == 2
    await rules.apply(event("m.reaction", ALICE_FEED, BOB, {"m.relates_to": {
        "rel_type": "m.annotation", "event_id": post["event_id"], "key": ev.REPOST_KEY}}), w)
    assert await db.fetchval("SELECT COUNT(*) FROM post WHERE kind='repost'") == 0
    forged_owner = event(str(ev.SOCIAL_PROFILE_USER_ID), ALICE_FEED, ALICE,
                         {"user_id": MALLORY}, state_key="")
    with pytest.raises(UntrustedEvent):
        await rules.apply(forged_owner, w)


async def test_in_a_group_every_member_posts_only_moderators_redact_others_and_nobody_owns_it(
        rules, db):
    """An MSC4501 group (recorded by its create event): anybody's top-level message is a post
    by its sender; a redaction of another's post counts only from a moderator (the room's
    redact level, or a room version 12 creator); no state in it speaks for an owner."""
    rules, w = rules
    group = "!group:other.test"
    owners = rules.owners
    await owners.record_group(group, "Birds")
    await rules.apply(event("m.room.create", group, REMOTE_FORGER,
                            {"room_version": "12", "type": ev.SOCIAL_GROUP_ROOM_TYPE},
                            state_key=""), w)
    await rules.apply(event("m.room.power_levels", group, REMOTE_FORGER,
                            {"users": {BOB: 50}, "redact": 50}, state_key=""), w)
    by_mallory, by_alice = text(group, MALLORY, "mine"), text(group, ALICE, "hers")
    for raw in (by_mallory, by_alice):
        await rules.apply(raw, w)
    assert await _posts(db) == [by_mallory["event_id"], by_alice["event_id"]]
    # mallory (level 0) cannot take alice's post out; bob (50) and the creator can
    await rules.apply(event("m.room.redaction", group, MALLORY, {},
                            redacts=by_alice["event_id"]), w)
    assert by_alice["event_id"] in await _posts(db)
    await rules.apply(event("m.room.redaction", group, BOB, {},
                            redacts=by_alice["event_id"]), w)
    await rules.apply(event("m.room.redaction", group, REMOTE_FORGER, {},
                            redacts=by_mallory["event_id"]), w)
    assert await _posts(db) == []
    # claims of ownership in a group change nothing
    w.writes.clear()
    for etype, content in ((ev.FEED_STATE, {"owner": MALLORY}),
                           (ev.SOCIAL_PROFILE_USER_ID, {"user_id": MALLORY}),
                           (ev.PROFILE_STATE, {"bio": "forged"})):
        await rules.apply(event(str(etype), group, REMOTE_FORGER, content, state_key=""), w)
    assert w.writes == []
    assert await owners.feed_of(group) is None
