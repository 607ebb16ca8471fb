"""Post search (db/search.py) on SQLite (FTS5) and PostgreSQL (tsvector + GIN): posts with the
query's words as a phrase first, then those with all of them, newest first in each; a cursor
walks both tiers without a gap or a repeat; any text is a query (an attacker's quotes, `*`,
`NEAR`, `:` are data, never full-text syntax, never an error). Users and apps by prefix."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrix_social.db import apps, posts, search
from matrix_social.db.posts import PostRow

ROOM = "!room:example.org"
VIEWER = "@viewer:example.org"


async def _post(db, event_id: str, body: str, ts: int) -> None:
    await posts.upsert(db, PostRow(event_id, ROOM, "@author:example.org", "text", body,
                                   {"body": body}, ts, None, None))


async def _ids(db, query: str, after=None, limit: int = 50) -> list[str]:
    return [r["event_id"] for r in await search.posts(db, VIEWER, query, after, limit)]


async def test_phrase_first_then_all_words_newest_first_in_each(db):
    await _post(db, "$old_phrase", "the blue whale sings", 1)
    await _post(db, "$new_phrase", "a Blue Whale, again", 5)
    await _post(db, "$apart", "whale watching under a blue sky", 9)
    await _post(db, "$reversed", "whale blue", 7)
    await _post(db, "$one_word", "only blue here", 10)
    assert await _ids(db, "blue whale") == ["$new_phrase", "$old_phrase", "$apart", "$reversed"]
    assert await _ids(db, "whale") == ["$apart", "$reversed", "$new_phrase", "$old_phrase"]
    assert await _ids(db, "WHALE!!") == await _ids(db, "whale")
    assert await _ids(db, "narwhal") == []


async def test_the_cursor_walks_both_tiers_without_gap_or_repeat(db):
    for i in range(7):
        await _post(db, f"$p{i}", "red fox" if i % 2 else "fox is red", 100 + i)
    await _post(db, "$same_ts_a", "red fox", 200)
    await _post(db, "$same_ts_b", "red fox", 200)
    everything = await _ids(db, "red fox")
    seen, after = [], None
    while True:
        rows = await search.posts(db, VIEWER, "red fox", after, 3)
        seen += [r["event_id"] for r in rows[:2]]
        if len(rows) <= 2:
            break
        last = rows[1]
        after = (last["tier"], last["ts"], last["event_id"])
    assert seen == everything and len(set(seen)) == 9
    assert everything[:2] == ["$same_ts_b", "$same_ts_a"]
    tiers = [r["tier"] for r in await search.posts(db, VIEWER, "red fox", None, 50)]
    assert tiers == sorted(tiers, reverse=True) and set(tiers) == {1, 2}


HOSTILE = ['"', '""', '"unterminated', "*", "fox*", "NEAR", "NEAR(fox red)", "fox NEAR red",
           "body:fox", ":", "fox:*", "a & b", "!fox", "fox | red", "(fox", "fox)", "-fox",
           "^fox", "AND", "OR", "NOT fox", "fox OR red", "'", "''", "\\", "%", "_", "{a b}",
           "fox <-> red", "fox <2> red", "é", "日本語", "fox_red", "\u0000", "a" * 200]


async def test_full_text_syntax_in_a_query_is_data(db):
    await _post(db, "$fox", "the quick red fox near the body of water", 1)
    for query in HOSTILE:
        await search.posts(db, VIEWER, query, None, 20)  # never an error
        await search.posts(db, VIEWER, query, (1, 5, "$x"), 20)
    assert await _ids(db, '"fox"') == ["$fox"]
    assert await _ids(db, "fox*") == ["$fox"]  # the star is not a prefix operator
    assert await _ids(db, "fo*") == []
    assert await _ids(db, "body:fox") == ["$fox"]  # not a column filter: both words match
    assert await _ids(db, "NEAR fox") == ["$fox"]  # a word like any other
    assert await _ids(db, "NOT fox") == []  # "not" is a word the post does not have


async def test_any_text_is_a_query(db):
    await _post(db, "$p", "hello world", 1)
    loop = asyncio.get_running_loop()

    @settings(max_examples=30, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.text(max_size=60))
    def check(text):
        asyncio.run_coroutine_threadsafe(
            search.posts(db, VIEWER, text, None, 5), loop).result(timeout=30)

    await asyncio.to_thread(check)


async def test_users_and_apps_by_prefix(db):
    for owner, name in (("@zelda:example.org", "Princess Zelda"),
                        ("@zed:example.org", None), ("@link:example.org", "Zelda fan")):
        await db.execute("INSERT INTO feed_room (room_id, owner, created_at) VALUES ($1, $2, 0)",
                         f"!{owner[1:5]}:example.org", owner)
        if name:
            await db.execute("INSERT INTO profile (user_id, displayname) VALUES ($1, $2)",
                             owner, name)
    found = [r["user_id"] for r in await search.users(db, "ze", None, 10)]
    assert found[:2] == ["@zed:example.org", "@zelda:example.org"]  # handle prefix first
    assert "@link:example.org" in [r["user_id"] for r in await search.users(db, "zelda", None, 10)]
    assert [r["user_id"] for r in await search.users(db, "prin", None, 10)] == [
        "@zelda:example.org"]
    for query in ("%", "_", "\\", "z%", "'"):
        await search.users(db, query, None, 10)
        await search.apps(db, query, None, 10)
    assert await search.users(db, "%", None, 10) == []
    await apps.upsert(db, "a:keeper", ROOM, "@zelda:example.org", "keeper", "Lighthouse Keeper",
                      "Guide ships", "", "https://a.example", 1)
    assert [r["app_id"] for r in await search.apps(db, "light", None, 10)] == ["a:keeper"]
    assert [r["app_id"] for r in await search.apps(db, "keeper", None, 10)] == ["a:keeper"]
    assert await search.apps(db, "_", None, 10) == []
