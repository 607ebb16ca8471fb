"""Hashtags: what a tag is, the tag SQL on both databases, and tag pages, trends and search
through the real homeserver (posts from the API and from a plain Matrix client)."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import pytest

from matrix_social.content import tags
from matrix_social.content.compose import text_content
from matrix_social.db import post_tags, posts, trending
from matrix_social.db.posts import PostRow
from matrix_social.matrix.ingest.writer import IndexWriter, Pending, write_batch

from .harness import api, api_ok, eventually

HOUR = 3600 * 1000


async def _trends(db, now: int) -> list:
    """The trends counted from scratch, checked equal to the kept ranking the endpoint serves
    (db/trending.py's TAGS, refreshed here)."""
    scratch = await post_tags.trends(db, now - 24 * HOUR, now, 10)
    await trending.refresh(db, trending.TAGS, now - 24 * HOUR, now, now)
    kept = await trending.tags(db, 10)
    assert [tuple(r) for r in kept] == [tuple(r) for r in scratch]
    return scratch


@pytest.mark.parametrize(("text", "expected"), [
    ("#Matrix is #cool", ["matrix", "cool"]),
    ("#2024 is no tag, #y2024 is", ["y2024"]),
    ("a#b mid-word, (#paren) and #end.", ["paren", "end"]),
    ("https://x.example/page#frag https://x.example/#top www.x.example/#a ?q=#b "
     "https://x.example/a-#frag", []),
    ("#日本語 #हिन्दी #ｍａｔｒｉｘ #MATRIX", ["日本語", "हिन्दी", "matrix"]),
    ("#a·b #tag· #·lead ＃full", ["a·b", "tag", "full"]),
    ("&#39; &#x27; #___ #_", []),
    ("#../etc/passwd #a/b #%2F", ["a"]),
])
def test_what_a_tag_is(text, expected):
    assert tags.tags_in(text) == expected


def test_a_tag_from_a_request_is_one_tag_or_refused():
    assert tags.checked("#Matrix") == tags.checked("ｍａｔｒｉｘ") == "matrix"
    for bad in ("", "#", "2024", "../x", "a/b", "a%2Fb", "a.b", "a b", "a?b", "·a", "a\x00",
                "x" * 101, 5, None):
        assert tags.checked(bad) is None, bad


def test_tags_are_linked_in_formatted_body_and_the_rest_stays_escaped():
    content = tags.with_links(text_content("<b>hi</b> #Matrix\nbye"), "https://s.example/")
    assert content["formatted_body"] == (
        '&lt;b&gt;hi&lt;/b&gt; <a href="https://s.example/social/tag/matrix">#Matrix</a>'
        "<br>bye")
    warned = tags.with_links(text_content("spoiler #Plot", "the end"), "https://s.example")
    assert '<a href="https://s.example/social/tag/plot">#Plot</a></span>' \
        in warned["formatted_body"]
    assert "formatted_body" not in tags.with_links(text_content("no tags"), "https://s.example")
    assert "formatted_body" not in tags.with_links(text_content("#a"), "")
    # A tag that percent-encodes: the link names it encoded, never a path of its own.
    odd = tags.with_links(text_content("#日本"), "https://s.example")
    assert 'href="https://s.example/social/tag/%E6%97%A5%E6%9C%AC"' in odd["formatted_body"]


def _row(event_id: str, author: str, ts: int, body: str) -> PostRow:
    return PostRow(event_id=event_id, room_id=f"!{author[1:]}", author=author, kind="text",
                   body=body, content={"msgtype": "m.text", "body": body}, ts=ts,
                   edited_ts=None, repost_of=None, tags=tuple(tags.tags_in(body)))


async def test_tag_pages_and_trends_on_both_databases(db):
    now = 100 * 24 * HOUR
    writer = IndexWriter(db)
    # mallory posts #spam a hundred times (in one transaction's batch, as the stream would)
    spam = Pending(posts=[({}, _row(f"$spam{i}", "@mallory:x", now - i, f"#spam {i}"))
                          for i in range(100)])
    await write_batch(db, spam, "txn-spam")
    for i, author in enumerate(("@a:x", "@b:x", "@c:x")):
        await writer.post(_row(f"$m{i}", author, now - 10 * i, "hello #Matrix"))
    await writer.post(_row("$old", "@d:x", now - 25 * HOUR, "#old #matrix"))
    trends = await _trends(db, now)
    assert [(r["tag"], r["accounts"], r["uses"]) for r in trends] == [
        ("matrix", 3, 3), ("spam", 1, 100)]
    first = await post_tags.page(db, "@viewer:x", "matrix", None, 2)
    assert [r["event_id"] for r in first] == ["$m0", "$m1"]
    rest = await post_tags.page(db, "@viewer:x", "matrix", (first[-1]["ts"],
                                                            first[-1]["event_id"]), 10)
    assert [r["event_id"] for r in rest] == ["$m2", "$old"]
    assert [r["tag"] for r in await post_tags.search(db, "ma", 5)] == ["matrix"]
    assert await post_tags.search(db, "%", 5) == []  # LIKE's wildcards are literal
    # A deleted post's tags go with it, however it goes.
    await posts.redact(db, "$m0", "!a:x", "@a:x", False)
    await posts.delete(db, "$m1")
    assert [r["event_id"] for r in await post_tags.page(db, "@v:x", "matrix", None, 10)] \
        == ["$m2", "$old"]
    assert await post_tags.of_post(db, "$m0") == await post_tags.of_post(db, "$m1") == []
    trends = await _trends(db, now)
    assert [(r["tag"], r["accounts"], r["uses"]) for r in trends] == [
        ("spam", 1, 100), ("matrix", 1, 1)]
    # An edit replaces the tags; the original replayed afterwards brings none back.
    await posts.apply_edit(db, "$m2", "!c:x", "@c:x", "now #rust", {}, now + 1)
    await post_tags.replace_after_edit(db, "$m2", now + 1, ["rust"])
    await writer.post(_row("$m2", "@c:x", now - 20, "hello #Matrix"))
    assert await post_tags.of_post(db, "$m2") == ["rust"]


async def test_tags_through_the_homeserver_from_the_api_and_from_a_plain_client(stack):
    alice, bob, carol = (await stack.register("alice"), await stack.register("bob"),
                         await stack.register("carol"))
    tag = f"Tag{secrets.token_hex(3)}"
    name = tag.lower()
    mine = await api_ok(stack, "POST", "/posts", alice, json={"text": f"hello #{tag}"})
    # What Element shows of ours: the tag linked to its page in the web app.
    shown = (await stack.nio(carol).room_get_event(mine["room_id"], mine["id"])).event.source
    assert shown["content"]["formatted_body"].endswith(
        f'hello <a href="{stack.config["platforms.public_url"].rstrip("/")}'
        f'/social/tag/{name}">#{tag}</a>')
    theirs = await api_ok(stack, "POST", "/posts", bob, json={"text": "first"})
    # From Element: the body is believed, never the client's own formatted links.
    sent = await stack.nio(bob).room_send(theirs["room_id"], "m.room.message", {
        "msgtype": "m.text", "body": f"from a client #{name.upper()} and https://x.example/#{name}x",
        "format": "org.matrix.custom.html",
        "formatted_body": f'<a href="https://evil.example/social/tag/evil{name}">#evil{name}</a>'})

    async def both():
        page = await api_ok(stack, "GET", f"/tags/{quote('#' + tag)}", carol)
        return len(page["items"]) == 2 and page

    page = await eventually(both, what="both tagged posts indexed")
    assert [p["id"] for p in page["items"]] == [sent.event_id, mine["id"]]
    assert (page["tag"], page["path"]) == (name, f"/social/tag/{name}")
    status, empty = await api(stack, "GET", f"/tags/evil{name}", carol)
    assert status == 200 and empty["items"] == []
    second = await api_ok(stack, "GET", f"/tags/{name}?limit=1", carol)
    assert [p["id"] for p in second["items"]] == [sent.event_id] and second["next_cursor"]
    after = await api_ok(stack, "GET",
                         f"/tags/{name}?limit=1&cursor={second['next_cursor']}", carol)
    assert [p["id"] for p in after["items"]] == [mine["id"]]

    # bob posts the tag again and again: still two people.
    for i in range(3):
        await api_ok(stack, "POST", "/posts", bob, json={"text": f"again #{name} {i}"})
    await stack.bridge.services.trending.refresh()  # what the refresher does every minute
    trends = (await api_ok(stack, "GET", "/trends/tags?limit=20", carol))["items"]
    mine_trend = [t for t in trends if t["tag"] == name]
    assert mine_trend == [{"tag": name, "path": f"/social/tag/{name}", "accounts": 2,
                           "uses": 5}]
    found = await api_ok(stack, "GET", f"/search?q={quote('#' + tag[:5])}&type=tags", carol)
    assert name in [t["tag"] for t in found["tags"]["items"]]
    everything = await api_ok(stack, "GET", f"/search?q={name}", carol)
    assert [t["tag"] for t in everything["tags"]["items"]] == [name]

    # Deleting the post takes it off the tag page.
    await api_ok(stack, "DELETE", f"/posts/{quote(mine['id'], safe='')}", alice)
    left = await api_ok(stack, "GET", f"/tags/{name}?limit=50", carol)
    assert mine["id"] not in [p["id"] for p in left["items"]]

    for bad in ("..%2F..%2Fetc", "a%2Fb", "2024", "a%20b", "%E2%80%AE"):
        status, body = await api(stack, "GET", f"/tags/{bad}", carol)
        assert (status, body["errcode"]) == (400, "M_INVALID_PARAM"), bad
