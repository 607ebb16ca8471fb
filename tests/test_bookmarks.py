"""Bookmarks: private to their owner, on both databases and through the real homeserver, with
an attacker who tries to read and remove somebody else's."""

from __future__ import annotations

from urllib.parse import quote

from matrix_social.db import bookmarks, posts
from matrix_social.db.posts import PostRow

from .harness import api, api_ok


def q(value: str) -> str:
    return quote(value, safe="")


async def test_bookmarks_are_keyed_by_their_owner_on_both_databases(db):
    for i in range(3):
        await posts.upsert(db, PostRow(f"$p{i}", "!r", "@a:x", "text", f"post {i}",
                                       {"body": f"post {i}"}, 1000 + i, None, None))
    await bookmarks.add(db, "@bob:x", "$p0", 10)
    await bookmarks.add(db, "@bob:x", "$p2", 20)
    await bookmarks.add(db, "@bob:x", "$p1", 20)
    await bookmarks.add(db, "@bob:x", "$p0", 30)  # again: kept with its first time
    await bookmarks.add(db, "@eve:x", "$p1", 40)
    await bookmarks.remove(db, "@eve:x", "$p2")  # not hers: changes nothing of bob's
    first = await bookmarks.page(db, "@bob:x", None, 2)
    assert [(r["event_id"], r["saved_at"], r["bookmarked"]) for r in first] == [
        ("$p2", 20, True), ("$p1", 20, True)]
    rest = await bookmarks.page(db, "@bob:x", (20, "$p1"), 10)
    assert [r["event_id"] for r in rest] == ["$p0"]
    await posts.delete(db, "$p2")
    assert [r["event_id"] for r in await bookmarks.page(db, "@bob:x", None, 10)] == [
        "$p1", "$p0"]
    assert [r["event_id"] for r in await bookmarks.page(db, "@eve:x", None, 10)] == ["$p1"]


async def test_a_bookmark_is_private_and_only_its_owner_changes_it(stack):
    alice, bob, mallory = (await stack.register("alice"), await stack.register("bob"),
                           await stack.register("mallory"))
    first = await api_ok(stack, "POST", "/posts", alice, json={"text": "save me"})
    second = await api_ok(stack, "POST", "/posts", alice, json={"text": "me too"})
    for post in (first, second, first):
        saved = await api_ok(stack, "POST", f"/posts/{q(post['id'])}/bookmark", bob)
        assert saved == {"post_id": post["id"], "bookmarked": True}
    mine = await api_ok(stack, "GET", "/bookmarks", bob)
    assert [p["id"] for p in mine["items"]] == [second["id"], first["id"]]
    assert all(p["bookmarked"] and p["saved_at"] for p in mine["items"])
    assert (await api_ok(stack, "GET", f"/posts/{q(first['id'])}", bob))["bookmarked"] is True
    # Nobody else sees them, on the list or on the post.
    assert (await api_ok(stack, "GET", "/bookmarks", mallory))["items"] == []
    assert (await api_ok(stack, "GET", f"/posts/{q(first['id'])}", mallory))["bookmarked"] \
        is False
    assert all(not p["bookmarked"] for p in (await api_ok(stack, "GET", "/feed", alice))["items"])
    # mallory's removal is her own (she has none): bob's stays.
    gone = await api_ok(stack, "DELETE", f"/posts/{q(first['id'])}/bookmark", mallory)
    assert gone == {"post_id": first["id"], "bookmarked": False}
    assert len((await api_ok(stack, "GET", "/bookmarks", bob))["items"]) == 2
    # A cursor of bob's in mallory's hands pages mallory's own (empty) list.
    paged = await api_ok(stack, "GET", "/bookmarks?limit=1", bob)
    assert paged["next_cursor"]
    status, body = await api(stack, "GET", f"/bookmarks?cursor={paged['next_cursor']}", mallory)
    assert (status, body["items"]) == (200, [])
    status, body = await api(stack, "GET", "/bookmarks?cursor=not-ours", bob)
    assert (status, body["errcode"]) == (400, "M_INVALID_PARAM")
    status, body = await api(stack, "POST", f"/posts/{q('$nope:x')}/bookmark", bob)
    assert (status, body["errcode"]) == (404, "M_NOT_FOUND")
    # bob removes one; the author deletes the other: the list is empty.
    await api_ok(stack, "DELETE", f"/posts/{q(second['id'])}/bookmark", bob)
    await api_ok(stack, "DELETE", f"/posts/{q(first['id'])}", alice)
    assert (await api_ok(stack, "GET", "/bookmarks", bob))["items"] == []
