"""The live stream (server-sent events) through the real stack: fed by ingest, authenticated
by Bearer or a single-use ticket (never the access token in a URL), resumable by id."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import aiohttp

from matrix_social.db import blocks, comments, likes, posts
from matrix_social.db.posts import PostRow
from matrix_social.matrix.ingest.changes import IndexChanges, Written
from matrix_social.matrix.ingest.writer import IndexWriter

from .harness import api, api_ok


def q(event_id: str) -> str:
    return quote(event_id, safe="")


class Events:
    """An open stream, read frame by frame."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.seen: list[tuple[str, dict]] = []  # every event read, skipped ones too

    async def next(self, name: str, timeout: float = 30) -> tuple[int, dict]:
        async def read():
            event_id, event, data = None, None, None
            while True:
                line = (await self.response.content.readline()).decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                elif line == "" and event is not None:
                    self.seen.append((event, data))
                    if event == name:
                        return event_id, data
                    event_id, event, data = None, None, None
        return await asyncio.wait_for(read(), timeout)


async def _open(session, stack, *, token=None, query="", last=None) -> aiohttp.ClientResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if last is not None:
        headers["Last-Event-ID"] = str(last)
    return await session.get(f"{stack.api_url}/events{query}", headers=headers)


async def test_a_like_arrives_as_counts_and_a_notification_and_resumes_by_id(stack):
    alice, bob, carol = [await stack.register(n) for n in ("alice", "bob", "carol")]
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "live"})
    await api_ok(stack, "POST", "/events/watch", alice, json={"post_ids": [post["id"]]})
    async with aiohttp.ClientSession() as session:
        response = await _open(session, stack, token=alice.access_token)
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events = Events(response)
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", bob)
        first_id, counts = await events.next("counts")
        assert counts == {"post_id": post["id"],
                          "counts": {"likes": 1, "comments": 0, "reposts": 0}}
        _, note = await events.next("notification")
        assert note["unread_count"] == 1
        response.close()
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", carol)
        # back with the id she had: what she missed comes first
        resumed = Events(await _open(session, stack, token=alice.access_token, last=first_id))
        missed_id, counts = await resumed.next("counts")
        assert missed_id > first_id and counts["counts"]["likes"] in (1, 2)
        # and a stranger's post is not pushed, her followee's is
        await api_ok(stack, "POST", "/follow", alice, json={"handle": bob.localpart})
        await api_ok(stack, "POST", "/posts", carol, json={"text": "not followed"})
        bobs = await api_ok(stack, "POST", "/posts", bob, json={"text": "followed"})
        _, new = await resumed.next("post")
        assert new["post_id"] == bobs["id"] and new["author"] == bob.user_id
        resumed.response.close()


async def test_tickets_are_single_use_and_the_token_never_goes_in_a_url(stack):
    alice = await stack.register("alice")
    ticket = (await api_ok(stack, "POST", "/events/ticket", alice))["ticket"]
    async with aiohttp.ClientSession() as session:
        first = await _open(session, stack, query=f"?ticket={ticket}")
        assert first.status == 200
        first.close()
        again = await _open(session, stack, query=f"?ticket={ticket}")
        assert again.status == 401 and (await again.json())["errcode"] == "M_UNKNOWN_TOKEN"
        nothing = await _open(session, stack)
        assert nothing.status == 401
        leaked = await _open(session, stack, query=f"?access_token={alice.access_token}")
        assert leaked.status == 400
    status, body = await api(stack, "POST", "/events/watch", alice, json={"post_ids": "x"})
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM"


async def test_a_stop_ends_open_streams_instead_of_waiting_for_their_keep_alive(
        stack, monkeypatch):
    """An open stream waits for its next event; a stopping service must not wait with it (a
    restart held for a keep-alive interval, or aiohttp's whole shutdown timeout)."""
    from matrix_social.api import routes_live

    monkeypatch.setattr(routes_live, "HEARTBEAT_SECONDS", 3600.0)
    alice = await stack.register("alice")
    async with aiohttp.ClientSession() as session:
        response = await _open(session, stack, token=alice.access_token)
        assert response.status == 200
        assert await response.content.readline() == b"retry: 3000\n"
        try:
            await asyncio.wait_for(stack.stop_bridge(), 30)
            rest = await asyncio.wait_for(response.content.read(), 10)
            assert rest == b"\n", rest  # the end of the stream, nothing more
        finally:
            if stack.bridge is None:
                await stack.start_bridge()


async def test_an_unlike_a_redaction_from_a_matrix_client_and_a_deletion_are_pushed(stack):
    """Counts go down on the screens that show the post, whichever way the like went (our
    API's unlike, or her own Matrix client's redaction through the homeserver's transaction);
    a deleted post is told to those who have it on screen. Mallory's redaction of the post
    from her own feed room (where she is the moderator) removes nothing and pushes nothing."""
    alice, bob, carol, mallory = [await stack.register(n)
                                  for n in ("alice", "bob", "carol", "mallory")]
    post = await api_ok(stack, "POST", "/posts", alice, json={"text": "going down"})
    mallory_feed = (await api_ok(stack, "POST", "/posts", mallory, json={"text": "hi"}))[
        "room_id"]
    async with aiohttp.ClientSession() as session:
        events = Events(await _open(session, stack, token=bob.access_token))
        # watching answers with the counts as they are now
        await api_ok(stack, "POST", "/events/watch", bob, json={"post_ids": [post["id"]]})
        _, now = await events.next("counts")
        assert now == {"post_id": post["id"], "counts": {"likes": 0, "comments": 0,
                                                          "reposts": 0}}
        mine = Events(await _open(session, stack, token=alice.access_token))
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", bob)
        assert (await events.next("counts"))[1]["counts"]["likes"] == 1
        assert (await mine.next("notification"))[1]["unread_count"] == 1
        await api_ok(stack, "DELETE", f"/posts/{q(post['id'])}/like", bob)
        assert (await events.next("counts"))[1]["counts"]["likes"] == 0
        # her bell goes down with it
        assert (await mine.next("notification"))[1]["unread_count"] == 0
        mine.response.close()

        c = stack.nio(carol)
        await c.join(post["room_id"])
        reaction = await c.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": post["id"], "key": "👍"}})
        assert (await events.next("counts"))[1]["counts"]["likes"] == 1
        await c.room_redact(post["room_id"], reaction.event_id)
        assert (await events.next("counts"))[1]["counts"]["likes"] == 0

        m = stack.nio(mallory)
        await m.room_redact(mallory_feed, post["id"])
        await m.join(post["room_id"])  # then a like of hers, as a marker after it
        await m.room_send(post["room_id"], "m.reaction", {"m.relates_to": {
            "rel_type": "m.annotation", "event_id": post["id"], "key": "👍"}})
        assert (await events.next("counts"))[1]["counts"]["likes"] == 1
        assert not [e for e in events.seen if e[0] == "deleted"]
        assert (await api_ok(stack, "GET", f"/posts/{q(post['id'])}", bob))["text"] == \
            "going down"
        # bob blocks mallory: her like leaves the counts pushed to him, as the API shows them
        await api_ok(stack, "POST", "/blocks", bob, json={"user_id": mallory.user_id})
        await api_ok(stack, "POST", f"/posts/{q(post['id'])}/like", carol)
        _, seen_by_bob = await events.next("counts")
        shown = await api_ok(stack, "GET", f"/posts/{q(post['id'])}", bob)
        assert seen_by_bob["counts"] == shown["counts"] == {"likes": 1, "comments": 0,
                                                            "reposts": 0}

        # two tabs of hers: each screen's watch concerns its own stream
        other = await api_ok(stack, "POST", "/posts", alice, json={"text": "other tab"})
        tab = Events(await _open(session, stack, token=bob.access_token, query="?screen=tab2"))
        await api_ok(stack, "POST", "/events/watch", bob,
                     json={"post_ids": [other["id"]], "screen": "tab2"})
        assert (await tab.next("counts"))[1]["post_id"] == other["id"]
        await api_ok(stack, "POST", f"/posts/{q(other['id'])}/like", carol)
        assert (await tab.next("counts"))[1]["counts"]["likes"] == 1
        await api_ok(stack, "DELETE", f"/posts/{q(post['id'])}", alice)
        _, deleted = await events.next("deleted")
        assert deleted == {"post_id": post["id"]}
        # the first tab (bob's watch without a screen) never heard of the other tab's post
        heard = [e for e in events.seen if e[1].get("post_id") == other["id"]]
        assert not heard, heard
        events.response.close()
        tab.response.close()
    status, body = await api(stack, "POST", "/events/watch", bob,
                             json={"post_ids": [], "screen": "x" * 65})
    assert status == 400 and body["errcode"] == "M_INVALID_PARAM"


async def test_a_redaction_tells_what_it_removed_and_only_that_on_both_databases(db):
    """The SQL under the pushed unlikes and deletions: each redaction returns what it removed
    (nothing for one that may not remove it), and only a removal is told to the streams."""
    changes, told = IndexChanges(), []
    changes.subscribe(told.append)
    w = IndexWriter(db, changes=changes)
    await w.post(PostRow(event_id="$p", room_id="!a:x", author="@a:x", kind="text", body="p",
                         content={"msgtype": "m.text", "body": "p"}, ts=1, edited_ts=None,
                         repost_of=None))
    await w.like("$l", "$p", "!a:x", "@b:x", 2)
    await w.comment("$c", "$p", "!a:x", "@b:x", "hi", None, 3)
    told.clear()
    # mallory: not the liker, and a moderator of her own room only
    assert await likes.redact(db, "$l", "!a:x", "@m:x", False) is None
    assert await posts.redact(db, "$p", "!m:x", "@m:x", True) is None
    assert await likes.redact(db, "$l", "!a:x", "@b:x", False) == "$p"
    assert await comments.redact(db, "$c", "!a:x", "@b:x", False) == "$p"
    assert await posts.redact(db, "$p", "!a:x", "@a:x", False) == ("!a:x", "@a:x", None)
    await w.removed("$p", ("!a:x", "@a:x", None), {"$p"})
    await w.removed("$gone", None, set())  # removed nothing: tells nothing
    assert told == [Written(counted_posts={"$p"}, removed_posts=[("!a:x", "$p", "@a:x")])]
    await blocks.add(db, "@b:x", "@m:x", None, 1)
    assert await blocks.owners_among(db, ["@a:x", "@b:x", "@m:x"]) == {"@b:x"}
