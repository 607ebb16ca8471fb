"""The kept notification groups (upgrade v27: triggers on notification insert and delete) and
the reads built on them answer what the grouped query over every row answered, on SQLite and
PostgreSQL: random notifications inserted (some twice), deleted one by one (redactions) and
by actor (a block's forget), with blocks, mutes (running and expired), read positions and
muted words (running and expired) in the comments' texts; the old query, kept here, is the
oracle. So is the list as the social layer read it before issue 25's reads (a page her words
emptied filled by up to 4 more reads of a page, the unread count less the comments her words
hide among the newest 2,000 unread), page by page through its cursor; the unread count now
stops at MAX_UNREAD."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from matrix_social.clock import now_ms
from matrix_social.db import mutes
from matrix_social.db import notifications as notes
from matrix_social.db.upgrade.v27_notification_groups import GROUPED
from matrix_social.ids import Identities
from matrix_social.social import cursor as cursors
from matrix_social.social.mutes import word_pattern
from matrix_social.social.notifications import MAX_UNREAD, MAX_WORDED_UNREAD, REFILLS, Notifications
from matrix_social.social.users import Users

from .harness import concurrent_writers

EXAMPLES = int(os.environ.get("NOTIFICATION_GROUP_EXAMPLES", "30"))
NOW = 1_000_000
A, B = "@a:x", "@b:x"
ACTORS = ("@c:x", "@d:x", "@e:x", "@f:x")
TABLES = ("notification", "notification_read", "user_block", "user_mute", "comment",
          "muted_word")
# A comment's (body, content warning); her muted word is "spoiler" (whole word, any case).
TEXTS = (("fine", None), ("a Spoiler here", None), ("spoilers are fine", None),
         ("fine", "spoiler"))

# The grouped read as it was before v27 (main at 71170cb): every row of hers, those of actors
# she blocks or mutes at $2 left out, grouped, ordered by each group's newest row.
_SHOWN = (" AND NOT EXISTS (SELECT 1 FROM user_block b WHERE b.owner = notification.recipient "
          "AND b.blocked = notification.actor) AND NOT EXISTS (SELECT 1 FROM user_mute m "
          "WHERE m.owner = notification.recipient AND m.muted = notification.actor "
          "AND (m.expires_at IS NULL OR m.expires_at > $2))")
OLD_GROUPS = (
    "SELECT group_key, MAX(id) AS id, MAX(ts) AS ts, MIN(type) AS type, "
    "MIN(post_id) AS post_id, MIN(comment_id) AS comment_id, MIN(via) AS via, "
    "COUNT(DISTINCT actor) AS actor_count FROM notification "
    "WHERE recipient = $1" + _SHOWN + "{types} GROUP BY group_key "
    "HAVING MAX(ts) < $3 OR (MAX(ts) = $3 AND MAX(id) < $4) "
    "ORDER BY MAX(ts) DESC, MAX(id) DESC LIMIT $5")
OLD_UNREAD = (
    "SELECT COUNT(DISTINCT group_key) FROM notification WHERE notification.recipient = $1"
    + _SHOWN + " AND notification.id > "
    "COALESCE((SELECT up_to FROM notification_read WHERE user_id = $1), 0)")
# Her unread comments, replies and mentions with their texts, newest first (main at 37e0beb).
OLD_UNREAD_TEXTS = (
    "SELECT notification.group_key AS group_key, COALESCE(c.body, p.body, '') AS body, "
    "c.cw AS cw FROM notification LEFT JOIN comment c ON c.event_id = notification.comment_id "
    "LEFT JOIN post p ON notification.comment_id IS NULL AND p.event_id = notification.post_id "
    "WHERE notification.recipient = $1" + _SHOWN + " AND notification.id > "
    "COALESCE((SELECT up_to FROM notification_read WHERE user_id = $1), 0) "
    "AND notification.type IN ('comment', 'reply', 'mention') "
    "ORDER BY notification.id DESC LIMIT $3")

_insert = st.tuples(
    st.just("insert"), st.sampled_from((A, B)), st.sampled_from(("like", "follow", "comment")),
    st.sampled_from(ACTORS), st.integers(0, 1), st.integers(0, 6),
    st.integers(0, len(TEXTS) - 1))
_other = st.one_of(
    st.tuples(st.just("again"), st.integers(0, 30)),       # an event derived a second time
    st.tuples(st.just("redact"), st.integers(0, 30)),
    st.tuples(st.just("redact"), st.integers(0, 30)),
    st.tuples(st.just("forget"), st.sampled_from((A, B)), st.sampled_from(ACTORS)),
    st.tuples(st.just("block"), st.sampled_from((A, B)), st.sampled_from(ACTORS)),
    st.tuples(st.just("mute"), st.sampled_from((A, B)), st.sampled_from(ACTORS),
              st.sampled_from((None, NOW - 1, NOW + 1))),
    st.tuples(st.just("read"), st.sampled_from((A, B)), st.integers(0, 30)),
    st.tuples(st.just("word"), st.sampled_from((A, B)), st.sampled_from((None, 1, 2**61))))
# Half of the operations add a notification.
_operation = st.tuples(st.booleans(), _insert, _other).map(lambda o: o[1] if o[0] else o[2])


async def _apply(db, op: tuple, events: list) -> None:
    kind = op[0]
    if kind == "insert":
        _, recipient, type_, actor, group, ts, text = op
        # As ingest derives them, a group's type, post, comment and via are the same on all
        # its rows (its key is made of them); a comment is a group of its own, with its text.
        event_id = f"$e{len(events)}"
        post_id = None if type_ == "follow" else f"$p{group}"
        comment_id = event_id if type_ == "comment" else None
        via = f"!v{group}" if type_ == "comment" else None
        key = f"comment:{event_id}" if type_ == "comment" else f"{type_}:{group}"
        events.append((recipient, type_, actor, event_id, post_id, comment_id, via, key, ts))
        if comment_id:
            await db.execute(
                "INSERT INTO comment (event_id, post_id, room_id, author, body, in_reply_to, "
                "ts, cw) VALUES ($1, $2, '!r', $3, $4, NULL, $5, $6)", comment_id, post_id,
                actor, *TEXTS[text][:1], ts, TEXTS[text][1])
        await db.execute(
            "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, "
            "via, group_key, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (recipient, event_id) DO NOTHING", *events[-1])
    elif kind == "again" and events:
        await db.execute(
            "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, "
            "via, group_key, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            "ON CONFLICT (recipient, event_id) DO NOTHING", *events[op[1] % len(events)])
    elif kind == "redact" and events:
        await db.execute("DELETE FROM notification WHERE event_id = $1",
                         events[op[1] % len(events)][3])
    elif kind == "forget":
        await notes.forget_actors(db, op[1], [op[2]])
    elif kind == "block":
        await db.execute("INSERT INTO user_block (owner, blocked, via, ts) VALUES ($1, $2, "
                         "NULL, 1) ON CONFLICT DO NOTHING", op[1], op[2])
    elif kind == "mute":
        await db.execute("DELETE FROM user_mute WHERE owner = $1 AND muted = $2", op[1], op[2])
        await db.execute("INSERT INTO user_mute (owner, muted, expires_at, ts) "
                         "VALUES ($1, $2, $3, 1)", op[1], op[2], op[3])
    elif kind == "read":
        await notes.mark_read(db, op[1], op[2])
    elif kind == "word":
        await mutes.add_word(db, op[1], "spoiler", False, True, op[2], 0)


def _rows(rows) -> list[tuple]:
    return [(r["group_key"], r["id"], r["ts"], r["type"], r["post_id"], r["comment_id"],
             r["via"], r["actor_count"]) for r in rows]


async def _new(db, user: str, types, before, limit: int) -> list[tuple]:
    """A page as the list reads it: the groups, and each one's actor count from its actors."""
    rows = await notes.groups(db, user, types, before, limit, NOW)
    actors = await notes.actors(db, user, [r["group_key"] for r in rows], NOW)
    return [(r["group_key"], r["id"], r["ts"], r["type"], r["post_id"], r["comment_id"],
             r["via"], actors[r["group_key"]].count) for r in rows]


async def _old(db, user: str, types, before, limit: int) -> list[tuple]:
    where, chosen = notes._type_filter(types, 6)
    ts, row_id = before if before is not None else (2**62, 2**62)
    return _rows(await db.fetch(OLD_GROUPS.format(types=where), user, NOW, ts, row_id, limit,
                                *chosen))


async def _mismatches(db) -> list:
    wrong = []
    kept = sorted(tuple(r) for r in await db.fetch(
        "SELECT recipient, group_key, type, post_id, comment_id, via, id, ts, actor_count "
        "FROM notification_group"))
    grouped = sorted(tuple(r) for r in await db.fetch(GROUPED))
    if kept != grouped:
        wrong.append(("kept groups", kept, grouped))
    for user in (A, B):
        for types in (None, ["like"], ["follow", "comment"]):
            # Page by page (3 a page) through the cursor each page gives, as the API does.
            before = None
            walked: list[tuple] = []
            for _ in range(20):
                page = await _new(db, user, types, before, 3)
                old = await _old(db, user, types, before, 3)
                if page != old:
                    wrong.append(("page", user, types, before, page, "old:", old))
                walked += page
                if len(page) < 3:
                    break
                before = (page[-1][2], page[-1][1])
            if walked != await _old(db, user, types, None, 1000):
                wrong.append(("walk", user, types, walked))
        unread = await notes.unread_count(db, user, NOW)
        old_unread = await db.fetchval(OLD_UNREAD, user, NOW)
        if unread != old_unread:
            wrong.append(("unread", user, unread))
        if await notes.unread_count(db, user, NOW, 2) != min(2, old_unread):
            wrong.append(("unread up to 2", user, old_unread))
        wrong += await _social_mismatches(db, user)
    return wrong


def _notifications(db) -> Notifications:
    return Notifications(db, Users(Identities(domain="x", bot_localpart="social",
                                              ai_suffix="_ai", platform_prefixes={}), None))


async def _old_words(db, user: str, now: int):
    return word_pattern([r["word"] for r in await mutes.words(db, user, now, "notifications")])


async def _old_worded(db, user: str, rows: list[tuple], words) -> set[str]:
    if words is None:
        return set()
    found = await notes.texts(db, user, [r[0] for r in rows if r[3] in notes.WORDED])
    return {key for key, texts in found.items()
            if any(isinstance(t, str) and words.search(t.casefold()) for t in texts)}


async def old_page(db, user: str, types, cursor: str | None, limit: int,
                   now: int) -> tuple[list[tuple], str | None]:
    """Notifications.page's groups and cursor as main at 37e0beb read them."""
    position = cursors.decode(cursor, (int, int))
    words = await _old_words(db, user, now)
    rows: list[tuple] = []
    more = False
    where, chosen = notes._type_filter(types, 6)
    for _ in range(REFILLS + 1):
        ts, row_id = position if position is not None else (2**62, 2**62)
        fetched = _rows(await db.fetch(OLD_GROUPS.format(types=where), user, now, ts, row_id,
                                       limit + 1, *chosen))
        hidden = await _old_worded(db, user, fetched, words)
        for row in fetched:
            if row[0] not in hidden:
                if len(rows) == limit:
                    more = True
                    break
                rows.append(row)
            position = (row[2], row[1])
        if more or len(fetched) <= limit:
            break
    else:
        more = True
    return rows, cursors.encode(*position) if more and position else None


async def old_unread(db, user: str, now: int, max_worded: int = MAX_WORDED_UNREAD) -> int:
    """Notifications.unread_count as main at 37e0beb counted."""
    count = await db.fetchval(OLD_UNREAD, user, now)
    words = await _old_words(db, user, now) if count else None
    if words is not None:
        worded = await db.fetch(OLD_UNREAD_TEXTS, user, now, max_worded)
        count -= sum(1 for row in worded if any(
            isinstance(t, str) and words.search(t.casefold()) for t in (row["body"], row["cw"])))
    return max(0, count)


async def _social_mismatches(db, user: str, limit: int = 2) -> list:
    """The social layer's pages (through their cursors) and unread count against the old."""
    wrong = []
    notifications = _notifications(db)
    for types in (None, ["comment"]):
        cursor = None
        for _ in range(20):
            page = await notifications.page(user, cursor, types, limit)
            got = [(i["id"], i["ts"], i["type"], i["actor_count"]) for i in page["items"]]
            rows, old_cursor = await old_page(db, user, types, cursor, limit, now_ms())
            if got != [(r[1], r[2], r[3], r[7]) for r in rows] or \
                    page["next_cursor"] != old_cursor:
                wrong.append(("social page", user, types, cursor, got, page["next_cursor"],
                              "old:", rows, old_cursor))
            cursor = page["next_cursor"]
            if cursor is None:
                break
    count = (await notifications.unread_count(user))["count"]
    if count != min(MAX_UNREAD, await old_unread(db, user, now_ms())):
        wrong.append(("social unread", user, count))
    return wrong


async def test_kept_groups_and_unread_equal_the_grouped_query(db):
    loop = asyncio.get_running_loop()
    checked: list[int] = []

    def run(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.lists(_operation, min_size=12, max_size=40))
    def check(operations):
        for table in TABLES:
            run(db.execute(f"DELETE FROM {table}"))
        events: list = []
        done = []
        for op in operations:
            done.append(op)
            run(_apply(db, op, events))
        wrong = run(_mismatches(db))
        assert not wrong, f"{done}: {wrong}"
        checked.append(len(done))

    await asyncio.to_thread(check)
    assert len(checked) == EXAMPLES


async def test_a_group_whose_newest_rows_are_hidden_moves_down_to_its_visible_newest(db):
    """Bob's like is the newest of the group; muted, the group is ordered by Carol's older
    like, below a follow it was above, on the first page and through the cursor."""
    rows = [(A, "like", "@c:x", "$l1", "$p", None, None, "like:$p", 10),
            (A, "follow", "@d:x", "$f1", None, None, None, "follow:1", 20),
            (A, "like", "@e:x", "$l2", "$p", None, None, "like:$p", 30)]
    for row in rows:
        await db.execute(
            "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, "
            "via, group_key, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", *row)
    assert [r["group_key"] for r in await notes.groups(db, A, None, None, 5, NOW)] == [
        "like:$p", "follow:1"]
    await db.execute("INSERT INTO user_mute (owner, muted, expires_at, ts) "
                     "VALUES ($1, '@e:x', NULL, 1)", A)
    first = await _new(db, A, None, None, 1)
    assert [(r[0], r[2], r[7]) for r in first] == [("follow:1", 20, 1)]
    second = await _new(db, A, None, (first[0][2], first[0][1]), 1)
    assert [(r[0], r[2], r[7]) for r in second] == [("like:$p", 10, 1)]
    assert await notes.unread_count(db, A, NOW) == 2


async def _insert(db, *rows: tuple) -> None:
    for row in rows:
        await db.execute(
            "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, "
            "via, group_key, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", *row)


async def test_a_group_whose_newest_row_is_hidden_takes_its_place_at_the_window_s_edges(db):
    """A like group whose newest row is by someone she mutes is placed by its newest row she
    sees, found in the page's window of time: at the same time as the page's last kept group
    (above it by id), and at the same time as the cursor (below it by id)."""
    await _insert(db, (A, "follow", "@d:x", "$f1", None, None, None, "follow:1", 10),
                  (A, "like", "@c:x", "$l1", "$p", None, None, "like:$p", 10),
                  (A, "follow", "@d:x", "$f2", None, None, None, "follow:2", 20),
                  (A, "like", "@c:x", "$l2", "$q", None, None, "like:$q", 20),
                  (A, "follow", "@d:x", "$f3", None, None, None, "follow:3", 20),
                  (A, "like", "@e:x", "$l3", "$p", None, None, "like:$p", 40),
                  (A, "like", "@e:x", "$l4", "$q", None, None, "like:$q", 40))
    await db.execute("INSERT INTO user_mute (owner, muted, expires_at, ts) "
                     "VALUES ($1, '@e:x', NULL, 1)", A)
    keys = []
    before = None
    for _ in range(6):
        page = await _new(db, A, None, before, 1)
        assert page == await _old(db, A, None, before, 1)
        if not page:
            break
        keys.append(page[0][0])
        before = (page[0][2], page[0][1])
    # follow:3 (20, id 5), like:$q (20, id 4: the cursor's time), follow:2, like:$p (10, id 2:
    # the floor's time, above follow:1's id 1), follow:1.
    assert keys == ["follow:3", "like:$q", "follow:2", "like:$p", "follow:1"]


async def test_a_page_her_words_empty_stops_where_the_old_reads_stopped(db):
    """Her word hides 13 comments of every 14: the list looks at as many groups as the old
    reads did (up to 5 reads of a page) and its cursor goes on from the same place."""
    for i in range(40):
        text = 0 if i % 14 == 0 else 1
        await _apply(db, ("insert", A, "comment", ACTORS[i % 4], 0, i, text), [None] * i)
    await mutes.add_word(db, A, "spoiler", False, True, None, 0)
    notifications = _notifications(db)
    short = 0  # pages that ran out of reads before they were full
    for limit in (1, 2, 3):
        cursor = None
        for _ in range(40):
            page = await notifications.page(A, cursor, None, limit)
            rows, old_cursor = await old_page(db, A, None, cursor, limit, now_ms())
            assert [i["id"] for i in page["items"]] == [r[1] for r in rows], (limit, cursor)
            assert page["next_cursor"] == old_cursor, (limit, cursor)
            short += len(page["items"]) < limit and page["next_cursor"] is not None
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert short >= 3


async def test_the_unread_count_stops_at_max_unread_and_words_are_looked_for_in_the_newest(
        db, monkeypatch):
    """Counted up to MAX_UNREAD; her words hide only among the newest MAX_WORDED_UNREAD
    unread comments (smaller here, with smaller reads), as the old count left them out."""
    from matrix_social.social import notifications as social

    monkeypatch.setattr(social, "MAX_UNREAD", 9)
    monkeypatch.setattr(social, "MAX_WORDED_UNREAD", 5)
    monkeypatch.setattr(social, "UNREAD_BATCH", 3)
    monkeypatch.setattr(social, "UNREAD_READS", (5 + 9) // 3 + 2)
    events: list = []
    for i in range(16):  # 8 comments with her word, 8 likes of 8 posts
        await _apply(db, ("insert", A, "comment" if i % 2 else "like", ACTORS[i % 4], i, i,
                          1), events)
    notifications = _notifications(db)
    assert (await notifications.unread_count(A))["count"] == 9
    await mutes.add_word(db, A, "spoiler", False, True, None, 0)
    old = await old_unread(db, A, now_ms(), max_worded=5)
    assert old == 11  # 16 less the newest 5 comments
    assert (await notifications.unread_count(A))["count"] == 9
    await notes.mark_read(db, A, 6)
    old = await old_unread(db, A, now_ms(), max_worded=5)
    assert old == 5  # 10 unread: 5 likes, 5 comments of hers, all with her word
    assert (await notifications.unread_count(A))["count"] == old


async def test_a_redaction_takes_its_row_out_of_its_kept_group(db):
    """Three likes of one post by two people; the newest goes (unliked), then one of Carol's:
    the group is as the rows left make it, then gone with its last row."""
    rows = [(A, "like", "@c:x", "$l1", "$p", None, None, "like:$p", 10),
            (A, "like", "@d:x", "$l2", "$p", None, None, "like:$p", 20),
            (A, "like", "@c:x", "$l3", "$p", None, None, "like:$p", 30)]
    for row in rows:
        await db.execute(
            "INSERT INTO notification (recipient, type, actor, event_id, post_id, comment_id, "
            "via, group_key, ts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", *row)

    async def kept():
        return [tuple(r) for r in await db.fetch(
            "SELECT ts, actor_count FROM notification_group WHERE recipient = $1", A)]

    assert await kept() == [(30, 2)]
    await db.execute("DELETE FROM notification WHERE event_id = '$l3'")
    assert await kept() == [(20, 2)]
    await db.execute("DELETE FROM notification WHERE event_id = '$l2'")
    assert await kept() == [(10, 1)]
    await db.execute("DELETE FROM notification WHERE event_id = '$l1'")
    assert await kept() == []
    assert await notes.groups(db, A, None, None, 5, NOW) == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_the_v28_upgrade_keeps_what_was_there_and_reads_it_by_time(kind, tmp_path):
    """A database at v27 with her notifications, a block and a mute: after v28 her rows are
    indexed by time, the kept groups' actor indexes are gone, and the list and count read
    what the old query reads."""
    from .harness import new_database

    events: list = []
    async with new_database(kind, tmp_path) as database:
        db = await database.open(upgrades=27)
        for i in range(12):
            await _apply(db, ("insert", A, ("like", "follow", "comment")[i % 3], ACTORS[i % 4],
                              i % 2, 12 - i, i % len(TEXTS)), events)
        await _apply(db, ("block", A, ACTORS[0]), events)
        await _apply(db, ("mute", A, ACTORS[1], None), events)
        await db.stop()
        db = await database.open()
        try:
            indexes = await db.fetch(
                "SELECT name FROM sqlite_master WHERE type = 'index'" if kind == "sqlite"
                else "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'")
            names = {row["name"] for row in indexes}
            assert "notification_recipient_ts" in names
            assert not names & {"notification_group_id_actor", "notification_group_ts_actor"}
            assert await _new(db, A, None, None, 100) == await _old(db, A, None, None, 100)
            assert len(await _old(db, A, None, None, 100)) > 3
            assert await notes.unread_count(db, A, NOW) == await db.fetchval(OLD_UNREAD, A, NOW)
            assert await _mismatches(db) == []
        finally:
            await db.stop()


async def test_one_actor_written_twice_at_once_into_one_group_counts_once():
    """PostgreSQL, two connections: two likes of one post by one person (a like, an unlike
    and a like again; the API's copy and the homeserver's) written at the same moment; the
    second waits for the group's row and must then see the first's row: one actor, not two.
    A second person in the same race counts."""
    insert = ("INSERT INTO notification (recipient, type, actor, event_id, post_id, "
              "group_key, ts) VALUES ($1, 'like', $2, $3, '$p', 'like:$p', $4)")
    async with concurrent_writers() as (db, first, second):
        for racer, expected in (("@c:x", 1), ("@d:x", 2)):
            tx = first.transaction()
            await tx.start()
            await first.execute(insert, A, "@c:x", f"$1{racer}", 1)
            waiting = asyncio.create_task(second.execute(insert, A, racer, f"$2{racer}", 2))
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the second writer did not wait for the group's row"
            await tx.commit()
            await asyncio.wait_for(waiting, 10)
            count = await db.fetchval("SELECT actor_count FROM notification_group "
                                      "WHERE recipient = $1", A)
            assert count == expected, racer
            await db.execute("DELETE FROM notification")
