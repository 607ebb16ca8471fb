"""The kept notification groups (upgrade v27: triggers on notification insert and delete) and
the reads built on them answer what the grouped query over every row answered, on SQLite and
PostgreSQL: random notifications inserted (some twice), deleted one by one (redactions) and
by actor (a block's forget), with blocks, mutes (running and expired) and read positions; the
old query, kept here, is the oracle."""

from __future__ import annotations

import asyncio
import os

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from matrix_social.db import notifications as notes
from matrix_social.db.upgrade.v27_notification_groups import GROUPED

from .harness import concurrent_writers

EXAMPLES = int(os.environ.get("NOTIFICATION_GROUP_EXAMPLES", "30"))
NOW = 1_000_000
A, B = "@a:x", "@b:x"
ACTORS = ("@c:x", "@d:x", "@e:x", "@f:x")
TABLES = ("notification", "notification_read", "user_block", "user_mute")

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

_insert = st.tuples(
    st.just("insert"), st.sampled_from((A, B)), st.sampled_from(("like", "follow", "comment")),
    st.sampled_from(ACTORS), st.integers(0, 1), st.integers(0, 6))
_other = st.one_of(
    st.tuples(st.just("again"), st.integers(0, 30)),       # an event derived a second time
    st.tuples(st.just("redact"), st.integers(0, 30)),
    st.tuples(st.just("redact"), st.integers(0, 30)),
    st.tuples(st.just("forget"), st.sampled_from((A, B)), st.sampled_from(ACTORS)),
    st.tuples(st.just("block"), st.sampled_from((A, B)), st.sampled_from(ACTORS)),
    st.tuples(st.just("mute"), st.sampled_from((A, B)), st.sampled_from(ACTORS),
              st.sampled_from((None, NOW - 1, NOW + 1))),
    st.tuples(st.just("read"), st.sampled_from((A, B)), st.integers(0, 30)))
# Half of the operations add a notification.
_operation = st.tuples(st.booleans(), _insert, _other).map(lambda o: o[1] if o[0] else o[2])


async def _apply(db, op: tuple, events: list) -> None:
    kind = op[0]
    if kind == "insert":
        _, recipient, type_, actor, group, ts = op
        # As ingest derives them, a group's type, post, comment and via are the same on all
        # its rows (its key is made of them).
        post_id = None if type_ == "follow" else f"$p{group}"
        comment_id = f"$c{group}" if type_ == "comment" else None
        via = f"!v{group}" if type_ == "comment" else None
        events.append((recipient, type_, actor, f"$e{len(events)}", post_id, comment_id, via,
                       f"{type_}:{group}", ts))
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


def _rows(rows) -> list[tuple]:
    return [(r["group_key"], r["id"], r["ts"], r["type"], r["post_id"], r["comment_id"],
             r["via"], r["actor_count"]) for r in rows]


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
                page = _rows(await notes.groups(db, user, types, before, 3, NOW))
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
        if unread != await db.fetchval(OLD_UNREAD, user, NOW):
            wrong.append(("unread", user, unread))
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
    first = await notes.groups(db, A, None, None, 1, NOW)
    assert [(r["group_key"], r["ts"], r["actor_count"]) for r in first] == [("follow:1", 20, 1)]
    second = await notes.groups(db, A, None, (first[0]["ts"], first[0]["id"]), 1, NOW)
    assert [(r["group_key"], r["ts"], r["actor_count"]) for r in second] == [("like:$p", 10, 1)]
    assert await notes.unread_count(db, A, NOW) == 2


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
