"""Notifications and her safety choices, on SQLite and PostgreSQL: nothing from someone she
blocked or mutes (not derived while it stands, not listed, not counted, not a group's actor),
a block deletes his past notifications for good, a mute hides what came before it only while
it lasts, and her muted words of context `notifications` hide comments, replies and mentions
that hold them (docs/events.md, "Notifications")."""

from __future__ import annotations

import asyncio

import pytest

from matrix_social.clock import now_ms
from matrix_social.db import blocks, mutes
from matrix_social.db import notifications as notes
from matrix_social.db.posts import PostRow
from matrix_social.ids import Identities
from matrix_social.matrix.ingest.changes import IndexChanges
from matrix_social.matrix.ingest.writer import IndexWriter
from matrix_social.social.live import LiveStreams
from matrix_social.social.notifications import Notifications
from matrix_social.social.users import Users

ROOM = "!alice:example.org"
ALICE, BOB, CAROL, DAN, ERIN = ("@alice:example.org", "@bob:example.org",
                                "@carol:example.org", "@dan:remote.example",
                                "@erin:example.org")
LATER = 10 * 60_000  # past the mutes of these tests


def _post(event_id: str, author: str = ALICE, room: str = ROOM, body: str = "hello there",
          repost_of: str | None = None, ts: int = 1) -> PostRow:
    return PostRow(event_id, room, author, "repost" if repost_of else "text", body,
                   {"body": body}, ts, None, repost_of)


async def _groups(db, user=ALICE, now=None):
    rows = await notes.groups(db, user, None, None, 50, now)
    actors = await notes.actors(db, user, [r["group_key"] for r in rows], now)
    return [(r["type"], actors[r["group_key"]].count, actors[r["group_key"]].newest)
            for r in rows]


def _notifications(db) -> Notifications:
    ids = Identities(domain="example.org", bot_localpart="social", ai_suffix="_ai",
                     platform_prefixes={})
    return Notifications(db, Users(ids, None))


@pytest.mark.parametrize("batching", [True, False])
async def test_nothing_from_whom_she_blocked_or_mutes(db, batching):
    w = IndexWriter(db, batching=batching)
    await w.post(_post("$p"))
    await w.like("$l1", "$p", ROOM, BOB, 10)
    await w.like("$l2", "$p", ROOM, CAROL, 11)
    await w.like("$l3", "$p", ROOM, DAN, 12)  # a user of another server
    await w.comment("$c1", "$p", ROOM, BOB, "first", None, 13)
    await w.flush()
    assert await notes.unread_count(db, ALICE) == 2

    # She blocks Bob: his notifications go at once; she mutes Carol for a few minutes.
    await blocks.add(db, ALICE, BOB, None, 20)
    assert await notes.forget_actors(db, ALICE, [BOB]) == 2
    until = now_ms() + 5 * 60_000
    await mutes.mute(db, ALICE, CAROL, until, 20)
    assert await _groups(db) == [("like", 1, [DAN])]  # the group counts neither of them
    assert await notes.unread_count(db, ALICE) == 1

    # While they stand, nothing of theirs is derived: likes, comments, replies, mentions,
    # reposts, follows, AI answers.
    await w.like("$l4", "$p", ROOM, BOB, 30)
    await w.comment("$c2", "$p", ROOM, CAROL, "muted comment", None, 31)
    await w.comment("$c3", "$p", ROOM, BOB, "hey @alice", None, 32, None, [(ALICE, None)])
    await w.post(_post("$m1", BOB, "!bob:example.org", "@alice look", ts=33),
                 [(ALICE, None)])
    await w.post(_post("$r1", CAROL, "!carol:example.org", repost_of="$p", ts=34))
    await w.flush()
    await w.follow(ROOM, BOB, 35, ALICE, "$f1")
    await w.follow(ROOM, CAROL, 36, ALICE, "$f2")
    await notes.ai_answer(db, ALICE, BOB, "$a1", "!public:example.org", 37)
    await notes.ai_answer(db, ALICE, CAROL, "$a2", "!public:example.org", 38)
    raw = await db.fetchval("SELECT COUNT(*) FROM notification WHERE recipient = $1", ALICE)
    assert raw == 2  # Carol's like from before the mute, and Dan's
    assert await notes.recipients_of(db, ["$l4", "$c2", "$c3", "$m1", "$r1"], [ALICE]) == []

    # The mute ends: what came before it shows again; what came during it never does.
    assert await _groups(db, now=now_ms() + LATER) == [("like", 2, [DAN, CAROL])]
    assert await notes.unread_count(db, ALICE, now_ms() + LATER) == 1
    # The unblock brings none of his back; what he does afterwards notifies her.
    assert await blocks.remove(db, ALICE, BOB) == [BOB]
    await w.like("$l5", "$p", ROOM, BOB, 40)
    await w.flush()
    assert await _groups(db, now=now_ms() + LATER) == [("like", 3, [BOB, DAN, CAROL])]
    # Others are not touched by her choices.
    await w.post(_post("$q", ERIN, "!erin:example.org"))
    await w.like("$l6", "$q", "!erin:example.org", BOB, 50)
    await w.flush()
    assert await _groups(db, ERIN) == [("like", 1, [BOB])]


async def test_a_mute_without_end_hides_until_unmuted(db):
    w = IndexWriter(db)
    await w.post(_post("$p"))
    await w.like("$l1", "$p", ROOM, BOB, 10)
    await mutes.mute(db, ALICE, BOB, None, 11)
    assert await _groups(db, now=now_ms() + 10**9) == []
    assert await notes.unread_count(db, ALICE, now_ms() + 10**9) == 0
    await mutes.unmute(db, ALICE, BOB)
    assert await _groups(db) == [("like", 1, [BOB])]


async def test_muted_words_hide_comments_replies_and_mentions_from_her_notifications(db):
    w = IndexWriter(db)
    await w.post(_post("$p"))
    await w.comment("$c1", "$p", ROOM, BOB, "What a SPOILER!", None, 10)
    await w.comment("$c2", "$p", ROOM, CAROL, "spoilers are fine", None, 11)  # not a whole word
    await w.comment("$c3", "$p", ROOM, ALICE, "mine", None, 12)
    await w.comment("$c4", "$p", ROOM, DAN, "re: the spoiler", "$c3", 13)  # a reply to her
    await w.post(_post("$m1", ERIN, "!erin:example.org", "@alice Spoiler inside", ts=14),
                 [(ALICE, None)])
    await w.post(_post("$m2", ERIN, "!erin:example.org", "@alice hello", ts=15),
                 [(ALICE, None)])
    await w.comment("$c5", "$p", ROOM, ERIN, "fine", None, 16, "spoiler")  # its CW
    await w.like("$l1", "$p", ROOM, BOB, 17)  # a like has no text: never hidden by words
    notifications = _notifications(db)

    async def listed():
        page = await notifications.page(ALICE, None, None, 50)
        return [(item["type"], item["actors"]) for item in page["items"]]

    everything = await listed()
    assert len(everything) == 7
    now = now_ms()
    await mutes.add_word(db, ALICE, "feedonly", True, False, None, now)
    await mutes.add_word(db, ALICE, "spoiler", False, True, None, now)
    assert await listed() == [("like", [BOB]), ("mention", [ERIN]), ("comment", [CAROL])]
    assert await notifications.unread_count(ALICE) == {"count": 3}
    assert await notifications.shown_to(["$c1", "$c4", "$m1"], [ALICE]) == []
    assert await notifications.shown_to(["$c1", "$c2"], [ALICE, BOB]) == [ALICE]
    # A word of the feed only, or someone else's word, hides nothing here.
    await mutes.add_word(db, BOB, "hello", True, True, None, now)
    assert ("mention", [ERIN]) in await listed()
    # An expired word no longer counts.
    await db.execute("UPDATE muted_word SET expires_at = $1 WHERE word = 'spoiler'", now - 1)
    assert len(await listed()) == 7
    assert await notifications.unread_count(ALICE) == {"count": 7}


async def test_a_page_her_words_emptied_is_filled_from_the_next_rows(db):
    w = IndexWriter(db)
    await w.post(_post("$p"))
    for i in range(12):
        text = "spoiler" if i % 3 else f"fine {i}"
        await w.comment(f"$c{i:02}", "$p", ROOM, BOB, text, None, 10 + i)
    await mutes.add_word(db, ALICE, "spoiler", False, True, None, now_ms())
    notifications = _notifications(db)
    first = await notifications.page(ALICE, None, None, 2)
    assert [item["comment_id"] for item in first["items"]] == ["$c09", "$c06"]
    second = await notifications.page(ALICE, first["next_cursor"], None, 2)
    assert [item["comment_id"] for item in second["items"]] == ["$c03", "$c00"]
    assert second["next_cursor"] is None
    assert await notifications.unread_count(ALICE) == {"count": 4}


async def test_the_live_stream_pushes_nothing_she_would_not_be_shown(db):
    changes = IndexChanges()
    notifications = _notifications(db)
    live = LiveStreams(db, changes, notifications)
    stream = await live.open(ALICE, None)
    w = IndexWriter(db, batching=True, changes=changes)
    await w.post(_post("$p"))
    await w.flush()
    await blocks.add(db, ALICE, BOB, None, 1)
    await mutes.mute(db, ALICE, DAN, None, 1)
    await mutes.add_word(db, ALICE, "spoiler", False, True, None, now_ms())

    async def pushed() -> list:
        await w.flush()
        for _ in range(100):  # bounded: the deliveries are tasks
            if not live._tasks:
                break
            await asyncio.sleep(0.01)
        events = []
        while not stream.queue.empty():
            events.append(stream.queue.get_nowait())
        return [(name, data) for _, name, data in events if name == "notification"]

    await w.like("$l1", "$p", ROOM, BOB, 10)
    await w.like("$l2", "$p", ROOM, DAN, 11)
    await w.comment("$c1", "$p", ROOM, CAROL, "a SPOILER", None, 12)
    assert await pushed() == []
    await w.like("$l3", "$p", ROOM, CAROL, 13)
    assert await pushed() == [("notification", {"unread_count": 1})]
