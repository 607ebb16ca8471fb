"""Notifications as ingest derives them and as they are read grouped, on SQLite and
PostgreSQL: the same rows through the writer's batch and one event at a time."""

from __future__ import annotations

import pytest

from matrix_social.db import notifications as notes
from matrix_social.db.posts import PostRow
from matrix_social.matrix.ingest.writer import IndexWriter

ROOM, OTHER_ROOM = "!alice:example.org", "!elsewhere:example.org"
ALICE, BOB, CAROL, DAN = ("@alice:example.org", "@bob:example.org", "@carol:example.org",
                          "@dan:remote.example")


def _post(event_id: str, author: str = ALICE, room: str = ROOM,
          repost_of: str | None = None, ts: int = 1) -> PostRow:
    return PostRow(event_id, room, author, "repost" if repost_of else "text", "hello there",
                   {"body": "hello there"}, ts, None, repost_of)


async def _groups(db, user=ALICE, types=None):
    rows = await notes.groups(db, user, types, None, 50)
    actors = await notes.actors(db, user, [r["group_key"] for r in rows])
    return [(r["type"], actors[r["group_key"]].count, actors[r["group_key"]].newest)
            for r in rows]


@pytest.mark.parametrize("batching", [True, False])
async def test_likes_reposts_and_follows_group_newest_actor_first(db, batching):
    w = IndexWriter(db, batching=batching)
    await w.post(_post("$p"))
    await w.like("$l1", "$p", ROOM, BOB, 10)
    await w.like("$l2", "$p", ROOM, CAROL, 11)
    await w.like("$l3", "$p", ROOM, DAN, 12)  # a user of another server
    await w.like("$l4", "$p", ROOM, ALICE, 13)  # her own like: nobody is told
    await w.like("$l1", "$p", ROOM, BOB, 10)  # the same event again (API copy, then stream)
    await w.post(_post("$r1", BOB, "!bob:example.org", repost_of="$p", ts=14))
    await w.flush()
    await w.follow("!alice:example.org", CAROL, 5 * notes.DAY_MS + 1, ALICE, "$f1")
    await w.follow("!alice:example.org", BOB, 5 * notes.DAY_MS + 2, ALICE, "$f2")
    await w.follow("!alice:example.org", DAN, 6 * notes.DAY_MS, ALICE, "$f3")  # next day
    assert await _groups(db) == [
        ("follow", 1, [DAN]),
        ("follow", 2, [BOB, CAROL]),
        ("repost", 1, [BOB]),
        ("like", 3, [DAN, CAROL, BOB]),
    ]
    assert await _groups(db, types=["like"]) == [("like", 3, [DAN, CAROL, BOB])]
    assert await notes.unread_count(db, ALICE) == 4
    assert await _groups(db, BOB) == []


@pytest.mark.parametrize("batching", [True, False])
async def test_comments_replies_and_mentions_notify_the_right_people_once(db, batching):
    w = IndexWriter(db, batching=batching)
    await w.post(_post("$p"))
    await w.comment("$c1", "$p", ROOM, BOB, "nice", None, 2)
    await w.comment("$c2", "$p", ROOM, CAROL, "agreed", "$c1", 3)  # reply to bob
    # mention and reply: one notification, the mention
    await w.comment("$c3", "$p", ROOM, ALICE, "thanks @bob", "$c1", 4, None, [(BOB, None)])
    await w.flush()
    assert await _groups(db) == [("comment", 1, [CAROL]), ("comment", 1, [BOB])]
    assert await _groups(db, BOB) == [("mention", 1, [ALICE]), ("reply", 1, [CAROL])]


async def test_nothing_is_derived_from_what_the_index_refused(db):
    """A like or comment in another room than the post's makes no row, so no notification;
    a mention notifies only once its post or comment is indexed."""
    w = IndexWriter(db, batching=True)
    await w.post(_post("$p"))
    await w.like("$l1", "$p", OTHER_ROOM, BOB, 10)
    await w.comment("$c1", "$p", OTHER_ROOM, BOB, "hi", None, 11)
    await w.comment("$c0", "$nowhere", ROOM, BOB, "@alice", None, 9, None, [(ALICE, None)])
    # a reply on another post naming a comment of this one (a plain client may write that)
    await w.post(_post("$p2", CAROL, "!carol:example.org"))
    await w.comment("$c2", "$p", ROOM, BOB, "hi", None, 12)
    await w.comment("$c3", "$p2", "!carol:example.org", CAROL, "re", "$c2", 13)
    await w.flush()
    assert await _groups(db, BOB) == []
    assert await _groups(db) == [("comment", 1, [BOB])]


async def test_read_position_moves_forward_only_and_redactions_take_theirs_away(db):
    w = IndexWriter(db)
    await w.post(_post("$p"))
    await w.like("$l1", "$p", ROOM, BOB, 10)
    await w.comment("$c1", "$p", ROOM, CAROL, "hi", None, 11)
    [comment, like] = await notes.groups(db, ALICE, None, None, 10)
    await notes.mark_read(db, ALICE, like["id"])
    assert await notes.unread_count(db, ALICE) == 1
    await notes.mark_read(db, ALICE, 0)
    assert await notes.read_up_to(db, ALICE) == like["id"]
    await w.like("$l2", "$p", ROOM, DAN, 12)  # the like group is unread again
    assert await notes.unread_count(db, ALICE) == 2
    page = await notes.groups(db, ALICE, None, (comment["ts"], comment["id"]), 10)
    assert [r["type"] for r in page] == []  # keyset: before the comment (the like is newer)
    await db.execute("DELETE FROM comment WHERE event_id='$c1'")
    await notes.forget_removed(db, "$c1")
    await notes.forget_removed(db, "$l1")  # still indexed: kept
    assert await _groups(db) == [("like", 2, [DAN, BOB])]
